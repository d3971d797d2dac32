"""The simulated platform's state, in provider-neutral terms.

Each record is a frozen snapshot; the world replaces a record with an evolved
copy when something changes. Faces (the ``local`` backend, the provider
emulators) translate these into their own shapes.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import attrs

from anyvideo.models import (
    CompositionOutput,
    CompositionStatus,
    Layout,
    MediaFile,
    ParticipantStatus,
    RecordingMode,
    RecordingStatus,
    Resolution,
    Role,
    RoomStatus,
    RtmpTarget,
    StreamKind,
    VideoSource,
)

__all__ = [
    "CompositionRecord",
    "Grant",
    "ParticipantRecord",
    "Record",
    "RecordingRecord",
    "RoomRecord",
    "SignalRecord",
    "SimEvent",
    "StreamRecord",
]


@attrs.frozen
class Grant:
    """What a verified client token allows: who joins which room, how, until when."""

    room_id: str
    identity: str
    role: Role
    expires_at: datetime
    data: str | None = None


@attrs.frozen
class RoomRecord:
    KIND: ClassVar[str] = "room"

    id: str
    name: str | None
    status: RoomStatus
    created_at: datetime
    ended_at: datetime | None = None
    max_participants: int | None = None
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ParticipantRecord:
    KIND: ClassVar[str] = "participant"

    id: str
    room_id: str
    identity: str
    role: Role
    status: ParticipantStatus
    joined_at: datetime
    left_at: datetime | None = None
    data: str | None = None


@attrs.frozen
class StreamRecord:
    KIND: ClassVar[str] = "stream"

    id: str
    room_id: str
    participant_id: str
    kind: StreamKind
    published_at: datetime
    unpublished_at: datetime | None = None
    name: str | None = None
    video_source: VideoSource | None = None
    audio_muted: bool = False

    @property
    def published(self) -> bool:
        return self.unpublished_at is None


@attrs.frozen
class RecordingRecord:
    KIND: ClassVar[str] = "recording"

    id: str
    room_id: str
    mode: RecordingMode
    status: RecordingStatus
    started_at: datetime
    name: str | None = None
    layout: Layout | None = None
    resolution: Resolution | None = None
    has_audio: bool = True
    has_video: bool = True
    stopped_at: datetime | None = None
    #: When the current state ends by itself: auto-stop while recording, ready while processing.
    due_at: datetime | None = None
    #: The streams captured, as ``(stream id, seconds inside the window)``, fixed at stop.
    sources: tuple[tuple[str, float], ...] = ()
    files: tuple[MediaFile, ...] = ()
    options: dict[str, Any] = attrs.field(factory=dict)
    #: At most this many streams are captured, the first published first (``None``: no limit).
    max_streams: int | None = None
    #: Only these streams are captured (``None``: every stream of the room), e.g. one track.
    stream_ids: tuple[str, ...] | None = None
    #: Where the composed file shows each video stream: ``(stream id, (x, y, width, height))``.
    placements: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()


@attrs.frozen
class CompositionRecord:
    KIND: ClassVar[str] = "composition"

    id: str
    room_id: str
    output: CompositionOutput
    status: CompositionStatus
    started_at: datetime
    layout: Layout | None = None
    resolution: Resolution | None = None
    format: str | None = None
    stream_ids: tuple[str, ...] | None = None
    recording_ids: tuple[str, ...] = ()
    hls: bool = False
    rtmp: tuple[RtmpTarget, ...] = ()
    ended_at: datetime | None = None
    due_at: datetime | None = None
    sources: tuple[tuple[str, float], ...] = ()
    files: tuple[MediaFile, ...] = ()
    options: dict[str, Any] = attrs.field(factory=dict)
    #: Where the file shows each video stream: ``(stream id, (x, y, width, height))``.
    placements: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()


@attrs.frozen
class SignalRecord:
    KIND: ClassVar[str] = "signal"

    id: str
    room_id: str
    type: str
    data: str
    sent_at: datetime
    recipients: tuple[str, ...]
    to: str | None = None


Record = RoomRecord | ParticipantRecord | StreamRecord | RecordingRecord | CompositionRecord | SignalRecord

_R = TypeVar("_R", bound=Record)

RECORD_TYPES: Mapping[str, type[Record]] = {
    cls.KIND: cls
    for cls in (RoomRecord, ParticipantRecord, StreamRecord, RecordingRecord, CompositionRecord, SignalRecord)
}


@attrs.frozen
class SimEvent:
    """Something that happened in the world; ``subject`` is the record as it was then."""

    id: str
    seq: int
    type: str
    occurred_at: datetime
    room_id: str | None
    subject: Record

    def subject_as(self, cls: builtins.type[_R]) -> _R:
        """The subject, as the record type this event's type implies (a ``room.*`` event's is a room, ...)."""
        if not isinstance(self.subject, cls):
            raise TypeError(f"a {self.type} event is about a {self.subject.KIND}, not a {cls.KIND}")
        return self.subject
