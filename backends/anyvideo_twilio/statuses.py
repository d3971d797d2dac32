"""Twilio's statuses in core terms (data, tested against every value of the spec's enums)."""

from __future__ import annotations

from collections.abc import Iterable

from anyvideo.models import CompositionStatus, ParticipantStatus, RecordingStatus, RoomStatus, StreamKind

__all__ = [
    "COMPOSED_WINDOW_STATUS",
    "COMPOSITION_STATUS",
    "PARTICIPANT_FILTERS",
    "PARTICIPANT_STATUS",
    "RECORDING_STATUS",
    "ROOM_FILTERS",
    "ROOM_STATUS",
    "TRACK_KIND",
    "composed_window_status",
    "composition_status",
    "participant_status",
    "recording_status",
    "room_status",
    "stream_kind",
    "window_status",
]

ROOM_STATUS = {
    "in-progress": RoomStatus.OPEN,
    "completed": RoomStatus.ENDED,
    "failed": RoomStatus.FAILED,
}

# A reconnecting participant is still in the room: its connection comes back or times out.
PARTICIPANT_STATUS = {
    "connected": ParticipantStatus.CONNECTED,
    "reconnecting": ParticipantStatus.CONNECTED,
    "disconnected": ParticipantStatus.DISCONNECTED,
}

RECORDING_STATUS = {
    "processing": RecordingStatus.PROCESSING,
    "completed": RecordingStatus.AVAILABLE,
    "deleted": RecordingStatus.DELETED,
    "failed": RecordingStatus.FAILED,
}

COMPOSITION_STATUS = {
    "enqueued": CompositionStatus.QUEUED,
    "processing": CompositionStatus.PROCESSING,
    "completed": CompositionStatus.AVAILABLE,
    "deleted": CompositionStatus.DELETED,
    "failed": CompositionStatus.FAILED,
}

#: A composed recording (window) is its composition: AVAILABLE once the mixed file is.
COMPOSED_WINDOW_STATUS = {
    "enqueued": RecordingStatus.PROCESSING,
    "processing": RecordingStatus.PROCESSING,
    "completed": RecordingStatus.AVAILABLE,
    "deleted": RecordingStatus.DELETED,
    "failed": RecordingStatus.FAILED,
}

TRACK_KIND = {
    "audio": StreamKind.AUDIO,
    "video": StreamKind.VIDEO,
    "data": StreamKind.DATA,
}

#: The Twilio statuses to list, one list request each, for a core status filter (``None``: all).
ROOM_FILTERS: dict[RoomStatus | None, tuple[str, ...]] = {
    None: ("in-progress", "completed", "failed"),
    RoomStatus.OPEN: ("in-progress",),
    RoomStatus.ENDED: ("completed",),
    RoomStatus.FAILED: ("failed",),
}
PARTICIPANT_FILTERS: dict[ParticipantStatus | None, tuple[str, ...]] = {
    None: ("connected", "reconnecting", "disconnected"),
    ParticipantStatus.CONNECTED: ("connected", "reconnecting"),
    ParticipantStatus.DISCONNECTED: ("disconnected",),
}


def room_status(raw: str | None) -> RoomStatus:
    return ROOM_STATUS.get(raw or "", RoomStatus.UNKNOWN)


def participant_status(raw: str | None) -> ParticipantStatus:
    return PARTICIPANT_STATUS.get(raw or "", ParticipantStatus.UNKNOWN)


def recording_status(raw: str | None) -> RecordingStatus:
    return RECORDING_STATUS.get(raw or "", RecordingStatus.UNKNOWN)


def composition_status(raw: str | None) -> CompositionStatus:
    return COMPOSITION_STATUS.get(raw or "", CompositionStatus.UNKNOWN)


def composed_window_status(raw: str | None) -> RecordingStatus:
    """A composed window's status from its composition's Twilio status."""
    return COMPOSED_WINDOW_STATUS.get(raw or "", RecordingStatus.UNKNOWN)


def stream_kind(raw: str | None) -> StreamKind:
    try:
        return TRACK_KIND[raw or ""]
    except KeyError:
        raise ValueError(f"unknown Twilio track kind {raw!r}") from None


#: How a window's status follows from its track recordings', most urgent first:
#: a failed track fails the window, then any still processing keeps it processing.
_WINDOW_ORDER = (RecordingStatus.FAILED, RecordingStatus.PROCESSING, RecordingStatus.UNKNOWN)


def window_status(open_: bool, tracks: Iterable[RecordingStatus]) -> RecordingStatus:
    """The core status of a recording window from its track recordings' statuses.

    Open: ``RECORDING``. Closed: ``FAILED`` if any track failed, else
    ``PROCESSING`` while any is processing, ``DELETED`` when every one was
    deleted, else ``AVAILABLE`` (deleted tracks among available ones are
    simply gone from its files). A closed window that captured no track is
    ``AVAILABLE`` with no files: nothing was published while it was open.
    """
    if open_:
        return RecordingStatus.RECORDING
    statuses = set(tracks)
    for status in _WINDOW_ORDER:
        if status in statuses:
            return status
    if statuses == {RecordingStatus.DELETED}:
        return RecordingStatus.DELETED
    return RecordingStatus.AVAILABLE
