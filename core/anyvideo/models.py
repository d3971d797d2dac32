"""The provider-neutral domain model.

Every object is a frozen, slotted attrs class. Ids are the provider's native ids
(so they can be found in the provider's console); ``provider`` names the
backend that holds the object and ``ref`` (``"<provider>:<id>"``) stays unique
in a fleet that mixes providers. ``raw`` keeps the provider's own payload for
whatever the common model does not cover; it takes no part in equality.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from anyvideo.errors import InvalidRequest

__all__ = [
    "AccessToken",
    "Composition",
    "CompositionOutput",
    "CompositionStatus",
    "Event",
    "EventType",
    "Layout",
    "LayoutKind",
    "MediaFile",
    "Participant",
    "ParticipantStatus",
    "RecordingMode",
    "Recording",
    "RecordingStatus",
    "Region",
    "Resolution",
    "Role",
    "Room",
    "RoomStatus",
    "RtmpTarget",
    "SelectBy",
    "Selector",
    "Stream",
    "StreamKind",
    "VideoSource",
    "enum_converter",
    "make_ref",
    "split_ref",
]


# --- enums -----------------------------------------------------------------


class RoomStatus(StrEnum):
    """Where a room is in its life; ``UNKNOWN`` for a provider status the backend does not map."""

    OPEN = "open"
    ENDED = "ended"
    FAILED = "failed"
    UNKNOWN = "unknown"


class ParticipantStatus(StrEnum):
    """Whether a participant is in the room now; ``UNKNOWN`` for a status the backend does not map."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    UNKNOWN = "unknown"


class StreamKind(StrEnum):
    """What a stream carries. Some providers carry audio and video together in
    one stream; others publish one track per kind."""

    AUDIO = "audio"
    VIDEO = "video"
    AUDIO_VIDEO = "audio_video"
    DATA = "data"

    @property
    def has_audio(self) -> bool:
        """Whether the stream carries audio."""
        return self in (StreamKind.AUDIO, StreamKind.AUDIO_VIDEO)

    @property
    def has_video(self) -> bool:
        """Whether the stream carries video."""
        return self in (StreamKind.VIDEO, StreamKind.AUDIO_VIDEO)


class VideoSource(StrEnum):
    """Where a stream's video comes from: a camera, a shared screen, or anything else."""

    CAMERA = "camera"
    SCREEN = "screen"
    CUSTOM = "custom"


class Role(StrEnum):
    """What a client token allows. Providers without roles accept only ``PUBLISHER``."""

    PUBLISHER = "publisher"
    SUBSCRIBER = "subscriber"
    MODERATOR = "moderator"
    PUBLISHER_ONLY = "publisheronly"

    @property
    def can_publish(self) -> bool:
        """Whether a client with this role may publish streams."""
        return self is not Role.SUBSCRIBER

    @property
    def can_subscribe(self) -> bool:
        """Whether a client with this role may subscribe to others' streams."""
        return self is not Role.PUBLISHER_ONLY


class RecordingMode(StrEnum):
    """``COMPOSED``: one file mixing every stream; ``INDIVIDUAL``: one file per stream."""

    COMPOSED = "composed"
    INDIVIDUAL = "individual"


class RecordingStatus(StrEnum):
    """Where a recording is in its life: ``AVAILABLE`` once its files can be downloaded;
    ``UNKNOWN`` for a provider status the backend does not map.
    """

    RECORDING = "recording"
    PAUSED = "paused"
    PROCESSING = "processing"
    AVAILABLE = "available"
    FAILED = "failed"
    DELETED = "deleted"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class CompositionOutput(StrEnum):
    """What a composition makes: a ``FILE`` from recordings, or a ``LIVE`` broadcast."""

    FILE = "file"
    LIVE = "live"


