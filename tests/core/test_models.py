"""The provider-neutral models: frozen, validated on the way in, safe to print."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyvideo import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    EventType,
    InvalidRequest,
    Layout,
    LayoutKind,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Region,
    Resolution,
    Role,
    Room,
    RoomStatus,
    RtmpTarget,
    Selector,
    Stream,
    StreamKind,
)
from anyvideo.models import make_ref, split_ref

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NAIVE = datetime(2024, 5, 1, 12, 0)


def room(**changes):
    fields = {"id": "rm_1", "provider": "local", "name": "standup", "status": RoomStatus.OPEN, "created_at": NOW}
    return Room(**{**fields, **changes})


def participant(**changes):
    fields = {
        "id": "pa_1",
        "provider": "local",
        "room_id": "rm_1",
        "identity": "ann",
        "status": ParticipantStatus.CONNECTED,
    }
    return Participant(**{**fields, **changes})


def stream(**changes):
    fields = {
        "id": "st_1",
        "provider": "local",
        "room_id": "rm_1",
        "participant_id": "pa_1",
        "kind": StreamKind.AUDIO_VIDEO,
    }
    return Stream(**{**fields, **changes})


def recording(**changes):
    fields = {
        "id": "rc_1",
        "provider": "local",
        "room_id": "rm_1",
        "mode": RecordingMode.COMPOSED,
        "status": RecordingStatus.RECORDING,
    }
    return Recording(**{**fields, **changes})


def composition(**changes):
    fields = {
        "id": "cp_1",
        "provider": "local",
        "room_id": "rm_1",
        "output": CompositionOutput.FILE,
        "status": CompositionStatus.PROCESSING,
    }
    return Composition(**{**fields, **changes})


def token(**changes):
    fields = {
        "token": "tok.SECRET-4f9a2c",
        "provider": "local",
        "room_id": "rm_1",
        "identity": "ann",
        "role": Role.PUBLISHER,
        "expires_at": NOW,
    }
    return AccessToken(**{**fields, **changes})


def event(**changes):
    fields = {"type": EventType.ROOM_STARTED, "provider": "local", "event_id": "ev_1", "occurred_at": NOW}
    return Event(**{**fields, **changes})


def region(**changes):
    fields = {"name": "main", "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}
    return Region(**{**fields, **changes})


# --- refs -------------------------------------------------------------------


@pytest.mark.parametrize("build", [room, participant, stream, recording, composition])
def test_ref_is_provider_colon_id(build):
    obj = build(provider="vonage", id="2_MX4abc")
    assert obj.ref == "vonage:2_MX4abc"


def test_access_token_room_ref_is_provider_colon_room_id():
    assert token(provider="twilio", room_id="RM123").room_ref == "twilio:RM123"


@pytest.mark.parametrize(
    ("ref", "parts"),
    [
        ("local:rm_1", ("local", "rm_1")),
        ("vonage:2_MX4:abc", ("vonage", "2_MX4:abc")),  # only the first colon separates
        ("rm_1", (None, "rm_1")),
        ("Local:rm_1", (None, "Local:rm_1")),  # not a provider name
        (":rm_1", (None, ":rm_1")),
        ("9p:rm_1", (None, "9p:rm_1")),
        ("my backend:rm_1", (None, "my backend:rm_1")),
    ],
)
def test_split_ref(ref, parts):
    assert split_ref(ref) == parts


provider_names = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)


@given(provider=provider_names, object_id=st.text())
def test_split_ref_undoes_make_ref(provider, object_id):
    assert split_ref(make_ref(provider, object_id)) == (provider, object_id)


@given(object_id=st.text().filter(lambda s: ":" not in s))
def test_an_id_without_a_colon_has_no_provider(object_id):
    assert split_ref(object_id) == (None, object_id)


# --- frozen, raw, repr ------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        (room(), "name", "other"),
        (participant(), "identity", "bob"),
        (stream(), "audio_muted", True),
        (recording(), "status", RecordingStatus.AVAILABLE),
        (composition(), "status", CompositionStatus.AVAILABLE),
        (token(), "token", "forged"),
        (event(), "type", EventType.ROOM_ENDED),
        (Resolution(1280, 720), "width", 1920),
        (Layout.grid(), "kind", LayoutKind.PIP),
        (region(), "x", 0.5),
    ],
)
def test_models_are_frozen(obj, field, value):
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(obj, field, value)
    assert getattr(obj, field) != value


def test_raw_is_read_only():
    with pytest.raises(TypeError):
        room(raw={"sessionId": "abc"}).raw["sessionId"] = "forged"  # type: ignore[index]


def test_raw_is_a_copy_of_the_payload_given():
    payload = {"sessionId": "abc"}
    obj = room(raw=payload)
    payload["sessionId"] = "changed"
    assert obj.raw["sessionId"] == "abc"


def test_raw_takes_no_part_in_equality():
    assert room(raw={"sessionId": "abc"}) == room(raw={"sessionId": "xyz", "extra": 1})


def test_raw_takes_no_part_in_the_hash():
    assert hash(room(raw={"sessionId": "abc"})) == hash(room(raw={"sessionId": "xyz"}))


def test_models_differing_in_a_field_are_not_equal():
    assert room(name="standup") != room(name="retro")


def test_raw_is_not_in_the_repr():
    text = repr(room(raw={"payload": "zz-raw-marker"}))
    assert "zz-raw-marker" not in text
    assert "raw=" not in text


def test_access_token_repr_never_contains_the_token():
    obj = token(token="tok.SECRET-4f9a2c")
    assert "tok.SECRET-4f9a2c" not in repr(obj)
    assert "tok.SECRET-4f9a2c" not in str(obj)
    assert "ann" in repr(obj)  # the repr is still useful


def test_rtmp_stream_key_is_not_in_the_repr():
    target = RtmpTarget("rtmp://live.example.com/app", stream_name="key-SECRET-77")
    assert "key-SECRET-77" not in repr(target)


# --- datetimes --------------------------------------------------------------


DATETIME_FIELDS = [
    (room, "created_at"),
    (room, "ended_at"),
    (participant, "joined_at"),
    (participant, "left_at"),
    (stream, "published_at"),
    (recording, "started_at"),
    (recording, "stopped_at"),
    (composition, "started_at"),
    (composition, "ended_at"),
    (token, "expires_at"),
    (event, "occurred_at"),
]


@pytest.mark.parametrize(("build", "field"), DATETIME_FIELDS)
def test_naive_datetime_is_rejected_naming_the_field(build, field):
    with pytest.raises(InvalidRequest) as caught:
        build(**{field: NAIVE})
    assert caught.value.field == field


@pytest.mark.parametrize(("build", "field"), DATETIME_FIELDS)
def test_datetime_as_text_is_rejected_naming_the_field(build, field):
    with pytest.raises(InvalidRequest) as caught:
        build(**{field: "2024-05-01T12:00:00+00:00"})
    assert caught.value.field == field


@pytest.mark.parametrize(("build", "field"), DATETIME_FIELDS)
def test_aware_datetime_in_any_zone_is_accepted(build, field):
    moment = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert getattr(build(**{field: moment}), field) == moment


# --- layouts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (Layout.grid, LayoutKind.GRID),
        (Layout.pip, LayoutKind.PIP),
        (Layout.focus, LayoutKind.FOCUS),
        (Layout.presentation, LayoutKind.VERTICAL_PRESENTATION),
        (lambda: Layout.presentation(vertical=False), LayoutKind.HORIZONTAL_PRESENTATION),
    ],
)
def test_preset_constructors_make_their_kind_without_regions(make, kind):
    layout = make()
    assert (layout.kind, layout.regions) == (kind, ())


def test_custom_constructor_keeps_its_regions_in_order():
    regions = [region(name="main", width=0.5), region(name="side", x=0.5, width=0.5)]
    layout = Layout.custom(regions)
    assert (layout.kind, layout.regions) == (LayoutKind.CUSTOM, tuple(regions))


def test_layout_kind_may_be_given_as_text():
    assert Layout("pip") == Layout.pip()


def test_unknown_layout_kind_is_rejected():
    with pytest.raises(InvalidRequest) as caught:
        Layout("mosaic")
    assert caught.value.field == "layout"


def test_custom_layout_needs_a_region():
    with pytest.raises(InvalidRequest) as caught:
        Layout.custom([])
    assert caught.value.field == "layout.regions"


def test_custom_layout_region_names_are_unique():
    with pytest.raises(InvalidRequest) as caught:
        Layout.custom([region(name="main", width=0.5), region(name="main", x=0.5, width=0.5)])
    assert caught.value.field == "layout.regions"


@pytest.mark.parametrize("kind", sorted(set(LayoutKind) - {LayoutKind.CUSTOM}))
def test_only_a_custom_layout_has_regions(kind):
    with pytest.raises(InvalidRequest) as caught:
        Layout(kind, regions=(region(),))
    assert caught.value.field == "layout.regions"


def test_custom_layout_regions_must_be_regions():
    with pytest.raises(InvalidRequest) as caught:
        Layout.custom([{"name": "main", "x": 0, "y": 0, "width": 1, "height": 1}])
    assert caught.value.field == "layout.regions"


@pytest.mark.parametrize("screenshare", [LayoutKind.CUSTOM, "custom"])
def test_screenshare_layout_cannot_be_custom(screenshare):
    with pytest.raises(InvalidRequest) as caught:
        Layout(LayoutKind.GRID, screenshare=screenshare)
    assert caught.value.field == "layout.screenshare"


def test_screenshare_layout_may_be_a_preset_given_as_text():
    assert Layout(LayoutKind.GRID, screenshare="focus").screenshare is LayoutKind.FOCUS


def test_unknown_screenshare_layout_is_rejected():
    with pytest.raises(InvalidRequest) as caught:
        Layout(LayoutKind.GRID, screenshare="mosaic")
    assert caught.value.field == "layout.screenshare"


# --- regions ----------------------------------------------------------------


@pytest.mark.parametrize("coordinate", ["x", "y", "width", "height"])
@pytest.mark.parametrize("value", [-0.1, 1.5, math.nan, math.inf, "0.5", None, True])
def test_region_coordinate_outside_zero_to_one_is_rejected(coordinate, value):
    with pytest.raises(InvalidRequest) as caught:
        region(**{coordinate: value})
    assert caught.value.field == f"layout.regions.{coordinate}"


@pytest.mark.parametrize("size", ["width", "height"])
def test_region_without_area_is_rejected(size):
    with pytest.raises(InvalidRequest) as caught:
        region(**{size: 0})
    assert caught.value.field == "layout.regions"


@pytest.mark.parametrize(("x", "y"), [(0.6, 0.0), (0.0, 0.6)])
def test_region_past_the_canvas_is_rejected(x, y):
    with pytest.raises(InvalidRequest) as caught:
        region(x=x, y=y, width=0.5, height=0.5)
    assert caught.value.field == "layout.regions"


@pytest.mark.parametrize("z", [-99, 0, 99])
def test_region_z_from_minus_99_to_99_is_accepted(z):
    assert region(z=z).z == z


@pytest.mark.parametrize("z", [-100, 100])
def test_region_z_outside_minus_99_to_99_is_rejected(z):
    with pytest.raises(InvalidRequest) as caught:
        region(z=z)
    assert caught.value.field == "layout.regions.z"


@pytest.mark.parametrize("z", ["top", None, 1.5, True])
def test_region_z_that_is_not_a_number_is_rejected(z):
    with pytest.raises(InvalidRequest) as caught:
        region(z=z)
    assert caught.value.field.startswith("layout.regions")


def test_region_without_a_name_is_rejected_as_a_region_field():
    with pytest.raises(InvalidRequest) as caught:
        region(name="")
    assert caught.value.field.startswith("layout.regions")


@pytest.mark.parametrize("sources", [(), [""], ("identity:cam", "")])
def test_region_needs_non_empty_sources(sources):
    with pytest.raises(InvalidRequest) as caught:
        region(sources=sources)
    assert caught.value.field.startswith("layout.regions")


def test_region_source_given_as_text_is_one_source():
    assert region(sources="identity:cam-1").sources == (Selector(identity="cam-1"),)


def test_region_shows_every_unplaced_stream_by_default():
    assert region().sources == (Selector(),)


unit = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def rectangles_inside(draw):
    x, y = draw(st.floats(0.0, 1.0, exclude_max=True)), draw(st.floats(0.0, 1.0, exclude_max=True))
    width = draw(st.floats(0.0, 1.0 - x, exclude_min=True))
    height = draw(st.floats(0.0, 1.0 - y, exclude_min=True))
    return x, y, width, height


@given(rectangles_inside())
def test_region_accepts_every_rectangle_inside_the_canvas(rect):
    x, y, width, height = rect
    assert attrs.astuple(region(x=x, y=y, width=width, height=height))[1:5] == rect


@st.composite
def rectangles_sticking_out(draw):
    x, y, width, height = draw(unit), draw(unit), draw(unit), draw(unit)
    out = draw(st.sampled_from(["right", "bottom", "negative", "too big"]))
    if out == "right":
        x = draw(st.floats(1e-5, 1.0))
        width = draw(st.floats(1.0 - x + 1e-6, 1.0))
    elif out == "bottom":
        y = draw(st.floats(1e-5, 1.0))
        height = draw(st.floats(1.0 - y + 1e-6, 1.0))
    elif out == "negative":
        x = -draw(st.floats(0.0, 10.0, exclude_min=True))
    else:
        width = draw(st.floats(1.0, 1e6, exclude_min=True))
    return x, y, width, height


@given(rectangles_sticking_out())
def test_region_rejects_every_rectangle_that_sticks_out(rect):
    x, y, width, height = rect
    with pytest.raises(InvalidRequest) as caught:
        region(x=x, y=y, width=width, height=height)
    assert caught.value.field.startswith("layout.regions")


# --- resolutions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [("1280x720", (1280, 720)), ("16x16", (16, 16)), ("4096x4096", (4096, 4096)), ("0720x1280", (720, 1280))],
)
def test_resolution_parses_width_x_height(text, size):
    parsed = Resolution.parse(text)
    assert (parsed.width, parsed.height) == size


def test_resolution_parse_passes_a_resolution_through():
    resolution = Resolution(1280, 720)
    assert Resolution.parse(resolution) is resolution


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1280",
        "1280x",
        "x720",
        "1280X720",
        "1280 x 720",
        " 1280x720",
        "1280x720\n",
        "1280*720",
        "-1280x720",
        "12.5x720",
        "123456x720",
        "15x720",
        "1280x4097",
        "0x0",
        None,
        1280,
        (1280, 720),
    ],
)
def test_resolution_parse_rejects(value):
    with pytest.raises(InvalidRequest) as caught:
        Resolution.parse(value)
    assert caught.value.field == "resolution"


@pytest.mark.parametrize("value", ["big", "8x8"])
def test_resolution_parse_names_the_field_it_is_given(value):
    with pytest.raises(InvalidRequest) as caught:
        Resolution.parse(value, field="output_size")
    assert caught.value.field == "output_size"


@pytest.mark.parametrize(("width", "height"), [(1280.0, 720), (1280, "720"), (True, 720)])
def test_resolution_needs_whole_numbers(width, height):
    with pytest.raises(InvalidRequest) as caught:
        Resolution(width, height)
    assert caught.value.field == "resolution"


sizes = st.integers(min_value=16, max_value=4096)


@given(width=sizes, height=sizes)
def test_resolution_round_trips_through_text(width, height):
    assert str(Resolution.parse(f"{width}x{height}")) == f"{width}x{height}"


@given(
    width=st.integers(0, 99999),
    height=st.integers(0, 99999),
)
def test_resolution_outside_16_to_4096_is_rejected(width, height):
    if 16 <= width <= 4096 and 16 <= height <= 4096:
        return
    with pytest.raises(InvalidRequest):
        Resolution.parse(f"{width}x{height}")


@given(text=st.one_of(st.text(), st.from_regex(r"\d{1,6}[xX]\d{1,6}", fullmatch=True)))
def test_resolution_parse_of_any_text_gives_a_resolution_or_invalid_request(text):
    try:
        parsed = Resolution.parse(text)
    except InvalidRequest as exc:
        assert exc.field == "resolution"
    else:
        assert 16 <= parsed.width <= 4096 and 16 <= parsed.height <= 4096


# --- events -----------------------------------------------------------------


@pytest.mark.parametrize("type_", list(EventType))
def test_every_core_event_type_is_accepted(type_):
    assert event(type=type_).type == type_


@pytest.mark.parametrize("type_", [t.value for t in EventType])
def test_core_event_type_may_be_given_as_text(type_):
    assert event(type=type_).type == type_


def test_provider_namespaced_event_type_is_accepted():
    assert event(provider="vonage", type="vonage.captions.started").type == "vonage.captions.started"


@pytest.mark.parametrize(
    "type_",
    ["twilio.track-added", "vonage.", "vonage", "room.start", "", "Room.Started", "captions.started"],
)
def test_other_event_types_are_rejected(type_):
    with pytest.raises(InvalidRequest) as caught:
        event(provider="vonage", type=type_)
    assert caught.value.field == "type"


@given(type_=st.one_of(st.text(), st.text().map(lambda s: "local." + s), st.sampled_from(list(EventType))))
def test_event_type_is_core_or_namespaced_or_rejected(type_):
    allowed = type_ in set(EventType) or (type_.startswith("local.") and len(type_) > len("local."))
    try:
        event(type=type_)
    except InvalidRequest as exc:
        assert not allowed
        assert exc.field == "type"
    else:
        assert allowed


# --- enums with behaviour ---------------------------------------------------

ROLE_CAN = {
    Role.PUBLISHER: (True, True),
    Role.SUBSCRIBER: (False, True),
    Role.MODERATOR: (True, True),
    Role.PUBLISHER_ONLY: (True, False),
}


def test_role_table_covers_every_role():
    assert set(ROLE_CAN) == set(Role)


@pytest.mark.parametrize(("role", "can"), ROLE_CAN.items())
def test_role_can_publish_and_subscribe(role, can):
    assert (role.can_publish, role.can_subscribe) == can


STREAM_KIND_HAS = {
    StreamKind.AUDIO: (True, False),
    StreamKind.VIDEO: (False, True),
    StreamKind.AUDIO_VIDEO: (True, True),
    StreamKind.DATA: (False, False),
}


def test_stream_kind_table_covers_every_kind():
    assert set(STREAM_KIND_HAS) == set(StreamKind)


@pytest.mark.parametrize(("kind", "has"), STREAM_KIND_HAS.items())
def test_stream_kind_has_audio_and_video(kind, has):
    assert (kind.has_audio, kind.has_video) == has


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    """Presets with or without a screen-share switch, and custom layouts of up to three regions."""
    presets = [kind for kind in LayoutKind if kind is not LayoutKind.CUSTOM]
    if draw(st.booleans()):
        return Layout(draw(st.sampled_from(presets)), screenshare=draw(st.none() | st.sampled_from(presets)))
    count = draw(st.integers(1, 3))
    regions = []
    for n in range(count):
        x, y = draw(st.floats(0, 0.5)), draw(st.floats(0, 0.5))
        width, height = draw(st.floats(0.01, 0.5)), draw(st.floats(0.01, 0.5))
        selectors = st.sampled_from(["*", "source:camera", "source:screen", "identity:ann", "role:moderator,name:x"])
        sources = draw(st.lists(selectors, min_size=1, max_size=2))
        regions.append(Region(f"r{n}", x, y, width, height, z=draw(st.integers(-99, 99)), sources=sources))
    return Layout.custom(regions)


@given(layouts())
def test_a_layout_survives_json(layout: Layout) -> None:
    assert Layout.from_json(json.loads(json.dumps(layout.to_json()))) == layout


@pytest.mark.parametrize("data", [{}, {"kind": "grid", "regions": [{"name": "a"}]}, {"kind": "nope"}])
def test_json_that_is_not_a_layout_is_invalid(data) -> None:
    with pytest.raises(InvalidRequest):
        Layout.from_json(data)


@pytest.mark.parametrize("regions", [None, 5, b"ab", {"a": 1}])
def test_a_custom_layout_of_something_that_is_not_a_list_is_refused(regions) -> None:
    with pytest.raises(InvalidRequest, match="^layout.regions: expected a list"):
        Layout.custom(regions)


@pytest.mark.parametrize("sources", [None, 5, b"cam"])
def test_region_sources_that_are_not_a_list_are_refused(sources) -> None:
    with pytest.raises(InvalidRequest, match="^layout.regions.sources: expected a list"):
        Region("main", 0, 0, 1, 1, sources=sources)


def test_a_custom_layout_takes_its_regions_from_any_iterable() -> None:
    regions = (Region(name, 0, 0, 0.5, 0.5) for name in ("a", "b"))
    assert [r.name for r in Layout.custom(regions).regions] == ["a", "b"]
