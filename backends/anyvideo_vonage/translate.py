"""Vonage JSON (and the registry's entries) -> core models.

Every translator reads the provider's raw JSON, never the SDK's models: those
reject values they do not know, and the raw payload is kept in ``raw``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from anyvideo.errors import InvalidRequest
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    Layout,
    MediaFile,
    Participant,
    Recording,
    RecordingMode,
    RecordingStatus,
    Resolution,
    Role,
    Room,
    RoomStatus,
    RtmpTarget,
    Stream,
    StreamKind,
    VideoSource,
)
from anyvideo_vonage import statuses

__all__ = [
    "archive",
    "broadcast",
    "connection",
    "connection_data",
    "from_ms",
    "read_connection_data",
    "room",
    "sdk_json",
    "stream",
]

PROVIDER = "vonage"

#: ``videoType`` -> video source.
VIDEO_SOURCE: Mapping[str, VideoSource] = {
    "camera": VideoSource.CAMERA,
    "screen": VideoSource.SCREEN,
    "custom": VideoSource.CUSTOM,
}

#: The file an archive downloads as, by output mode.
ARCHIVE_FILES: Mapping[RecordingMode, tuple[str, str]] = {
    RecordingMode.COMPOSED: ("archive.mp4", "video/mp4"),
    RecordingMode.INDIVIDUAL: ("archive.zip", "application/zip"),
}


def from_ms(value: Any) -> datetime | None:
    """Milliseconds since the epoch (the provider's timestamps) as an aware datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def _iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# --- connection data: how a token carries the participant's identity -----------------


def connection_data(identity: str, data: str | None) -> str:
    """The ``connection_data`` of a client token: ``{"identity": …, "data": …}`` as compact JSON.

    Vonage connections have no identity, only this application string, which
    every client in the session can read; the ``identity`` key is also what
    the anyvideo emulator reads as the participant's identity.
    """
    body: dict[str, str] = {"identity": identity}
    if data is not None:
        body["data"] = data
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > 1000:  # the provider's limit on connection data
        raise InvalidRequest("data", "identity and data together exceed Vonage's 1000 bytes of connection data")
    return text


def read_connection_data(raw: str | None) -> tuple[str | None, str | None]:
    """``(identity, data)`` from connection data anyvideo wrote; other data is all ``data``."""
    if not raw:
        return None, None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None, raw
    if isinstance(parsed, dict) and isinstance(parsed.get("identity"), str):
        data = parsed.get("data")
        return parsed["identity"], data if isinstance(data, str) else None
    return None, raw


# --- the objects ------------------------------------------------------------------


def room(session_id: str, entry: Mapping[str, Any] | None) -> Room:
    """A session and the registry's entry for it (``None``: a session anyvideo did not create)."""
    if entry is None:
        return Room(id=session_id, provider=PROVIDER, name=None, status=RoomStatus.OPEN, raw={})
    return Room(
        id=session_id,
        provider=PROVIDER,
        name=entry.get("name"),
        status=RoomStatus(entry.get("status", RoomStatus.UNKNOWN)),
        created_at=_iso(entry.get("created_at")),
        ended_at=_iso(entry.get("ended_at")),
        raw=dict(entry),
    )


def connection(session_id: str, item: Mapping[str, Any], known: Mapping[str, Any] | None) -> Participant:
    """An item of ``GET …/connection``; ``known`` is what the registry learned of it
    (identity, data and role, from session-monitoring callbacks)."""
    known = known or {}
    connection_id = str(item["connectionId"])
    role = known.get("role")
    return Participant(
        id=connection_id,
        provider=PROVIDER,
        room_id=session_id,
        # Without a callback naming it, a connection's identity is unknown to the REST API.
        identity=known.get("identity") or connection_id,
        status=statuses.participant_status(item.get("connectionState")),
        role=Role(role) if role in Role.__members__.values() else None,
        data=known.get("data"),
        joined_at=from_ms(item.get("createdAt")),
        raw=dict(item),
    )


def stream(session_id: str, body: Mapping[str, Any], participant_id: str | None) -> Stream:
    """``Stream-Layout`` (``GET …/stream``). Vonage streams carry audio and video together;
    the REST API names neither the publisher nor a mute state."""
    video_type = body.get("videoType")
    return Stream(
        id=str(body["id"]),
        provider=PROVIDER,
        room_id=session_id,
        participant_id=participant_id or "",
        kind=StreamKind.AUDIO_VIDEO,
        name=body.get("name") or None,
        video_source=VIDEO_SOURCE.get(video_type) if isinstance(video_type, str) else None,
        raw=dict(body),
    )


_NOT_STOPPED = (RecordingStatus.RECORDING, RecordingStatus.PAUSED, RecordingStatus.UNKNOWN)


def archive(body: Mapping[str, Any], layout: Layout | None = None) -> Recording:
    """``Archive-Detail`` -> recording; ``layout`` is the one anyvideo asked for, if known."""
    status = statuses.recording_status(body.get("status"))
    mode = statuses.OUTPUT_MODE.get(body.get("outputMode") or "composed", RecordingMode.COMPOSED)
    started = from_ms(body.get("createdAt"))
    duration = body.get("duration")
    duration = float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else None
    stopped = None
    if started is not None and status not in (
        RecordingStatus.RECORDING,
        RecordingStatus.PAUSED,
        RecordingStatus.UNKNOWN,
    ):
        stopped = started + timedelta(seconds=duration or 0)
    files: tuple[MediaFile, ...] = ()
    if body.get("url") and status is RecordingStatus.AVAILABLE:
        name, content_type = ARCHIVE_FILES[mode]
        size = body.get("size")
        files = (
            MediaFile(
                name=name,
                content_type=content_type,
                size=size if isinstance(size, int) and size > 0 else None,
                sha256=body.get("sha256sum") or None,
            ),
        )
    resolution = body.get("resolution")
    return Recording(
        id=str(body["id"]),
        provider=PROVIDER,
        room_id=str(body.get("sessionId") or ""),
        mode=mode,
        status=status,
        name=body.get("name") or None,
        layout=layout if mode is RecordingMode.COMPOSED else None,
        resolution=_resolution(resolution) if mode is RecordingMode.COMPOSED else None,
        has_audio=bool(body.get("hasAudio", True)),
        has_video=bool(body.get("hasVideo", True)),
        started_at=started,
        stopped_at=stopped,
        duration=duration if stopped is not None else None,
        files=files,
        raw=dict(body),
    )


def broadcast(body: Mapping[str, Any], layout: Layout | None = None) -> Composition:
    """``Broadcast-Detail`` -> live composition."""
    status = statuses.composition_status(body.get("status"))
    urls = body.get("broadcastUrls") or {}
    targets = tuple(
        RtmpTarget(url=str(t.get("serverUrl") or ""), stream_name=str(t.get("streamName") or ""), id=t.get("id"))
        for t in urls.get("rtmp") or ()
        if t.get("serverUrl")
    )
    started = from_ms(body.get("createdAt"))
    ended = from_ms(body.get("updatedAt")) if status is CompositionStatus.STOPPED else None
    selected = body.get("streams")
    return Composition(
        id=str(body["id"]),
        provider=PROVIDER,
        room_id=str(body.get("sessionId") or ""),
        output=CompositionOutput.LIVE,
        status=status,
        layout=layout,
        resolution=_resolution(body.get("resolution")),
        stream_ids=tuple(str(s["streamId"]) for s in selected) if isinstance(selected, list) else None,
        hls_url=urls.get("hls"),
        rtmp=targets,
        started_at=started,
        ended_at=ended,
        duration=(ended - started).total_seconds() if ended and started else None,
        raw=dict(body),
    )


def _resolution(value: Any) -> Resolution | None:
    try:
        return Resolution.parse(value) if isinstance(value, str) else None
    except InvalidRequest:
        return None


def sdk_json(model: Any) -> dict[str, Any]:
    """An SDK model back as the provider's JSON (field names by their aliases), ``None`` left out.

    Used for the answers the SDK already parsed (archive and broadcast start
    and stop); fields the SDK does not model are not in it.
    """
    body: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        alias = field.validation_alias
        body[alias if isinstance(alias, str) else name] = _plain(value)
    return body


def _plain(value: Any) -> Any:
    if hasattr(type(value), "model_fields"):
        return sdk_json(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
