"""The simulated platform's records as Vonage Video JSON.

Field sets follow ``vonage_video.yml`` (0.3.2) and, where the provider
answers with more than the spec lists, the real bodies in
``samples/vonage`` (e.g. ``sha256sum``, ``updatedAt``, ``event`` on archives;
``project_id``/``partner_id`` on a new session). Optional fields the
provider only sends when set (``maxBitrate``, ``quantizationParameter``,
``transcription``, ``streams``) are left out otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anyvideo.models import RecordingStatus
from anyvideo.sim.records import CompositionRecord, ParticipantRecord, RecordingRecord, RoomRecord, StreamRecord
from anyvideo_vonage.emulator.state import ArchiveState, BroadcastState, Render, SipCall
from anyvideo_vonage.emulator.statuses import (
    ARCHIVE_MAX_DURATION,
    ARCHIVE_STATUS,
    BROADCAST_STATUS,
    DEFAULT_RESOLUTION,
    VIDEO_TYPE,
)

__all__ = [
    "archive",
    "broadcast",
    "connection",
    "connection_info",
    "monitoring",
    "ms",
    "render",
    "session",
    "sip_call",
    "stream",
    "stream_info",
]


def ms(moment: datetime) -> int:
    """Milliseconds since the epoch, the provider's timestamps."""
    return int(moment.timestamp() * 1000)


def session(room: RoomRecord, project_id: str) -> dict[str, Any]:
    """One item of the ``POST /session/create`` answer (``create_session.json``), for
    ``project_id`` (the application id, or the API key of a legacy project)."""
    return {
        "session_id": room.id,
        "project_id": project_id,
        "partner_id": project_id,
        # The provider writes a Java Date.toString() in its own zone; here, UTC.
        "create_dt": room.created_at.strftime("%a %b %d %H:%M:%S UTC %Y"),
        "session_status": None,
        "status_invalid": None,
        "media_server_hostname": None,
        "messaging_server_url": None,
        "messaging_url": None,
        "symphony_address": None,
        "properties": None,
        "ice_server": None,
        "session_segment_id": room.options["sessionSegmentId"],
        "ice_servers": None,
        "ice_credential_expiration": 86100,
    }


def connection(participant: ParticipantRecord) -> dict[str, Any]:
    """One item of ``GET …/connection``."""
    return {"connectionId": participant.id, "connectionState": "Connected", "createdAt": ms(participant.joined_at)}


def stream(record: StreamRecord, layout_classes: list[str]) -> dict[str, Any]:
    """``Stream-Layout`` (``get_stream.json``)."""
    return {
        "id": record.id,
        "videoType": VIDEO_TYPE[record.video_source],
        "name": record.name or "",
        "layoutClassList": list(layout_classes),
    }


def _selected(streams: dict[str, tuple[bool, bool]]) -> list[dict[str, Any]]:
    return [{"streamId": sid, "hasAudio": audio, "hasVideo": video} for sid, (audio, video) in streams.items()]


def _archive_reason(record: RecordingRecord, state: ArchiveState) -> str:
    if record.status is RecordingStatus.RECORDING or record.stopped_at is None:
        return ""
    if state.reason:
        return state.reason
    if record.stopped_at - record.started_at >= timedelta(seconds=ARCHIVE_MAX_DURATION):
        return "maximum duration exceeded"
    return "session ended"


def archive(
    record: RecordingRecord,
    state: ArchiveState,
    *,
    application_id: str,
    available_at: datetime | None,
    url: str | None = None,
    size: int = 0,
    sha256: str = "",
    transcript_url: str | None = None,
) -> dict[str, Any]:
    """``Archive-Detail`` with the fields of ``archive.json``; ``url``, ``size`` and
    ``sha256`` describe the download once the archive is available."""
    status = ARCHIVE_STATUS[record.status]
    moments = [record.started_at, state.changed_at, record.stopped_at, available_at]
    body: dict[str, Any] = {
        "id": record.id,
        "status": status,
        "name": record.name or "",
        "reason": _archive_reason(record, state),
        "sessionId": record.room_id,
        "applicationId": application_id,
        "createdAt": ms(record.started_at),
        "size": size,
        "duration": 0 if record.stopped_at is None else round((record.stopped_at - record.started_at).total_seconds()),
        "outputMode": state.output_mode,
        "streamMode": state.stream_mode,
        "hasAudio": record.has_audio,
        "hasVideo": record.has_video,
        "hasTranscription": state.transcription is not None,
        "sha256sum": sha256,
        "password": "",
        "updatedAt": ms(max(m for m in moments if m is not None)),
        "multiArchiveTag": state.multi_archive_tag,
        "event": "archive",
        "resolution": str(record.resolution) if record.resolution else DEFAULT_RESOLUTION,
        "url": url,
    }
    if state.max_bitrate is not None:
        body["maxBitrate"] = state.max_bitrate
    if state.quantization_parameter is not None:
        body["quantizationParameter"] = state.quantization_parameter
    if state.transcription is not None:
        body["transcription"] = {
            "status": "available" if transcript_url else "requested",
            "reason": "",
            "url": transcript_url or "",
            **state.transcription,
        }
    if status == "started" and state.stream_mode == "manual" and state.streams:
        body["streams"] = _selected(state.streams)
    return body


