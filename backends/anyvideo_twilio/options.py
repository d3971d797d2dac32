"""What Twilio accepts, checked before any request: room options, composition
arguments and output, source patterns. Limits are the spec's and Twilio's documentation's."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from anyvideo.calls import allowed_options
from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, LayoutKind, Resolution
from anyvideo.specs import CompositionSpec
from anyvideo_twilio.errors import PROVIDER
from anyvideo_twilio.layouts import check, to_video_layout
from anyvideo_twilio.models import rule_set

__all__ = [
    "COMPOSITION_OPTIONS",
    "FORMATS",
    "MEDIA_REGIONS",
    "RECORDING_OPTIONS",
    "ROOM_OPTIONS",
    "ROOM_TYPES",
    "composition_arguments",
    "composition_resolution",
    "file_format",
    "room_options",
    "source_patterns",
]

#: Room type -> most participants it holds.
ROOM_TYPES: Mapping[str, int] = {"group": 50, "group-small": 4, "peer-to-peer": 10, "go": 2}
#: Room types whose media flows between the participants: Twilio cannot record them.
UNRECORDABLE = ("peer-to-peer", "go")
MEDIA_REGIONS = ("us1", "us2", "ie1", "de1", "au1", "br1", "jp1", "sg1", "in1", "gll")
VIDEO_CODECS = ("VP8", "H264")
FORMATS = ("mp4", "webm")
#: A composition's sides are 16 to 1280 pixels, its area at most 921,600 pixels.
MIN_SIDE, MAX_SIDE, MAX_AREA = 16, 1280, 921_600
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
_URL = re.compile(r"https?://\S+")

#: What a room's provider_options may name.
ROOM_OPTIONS = (
    "type",
    "media_region",
    "max_participant_duration",
    "empty_room_timeout",
    "unused_room_timeout",
    "audio_only",
    "record_participants_on_connect",
    "recording_rules",
    "status_callback",
    "status_callback_method",
    "video_codecs",
)


def room_options(options: Mapping[str, Any], max_participants: int | None) -> dict[str, Any]:
    """The SDK keywords for a room's ``provider_options`` (InvalidRequest for anything Twilio refuses)."""
    allowed_options(options, ROOM_OPTIONS, provider=PROVIDER, where="for a room")
    kind = options.get("type", "group")
    if kind not in ROOM_TYPES:
        raise InvalidRequest("provider_options.type", f"{kind!r} is not one of: {', '.join(ROOM_TYPES)}")
    if max_participants is not None and max_participants > ROOM_TYPES[kind]:
        raise InvalidRequest("max_participants", f"a twilio {kind} room holds at most {ROOM_TYPES[kind]}")
    sdk: dict[str, Any] = {"type": kind}
    if "media_region" in options:
        region = options["media_region"]
        if region not in MEDIA_REGIONS:
            raise InvalidRequest(
                "provider_options.media_region", f"{region!r} is not one of: {', '.join(MEDIA_REGIONS)}"
            )
        sdk["media_region"] = region
    if "max_participant_duration" in options:
        sdk["max_participant_duration"] = _whole(options, "max_participant_duration", 600, 86400, "seconds")
    for name in ("empty_room_timeout", "unused_room_timeout"):
        if name in options:
            sdk[name] = _whole(options, name, 1, 60, "minutes")
    for name in ("audio_only", "record_participants_on_connect"):
        if name in options:
            if not isinstance(options[name], bool):
                raise InvalidRequest(f"provider_options.{name}", "must be true or false")
            sdk[name] = options[name]
    if "recording_rules" in options:
        rules = rule_set(options["recording_rules"], subscribe=False)
        sdk["recording_rules"] = {"rules": [rule.as_dict() for rule in rules]}
    recorded = sdk.get("record_participants_on_connect") or "recording_rules" in sdk
    if kind in UNRECORDABLE and recorded:
        raise InvalidRequest("provider_options.type", f"a twilio {kind} room cannot be recorded")
    if "status_callback" in options:
        sdk["status_callback"] = _url(options["status_callback"], "provider_options.status_callback")
    if "status_callback_method" in options:
        method = options["status_callback_method"]
        if method not in ("GET", "POST"):
            raise InvalidRequest("provider_options.status_callback_method", "must be GET or POST")
        sdk["status_callback_method"] = method
    if "video_codecs" in options:
        codecs = options["video_codecs"]
        if isinstance(codecs, str) or not codecs or any(codec not in VIDEO_CODECS for codec in codecs):
            raise InvalidRequest("provider_options.video_codecs", f"must list some of: {', '.join(VIDEO_CODECS)}")
        sdk["video_codecs"] = list(codecs)
    if max_participants is not None:
        sdk["max_participants"] = max_participants
    return sdk