class CompositionStatus(StrEnum):
    """Where a composition is in its life: a file composition is ``AVAILABLE`` once
    rendered, a live one is ``LIVE`` until ``STOPPED``; ``UNKNOWN`` for a provider status
    the backend does not map.
    """

    QUEUED = "queued"
    PROCESSING = "processing"
    LIVE = "live"
    STOPPED = "stopped"
    AVAILABLE = "available"
    FAILED = "failed"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class EventType(StrEnum):
    """Normalised event names. Provider-only events use ``"<provider>.<name>"``."""

    ROOM_STARTED = "room.started"
    ROOM_ENDED = "room.ended"
    PARTICIPANT_JOINED = "participant.joined"
    PARTICIPANT_LEFT = "participant.left"
    STREAM_PUBLISHED = "stream.published"
    STREAM_UNPUBLISHED = "stream.unpublished"
    RECORDING_STARTED = "recording.started"
    RECORDING_AVAILABLE = "recording.available"
    RECORDING_FAILED = "recording.failed"
    COMPOSITION_STARTED = "composition.started"
    COMPOSITION_ENDED = "composition.ended"
    COMPOSITION_AVAILABLE = "composition.available"
    COMPOSITION_FAILED = "composition.failed"
    UNKNOWN = "unknown"


class SelectBy(StrEnum):
    """What a layout :class:`Selector` can pick streams by. A backend declares
    the ones it honours (``Backend.selectors``)."""

    IDENTITY = "identity"
    STREAM = "stream"
    NAME = "name"
    SOURCE = "source"
    ROLE = "role"


class LayoutKind(StrEnum):
    """The portable layouts: the presets, and ``CUSTOM`` (regions placed by hand)."""

    GRID = "grid"
    PIP = "pip"
    FOCUS = "focus"
    VERTICAL_PRESENTATION = "vertical_presentation"
    HORIZONTAL_PRESENTATION = "horizontal_presentation"
    CUSTOM = "custom"


# --- shared validators and converters ---------------------------------------

E = TypeVar("E", bound=StrEnum)


def enum_converter(cls: type[E], field: str) -> Callable[[Any], E]:
    """An attrs converter to ``cls`` that rejects unknown values with InvalidRequest(field)."""

    def convert(value: Any) -> E:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(member.value for member in cls)
            raise InvalidRequest(field, f"{value!r} is not one of: {allowed}") from None

    return convert


def _aware(instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is None and attribute.default is attrs.NOTHING:
        raise InvalidRequest(attribute.name, "is required")
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        raise InvalidRequest(attribute.name, "must be a timezone-aware datetime")


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _non_empty(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(attribute.name, "must be a non-empty string")


def _raw() -> Any:
    return attrs.field(factory=dict, converter=_frozen_mapping, repr=False, eq=False)


def make_ref(provider: str, object_id: str) -> str:
    """The global reference of an object: ``"<provider>:<id>"``."""
    return f"{provider}:{object_id}"


def split_ref(ref: str) -> tuple[str | None, str]:
    """Split ``"<provider>:<id>"``; a bare id gives ``(None, id)``.

    Only the first colon separates: provider names never contain one, ids may.
    """
    provider, sep, object_id = ref.partition(":")
    if sep and _PROVIDER_NAME.fullmatch(provider):
        return provider, object_id
    return None, ref


_PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_-]*")


class _Referenced:
    """Mixin: ``ref`` for every model with ``provider`` and ``id``."""

    __slots__ = ()

    provider: str
    id: str

    @property
    def ref(self) -> str:
        """The object's ref, ``"<backend>:<id>"``: it names the object across backends (the router's too)."""
        return make_ref(self.provider, self.id)


# --- value objects ----------------------------------------------------------

_RESOLUTION = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")


@attrs.frozen
class Resolution:
    """Output size in pixels; ``Resolution.parse("1280x720")``."""

    width: int
    height: int

    def __attrs_post_init__(self) -> None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (self.width, self.height)):
            raise InvalidRequest("resolution", "width and height must be whole numbers of pixels")
        if not (16 <= self.width <= 4096 and 16 <= self.height <= 4096):
            raise InvalidRequest("resolution", f"{self} is outside 16x16 to 4096x4096")

    @classmethod
    def parse(cls, value: str | Resolution, *, field: str = "resolution") -> Resolution:
        """The resolution in ``value`` (``"1280x720"``, or a resolution itself);
        :class:`~anyvideo.InvalidRequest` naming ``field`` if it is not one.
        """
        if isinstance(value, Resolution):
            return value
        match = _RESOLUTION.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise InvalidRequest(field, f"expected WIDTHxHEIGHT such as '1280x720', got {value!r}")
        try:
            return cls(int(match[1]), int(match[2]))
        except InvalidRequest as exc:
            raise InvalidRequest(field, exc.reason) from None

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


