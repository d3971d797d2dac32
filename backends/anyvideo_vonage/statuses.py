"""Vonage's statuses as core values: data, tested against every value of the spec's enums.

A value not listed here (a status the provider adds later) maps to the
core's ``UNKNOWN``; the raw value stays in the object's ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping

from anyvideo.models import CompositionStatus, ParticipantStatus, RecordingMode, RecordingStatus

__all__ = [
    "ARCHIVE_STATUS",
    "BROADCAST_STATUS",
    "CONNECTION_STATE",
    "OUTPUT_MODE",
    "RENDER_STATUS",
    "composition_status",
    "participant_status",
    "recording_status",
]

#: ``Archive-Detail.status`` (plus ``deleted``, which the SDK knows and the provider answers).
ARCHIVE_STATUS: Mapping[str, RecordingStatus] = {
    "started": RecordingStatus.RECORDING,
    "paused": RecordingStatus.PAUSED,
    "stopped": RecordingStatus.PROCESSING,
    "uploaded": RecordingStatus.AVAILABLE,  # in the customer's own storage
    "available": RecordingStatus.AVAILABLE,
    "failed": RecordingStatus.FAILED,
    "deleted": RecordingStatus.DELETED,
    "expired": RecordingStatus.EXPIRED,
}

#: ``Broadcast-Detail.status`` (free text in the spec; these are the values documented).
BROADCAST_STATUS: Mapping[str, CompositionStatus] = {
    "started": CompositionStatus.LIVE,
    "stopped": CompositionStatus.STOPPED,
}

#: ``connectionState`` of ``GET …/connection``. A connecting client already holds a connection
#: of the session (it can be force-disconnected, and counts toward its size), so it is
#: a connected participant, as a Twilio participant that is reconnecting is.
CONNECTION_STATE: Mapping[str, ParticipantStatus] = {
    "Connected": ParticipantStatus.CONNECTED,
    "Connecting": ParticipantStatus.CONNECTED,
}

#: ``OutputMode``.
OUTPUT_MODE: Mapping[str, RecordingMode] = {
    "composed": RecordingMode.COMPOSED,
    "individual": RecordingMode.INDIVIDUAL,
}

#: ``Experience-Composer-Base.status`` -> whether the rendered stream is (or will be) live.
RENDER_STATUS: Mapping[str, CompositionStatus] = {
    "starting": CompositionStatus.QUEUED,
    "started": CompositionStatus.LIVE,
    "stopped": CompositionStatus.STOPPED,
    "failed": CompositionStatus.FAILED,
}


def recording_status(raw: object) -> RecordingStatus:
    return ARCHIVE_STATUS.get(raw, RecordingStatus.UNKNOWN) if isinstance(raw, str) else RecordingStatus.UNKNOWN


def composition_status(raw: object) -> CompositionStatus:
    return BROADCAST_STATUS.get(raw, CompositionStatus.UNKNOWN) if isinstance(raw, str) else CompositionStatus.UNKNOWN


def participant_status(raw: object) -> ParticipantStatus:
    return CONNECTION_STATE.get(raw, ParticipantStatus.UNKNOWN) if isinstance(raw, str) else ParticipantStatus.UNKNOWN