#: What a recording's provider_options may name: recording rules instead of every track, a file format.
RECORDING_OPTIONS = ("rules", "format")
#: What a composition's provider_options may name.
COMPOSITION_OPTIONS = ("audio_sources", "audio_sources_excluded", "trim", "status_callback", "video_layout")


def composition_arguments(
    room_id: str, spec: CompositionSpec, sources_of: Callable[[CompositionSpec], list[str]]
) -> dict[str, Any]:
    """The SDK keywords for a composition of the room; ``sources_of`` reads the spec's
    sources (patterns of what to compose) once its output and options are checked.

    A custom layout's regions name the tracks the room recorded, known once it
    has ended: they are left out here, for the caller to place
    (:meth:`~anyvideo_twilio.windows.RecordingWindows.placed_layout`)."""
    resolution = composition_resolution(spec.resolution)
    extra = allowed_options(spec.provider_options, COMPOSITION_OPTIONS, provider=PROVIDER, where="for a composition")
    sources = sources_of(spec)
    arguments: dict[str, Any] = {
        "room_sid": room_id,
        "resolution": str(resolution),
        "format": file_format(spec.format),
        "audio_sources": source_patterns(extra.get("audio_sources", sources), "audio_sources"),
    }
    if "video_layout" in extra:
        if spec.layout is not None:
            raise InvalidRequest("provider_options.video_layout", "give a layout or video_layout, not both")
        if not isinstance(extra["video_layout"], Mapping):
            raise InvalidRequest("provider_options.video_layout", "must be Twilio's region JSON (a mapping)")
        arguments["video_layout"] = dict(extra["video_layout"])
    elif spec.layout is None or spec.layout.kind is not LayoutKind.CUSTOM:
        arguments["video_layout"] = to_video_layout(spec.layout or Layout.grid(), resolution, sources)
    else:
        check(spec.layout)
    if "audio_sources_excluded" in extra:
        arguments["audio_sources_excluded"] = source_patterns(extra["audio_sources_excluded"], "audio_sources_excluded")
    if "trim" in extra:
        if not isinstance(extra["trim"], bool):
            raise InvalidRequest("provider_options.trim", "must be true or false")
        arguments["trim"] = extra["trim"]
    if "status_callback" in extra:
        arguments["status_callback"] = check_url(extra["status_callback"], "status_callback")
    return arguments


def composition_resolution(resolution: Resolution | None, default: str = "640x480") -> Resolution:
    """The composition size, checked against Twilio's bounds (default: Twilio's 640x480)."""
    chosen = resolution or Resolution.parse(default)
    width, height = chosen.width, chosen.height
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE and width * height <= MAX_AREA):
        raise InvalidRequest(
            "resolution",
            f"twilio composes {MIN_SIDE} to {MAX_SIDE} pixels a side and at most {MAX_AREA:,} pixels in all"
            f" (1280x720 is the largest 16:9), not {chosen}",
        )
    return chosen


def source_patterns(value: Any, field: str) -> list[str]:
    """Twilio source patterns (track names, ``MT``/``RT``/``PA`` SIDs, ``*`` wildcards)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidRequest(field, "must be a list of track names, SIDs or patterns")
    patterns = list(value)
    if not all(isinstance(p, str) and p for p in patterns):
        raise InvalidRequest(field, "each source must be a non-empty string")
    return patterns


def file_format(value: Any) -> str:
    """A composition's file format; anyvideo's default is mp4 (Twilio's own is webm)."""
    chosen = value or "mp4"
    if chosen not in FORMATS:
        raise InvalidRequest("format", f"twilio compositions are {' or '.join(FORMATS)}, not {chosen!r}")
    return chosen


def check_sid(value: str, prefix: str, field: str) -> str:
    if not (isinstance(value, str) and _SID.fullmatch(value) and value.startswith(prefix)):
        raise InvalidRequest(field, f"{value!r} is not a Twilio {prefix} SID")
    return value


def check_url(value: Any, field: str) -> str:
    return _url(value, field)


def _whole(options: Mapping[str, Any], name: str, low: int, high: int, unit: str) -> int:
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"provider_options.{name}", f"must be whole {unit} from {low} to {high}, got {value!r}")
    return value


def _url(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _URL.fullmatch(value):
        raise InvalidRequest(field, "must be an http:// or https:// URL")
    return value