def broadcast(
    record: CompositionRecord,
    state: BroadcastState,
    *,
    application_id: str,
    hls_url: str | None,
    just_started: bool = False,
    streaming: bool = False,
) -> dict[str, Any]:
    """``Broadcast-Detail`` with the fields of ``broadcast.json``.

    Right after the start, RTMP targets are "connecting" and HLS has no
    status yet; later they report "live" while the session has streams to
    send ("offline" otherwise) and HLS "ready", as ``list_broadcasts.json``
    shows. A stopped broadcast has no URLs (``stop_broadcast.json``).
    """
    status = BROADCAST_STATUS[record.status]
    urls: dict[str, Any] | None = None
    if status == "started":
        rtmp_status = "connecting" if just_started else ("live" if streaming else "offline")
        urls = {
            "rtmp": [
                {
                    **({"id": target.id} if target.id else {}),
                    "status": rtmp_status,
                    "serverUrl": target.url,
                    "streamName": target.stream_name,
                }
                for target in record.rtmp
            ]
        }
        if hls_url is not None:
            urls["hls"] = hls_url
            if not just_started:
                urls["hlsStatus"] = "ready"
    moments = [record.started_at, state.changed_at, record.ended_at]
    body: dict[str, Any] = {
        "id": record.id,
        "sessionId": record.room_id,
        "applicationId": application_id,
        "createdAt": ms(record.started_at),
        "broadcastUrls": urls,
        "updatedAt": ms(max(m for m in moments if m is not None)),
        "status": status,
        "streamMode": state.stream_mode,
        "hasAudio": True,
        "hasVideo": True,
        "maxDuration": state.max_duration,
        "multiBroadcastTag": state.multi_broadcast_tag,
        "settings": {"hls": dict(state.hls)} if state.hls is not None else {},
        "event": "broadcast",
        "resolution": str(record.resolution) if record.resolution else DEFAULT_RESOLUTION,
    }
    if state.max_bitrate is not None:
        body["maxBitrate"] = state.max_bitrate
    if status == "started" and state.stream_mode == "manual" and state.streams:
        body["streams"] = _selected(state.streams)
    return body


def render(
    record: Render, *, application_id: str, just_started: bool = False, callback_url: str | None = None
) -> dict[str, Any]:
    """``Experience-Composer`` (``start_experience_composer.json`` right after the start,
    ``get_experience_composer.json`` afterwards)."""
    body: dict[str, Any] = {
        "id": record.id,
        "sessionId": record.session_id,
        "createdAt": ms(record.created_at),
        "updatedAt": ms(record.updated_at or record.created_at),
        "url": record.url,
        "status": "starting" if just_started else record.status,
        "event": "render",
        "applicationId": application_id,
        "resolution": record.resolution,
    }
    if record.name is not None:
        body["name"] = record.name
    if not just_started:
        body["streamId"] = record.stream_id
    if record.reason is not None:
        body["reason"] = record.reason
    if callback_url is not None:
        body["callbackUrl"] = callback_url
    return body


def sip_call(call: SipCall, project_id: str) -> dict[str, Any]:
    """The answer to ``POST …/dial`` (``initiate_sip_call.json``)."""
    return {
        "id": call.id,
        "projectId": project_id,
        "sessionId": call.session_id,
        "connectionId": call.connection_id,
        "streamId": call.stream_id,
        "createdAt": ms(call.created_at),
        "updatedAt": ms(call.created_at),
    }


# --- session monitoring callbacks ---------------------------------------------


def monitoring(name: str, session_id: str, project_id: str, at: datetime, **fields: Any) -> dict[str, Any]:
    """A session-monitoring callback body: ``sessionId``, ``projectId``, ``event``,
    ``timestamp`` first, then the event's own fields."""
    return {"sessionId": session_id, "projectId": project_id, "event": name, "timestamp": ms(at), **fields}


def connection_info(participant: ParticipantRecord) -> dict[str, Any]:
    """The ``connection`` of a callback (fields not confirmed by a source)."""
    return {"id": participant.id, "createdAt": ms(participant.joined_at), "data": participant.data or ""}


def stream_info(record: StreamRecord, participant: ParticipantRecord) -> dict[str, Any]:
    """The ``stream`` of a callback (fields not confirmed by a source)."""
    return {
        "id": record.id,
        "connection": connection_info(participant),
        "createdAt": ms(record.published_at),
        "name": record.name or "",
        "videoType": VIDEO_TYPE[record.video_source],
    }
