"""Portable layouts -> Twilio video_layout regions, every kind and every selector kind,
and Twilio's emulator accepts them."""

from __future__ import annotations

import pytest

from anyvideo import Layout, LayoutKind, Region, Resolution, SelectBy, StreamKind, VideoSource
from anyvideo.errors import InvalidRequest
from anyvideo.placement import Candidate
from anyvideo_twilio import layouts
from anyvideo_twilio.backend import TwilioBackend

HD = Resolution(1280, 720)
PRESETS = [kind for kind in LayoutKind if kind is not LayoutKind.CUSTOM]


@pytest.mark.parametrize("kind", PRESETS)
def test_every_preset_becomes_regions_inside_the_canvas(kind):
    regions = layouts.to_video_layout(Layout(kind), HD)
    assert regions
    for region in regions.values():
        assert 0 <= region["x_pos"] and region["x_pos"] + region["width"] <= HD.width
        assert 0 <= region["y_pos"] and region["y_pos"] + region["height"] <= HD.height
        assert region["video_sources"] == ["*"]


def test_every_layout_kind_is_rendered():
    assert TwilioBackend.layouts == frozenset(LayoutKind)


def test_pip_puts_the_newest_track_in_a_corner_above_the_oldest():
    regions = layouts.to_video_layout(Layout.pip(), HD)
    assert regions["main"]["reuse"] == "show_oldest" and regions["pip"]["reuse"] == "show_newest"
    assert regions["pip"]["z_pos"] > regions["main"]["z_pos"]
    assert (regions["pip"]["x_pos"], regions["pip"]["width"]) == (960, 256)


def test_presentations_put_the_focus_beside_or_above_the_others():
    vertical = layouts.to_video_layout(Layout.presentation(vertical=True), HD)
    horizontal = layouts.to_video_layout(Layout.presentation(vertical=False), HD)
    assert vertical["others"]["x_pos"] == vertical["focus"]["width"] == 1024
    assert horizontal["others"]["y_pos"] == horizontal["focus"]["height"] == 576


def test_a_window_shows_only_its_own_tracks():
    regions = layouts.window_layout(None, HD, [recorded("RTa", "MTa"), recorded("RTb", "MTb")])
    assert regions == {"grid": {**layouts.to_video_layout(Layout.grid(), HD)["grid"], "video_sources": ["RTa", "RTb"]}}


# --- custom layouts: selectors resolved to the recordings of the tracks placed ---------


def recorded(sid: str, track: str, **known) -> layouts.RecordedTrack:
    return layouts.RecordedTrack(sid, Candidate(stream_id=track, **known))


HOST_CAMERA = recorded("RTcam", "MTcam", identity="host", name="camera", source=VideoSource.CAMERA)
HOST_SCREEN = recorded("RTscr", "MTscr", identity="host", name="screen", source=VideoSource.SCREEN)
GUEST_CAMERA = recorded("RTgst", "MTgst", identity="guest", name="camera", source=VideoSource.CAMERA)
WEBINAR = [HOST_CAMERA, HOST_SCREEN, GUEST_CAMERA]
MAIN = {"x_pos": 0, "y_pos": 0, "z_pos": 1, "width": 960, "height": 720}
OTHERS = {"x_pos": 960, "y_pos": 0, "z_pos": 0, "width": 320, "height": 720}


@pytest.mark.parametrize(
    ("selector", "main", "others"),
    [
        ("identity:host", ["RTcam", "RTscr"], ["RTgst"]),
        ("stream:MTscr", ["RTscr"], ["RTcam", "RTgst"]),
        ("name:camera", ["RTcam", "RTgst"], ["RTscr"]),
        ("source:screen", ["RTscr"], ["RTcam", "RTgst"]),
        ("identity:host,source:camera", ["RTcam"], ["RTscr", "RTgst"]),
        ("*", ["RTcam", "RTscr", "RTgst"], []),
        ("identity:nobody", [], ["RTcam", "RTscr", "RTgst"]),
    ],
)
def test_each_selector_kind_names_the_recordings_of_the_tracks_it_places(selector, main, others):
    layout = Layout.custom([Region("main", 0, 0, 0.75, 1, z=1, sources=[selector]), Region("others", 0.75, 0, 0.25, 1)])
    expected = {"main": {**MAIN, "video_sources": main}, "others": {**OTHERS, "video_sources": others}}
    # a region no track is placed in is left out: Twilio wants every region to name its sources
    assert layouts.place_tracks(layout, HD, WEBINAR) == {name: r for name, r in expected.items() if r["video_sources"]}


def test_a_track_goes_to_the_first_region_that_selects_it_not_every_one():
    layout = Layout.custom(
        [
            Region("others", 0, 0, 1, 1),  # "*": listed first, yet takes only what no selector picks
            Region("host", 0, 0, 0.5, 0.5, sources=["identity:host"]),
            Region("screen", 0.5, 0, 0.5, 0.5, sources=["source:screen"]),  # the host's screen went to "host"
        ]
    )
    regions = layouts.place_tracks(layout, HD, WEBINAR)
    assert {name: r["video_sources"] for name, r in regions.items()} == {
        "others": ["RTgst"],
        "host": ["RTcam", "RTscr"],
    }


