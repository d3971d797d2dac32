"""Vonage JSON (and the registry's entries) -> core models.

Every translator reads the provider's raw JSON, never the SDK's models: those
reject values they do not know, and the raw payload is kept in ``raw``.

An answer that is not what the spec says is a :class:`~anyvideo.errors.ProviderError`,
never a ``KeyError`` or ``TypeError``: a missing or non-string id is refused; an
optional field of the wrong type reads as absent (a listing keeps working when one
field is odd), and whatever else cannot be read is caught at the translator's edge.
"""

from __future__ import annotations

import functools
import json
import mimetypes
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

import attrs

from anyvideo.errors import InvalidRequest, ProviderError
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    Layout,
    MediaFile,
    Participant,
    ParticipantStatus,
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
from anyvideo_vonage.models import Render

__all__ = [
    "archive",
    "archive_parts",
    "broadcast",
    "connection",
    "connection_data",
    "departed",
    "from_ms",
    "identifier",
    "read_connection",
    "read_phone",
    "reads",
    "render",
    "room",
    "sdk_json",
    "sdk_stream",
    "known_stream",
    "created_session",
    "stream",
]

PROVIDER = "vonage"

F = TypeVar("F", bound=Callable[..., Any])
#: What reading an unexpected shape raises (``InvalidRequest``: a core model refusing a value).
_UNREADABLE = (LookupError, TypeError, ValueError, AttributeError, OverflowError, InvalidRequest)


def reads(kind: str) -> Callable[[F], F]:
    """Make a translator of provider JSON raise :class:`ProviderError` for an answer it cannot read.

    The message names the kind of object, never the body (it can hold pre-signed URLs).
    """

    def decorate(translator: F) -> F:
        @functools.wraps(translator)
        def read(*args: Any, **kwargs: Any) -> Any:
            try:
                return translator(*args, **kwargs)
            except _UNREADABLE as exc:
                message = f"answered {kind} anyvideo cannot read ({type(exc).__name__})"
                raise ProviderError(message, provider=PROVIDER) from exc

        return read  # type: ignore[return-value]

    return decorate


