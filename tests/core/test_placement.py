"""Layout selectors and the placement rule every backend follows, table-driven."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyvideo import InvalidRequest, Layout, Region, Role, SelectBy, Selector, VideoSource
from anyvideo.placement import Candidate, check_selectors, matches, place

HOST_CAMERA = Candidate("s1", identity="host", name="cam", source=VideoSource.CAMERA, role=Role.MODERATOR)
HOST_SCREEN = Candidate("s2", identity="host", name="slides", source=VideoSource.SCREEN, role=Role.MODERATOR)
VIEWER = Candidate("s3", identity="viewer", name="cam", source=VideoSource.CAMERA, role=Role.PUBLISHER)
UNKNOWN = Candidate("s4")

#: selector text -> the candidates it picks
MATCHES = [
    ("*", {"s1", "s2", "s3", "s4"}),
    ("identity:host", {"s1", "s2"}),
    ("identity:host,source:camera", {"s1"}),
    ("source:screen", {"s2"}),
    ("source:camera", {"s1", "s3"}),
    ("name:cam", {"s1", "s3"}),
    ("stream:s3", {"s3"}),
    ("role:moderator", {"s1", "s2"}),
    ("role:publisher,name:cam", {"s3"}),
    ("identity:nobody", set()),
]


@pytest.mark.parametrize(("text", "picked"), MATCHES)
def test_a_selector_picks_the_streams_every_field_of_it_matches(text: str, picked: set[str]) -> None:
    selector = Selector.parse(text)
    assert {c.stream_id for c in (HOST_CAMERA, HOST_SCREEN, VIEWER, UNKNOWN) if matches(selector, c)} == picked


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("*", Selector()),
        (" * ", Selector()),
        ("identity:host", Selector(identity="host")),
        ("identity: ann smith ", Selector(identity="ann smith")),
        ("source:screen,identity:host", Selector(identity="host", source="screen")),
        ("stream:MT123:x", Selector(stream="MT123:x")),
        ("role:subscriber", Selector(role=Role.SUBSCRIBER)),
    ],
)
def test_selector_text_reads_into_a_selector(text: str, selector: Selector) -> None:
    assert Selector.parse(text) == selector


@pytest.mark.parametrize(
    "text", ["alice", "", "identity:", "identity:a,identity:b", "colour:red", "source:tv", "role:king", "*,name:x"]
)
def test_text_that_is_no_selector_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        Selector.parse(text)
    assert caught.value.field == "layout.regions.sources"


@given(
    st.builds(
        Selector,
        identity=st.none() | st.text(st.characters(blacklist_characters=","), min_size=1).map(str.strip).filter(bool),
        stream=st.none() | st.sampled_from(["MT1", "st_2", "a:b"]),
        name=st.none() | st.sampled_from(["cam", "slides"]),
        source=st.none() | st.sampled_from(list(VideoSource)),
        role=st.none() | st.sampled_from(list(Role)),
    )
)
def test_selectors_round_trip_through_text_and_json(selector: Selector) -> None:
    assert Selector.parse(str(selector)) == selector
    assert Selector.parse(selector.to_json()) == selector


def test_a_selector_repr_shows_only_what_it_picks_by() -> None:
    assert repr(Selector(identity="host", source="camera")) == "Selector(identity='host', source='camera')"


WEBINAR = Layout.custom(
    [
        Region("screen", 0.7, 0, 0.3, 0.5, sources=["source:screen"]),
        Region("main", 0, 0, 0.7, 1, sources=["identity:host"]),
        Region("rest", 0.7, 0.5, 0.3, 0.5),
    ]
)


@pytest.mark.parametrize(
    ("layout", "placed"),
    [
        # the first region with a specific selector wins; "*" takes the rest
        (WEBINAR, {"s1": "main", "s2": "screen", "s3": "rest", "s4": "rest"}),
        # without a "*" region, a stream nothing selects is not shown
        (Layout.custom([Region("only", 0, 0, 1, 1, sources=["identity:host"])]), {"s1": "only", "s2": "only"}),
        # a specific selector beats an earlier "*"
        (
            Layout.custom([Region("all", 0, 0, 0.5, 1), Region("viewer", 0.5, 0, 0.5, 1, sources=["identity:viewer"])]),
            {"s1": "all", "s2": "all", "s3": "viewer", "s4": "all"},
        ),
        # presets are arranged by the provider: nothing placed here
        (Layout.grid(), {}),
    ],
)
def test_each_stream_goes_to_the_first_region_that_selects_it(layout: Layout, placed: dict[str, str]) -> None:
    got = place(layout, [HOST_CAMERA, HOST_SCREEN, VIEWER, UNKNOWN])
    assert {sid: region.name for sid, region in got.items()} == placed


def test_a_selector_the_backend_cannot_honour_is_refused_naming_it() -> None:
    honoured = frozenset({SelectBy.IDENTITY, SelectBy.STREAM})
    check_selectors(Layout.custom([Region("a", 0, 0, 1, 1, sources=["identity:x", "*"])]), honoured, "acme")
    with pytest.raises(InvalidRequest) as caught:
        check_selectors(WEBINAR, honoured, "acme")
    assert caught.value.field == "layout.regions.sources"
    assert "acme cannot place streams by source" in str(caught.value)
