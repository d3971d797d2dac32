"""Custom layouts on Vonage, as data: the stylesheet a layout becomes, and the layout classes
each stream gets for each kind of selector (table-driven, no provider)."""

from __future__ import annotations

import pytest

from anyvideo import InvalidRequest, Layout, Region, Role, VideoSource
from anyvideo.placement import Candidate
from anyvideo_vonage import layouts

CAMERA = Candidate("s-cam", identity="host", name="camera", source=VideoSource.CAMERA, role=Role.MODERATOR)
SCREEN = Candidate("s-screen", identity="host", name="slides", source=VideoSource.SCREEN, role=Role.MODERATOR)
VIEWER = Candidate("s-viewer", identity="ann", source=VideoSource.CAMERA, role=Role.PUBLISHER)
#: A stream whose publisher's callbacks never arrived: only the listing's id, name and video type are known.
UNKNOWN = Candidate("s-unknown", source=VideoSource.CAMERA)
STREAMS = (CAMERA, SCREEN, VIEWER, UNKNOWN)


def layout_picking(selector: str) -> Layout:
    """A region picking by ``selector``, and one showing every other stream."""
    return Layout.custom([Region("pick", 0, 0, 0.5, 1, sources=[selector]), Region("rest", 0.5, 0, 0.5, 1)])


#: (selector, the streams its region shows): every kind of selector, and two together.
PICKED = [
    ("identity:host", {CAMERA, SCREEN}),
    ("stream:s-viewer", {VIEWER}),
    ("name:slides", {SCREEN}),
    ("source:screen", {SCREEN}),
    ("source:camera", {CAMERA, VIEWER, UNKNOWN}),
    ("role:publisher", {VIEWER}),
    ("role:moderator", {CAMERA, SCREEN}),
    ("identity:host,source:camera", {CAMERA}),
    ("identity:nobody", set()),
]


@pytest.mark.parametrize(("selector", "picked"), PICKED, ids=[s for s, _ in PICKED])
def test_each_stream_gets_the_class_of_the_region_its_selector_puts_it_in(selector, picked) -> None:
    layout = layout_picking(selector)
    classes = layouts.region_classes(layout)
    got = layouts.class_lists([layout], [(stream, ()) for stream in STREAMS])
    assert got == {stream.stream_id: [classes["pick"] if stream in picked else classes["rest"]] for stream in STREAMS}


def test_a_stream_no_region_shows_gets_no_class() -> None:
    layout = Layout.custom([Region("screen", 0, 0, 1, 1, sources=["source:screen"])])
    got = layouts.class_lists([layout], [(stream, ()) for stream in STREAMS])
    assert got == {"s-cam": [], "s-screen": [layouts.region_classes(layout)["screen"]], "s-viewer": [], "s-unknown": []}


def test_the_applications_classes_stay_first_and_stale_ones_of_anyvideo_go() -> None:
    layout, old = layout_picking("source:screen"), layout_picking("source:camera")
    stale = layouts.region_classes(old)["pick"]
    got = layouts.class_lists([layout], [(SCREEN, ("full", stale, "vip"))])
    assert got == {"s-screen": ["full", "vip", layouts.region_classes(layout)["pick"]]}
    assert layouts.class_lists([], [(SCREEN, ("full", stale))]) == {"s-screen": ["full"]}


def test_layouts_running_together_each_give_their_class() -> None:
    first, second = layout_picking("source:screen"), layout_picking("identity:host")
    got = layouts.class_lists([first, second, first], [(SCREEN, ()), (VIEWER, ())])
    assert got == {
        "s-screen": [layouts.region_classes(first)["pick"], layouts.region_classes(second)["pick"]],
        "s-viewer": [layouts.region_classes(first)["rest"], layouts.region_classes(second)["rest"]],
    }


def test_the_classes_of_a_layout_are_its_own() -> None:
    first, second = layout_picking("source:screen"), layout_picking("identity:host")
    assert layouts.region_classes(first) == layouts.region_classes(layout_picking("source:screen"))
    assert not set(layouts.region_classes(first).values()) & set(layouts.region_classes(second).values())
    assert all(layouts.is_ours(c) and c.startswith("anyvideo-") for c in layouts.region_classes(first).values())


def test_the_stylesheet_is_the_default_rule_then_a_rule_per_region() -> None:
    layout = Layout.custom(
        [
            Region("screen", 0.7, 0, 0.3, 0.5, z=1, sources=["source:screen"]),
            Region("main", 0, 0, 0.7, 1, z=-5, sources=["identity:host"]),
            Region("others", 0.7, 0.5, 0.3, 0.5),
        ]
    )
    screen, main, others = layouts.region_classes(layout).values()
    assert layouts.to_vonage(layout) == {
        "type": "custom",
        "stylesheet": (
            "stream { position: absolute; left: 70%; top: 50%; width: 30%; height: 50%; z-index: 100; }"
            f" stream.{screen} {{ position: absolute; left: 70%; top: 0%; width: 30%; height: 50%; z-index: 101; }}"
            f" stream.{main} {{ position: absolute; left: 0%; top: 0%; width: 70%; height: 100%; z-index: 95; }}"
            f" stream.{others} {{ position: absolute; left: 70%; top: 50%; width: 30%; height: 50%; z-index: 100; }}"
        ),
    }


def test_without_a_catch_all_region_an_unplaced_stream_is_put_past_the_canvas() -> None:
    layout = Layout.custom([Region("screen", 0, 0, 1, 1, sources=["source:screen"])])
    assert layouts.stylesheet(layout).startswith(
        "stream { position: absolute; left: 100%; top: 100%; width: 1%; height: 1%; }"
    )


@pytest.mark.parametrize("z", [-99, 0, 99])
def test_z_becomes_a_positive_z_index_in_the_same_order(z) -> None:
    layout = Layout.custom([Region("only", 0, 0, 1, 1, z=z, sources=["source:screen"])])
    assert f"z-index: {z + 100};" in layouts.stylesheet(layout)


@pytest.mark.parametrize("given", [["anyvideo-1234abcd-0"], ["ok", "anyvideo-x"]])
def test_the_application_cannot_use_anyvideos_classes(given) -> None:
    with pytest.raises(InvalidRequest, match="anyvideo's"):
        layouts.check_own_classes(given, "classes")