def test_without_a_catch_all_region_an_unselected_track_is_not_shown():
    layout = Layout.custom([Region("screen", 0, 0, 1, 1, sources=["source:screen"])])
    assert layouts.place_tracks(layout, HD, WEBINAR) == {
        "screen": {"x_pos": 0, "y_pos": 0, "z_pos": 0, "width": 1280, "height": 720, "video_sources": ["RTscr"]}
    }


def test_a_track_recorded_twice_is_shown_from_both_recordings():
    again = recorded("RTcam2", "MTcam", identity="host", name="camera", source=VideoSource.CAMERA)
    layout = Layout.custom([Region("host", 0, 0, 1, 1, sources=["identity:host,name:camera"])])
    regions = layouts.place_tracks(layout, HD, [HOST_CAMERA, HOST_SCREEN, again])
    assert regions["host"]["video_sources"] == ["RTcam", "RTcam2"]


def test_a_region_selects_by_any_of_its_selectors():
    layout = Layout.custom([Region("both", 0, 0, 1, 1, sources=["stream:MTgst", "source:screen"])])
    assert layouts.place_tracks(layout, HD, WEBINAR)["both"]["video_sources"] == ["RTscr", "RTgst"]


def test_an_unknown_field_selects_nothing():
    unknown = [recorded("RTx", "MTx", name="camera")]  # identity and source not known
    layout = Layout.custom([Region("host", 0, 0, 1, 1, sources=["identity:host"]), Region("rest", 0, 0, 1, 1)])
    assert {name: r["video_sources"] for name, r in layouts.place_tracks(layout, HD, unknown).items()} == {
        "rest": ["RTx"]
    }


def test_twilio_cannot_place_by_role():
    assert TwilioBackend.selectors == frozenset(SelectBy) - {SelectBy.ROLE}


# --- a composition hook: made before any track exists ---------------------------------


def test_a_hook_layout_selects_by_track_name_first_and_everything_else_after():
    layout = Layout.custom(
        [
            Region("rest", 0, 0, 1, 1),
            Region("screen", 0, 0, 0.5, 0.5, z=1, sources=["name:screen", "name:slides"]),
            Region("also", 0.5, 0, 0.5, 0.5, sources=["name:slides"]),  # taken by "screen" already: left out
        ]
    )
    assert layouts.to_video_layout(layout, HD) == {
        "rest": {
            "x_pos": 0,
            "y_pos": 0,
            "z_pos": 0,
            "width": 1280,
            "height": 720,
            "video_sources_excluded": ["screen", "slides"],
            "video_sources": ["*"],
        },
        "screen": {
            "x_pos": 0,
            "y_pos": 0,
            "z_pos": 1,
            "width": 640,
            "height": 360,
            "video_sources": ["screen", "slides"],
        },
    }


@pytest.mark.parametrize(
    "selector", ["identity:host", "stream:MTcam", "source:screen", "role:moderator", "name:cam*", "name:a,identity:b"]
)
def test_a_hook_layout_refuses_what_a_pattern_cannot_say(selector):
    layout = Layout.custom([Region("main", 0, 0, 1, 1, sources=[selector])])
    with pytest.raises(InvalidRequest, match="composition hook") as caught:
        layouts.to_video_layout(layout, HD)
    assert caught.value.field == "layout.regions.sources"


@pytest.mark.parametrize(
    ("patterns", "names", "expected"),
    [
        (["*"], ["anything"], True),
        (["cam"], ["cam"], True),
        (["cam"], ["camera"], False),
        (["cam*"], ["camera"], True),
        (["*era"], ["camera"], True),
        (["c*m*a"], ["camera"], True),
        (["c*x*a"], ["camera"], False),
        (["MTa", "RTb"], ["cam", "MTz", "RTb"], True),
        (["a.b"], ["axb"], False),  # only * is special
    ],
)
def test_source_patterns_match_as_twilio_reads_them(patterns, names, expected):
    assert layouts.matches(patterns, names) is expected


def test_a_screen_share_switch_cannot_be_expressed():
    with pytest.raises(InvalidRequest, match="twilio cannot switch") as caught:
        layouts.to_video_layout(Layout(LayoutKind.GRID, screenshare=LayoutKind.PIP), HD)
    assert caught.value.field == "layout.screenshare"


@pytest.mark.parametrize("kind", PRESETS)
def test_twilio_accepts_every_preset(video, join, control, kind):
    room = video.rooms.create(f"layout-{kind.value.replace('_', '-')}")
    ann = join(room, "ann")
    ann.publish(StreamKind.AUDIO)
    ann.publish(StreamKind.VIDEO)
    video.recordings.stop(video.recordings.start(room, mode="individual"))
    video.rooms.end(room)
    control.advance(3)
    composition = video.compositions.start(room, layout=Layout(kind), resolution="1280x720")
    control.advance(3)
    assert video.compositions.get(composition).status == "available"
