"""What a caller asks for: validated inputs to backend operations.

The facade builds one of these from keyword arguments before any backend call,
so bad input fails here, with :class:`~anyvideo.errors.InvalidRequest` naming
the field, and never reaches a provider.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo.models import (
    CompositionOutput,
    Layout,
    LayoutKind,
    RecordingMode,
    Resolution,
    Role,
    RtmpTarget,
    enum_converter,
)

__all__ = [
    "CompositionSpec",
    "MAX_TOKEN_TTL",
    "RecordingSpec",
    "RoomSpec",
    "SignalSpec",
    "TokenSpec",
]

#: Longest client-token lifetime any provider accepts (30 days);
#: a backend may declare a shorter one.
MAX_TOKEN_TTL = timedelta(days=30)

_ROOM_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ._:@-]{0,126}[A-Za-z0-9._:@-])?")
_SIGNAL_TYPE = re.compile(r"[A-Za-z0-9_.:-]{0,128}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# attrs converters are named functions, one per field, so that type checkers
# see what each constructor argument accepts.


def _role(value: Role | str) -> Role:
    return value if type(value) is Role else enum_converter(Role, "role")(value)  # most tokens: a Role already


def _mode(value: RecordingMode | str) -> RecordingMode:
    return enum_converter(RecordingMode, "mode")(value)


def _output(value: CompositionOutput | str) -> CompositionOutput:
    return enum_converter(CompositionOutput, "output")(value)


def _layout(value: Layout | LayoutKind | str | None) -> Layout | None:
    if value is None or isinstance(value, Layout):
        return value
    kind = enum_converter(LayoutKind, "layout")(value)
    if kind is LayoutKind.CUSTOM:
        raise InvalidRequest("layout", "a custom layout needs regions: use Layout.custom([...])")
    return Layout(kind)


def _resolution(value: Resolution | str | None) -> Resolution | None:
    return None if value is None else Resolution.parse(value)


def _seconds(field: str, value: object, *, low: float, high: float) -> float:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(field, f"expected seconds or a timedelta, got {value!r}")
    if not low <= value <= high:
        raise InvalidRequest(field, f"must be between {low:g} and {high:g} seconds, got {value:g}")
    return float(value)


def _ttl(value: float | timedelta) -> float:
    return _seconds("ttl", value, low=1, high=MAX_TOKEN_TTL.total_seconds())


def _max_duration(value: float | timedelta | None) -> float | None:
    return None if value is None else _seconds("max_duration", value, low=60, high=36 * 3600)


_Validator = Callable[[object, "attrs.Attribute[Any]", object], None]


def _flag(field: str) -> _Validator:
    """Only ``True`` or ``False``: a string such as ``"no"`` is truthy, and would be taken as yes."""

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, bool):
            raise InvalidRequest(field, f"must be True or False, got {type(value).__name__}")

    return validate


def _text(field: str, *, max_len: int, pattern: re.Pattern[str] | None = None, what: str = "") -> _Validator:
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise InvalidRequest(field, f"must be a string, got {type(value).__name__}")
        if len(value) > max_len:
            raise InvalidRequest(field, f"is {len(value)} characters long; the limit is {max_len}")
        if pattern is not None and not pattern.fullmatch(value):
            raise InvalidRequest(field, f"{value!r} is not {what}")
        if pattern is None and _CONTROL.search(value):
            raise InvalidRequest(field, "must not contain control characters")

    return validate


def _options(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise InvalidRequest("provider_options", "must be a mapping")
    return MappingProxyType(dict(value or {}))


def _positive_int(field: str, high: int) -> _Validator:
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise InvalidRequest(field, f"must be a whole number from 1 to {high}, got {value!r}")

    return validate


def _ids(field: str, value: str | Iterable[object] | None) -> tuple[str, ...] | None:
    """Ids, from ids or from objects that have one (a stream, a recording)."""
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    ids = tuple(ref for item in items if isinstance(ref := getattr(item, "id", item), str) and ref)
    if not ids or len(ids) != len(items):
        raise InvalidRequest(field, "must list at least one id")
    return ids


def _stream_ids(value: str | Iterable[object] | None) -> tuple[str, ...] | None:
    return _ids("stream_ids", value)


def _recording_ids(value: str | Iterable[object] | None) -> tuple[str, ...] | None:
    return _ids("recording_ids", value)


def _rtmp(value: Iterable[RtmpTarget]) -> tuple[RtmpTarget, ...]:
    return tuple(value)


@attrs.frozen
class RoomSpec:
    """A room to create. ``name`` is unique among open rooms."""

    name: str | None = attrs.field(
        default=None,
        validator=_text(
            "name",
            max_len=128,
            pattern=_ROOM_NAME,
            what="a room name (letters, digits, space and ._:@-; first a letter or digit, last not a space)",
        ),
    )
    max_participants: int | None = attrs.field(default=None, validator=_positive_int("max_participants", 10_000))
    provider_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options, kw_only=True)


@attrs.frozen
class TokenSpec:
    """A client token to mint. ``ttl`` is seconds or a :class:`~datetime.timedelta`."""

    identity: str = attrs.field(validator=_text("identity", max_len=128))
    role: Role = attrs.field(default=Role.PUBLISHER, converter=_role)
    ttl: float = attrs.field(default=3600.0, converter=_ttl)
    data: str | None = attrs.field(default=None, validator=_text("data", max_len=1000))
    provider_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not self.identity:
            raise InvalidRequest("identity", "must not be empty")


@attrs.frozen
class RecordingSpec:
    """A recording to start."""

    mode: RecordingMode = attrs.field(default=RecordingMode.COMPOSED, converter=_mode)
    layout: Layout | None = attrs.field(default=None, converter=_layout)
    resolution: Resolution | None = attrs.field(default=None, converter=_resolution)
    name: str | None = attrs.field(default=None, validator=_text("name", max_len=256))
    has_audio: bool = attrs.field(default=True, validator=_flag("has_audio"))
    has_video: bool = attrs.field(default=True, validator=_flag("has_video"))
    max_duration: float | None = attrs.field(default=None, converter=_max_duration)
    provider_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not (self.has_audio or self.has_video):
            raise InvalidRequest("has_audio", "a recording needs audio, video or both")
        if self.mode is RecordingMode.INDIVIDUAL and (self.layout or self.resolution):
            field = "layout" if self.layout else "resolution"
            raise InvalidRequest(field, "an individual recording keeps each stream as published")


_FILE_FORMATS = ("mp4", "webm")


@attrs.frozen
class CompositionSpec:
    """A composition to start: a ``file`` rendered from what was recorded, or
    a ``live`` broadcast to HLS and/or RTMP targets.

    ``stream_ids`` selects what is mixed (``None``: everything);
    ``recording_ids`` selects which recordings a file composition is made from.
    """

    output: CompositionOutput = attrs.field(converter=_output)
    layout: Layout | None = attrs.field(default=None, converter=_layout)
    resolution: Resolution | None = attrs.field(default=None, converter=_resolution)
    format: str | None = attrs.field(default=None)
    stream_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_stream_ids)
    recording_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_recording_ids)
    hls: bool = attrs.field(default=False, validator=_flag("hls"))
    rtmp: tuple[RtmpTarget, ...] = attrs.field(default=(), converter=_rtmp)
    max_duration: float | None = attrs.field(default=None, converter=_max_duration)
    provider_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.output is CompositionOutput.FILE:
            if self.hls or self.rtmp:
                raise InvalidRequest("output", "a file composition has no HLS or RTMP targets")
            if self.format is not None and self.format not in _FILE_FORMATS:
                raise InvalidRequest("format", f"{self.format!r} is not one of: {', '.join(_FILE_FORMATS)}")
            if self.max_duration is not None:
                raise InvalidRequest(
                    "max_duration", "a file composition covers what was recorded; only live ones run for a time"
                )
        else:
            if not (self.hls or self.rtmp):
                raise InvalidRequest("output", "a live composition needs hls=True or at least one RTMP target")
            if self.format is not None:
                raise InvalidRequest("format", "a live composition has no file format")
            if self.recording_ids is not None:
                raise InvalidRequest("recording_ids", "a live composition mixes the room's live streams")
            for target in self.rtmp:
                if not isinstance(target, RtmpTarget):
                    raise InvalidRequest("rtmp", "each target must be an RtmpTarget")
                if not target.url.startswith(("rtmp://", "rtmps://")):
                    raise InvalidRequest("rtmp", f"{target.url!r} is not an rtmp:// or rtmps:// URL")


@attrs.frozen
class SignalSpec:
    """A message for clients in a room: to everyone, or to one participant."""

    type: str = attrs.field(
        default="",
        validator=_text("type", max_len=128, pattern=_SIGNAL_TYPE, what="a signal type (letters, digits, _.:-)"),
    )
    data: str = attrs.field(default="")
    to: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.data, str):
            raise InvalidRequest("data", f"must be a string, got {type(self.data).__name__}")
        if len(self.data.encode()) > 8192:
            raise InvalidRequest("data", "is larger than 8 kB")
