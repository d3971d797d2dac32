"""Twilio resources (the SDK's ``*Instance`` objects) -> core models.

Every model keeps the resource's fields in ``raw`` (JSON values: times as ISO
8601 text), for what the common model does not cover.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from anyvideo.errors import InvalidRequest
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
)
from anyvideo_twilio import layouts, options, statuses
from anyvideo_twilio.extensions import UNNAMED_SETTINGS, CompositionHook, StorageSettings, TrackRule, TrackRules

__all__ = [
    "aware",
    "composition",
    "composition_file",
    "hook",
    "hook_arguments",
    "participant",
    "raw",
    "room",
    "rules",
    "settings_arguments",
    "storage_settings",
    "stream",
    "track_file",
    "track_recording",
]

PROVIDER = "twilio"

#: Content types of Twilio media, by container (track recordings) or format (compositions).
CONTENT_TYPES = {"mka": "audio/x-matroska", "mkv": "video/x-matroska", "mp4": "video/mp4", "webm": "video/webm"}


def raw(instance: Any) -> dict[str, Any]:
    """An SDK instance's public fields as JSON values."""
    return {name: _json(value) for name, value in vars(instance).items() if not name.startswith("_")}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` with a time zone (UTC when the SDK gave none)."""
    # The SDK parses Twilio's "Z" times as aware; an offset-less one is UTC.
    if moment is None or moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def room(instance: Any) -> Room:
    return Room(
        id=instance.sid,
        provider=PROVIDER,
        name=instance.unique_name,
        status=statuses.room_status(instance.status),
        created_at=aware(instance.date_created),
        ended_at=aware(instance.end_time),
        max_participants=instance.max_participants,
        raw=raw(instance),
    )


def participant(instance: Any) -> Participant:
    return Participant(
        id=instance.sid,
        provider=PROVIDER,
        room_id=instance.room_sid,
        identity=instance.identity,
        status=statuses.participant_status(instance.status),
        role=None,  # Twilio tokens have no roles
        joined_at=aware(instance.start_time),
        left_at=aware(instance.end_time),
        raw=raw(instance),
    )


def stream(instance: Any, room_id: str, participant_id: str) -> Stream:
    kind = statuses.stream_kind(instance.kind)
    return Stream(
        id=instance.sid,
        provider=PROVIDER,
        room_id=room_id,
        participant_id=participant_id,
        kind=kind,
        name=instance.name,
        # Twilio reports ``enabled`` for every track; only audio can be muted.
        audio_muted=kind.has_audio and instance.enabled is False,
        published_at=aware(instance.date_created),
        raw=raw(instance),
    )


def track_file(instance: Any) -> MediaFile:
    """The file of one track recording: ``RT….mka`` (audio) or ``RT….mkv`` (video)."""
    container = instance.container_format or "mkv"
    return MediaFile(
        name=f"{instance.sid}.{container}",
        content_type=CONTENT_TYPES.get(container, "application/octet-stream"),
        size=instance.size or None,
    )


def composition_file(instance: Any) -> MediaFile:
    return MediaFile(
        name=f"{instance.sid}.{instance.format}",
        content_type=CONTENT_TYPES.get(instance.format, "application/octet-stream"),
        size=instance.size or None,
    )


def composition(instance: Any, layout: Layout | None = None) -> Composition:
    status = statuses.composition_status(instance.status)
    completed = instance.status == "completed"
    return Composition(
        id=instance.sid,
        provider=PROVIDER,
        room_id=instance.room_sid,
        output=CompositionOutput.FILE,
        status=status,
        layout=layout,
        resolution=Resolution.parse(instance.resolution) if instance.resolution else None,
        format=instance.format,
        started_at=aware(instance.date_created),
        ended_at=aware(instance.date_completed),
        duration=float(instance.duration) if completed and instance.duration is not None else None,
        files=(composition_file(instance),) if completed else (),
        raw=raw(instance),
    )


def track_recording(instance: Any) -> Recording:
    """A track recording anyvideo did not make (recording rules set outside a
    window, ``record_participants_on_connect``): an individual recording of one track."""
    status = statuses.recording_status(instance.status)
    kind = statuses.stream_kind(instance.type)
    grouping = instance.grouping_sids or {}
    return Recording(
        id=instance.sid,
        provider=PROVIDER,
        room_id=grouping.get("room_sid") or getattr(instance, "room_sid", None) or "",
        mode=RecordingMode.INDIVIDUAL,
        status=status,
        name=instance.track_name,
        has_audio=kind.has_audio,
        has_video=kind.has_video,
        started_at=aware(instance.date_created),
        duration=float(instance.duration) if instance.status == "completed" else None,
        files=(track_file(instance),) if instance.status == "completed" else (),
        raw=raw(instance),
    )


# --- provider extensions ------------------------------------------------------


def rules(answer: Any) -> TrackRules:
    """Recording or subscribe rules as Twilio answered them."""
    parsed = tuple(TrackRule.parse({k: v for k, v in rule.items() if v is not None}) for rule in answer.rules or [])
    return TrackRules(parsed, aware(answer.date_updated), raw(answer))


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


def hook(instance: Any) -> CompositionHook:
    """A composition hook as Twilio answered it."""
    return CompositionHook(
        id=instance.sid,
        name=instance.friendly_name,
        enabled=bool(instance.enabled),
        video_layout=dict(instance.video_layout or {}),
        audio_sources=tuple(instance.audio_sources or ()),
        audio_sources_excluded=tuple(instance.audio_sources_excluded or ()),
        resolution=Resolution.parse(instance.resolution) if instance.resolution else None,
        format=instance.format,
        trim=bool(instance.trim),
        status_callback=instance.status_callback,
        created_at=aware(instance.date_created),
        updated_at=aware(instance.date_updated),
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


def storage_settings(instance: Any) -> StorageSettings:
    """Recording or composition settings as Twilio answered them."""
    return StorageSettings(
        # An account that never set its settings has no name for them.
        friendly_name=instance.friendly_name or UNNAMED_SETTINGS,
        aws_storage_enabled=bool(instance.aws_storage_enabled),
        aws_credentials_sid=instance.aws_credentials_sid,
        aws_s3_url=instance.aws_s3_url,
        encryption_enabled=bool(instance.encryption_enabled),
        encryption_key_sid=instance.encryption_key_sid,
        raw=raw(instance),
    )
