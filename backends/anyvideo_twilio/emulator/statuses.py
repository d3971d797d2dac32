"""How the simulated platform's states and events read in Twilio's words (data)."""

from __future__ import annotations

from typing import TypeVar

from anyvideo.models import (
    CompositionStatus,
    EventType,
    ParticipantStatus,
    RecordingStatus,
    RoomStatus,
    StreamKind,
)

__all__ = [
    "COMPOSITION_EVENTS",
    "COMPOSITION_STATUS",
    "PARTICIPANT_STATUS",
    "RECORDING_STATUS",
    "ROOM_EVENTS",
    "ROOM_STATUS",
    "TRACK_KIND",
    "world_statuses",
]

ROOM_STATUS = {
    RoomStatus.OPEN: "in-progress",
    RoomStatus.ENDED: "completed",
    RoomStatus.FAILED: "failed",
}

PARTICIPANT_STATUS = {
    ParticipantStatus.CONNECTED: "connected",
    ParticipantStatus.DISCONNECTED: "disconnected",
}

# A track recording is "processing" while it is captured and while it is processed.
RECORDING_STATUS = {
    RecordingStatus.RECORDING: "processing",
    RecordingStatus.PROCESSING: "processing",
    RecordingStatus.AVAILABLE: "completed",
    RecordingStatus.DELETED: "deleted",
    RecordingStatus.FAILED: "failed",
}

# "enqueued" compositions are waiting in the face for their room's recordings;
# the world only knows them once they start processing.
COMPOSITION_STATUS = {
    CompositionStatus.QUEUED: "enqueued",
    CompositionStatus.PROCESSING: "processing",
    CompositionStatus.AVAILABLE: "completed",
    CompositionStatus.DELETED: "deleted",
    CompositionStatus.FAILED: "failed",
}

# Twilio publishes one track per kind; an audio+video stream has no Twilio form.
TRACK_KIND = {
    StreamKind.AUDIO: "audio",
    StreamKind.VIDEO: "video",
    StreamKind.DATA: "data",
}

#: Room status callback events (``StatusCallbackEvent``) by world event.
ROOM_EVENTS = {
    EventType.ROOM_STARTED: "room-created",
    EventType.ROOM_ENDED: "room-ended",
    EventType.PARTICIPANT_JOINED: "participant-connected",
    EventType.PARTICIPANT_LEFT: "participant-disconnected",
    EventType.STREAM_PUBLISHED: "track-added",
    EventType.STREAM_UNPUBLISHED: "track-removed",
    EventType.RECORDING_STARTED: "recording-started",
    EventType.RECORDING_AVAILABLE: "recording-completed",
    EventType.RECORDING_FAILED: "recording-failed",
}

#: Composition status callback events by world event ("composition-enqueued"
#: happens in the face, before the world hears of the composition).
COMPOSITION_EVENTS = {
    EventType.COMPOSITION_STARTED: "composition-started",
    EventType.COMPOSITION_AVAILABLE: "composition-available",
    EventType.COMPOSITION_FAILED: "composition-failed",
}


S = TypeVar("S")


def world_statuses(table: dict[S, str], twilio: str) -> set[S]:
    """Every world status that reads as ``twilio`` (a list filter)."""
    return {status for status, name in table.items() if name == twilio}
