"""What the Twilio face keeps beside the simulated platform: the Twilio-only
settings and rules, composition hooks, and compositions still waiting for
their room's recordings. Held in memory, like the emulator's world."""

from __future__ import annotations

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


class State:
    """All of it, behind one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.rooms: dict[str, RoomState] = {}
        self.subscribe_rules: dict[str, tuple[Rule, ...]] = {}
        self.anonymized: set[str] = set()
        self.recordings: dict[str, RecordingExtra] = {}
        self.compositions: dict[str, CompositionEntry] = {}
        self.hooks: dict[str, Hook] = {}
        self.settings = {"recording": Settings(), "composition": Settings()}
        #: ("room" | "participant", SID) -> when it ends by itself.
        self.timers: dict[tuple[str, str], datetime] = {}
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
            due = sorted((when, key) for key, when in self.timers.items() if when <= now)
            for _, key in due:
                del self.timers[key]
            return [key for _, key in due]
