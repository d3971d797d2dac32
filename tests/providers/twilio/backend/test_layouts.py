"""Portable layouts -> Twilio video_layout regions, every kind, and Twilio's emulator accepts them."""

from __future__ import annotations

import pytest

from anyvideo import Layout, LayoutKind, Region, Resolution, StreamKind
from anyvideo.errors import InvalidRequest
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


def test_custom_regions_keep_their_sources_and_depth():
    layout = Layout.custom([Region("speaker", 0.25, 0.25, 0.5, 0.5, z=3, sources=["PA*", "cam"])])
    assert layouts.to_video_layout(layout, HD) == {
        "speaker": {
            "x_pos": 320,
            "y_pos": 180,
            "z_pos": 3,
            "width": 640,
            "height": 360,
            "video_sources": ["PA*", "cam"],
        }
    }


def test_a_window_shows_only_its_own_tracks():
    regions = layouts.window_layout(None, HD, ["RTa", "RTb"])
    assert regions == {"grid": {**layouts.to_video_layout(Layout.grid(), HD)["grid"], "video_sources": ["RTa", "RTb"]}}


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