def _object(body: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ProviderError(f"answered {kind} that is not a JSON object", provider=PROVIDER)
    return body


def identifier(body: Mapping[str, Any], key: str, kind: str) -> str:
    """``body[key]``, a non-empty string id, else :class:`ProviderError`."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"answered {kind} without a usable {key!r}", provider=PROVIDER)
    return value


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _flag(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    return value if isinstance(value, bool) else default


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
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):  # past year 9999: not a time the provider writes
        return None


def _iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# --- connection data: how a token carries the participant's identity -----------------


def connection_data(identity: str, data: str | None, role: Role | None = None, *, phone: str | None = None) -> str:
    """The ``connection_data`` of a client token: ``{"identity": …, "role": …, "data": …}`` as compact JSON.

    Vonage connections have no identity, only this application string, which
    every client in the session can read; the ``identity`` key is also what
    the anyvideo emulator reads as the participant's identity. The role is
    there too because session-monitoring callbacks carry the connection data
    but not the token's role, and custom layouts can place streams by role. A phone
    participant's (:mod:`anyvideo_vonage.phone`) also has ``phone``, its masked number.
    """
    body: dict[str, str] = {"identity": identity}
    if role is not None:
        body["role"] = role.value
    if data is not None:
        body["data"] = data
    if phone is not None:
        body["phone"] = phone
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > 1000:  # the provider's limit on connection data
        raise InvalidRequest("data", "identity and data together exceed Vonage's 1000 bytes of connection data")
    return text


def read_connection(raw: str | None) -> tuple[str | None, str | None, Role | None]:
    """``(identity, data, role)`` from connection data anyvideo wrote (decoded once); other data is
    all ``data``, with neither identity nor role."""
    if not raw:
        return None, None, None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None, raw, None
    if not isinstance(parsed, dict):
        return None, raw, None
    role = parsed.get("role")
    named = _ROLES.get(role) if isinstance(role, str) else None
    identity, data = parsed.get("identity"), parsed.get("data")
    if isinstance(identity, str):
        return identity, data if isinstance(data, str) else None, named
    return None, raw, named


def read_phone(raw: str | None) -> str | None:
    """The masked number connection data anyvideo wrote for a phone participant names, if any."""
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        return None
    phone = parsed.get("phone") if isinstance(parsed, dict) else None
    return phone if isinstance(phone, str) else None


#: Each role by the value connection data names it with.
_ROLES = {role.value: role for role in Role}


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


@reads("a connection")
def connection(session_id: str, item: Mapping[str, Any], known: Mapping[str, Any] | None) -> Participant:
    """An item of ``GET …/connection``; ``known`` is what the registry learned of it
    (identity and data, from session-monitoring callbacks)."""
    item = _object(item, "a connection")
    connection_id = identifier(item, "connectionId", "a connection")
    return _participant(
        session_id,
        connection_id,
        known or {},
        status=statuses.participant_status(item.get("connectionState")),
        joined_at=from_ms(item.get("createdAt")),
        raw=dict(item),
    )


def departed(session_id: str, connection_id: str, known: Mapping[str, Any]) -> Participant:
    """A connection anyvideo saw (``known``: its registry entry, see :mod:`.connections`) that the
    provider no longer lists: it has left. Its ``raw`` is that entry."""
    return _participant(
        session_id,
        connection_id,
        known,
        status=ParticipantStatus.DISCONNECTED,
        joined_at=from_ms(known.get("joined_at")),
        left_at=from_ms(known.get("left_at")),
        raw=dict(known),
    )


def _participant(session_id: str, connection_id: str, known: Mapping[str, Any], **fields: Any) -> Participant:
    role = known.get("role")
    data = known.get("data")
    return Participant(
        id=connection_id,
        provider=PROVIDER,
        room_id=session_id,
        # Without a callback naming it, a connection's identity is unknown to the REST API.
        identity=_text(known, "identity") or connection_id,
        role=Role(role) if isinstance(role, str) and role in Role.__members__.values() else None,
        data=data if isinstance(data, str) else None,
        phone=isinstance(known.get("phone"), str),
        phone_number=_text(known, "phone"),
        **fields,
    )


@reads("a stream")
def stream(session_id: str, body: Mapping[str, Any], participant_id: str | None) -> Stream:
    """``Stream-Layout`` (``GET …/stream``). Vonage streams carry audio and video together;
    the REST API names neither the publisher nor a mute state."""
    body = _object(body, "a stream")
    video_type = body.get("videoType")
    return Stream(
        id=identifier(body, "id", "a stream"),
        provider=PROVIDER,
        room_id=session_id,
        participant_id=participant_id or "",
        kind=StreamKind.AUDIO_VIDEO,
        name=_text(body, "name"),
        video_source=VIDEO_SOURCE.get(video_type) if isinstance(video_type, str) else None,
        raw=dict(body),
    )


def known_stream(session_id: str, body: Any, known: Mapping[str, Any]) -> Stream:
    """A listed stream (``Stream-Layout``) with what anyvideo remembers of it (``known``: the
    publisher, whether anyvideo muted it), which the REST API does not say."""
    read = stream(session_id, body, known.get("participant_id"))
    return attrs.evolve(read, audio_muted=True) if known.get("muted") else read


def sdk_stream(session_id: str, info: Any, known: Mapping[str, Any]) -> Stream:
    """A stream as the SDK read it (its ``StreamInfo``); see :func:`known_stream`."""
    body = {
        "id": info.id,
        "videoType": info.video_type,
        "name": info.name,
        "layoutClassList": list(info.layout_class_list or ()),
    }
    return known_stream(session_id, body, known)


def created_session(answer: Any) -> str:
    """The session id in ``POST /session/create``'s answer (``[{"session_id": …}]``)."""
    first = answer[0] if isinstance(answer, list) and answer else None
    session_id = first.get("session_id") if isinstance(first, dict) else None
    if not isinstance(session_id, str) or not session_id:
        raise ProviderError("answered a session create without a session id", provider=PROVIDER)
    return session_id


_NOT_STOPPED = (RecordingStatus.RECORDING, RecordingStatus.PAUSED, RecordingStatus.UNKNOWN)


@reads("an archive")
def archive(body: Mapping[str, Any], layout: Layout | None = None) -> Recording:
    """``Archive-Detail`` -> recording; ``layout`` is the one anyvideo asked for, if known."""
    body = _object(body, "an archive")
    archive_id = identifier(body, "id", "an archive")
    status = statuses.recording_status(body.get("status"))
    mode = statuses.OUTPUT_MODE.get(_text(body, "outputMode") or "composed", RecordingMode.COMPOSED)
    started = from_ms(body.get("createdAt"))
    duration = _seconds(body.get("duration"))
    stopped = None
    if started is not None and status not in (
        RecordingStatus.RECORDING,
        RecordingStatus.PAUSED,
        RecordingStatus.UNKNOWN,
    ):
        stopped = started + timedelta(seconds=duration or 0)
    files: tuple[MediaFile, ...] = ()
    if _text(body, "url") and status is RecordingStatus.AVAILABLE:
        name, content_type = ARCHIVE_FILES[mode]
        size = body.get("size")
        files = (
            MediaFile(
                name=name,
                content_type=content_type,
                size=size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None,
                sha256=_text(body, "sha256sum"),
            ),
        )
    resolution = body.get("resolution")
    return Recording(
        id=archive_id,
        provider=PROVIDER,
        room_id=_text(body, "sessionId") or "",
        mode=mode,
        status=status,
        name=_text(body, "name"),
        layout=layout if mode is RecordingMode.COMPOSED else None,
        resolution=_resolution(resolution) if mode is RecordingMode.COMPOSED else None,
        has_audio=_flag(body, "hasAudio", True),
        has_video=_flag(body, "hasVideo", True),
        started_at=started,
        stopped_at=stopped,
        duration=duration if stopped is not None else None,
        files=files,
        raw=dict(body),
    )


def archive_parts(body: Any) -> dict[str, MediaFile]:
    """The JSON metadata file of an individual archive's zip -> its stream files by file name:
    each with its stream and, where given, its size and its start and duration in the archive
    (``startTimeOffset``/``stopTimeOffset``, milliseconds). Entries it cannot read are left out."""
    parts: dict[str, MediaFile] = {}
    files = body.get("files") if isinstance(body, Mapping) else None
    for entry in files if isinstance(files, list) else ():
        if not isinstance(entry, Mapping) or not (name := _text(entry, "filename")):
            continue
        start, stop = _millis(entry.get("startTimeOffset")), _millis(entry.get("stopTimeOffset"))
        size = entry.get("size")
        parts[name] = MediaFile(
            name=name,
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            stream_id=_text(entry, "streamId"),
            video_source=VIDEO_SOURCE.get(_text(entry, "videoType") or ""),
            offset=start,
            duration=None if start is None or stop is None else max(0.0, stop - start),
        )
    return parts


def _millis(value: Any) -> float | None:
    """Milliseconds (a non-negative number) as seconds; anything else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return None
    return value / 1000


@reads("a broadcast")
def broadcast(body: Mapping[str, Any], layout: Layout | None = None) -> Composition:
    """``Broadcast-Detail`` -> live composition."""
    body = _object(body, "a broadcast")
    broadcast_id = identifier(body, "id", "a broadcast")
    status = statuses.composition_status(body.get("status"))
    urls = body.get("broadcastUrls")
    urls = urls if isinstance(urls, Mapping) else {}
    rtmp = urls.get("rtmp")
    targets = tuple(
        RtmpTarget(url=_text(t, "serverUrl") or "", stream_name=_text(t, "streamName") or "", id=_text(t, "id"))
        for t in (rtmp if isinstance(rtmp, list) else ())
        if isinstance(t, Mapping) and _text(t, "serverUrl")
    )
    started = from_ms(body.get("createdAt"))
    ended = from_ms(body.get("updatedAt")) if status is CompositionStatus.STOPPED else None
    selected = body.get("streams")
    return Composition(
        id=broadcast_id,
        provider=PROVIDER,
        room_id=_text(body, "sessionId") or "",
        output=CompositionOutput.LIVE,
        status=status,
        layout=layout,
        resolution=_resolution(body.get("resolution")),
        stream_ids=_stream_ids(selected),
        hls_url=_text(urls, "hls"),
        rtmp=targets,
        started_at=started,
        ended_at=ended,
        duration=(ended - started).total_seconds() if ended and started else None,
        raw=dict(body),
    )


@reads("an Experience Composer")
def render(body: Mapping[str, Any]) -> Render:
    """``Experience-Composer`` -> :class:`~anyvideo_vonage.extensions.Render`."""
    body = _object(body, "an Experience Composer")
    return Render(
        id=identifier(body, "id", "an Experience Composer"),
        room_id=_text(body, "sessionId") or "",
        status=_text(body, "status") or "",
        url=_text(body, "url"),
        stream_id=_text(body, "streamId"),
        name=_text(body, "name"),
        resolution=_text(body, "resolution"),
        reason=_text(body, "reason"),
        created_at=from_ms(body.get("createdAt")),
        raw=dict(body),
    )


def _stream_ids(selected: Any) -> tuple[str, ...] | None:
    """The streams of a broadcast in manual stream mode (``None``: every stream)."""
    if not isinstance(selected, list):
        return None
    return tuple(identifier(_object(s, "a broadcast stream"), "streamId", "a broadcast stream") for s in selected)


def _seconds(value: Any) -> float | None:
    """A duration in seconds, when it is a finite number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    return seconds if 0 <= seconds < 1e9 else None  # also refuses NaN and infinity


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
