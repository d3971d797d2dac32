"""Twilio resources -> core models.

A resource is read from either the SDK's ``*Instance`` object or, where the
backend has the SDK send the request but make no instance of its answer
(rooms, participants and published tracks: the instance parses every field,
which costs more than the translation), the resource's JSON as Twilio sent
it. Every model keeps the resource's fields in ``raw`` (JSON values: times as
Twilio writes them, ISO 8601 text in UTC ending ``Z``), for what the common
model does not cover.

An answer that is not what the spec says (a field of the wrong type, a time
that is not ISO 8601, a missing SID) is a
:class:`~anyvideo.errors.ProviderError` naming the resource and field, never
a ``KeyError``/``TypeError`` from deep inside: every translator of an answer
is wrapped by :func:`_answer`, and the fields read are checked by the
``_text``/``_moment``/``_whole`` accessors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, ParamSpec, TypeVar, overload

from anyvideo.errors import InvalidRequest, ProviderError
from anyvideo.models import (
    Composition,
    CompositionOutput,
    Layout,
    MediaFile,
    Participant,
    Recording,
    RecordingMode,
    Resolution,
    Room,
    Stream,
    StreamKind,
    VideoSource,
)
from anyvideo_twilio import layouts, options, statuses
from anyvideo_twilio.errors import MalformedAnswer
from anyvideo_twilio.models import (
    UNNAMED_SETTINGS,
    AnonymizedParticipant,
    CompositionHook,
    RoomTrack,
    StorageSettings,
    TrackRecording,
    TrackRule,
    TrackRules,
    Transcription,
)

__all__ = [
    "aware",
    "composition",
    "composition_file",
    "field",
    "hook",
    "hook_arguments",
    "moment",
    "participant",
    "raw",
    "room",
    "rules",
    "settings_arguments",
    "sid",
    "storage_settings",
    "stream",
    "track_file",
    "track_recording",
    "video_source",
]

PROVIDER = "twilio"

P = ParamSpec("P")
R = TypeVar("R")


def _answer(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Translate an answer of Twilio about a ``what``; whatever in it anyvideo
    cannot read becomes a ProviderError (chained), not a stray exception."""

    def wrap(translator: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(translator)
        def translated(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return translator(*args, **kwargs)
            except ProviderError:
                raise
            except Exception as exc:  # the answer broke an assumption: say so, keep the cause
                raise MalformedAnswer(f"answered a {what} anyvideo cannot read ({type(exc).__name__}: {exc})") from exc

        return translated

    return wrap


def field(instance: Any, name: str) -> Any:
    """The field ``name`` of an answer: a key of its JSON, or an attribute of the SDK's instance."""
    return instance.get(name) if isinstance(instance, dict) else getattr(instance, name, None)


def _malformed(instance: Any, name: str, expected: str) -> MalformedAnswer:
    value = field(instance, name)
    kind = "resource" if isinstance(instance, dict) else type(instance).__name__.removesuffix("Instance") or "resource"
    return MalformedAnswer(f"answered a {kind} whose {name} is {type(value).__name__} {value!r:.60}, not {expected}")


@overload
def _text(instance: Any, name: str, *, required: Literal[True]) -> str: ...
@overload
def _text(instance: Any, name: str, *, required: bool = False) -> str | None: ...
def _text(instance: Any, name: str, *, required: bool = False) -> str | None:
    value = field(instance, name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise _malformed(instance, name, "text")
    return value


def _sid(instance: Any, name: str = "sid") -> str:
    return _text(instance, name, required=True)


def moment(instance: Any, name: str) -> datetime | None:
    """The time in the field ``name`` of an answer (MalformedAnswer when it is not one), with a time zone."""
    # JSON has the text; the SDK's instance a time, or the text when the SDK could not parse it.
    value = field(instance, name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return aware(datetime.fromisoformat(value))
        except ValueError:
            raise _malformed(instance, name, "an ISO 8601 time") from None
    if not isinstance(value, datetime):
        raise _malformed(instance, name, "an ISO 8601 time")
    return aware(value)


def _whole(instance: Any, name: str) -> int | None:
    value = field(instance, name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _malformed(instance, name, "a whole number")
    return value


def _seconds(instance: Any, name: str) -> float | None:
    value = field(instance, name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _malformed(instance, name, "a number")
    return None if value is None else float(value)


def _texts(instance: Any, name: str) -> tuple[str, ...]:
    value = field(instance, name) or ()
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise _malformed(instance, name, "a list of text")
    return tuple(value)


def _mapping(instance: Any, name: str) -> dict[str, Any]:
    value = field(instance, name) or {}
    if not isinstance(value, Mapping):
        raise _malformed(instance, name, "an object")
    return dict(value)


#: Content types of Twilio media, by container (track recordings) or format (compositions).
CONTENT_TYPES = {"mka": "audio/x-matroska", "mkv": "video/x-matroska", "mp4": "video/mp4", "webm": "video/webm"}


_NO_OFFSET = timedelta(0)
#: Field types that are JSON values as they are (most of an answer's fields): no conversion.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def raw(instance: Any) -> dict[str, Any]:
    """An answer's fields as JSON values: its JSON as it is, or an SDK instance's public fields
    (the times it parsed written back as Twilio wrote them)."""
    if isinstance(instance, dict):
        return instance
    return {
        name: value if type(value) in _PLAIN else _json(value)
        for name, value in vars(instance).items()
        if name[0] != "_"
    }


def _json(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        moment = aware(value)
        text = moment.isoformat()
        return text[:-6] + "Z" if moment.utcoffset() == _NO_OFFSET else text
    if isinstance(value, dict):
        return {key: item if type(item) in _PLAIN else _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [item if type(item) in _PLAIN else _json(item) for item in value]
    return value


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """``moment`` with a time zone (UTC when the SDK gave none)."""
    # The SDK parses Twilio's "Z" times as aware; an offset-less one is UTC.
    if moment is None or moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@_answer("resource")
def sid(instance: Any) -> str:
    """The SID of an answer (checked), before anything is looked up by it."""
    return _sid(instance)


@_answer("room")
def room(instance: Any) -> Room:
    return Room(
        id=_sid(instance),
        provider=PROVIDER,
        name=_text(instance, "unique_name"),
        status=statuses.room_status(_text(instance, "status")),
        created_at=moment(instance, "date_created"),
        ended_at=moment(instance, "end_time"),
        max_participants=_whole(instance, "max_participants"),
        raw=raw(instance),
    )


@_answer("participant")
def participant(instance: Any) -> Participant:
    return Participant(
        id=_sid(instance),
        provider=PROVIDER,
        room_id=_sid(instance, "room_sid"),
        identity=_text(instance, "identity", required=True),
        status=statuses.participant_status(_text(instance, "status")),
        role=None,  # Twilio tokens have no roles
        joined_at=moment(instance, "start_time"),
        left_at=moment(instance, "end_time"),
        raw=raw(instance),
    )


#: Twilio does not say what a video track shows, so its name does: the first of these
#: words found in the name (compared without case) gives the source. A video track
#: whose name has none of them is a camera; a track without video has no source.
#: Name a screen share ``"screen"`` (``LocalVideoTrack(stream, {name: "screen"})`` in
#: twilio-video.js), or any name containing one of the words.
VIDEO_SOURCE_WORDS: Mapping[str, VideoSource] = {
    "screen": VideoSource.SCREEN,
    "share": VideoSource.SCREEN,
    "custom": VideoSource.CUSTOM,
}


def video_source(kind: StreamKind, name: str | None) -> VideoSource | None:
    """What a track of ``kind`` named ``name`` shows, by :data:`VIDEO_SOURCE_WORDS`."""
    if not kind.has_video:
        return None
    folded = (name or "").casefold()
    return next((source for word, source in VIDEO_SOURCE_WORDS.items() if word in folded), VideoSource.CAMERA)


@_answer("published track")
def stream(instance: Any, room_id: str, participant_id: str) -> Stream:
    kind = statuses.stream_kind(_text(instance, "kind"))
    return Stream(
        id=_sid(instance),
        provider=PROVIDER,
        room_id=room_id,
        participant_id=participant_id,
        kind=kind,
        name=_text(instance, "name"),
        video_source=video_source(kind, _text(instance, "name")),
        # Twilio reports ``enabled`` for every track; only audio can be muted.
        audio_muted=kind.has_audio and field(instance, "enabled") is False,
        published_at=moment(instance, "date_created"),
        raw=raw(instance),
    )


@_answer("track recording")
def track_file(instance: Any, **whose: Any) -> MediaFile:
    """The file of one track recording: ``RT….mka`` (audio) or ``RT….mkv`` (video);
    ``whose``: the :class:`MediaFile` fields saying whose it is, where they are known."""
    container = _text(instance, "container_format") or "mkv"
    return MediaFile(
        name=f"{_sid(instance)}.{container}",
        content_type=CONTENT_TYPES.get(container, "application/octet-stream"),
        size=_whole(instance, "size") or None,
        **whose,
    )


@_answer("composition")
def composition_file(instance: Any) -> MediaFile:
    file_format = _text(instance, "format", required=True)
    return MediaFile(
        name=f"{_sid(instance)}.{file_format}",
        content_type=CONTENT_TYPES.get(file_format or "", "application/octet-stream"),
        size=_whole(instance, "size") or None,
    )


@_answer("composition")
def composition(instance: Any, layout: Layout | None = None) -> Composition:
    raw_status = _text(instance, "status")
    completed = raw_status == "completed"
    resolution = _text(instance, "resolution")
    duration = _seconds(instance, "duration")
    return Composition(
        id=_sid(instance),
        provider=PROVIDER,
        room_id=_sid(instance, "room_sid"),
        output=CompositionOutput.FILE,
        status=statuses.composition_status(raw_status),
        layout=layout,
        resolution=Resolution.parse(resolution) if resolution else None,
        format=_text(instance, "format"),
        started_at=moment(instance, "date_created"),
        ended_at=moment(instance, "date_completed"),
        duration=duration if completed else None,
        files=(composition_file(instance),) if completed else (),
        raw=raw(instance),
    )


@_answer("track recording")
def track_recording(instance: Any) -> Recording:
    """A track recording anyvideo did not make (recording rules set outside a
    window, ``record_participants_on_connect``): an individual recording of one track."""
    raw_status = _text(instance, "status")
    kind = statuses.stream_kind(_text(instance, "type"))
    grouping = _mapping(instance, "grouping_sids")
    room_sid = grouping.get("room_sid") or field(instance, "room_sid") or ""
    if not isinstance(room_sid, str):
        raise _malformed(instance, "grouping_sids", "an object with a room_sid")
    completed = raw_status == "completed"
    return Recording(
        id=_sid(instance),
        provider=PROVIDER,
        room_id=room_sid,
        mode=RecordingMode.INDIVIDUAL,
        status=statuses.recording_status(raw_status),
        name=_text(instance, "track_name"),
        has_audio=kind.has_audio,
        has_video=kind.has_video,
        started_at=moment(instance, "date_created"),
        duration=_seconds(instance, "duration") if completed else None,
        files=(track_file(instance),) if completed else (),
        raw=raw(instance),
    )


# --- provider extensions ------------------------------------------------------


@_answer("set of rules")
def rules(answer: Any) -> TrackRules:
    """Recording or subscribe rules as Twilio answered them."""
    given = answer.rules or []
    if not isinstance(given, list) or not all(isinstance(rule, Mapping) for rule in given):
        raise _malformed(answer, "rules", "a list of rules")
    # TrackRule.parse checks rules a caller gives; here a rule it refuses is Twilio's answer, not the caller's.
    parsed = tuple(TrackRule.parse({k: v for k, v in rule.items() if v is not None}) for rule in given)
    return TrackRules(parsed, moment(answer, "date_updated"), raw(answer))


def hook_arguments(
    name: str,
    layout: Layout | Mapping[str, Any] | None,
    resolution: Resolution | str | None,
    format: str,
    audio_sources: Sequence[str],
    audio_sources_excluded: Sequence[str],
    trim: bool,
    enabled: bool,
    status_callback: str | None,
) -> dict[str, Any]:
    """The SDK's keywords for a composition hook (checked: InvalidRequest before any request)."""
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise InvalidRequest("name", "a composition hook needs a name of 1 to 100 characters")
    size = options.composition_resolution(None if resolution is None else Resolution.parse(resolution))
    arguments: dict[str, Any] = {
        "friendly_name": name,
        "enabled": bool(enabled),
        "resolution": str(size),
        "format": options.file_format(format),
        "trim": bool(trim),
    }
    if isinstance(layout, Mapping):
        if layout:  # an empty mapping: no video (an audio-only composition)
            arguments["video_layout"] = dict(layout)
    else:
        arguments["video_layout"] = layouts.to_video_layout(layout or Layout.grid(), size)
    audio = options.source_patterns(audio_sources, "audio_sources")
    if audio:
        arguments["audio_sources"] = audio
    excluded = options.source_patterns(audio_sources_excluded, "audio_sources_excluded")
    if excluded:
        arguments["audio_sources_excluded"] = excluded
    if status_callback is not None:
        arguments["status_callback"] = options.check_url(status_callback, "status_callback")
    return arguments


@_answer("composition hook")
def hook(instance: Any) -> CompositionHook:
    """A composition hook as Twilio answered it."""
    resolution = _text(instance, "resolution")
    return CompositionHook(
        id=_sid(instance),
        name=_text(instance, "friendly_name", required=True) or "",
        enabled=bool(instance.enabled),
        video_layout=_mapping(instance, "video_layout"),
        audio_sources=_texts(instance, "audio_sources"),
        audio_sources_excluded=_texts(instance, "audio_sources_excluded"),
        resolution=Resolution.parse(resolution) if resolution else None,
        format=_text(instance, "format") or "",
        trim=bool(instance.trim),
        status_callback=_text(instance, "status_callback"),
        created_at=moment(instance, "date_created"),
        updated_at=moment(instance, "date_updated"),
        raw=raw(instance),
    )


def settings_arguments(settings: StorageSettings) -> dict[str, Any]:
    """The SDK's keywords for recording or composition settings."""
    if not isinstance(settings, StorageSettings):
        raise InvalidRequest("settings", "must be a StorageSettings")
    arguments: dict[str, Any] = {
        "friendly_name": settings.friendly_name,
        "aws_storage_enabled": settings.aws_storage_enabled,
        "encryption_enabled": settings.encryption_enabled,
    }
    for name in ("aws_credentials_sid", "aws_s3_url", "encryption_key_sid"):
        if getattr(settings, name) is not None:
            arguments[name] = getattr(settings, name)
    return arguments


@_answer("storage settings")
def storage_settings(instance: Any) -> StorageSettings:
    """Recording or composition settings as Twilio answered them."""
    return StorageSettings(
        # An account that never set its settings has no name for them.
        friendly_name=_text(instance, "friendly_name") or UNNAMED_SETTINGS,
        aws_storage_enabled=bool(instance.aws_storage_enabled),
        aws_credentials_sid=_text(instance, "aws_credentials_sid"),
        aws_s3_url=_text(instance, "aws_s3_url"),
        encryption_enabled=bool(instance.encryption_enabled),
        encryption_key_sid=_text(instance, "encryption_key_sid"),
        raw=raw(instance),
    )


@_answer("track")
def room_track(instance: Any, *, subscriber: str | None = None) -> RoomTrack:
    """A published track (``subscriber`` ``None``) or a subscribed one, as Twilio answered it."""
    publisher = _sid(instance, "publisher_sid") if subscriber is not None else _sid(instance, "participant_sid")
    return RoomTrack(
        id=_sid(instance),
        name=_text(instance, "name") or "",
        kind=_text(instance, "kind", required=True),
        enabled=bool(instance.enabled),
        room_id=_sid(instance, "room_sid"),
        participant_id=subscriber or publisher,
        publisher_id=publisher,
        created_at=moment(instance, "date_created"),
        raw=raw(instance),
    )


@_answer("participant")
def anonymized(instance: Any) -> AnonymizedParticipant:
    """An anonymized participant, as Twilio answered it."""
    return AnonymizedParticipant(
        id=_sid(instance),
        room_id=_sid(instance, "room_sid"),
        identity=_text(instance, "identity", required=True),
        status=_text(instance, "status", required=True),
        joined_at=moment(instance, "start_time"),
        left_at=moment(instance, "end_time"),
        raw=raw(instance),
    )


@_answer("room recording")
def room_recording(instance: Any) -> TrackRecording:
    """A room's track recording, as Twilio answered it."""
    return TrackRecording(
        id=_sid(instance),
        room_id=_sid(instance, "room_sid"),
        track_id=_sid(instance, "source_sid"),
        track_name=_text(instance, "track_name"),
        kind=_text(instance, "type", required=True),
        status=_text(instance, "status", required=True),
        container=_text(instance, "container_format"),
        codec=_text(instance, "codec"),
        duration=_seconds(instance, "duration"),
        size=_whole(instance, "size"),
        created_at=moment(instance, "date_created"),
        raw=raw(instance),
    )


@_answer("transcriptions")
def transcription(instance: Any) -> Transcription:
    """A room's transcriptions resource, as Twilio answered it."""
    return Transcription(
        id=_text(instance, "ttid", required=True),
        room_id=_sid(instance, "room_sid"),
        status=_text(instance, "status", required=True),
        configuration=_mapping(instance, "configuration"),
        started_at=moment(instance, "start_time"),
        ended_at=moment(instance, "end_time"),
        duration=_seconds(instance, "duration"),
        created_at=moment(instance, "date_created"),
        updated_at=moment(instance, "date_updated"),
        raw=raw(instance),
    )