def _sequence(value: object, field: str) -> tuple[Any, ...]:
    """A tuple of ``value``'s items (a lone string is one item); anything that is not a
    collection of them (``None``, a number, bytes, a mapping) is refused naming ``field``."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray | Mapping):
        return tuple(value)
    raise InvalidRequest(field, f"expected a list, got {type(value).__name__}")


def _region_name(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidRequest("layout.regions.name", "must be a non-empty string")


def _unit(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise InvalidRequest(f"layout.regions.{attribute.name}", "must be a number from 0 to 1")


def _selector_text(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidRequest("layout.regions.sources", f"a selector's {attribute.name} must be a non-empty string")


def _selector_source(value: VideoSource | str | None) -> VideoSource | None:
    return None if value is None else enum_converter(VideoSource, "layout.regions.sources")(value)


def _selector_role(value: Role | str | None) -> Role | None:
    return None if value is None else enum_converter(Role, "layout.regions.sources")(value)


@attrs.frozen(repr=False)
class Selector:
    """Which video streams a layout :class:`Region` shows.

    Every field given must match; a selector with none (``Selector()``, written
    ``"*"``) matches every stream. ``Selector(identity="host", source="camera")``
    is the host's camera; ``Selector(source="screen")`` any screen share;
    ``Selector(stream=stream.id)`` one stream; ``Selector(name="slides")`` the
    streams published under that name; ``Selector(role="moderator")`` the
    streams of participants whose token has that role.

    A selector also reads from text: ``"*"`` or comma-separated
    ``key:value`` pairs, e.g. ``"identity:host,source:camera"``.
    """

    identity: str | None = attrs.field(default=None, validator=_selector_text, kw_only=True)
    stream: str | None = attrs.field(default=None, validator=_selector_text, kw_only=True)
    name: str | None = attrs.field(default=None, validator=_selector_text, kw_only=True)
    source: VideoSource | None = attrs.field(default=None, converter=_selector_source, kw_only=True)
    role: Role | None = attrs.field(default=None, converter=_selector_role, kw_only=True)

    @classmethod
    def parse(cls, value: str | Selector | Mapping[str, str]) -> Selector:
        """A selector from its text, its :meth:`to_json` (or the selector itself)."""
        if isinstance(value, Selector):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - set(SelectBy.__members__.values())
            if unknown:
                raise InvalidRequest("layout.regions.sources", f"a selector has no {', '.join(sorted(unknown))}")
            return cls(**value)
        if not isinstance(value, str):
            raise InvalidRequest(
                "layout.regions.sources", f"a source is a Selector or text, not {type(value).__name__}"
            )
        if value.strip() == "*":
            return cls()
        fields: dict[str, str] = {}
        for part in value.split(","):
            key, sep, text = part.partition(":")
            key = key.strip()
            if not sep or key not in SelectBy.__members__.values() or key in fields:
                raise InvalidRequest(
                    "layout.regions.sources",
                    f"{value!r} is not a selector: write '*' or key:value pairs joined by commas, "
                    f"the keys being {', '.join(SelectBy)} (e.g. 'identity:host,source:camera')",
                )
            fields[key] = text.strip()
        return cls(**fields)

    @property
    def by(self) -> frozenset[SelectBy]:
        """The fields this selector picks by (none for ``"*"``)."""
        return frozenset(by for by in SelectBy if getattr(self, by.value) is not None)

    @property
    def matches_all(self) -> bool:
        """Whether the selector picks every stream (it names no field)."""
        return not self.by

    def to_json(self) -> dict[str, str]:
        """The fields given, as plain JSON; :meth:`parse` reads it back."""
        return {by.value: str(getattr(self, by.value)) for by in SelectBy if by in self.by}

    def __repr__(self) -> str:
        fields = ", ".join(f"{by.value}={str(getattr(self, by.value))!r}" for by in SelectBy if by in self.by)
        return f"Selector({fields})"

    def __str__(self) -> str:
        if self.matches_all:
            return "*"
        return ",".join(f"{by.value}:{getattr(self, by.value)}" for by in SelectBy if by in self.by)


def _sources(value: str | Selector | Iterable[str | Selector]) -> tuple[Selector, ...]:
    given = (value,) if isinstance(value, str | Selector | Mapping) else _sequence(value, "layout.regions.sources")
    return tuple(Selector.parse(source) for source in given)


@attrs.frozen
class Region:
    """One rectangle of a custom layout, in fractions of the canvas (0 to 1).

    ``sources`` are the :class:`Selector` s of the video streams the region
    shows (text is read with :meth:`Selector.parse`). A stream goes to the
    first region, in layout order, with a selector other than ``"*"`` that
    matches it; a stream no such selector matches goes to the first region
    with ``"*"`` (the default); a stream neither places is not shown.
    """

    name: str = attrs.field(validator=_region_name)
    x: float = attrs.field(validator=_unit)
    y: float = attrs.field(validator=_unit)
    width: float = attrs.field(validator=_unit)
    height: float = attrs.field(validator=_unit)
    z: int = 0
    sources: tuple[Selector, ...] = attrs.field(default=("*",), converter=_sources)

    def __attrs_post_init__(self) -> None:
        if self.width == 0 or self.height == 0:
            raise InvalidRequest("layout.regions", f"region {self.name!r} has no area")
        if self.x + self.width > 1.0 + 1e-9 or self.y + self.height > 1.0 + 1e-9:
            raise InvalidRequest("layout.regions", f"region {self.name!r} extends past the canvas")
        if isinstance(self.z, bool) or not isinstance(self.z, int) or not -99 <= self.z <= 99:
            raise InvalidRequest("layout.regions.z", f"region {self.name!r}: z must be a whole number from -99 to 99")
        if not self.sources:
            raise InvalidRequest("layout.regions", f"region {self.name!r} needs at least one source")


def _layout_kind(value: LayoutKind | str) -> LayoutKind:
    return enum_converter(LayoutKind, "layout")(value)


def _regions(value: Iterable[Region]) -> tuple[Region, ...]:
    return _sequence(value, "layout.regions")


def _screenshare(value: LayoutKind | str | None) -> LayoutKind | None:
    return None if value is None else enum_converter(LayoutKind, "layout.screenshare")(value)


@attrs.frozen
class Layout:
    """A portable layout. Build one with the class methods:
    ``Layout.grid()``, ``Layout.pip()``, ``Layout.focus()``,
    ``Layout.presentation(vertical=True)``, ``Layout.custom([Region(...)])``.

    ``screenshare`` is the layout to switch to while someone shares a screen.
    """

    kind: LayoutKind = attrs.field(converter=_layout_kind)
    regions: tuple[Region, ...] = attrs.field(default=(), converter=_regions)
    screenshare: LayoutKind | None = attrs.field(default=None, converter=_screenshare)

    def __attrs_post_init__(self) -> None:
        if not all(isinstance(region, Region) for region in self.regions):
            raise InvalidRequest("layout.regions", "each region must be a Region")
        if self.kind is LayoutKind.CUSTOM:
            if not self.regions:
                raise InvalidRequest("layout.regions", "a custom layout needs at least one region")
            names = [r.name for r in self.regions]
            if len(set(names)) != len(names):
                raise InvalidRequest("layout.regions", "region names must be unique")
        elif self.regions:
            raise InvalidRequest("layout.regions", f"only a custom layout has regions, not {self.kind}")
        if self.screenshare is LayoutKind.CUSTOM:
            raise InvalidRequest("layout.screenshare", "the screen-share layout must be a preset")

    @classmethod
    def grid(cls) -> Layout:
        """Every stream in a grid of equal tiles."""
        return cls(LayoutKind.GRID)

    @classmethod
    def pip(cls) -> Layout:
        """One stream full size, another in a small picture inside it."""
        return cls(LayoutKind.PIP)

    @classmethod
    def focus(cls) -> Layout:
        """One stream large, the others smaller."""
        return cls(LayoutKind.FOCUS)

    @classmethod
    def presentation(cls, *, vertical: bool = True) -> Layout:
        """A shared screen large, the other streams in a column beside it (``vertical``) or in a row below it."""
        kind = LayoutKind.VERTICAL_PRESENTATION if vertical else LayoutKind.HORIZONTAL_PRESENTATION
        return cls(kind)

    @classmethod
    def custom(cls, regions: Iterable[Region]) -> Layout:
        """Streams placed in ``regions``, each picking its streams by :class:`~anyvideo.Selector`."""
        return cls(LayoutKind.CUSTOM, regions=regions)

    def to_json(self) -> dict[str, Any]:
        """The layout as plain JSON (for a registry, a manifest, a plan); :meth:`from_json` reads it back."""
        return {
            "kind": self.kind.value,
            "screenshare": None if self.screenshare is None else self.screenshare.value,
            "regions": [
                attrs.asdict(region) | {"sources": [source.to_json() for source in region.sources]}
                for region in self.regions
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Layout:
        """The layout :meth:`to_json` wrote; bad data is an :class:`~anyvideo.errors.InvalidRequest`."""
        try:
            regions = tuple(Region(**region) for region in data.get("regions") or ())
            return cls(data["kind"], regions=regions, screenshare=data.get("screenshare"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidRequest("layout", f"not a layout: {exc}") from None


@attrs.frozen
class MediaFile:
    """One downloadable file of a recording or composition.

    A file of an *individual* recording also says, where the provider does,
    whose it is: ``stream_id``, ``participant_id``, ``kind``, ``video_source``,
    and ``offset`` (seconds from the recording's start to the file's) and
    ``duration`` (seconds); ``None`` where the provider does not say.
    """

    name: str = attrs.field(validator=_non_empty)
    content_type: str
    size: int | None = None
    sha256: str | None = None
    stream_id: str | None = None
    participant_id: str | None = None
    kind: StreamKind | None = None
    video_source: VideoSource | None = None
    offset: float | None = None
    duration: float | None = None


@attrs.frozen
class RtmpTarget:
    """An RTMP destination of a live composition; ``stream_name`` is the stream key."""

    url: str = attrs.field(validator=_non_empty)
    stream_name: str = attrs.field(default="", repr=False)  # a stream key is a credential
    id: str | None = None


# --- the domain objects -----------------------------------------------------


@attrs.frozen
class Room(_Referenced):
    """A place where participants meet (a provider's session or room)."""

    id: str
    provider: str
    name: str | None
    status: RoomStatus
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    ended_at: datetime | None = attrs.field(default=None, validator=_aware)
    max_participants: int | None = None
    raw: Mapping[str, Any] = _raw()


@attrs.frozen
class Participant(_Referenced):
    """Someone connected to a room (a provider's connection or participant).

    ``phone`` says the participant is a phone call (``video.phone``), audio only;
    ``phone_number`` is then its number masked (``"+•••••••4567"``), never the whole number.
    """

    id: str
    provider: str
    room_id: str
    identity: str
    status: ParticipantStatus
    role: Role | None = None
    data: str | None = None
    joined_at: datetime | None = attrs.field(default=None, validator=_aware)
    left_at: datetime | None = attrs.field(default=None, validator=_aware)
    phone: bool = False
    phone_number: str | None = None
    raw: Mapping[str, Any] = _raw()


@attrs.frozen
class Stream(_Referenced):
    """Media a participant publishes (a provider's stream or published track)."""

    id: str
    provider: str
    room_id: str
    participant_id: str
    kind: StreamKind
    name: str | None = None
    video_source: VideoSource | None = None
    audio_muted: bool = False
    published_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()


def _files(value: Iterable[MediaFile]) -> tuple[MediaFile, ...]:
    return tuple(value)


def _rtmp_targets(value: Iterable[RtmpTarget]) -> tuple[RtmpTarget, ...]:
    return tuple(value)


@attrs.frozen
class Recording(_Referenced):
    """A recording of a room over one start/stop window.

    ``composed`` gives one mixed file; ``individual`` one file per stream.
    """

    id: str
    provider: str
    room_id: str
    mode: RecordingMode
    status: RecordingStatus
    name: str | None = None
    layout: Layout | None = None
    resolution: Resolution | None = None
    has_audio: bool = True
    has_video: bool = True
    started_at: datetime | None = attrs.field(default=None, validator=_aware)
    stopped_at: datetime | None = attrs.field(default=None, validator=_aware)
    duration: float | None = None
    files: tuple[MediaFile, ...] = attrs.field(default=(), converter=_files)
    raw: Mapping[str, Any] = _raw()

    @property
    def size(self) -> int | None:
        """Total bytes of all files, once the provider knows them."""
        sizes = [f.size for f in self.files if f.size is not None]
        return sum(sizes) if sizes and len(sizes) == len(self.files) else None


@attrs.frozen
class Composition(_Referenced):
    """Streams mixed into one output: a file made after the fact, or a live broadcast."""

    id: str
    provider: str
    room_id: str
    output: CompositionOutput
    status: CompositionStatus
    layout: Layout | None = None
    resolution: Resolution | None = None
    format: str | None = None
    stream_ids: tuple[str, ...] | None = None
    hls_url: str | None = None
    rtmp: tuple[RtmpTarget, ...] = attrs.field(default=(), converter=_rtmp_targets)
    started_at: datetime | None = attrs.field(default=None, validator=_aware)
    ended_at: datetime | None = attrs.field(default=None, validator=_aware)
    duration: float | None = None
    files: tuple[MediaFile, ...] = attrs.field(default=(), converter=_files)
    raw: Mapping[str, Any] = _raw()


@attrs.frozen
class AccessToken:
    """A client token: what a browser or app needs to join ``room_id`` as ``identity``."""

    token: str = attrs.field(repr=False)  # a credential: never in a repr
    provider: str
    room_id: str
    identity: str
    role: Role
    expires_at: datetime = attrs.field(validator=_aware)
    data: str | None = None

    @property
    def room_ref(self) -> str:
        """The room's ref, ``"<backend>:<room id>"``, as :attr:`Room.ref <anyvideo.Room.ref>` gives it."""
        return make_ref(self.provider, self.room_id)


def _event_type(instance: Event, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str):
        raise InvalidRequest("type", f"must be a string, got {type(value).__name__}")
    if value in EventType.__members__.values():
        return
    if not value.startswith(f"{instance.provider}.") or value == f"{instance.provider}.":
        raise InvalidRequest(
            "type", f"{value!r} is neither a core event type nor namespaced '{instance.provider}.<name>'"
        )


Subject = Room | Participant | Stream | Recording | Composition


@attrs.frozen
class Event:
    """Something that happened, normalised across providers.

    ``subject`` is the core object the event is about, where one can be built;
    ``event_id`` is stable, so a consumer can drop duplicates.
    """

    type: str = attrs.field(validator=_event_type)
    provider: str
    event_id: str
    occurred_at: datetime = attrs.field(validator=_aware)
    room_id: str | None = None
    subject: Subject | None = None
    raw: Mapping[str, Any] = _raw()
