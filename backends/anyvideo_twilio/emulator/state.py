"""What the Twilio face keeps beside the simulated platform: the Twilio-only
settings and rules, composition hooks, and compositions still waiting for
their room's recordings. Held in memory, like the emulator's world."""

from __future__ import annotations

import heapq
import threading
from datetime import datetime
from typing import Any

import attrs

from anyvideo_twilio.emulator.rules import INCLUDE_ALL, Rule

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_RESOLUTION",
    "CompositionEntry",
    "CompositionParams",
    "Hook",
    "RecordingExtra",
    "RoomState",
    "Settings",
    "State",
    "Timers",
    "Transcription",
]

#: Twilio's defaults for what a composition makes.
DEFAULT_RESOLUTION = "640x480"
DEFAULT_FORMAT = "webm"


@attrs.define
class RoomState:
    """A room's recording rules and the track recordings they keep running."""

    rules: tuple[Rule, ...]
    rules_created_at: datetime
    rules_updated_at: datetime
    #: Track SID -> SID of the recording capturing it now.
    capturing: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Settings:
    """Recording or composition settings (external storage, encryption)."""

    friendly_name: str | None = None
    aws_credentials_sid: str | None = None
    aws_s3_url: str | None = None
    aws_storage_enabled: bool = False
    encryption_key_sid: str | None = None
    encryption_enabled: bool = False


@attrs.frozen
class CompositionParams:
    """How to compose: what a composition or a composition hook was asked for."""

    video_layout: dict[str, Any] | None = None
    audio_sources: tuple[str, ...] = ()
    audio_sources_excluded: tuple[str, ...] = ()
    resolution: str = DEFAULT_RESOLUTION
    format: str = DEFAULT_FORMAT
    trim: bool = True
    status_callback: str | None = None
    status_callback_method: str = "POST"


@attrs.frozen
class Hook:
    sid: str
    friendly_name: str
    enabled: bool
    params: CompositionParams
    created_at: datetime
    updated_at: datetime | None = None


@attrs.define
class CompositionEntry:
    """A composition; the world holds it too once it starts processing."""

    sid: str
    room_sid: str
    params: CompositionParams
    created_at: datetime
    hook_sid: str | None = None
    started: bool = False
    failure: str | None = None
    completed_at: datetime | None = None
    deleted_at: datetime | None = None
    settings: Settings = Settings()


@attrs.define
class RecordingExtra:
    """What a track recording keeps that the world does not."""

    settings: Settings
    status_callback: str | None = None
    status_callback_method: str = "POST"
    completed_at: datetime | None = None
    deleted_at: datetime | None = None


@attrs.define
class Transcription:
    """A room's real-time transcriptions: ``started`` until stopped or the room ends;
    a stopped one may be started again while the room is in progress."""

    ttid: str
    room_sid: str
    configuration: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    status: str = "started"
    #: When it last started, and when it last stopped (``None`` while started).
    start_time: datetime | None = None
    end_time: datetime | None = None
    #: Seconds it was started, over every start (known once it is stopped).
    seconds: float = 0.0

    def stop(self, at: datetime) -> None:
        """Stopped at ``at`` (by a request, or with its room)."""
        assert self.start_time is not None
        self.status, self.end_time, self.updated_at = "stopped", at, at
        self.seconds += max(0.0, (at - self.start_time).total_seconds())


#: What ends by itself: ("room" | "participant", SID).
TimerKey = tuple[str, str]


class Timers:
    """When rooms and participants end by themselves, by key.

    A heap beside the map makes finding what is due cost what is due, not a
    look at every timer: the emulator asks on every request. A timer cancelled
    or moved leaves its old heap entry behind, skipped when it comes up.
    """

    def __init__(self) -> None:
        self._when: dict[TimerKey, datetime] = {}
        self._heap: list[tuple[datetime, TimerKey]] = []

    def set(self, key: TimerKey, when: datetime) -> None:
        """``key`` ends at ``when`` (instead of any time set before)."""
        self._when[key] = when
        heapq.heappush(self._heap, (when, key))
        if len(self._heap) > 2 * len(self._when) + 64:  # mostly left-behind entries: start afresh
            self._heap = [(moment, timer) for timer, moment in self._when.items()]
            heapq.heapify(self._heap)

    def cancel(self, key: TimerKey) -> None:
        """``key`` no longer ends by itself (nothing if it had no timer)."""
        self._when.pop(key, None)

    def pop_due(self, now: datetime) -> list[TimerKey]:
        """The timers due by ``now``, earliest first, removed."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            when, key = heapq.heappop(self._heap)
            if self._when.get(key) == when:  # neither cancelled nor moved since
                del self._when[key]
                due.append(key)
        return due


class State:
    """All of it, behind one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.rooms: dict[str, RoomState] = {}
        self.subscribe_rules: dict[str, tuple[Rule, ...]] = {}
        self.anonymized: set[str] = set()
        #: Room SID -> its transcriptions resources, oldest first.
        self.transcriptions: dict[str, list[Transcription]] = {}
        self.recordings: dict[str, RecordingExtra] = {}
        self.compositions: dict[str, CompositionEntry] = {}
        self.hooks: dict[str, Hook] = {}
        self.settings = {"recording": Settings(), "composition": Settings()}
        self.timers = Timers()
        #: Room SID -> the SequenceNumber of its last status callback.
        self.sequences: dict[str, int] = {}

    def subscribe_rules_of(self, participant_sid: str) -> tuple[Rule, ...]:
        return self.subscribe_rules.get(participant_sid, INCLUDE_ALL)

    def next_sequence(self, room_sid: str) -> int:
        with self.lock:
            self.sequences[room_sid] = number = self.sequences.get(room_sid, -1) + 1
            return number

    def pop_due(self, now: datetime) -> list[tuple[str, str]]:
        """The timers due by ``now``, earliest first, removed."""
        with self.lock:
            return self.timers.pop_due(now)
