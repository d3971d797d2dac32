"""How Twilio's emulator draws a composition's ``video_layout``: which track each
region shows, written into the composed file for a test to read back
(``anyvideo.testing.placements``). It reads Twilio's own regions and patterns,
never anyvideo's layouts: it is the oracle the backend's translation is checked by."""

from __future__ import annotations

import json

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from anyvideo.models import StreamKind
from anyvideo.testing import placements
from anyvideo_twilio.emulator import layouts

AUDIO, VIDEO = StreamKind.AUDIO, StreamKind.VIDEO
PROCESSING = 30  # seconds, as the twilio_server fixture sets it
CANVAS = (1280, 720)
#: Three tracks, oldest first, each with the names Twilio's patterns match it by.
TRACKS = [("MTann", ["ann-cam", "MTann", "PAann", "RTann"]), ("MTbob", ["bob-cam", "MTbob", "PAbob", "RTbob"])]
TRACKS += [("MTcid", ["cid-cam", "MTcid", "PAcid", "RTcid"])]
WHOLE = (0.0, 0.0, 1.0, 1.0)
LEFT, RIGHT = (0.0, 0.0, 0.5, 1.0), (0.5, 0.0, 0.5, 1.0)
CORNER = (0.75, 0.75, 0.25, 0.25)


def region(**given):
    return {name: dict(layouts.REGION_DEFAULTS) | value for name, value in given.items()}


HALF = {"width": 640}
RIGHT_HALF = {"x_pos": 640}


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        pytest.param(region(all={"video_sources": ["*"]}), dict.fromkeys(["MTann", "MTbob", "MTcid"], WHOLE), id="*"),
        pytest.param(
            region(ann={"video_sources": ["ann-*"], **HALF}, rest={"video_sources": ["*"], **RIGHT_HALF}),
            {"MTann": LEFT, "MTbob": RIGHT, "MTcid": RIGHT},  # ann is in both: the same z, the first listed
            id="name pattern",
        ),
        pytest.param(
            region(
                rest={"video_sources": ["*"], "video_sources_excluded": ["MTbob"], **RIGHT_HALF},
                bob={"video_sources": ["PAbob"], **HALF},
            ),
            {"MTann": RIGHT, "MTbob": LEFT, "MTcid": RIGHT},
            id="excluded, participant SID",
        ),
        pytest.param(
            region(
                all={"video_sources": ["*"]},
                corner={"video_sources": ["RTcid"], "x_pos": 960, "y_pos": 540, "z_pos": 2},
            ),
            {"MTann": WHOLE, "MTbob": WHOLE, "MTcid": CORNER},  # cid is in both: the topmost
            id="topmost",
        ),
        pytest.param(
            region(one={"video_sources": ["*"], "max_columns": 1, "max_rows": 1}),
            {"MTann": WHOLE},
            id="one cell: the oldest by default",
        ),
        pytest.param(
            region(one={"video_sources": ["*"], "max_columns": 1, "max_rows": 1, "reuse": "show_newest"}),
            {"MTcid": WHOLE},
            id="one cell: show_newest",
        ),
        pytest.param(
            region(two={"video_sources": ["*"], "max_columns": 2, "max_rows": 1, "reuse": "none"}),
            {"MTann": WHOLE, "MTbob": WHOLE},
            id="two cells: none keeps the first",
        ),
        pytest.param(
            region(two={"video_sources": ["*"], "max_columns": 3, "max_rows": 1, "cells_excluded": [0, 9]}),
            {"MTann": WHOLE, "MTbob": WHOLE},
            id="cells excluded",
        ),
        pytest.param(
            region(row={"video_sources": ["*"], "max_rows": 1}),
            dict.fromkeys(["MTann", "MTbob", "MTcid"], WHOLE),
            id="one limit: the grid grows",
        ),
        pytest.param(
            region(past={"video_sources": ["bob-cam"], "x_pos": 960, "y_pos": 540, "width": 1280, "height": 720}),
            {"MTbob": CORNER},
            id="clipped to the canvas",
        ),
        pytest.param(region(nobody={"video_sources": ["nobody"]}), {}, id="no match"),
    ],
)
def test_regions_show_the_tracks_twilio_would(layout, expected):
    assert layouts.placements(layout, CANVAS, TRACKS) == expected


@pytest.fixture
def webinar(twilio_video, twilio_join, twilio_clock):
    """An ended room whose tracks were all recorded: the host's camera and screen, a guest's camera."""
    room = twilio_video.rooms.create(unique_name="webinar", record_participants_on_connect=True)
    host, guest = twilio_join("webinar", "host"), twilio_join("webinar", "guest")
    host.publish(AUDIO, name="host-mic")
    tracks = {
        "camera": host.publish(VIDEO, name="host-camera"),
        "screen": host.publish(VIDEO, name="host-screen"),
        "guest": guest.publish(VIDEO, name="guest-camera"),
    }
    twilio_clock.advance(20)
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    return room, tracks


def media(twilio_client, composition, twilio_clock) -> bytes:
    twilio_clock.advance(PROCESSING)
    done = composition.fetch()
    assert done.status == "completed"
    location = json.loads(twilio_client.request("GET", done.links["media"]).text)["redirect_to"]
    return requests.get(location, timeout=10).content


def test_a_composed_file_records_where_its_regions_showed_each_track(
    twilio_client, twilio_video, webinar, twilio_clock
):
    room, tracks = webinar
    video_layout = {
        "screen": {"video_sources": ["*-screen"], "x_pos": 640, "y_pos": 0, "width": 640, "height": 360, "z_pos": 1},
        "rest": {"video_sources": ["*"], "video_sources_excluded": ["*-screen"], "width": 640},
    }
    composition = twilio_video.compositions.create(
        room_sid=room.sid, audio_sources=["*"], video_layout=video_layout, resolution="1280x720"
    )
    assert placements(media(twilio_client, composition, twilio_clock)) == {
        tracks["screen"]: (0.5, 0.0, 0.5, 0.5),
        tracks["camera"]: (0.0, 0.0, 0.5, 1.0),
        tracks["guest"]: (0.0, 0.0, 0.5, 1.0),
    }


def test_regions_pick_recordings_by_their_sid(twilio_client, twilio_video, webinar, twilio_clock):
    room, tracks = webinar
    recording = {r.source_sid: r.sid for r in twilio_video.rooms(room.sid).recordings.list()}
    video_layout = {"guest": {"video_sources": [recording[tracks["guest"]]]}}
    composition = twilio_video.compositions.create(room_sid=room.sid, video_layout=video_layout)
    assert placements(media(twilio_client, composition, twilio_clock)) == {tracks["guest"]: WHOLE}


def test_an_audio_composition_records_no_placements(twilio_client, twilio_video, webinar, twilio_clock):
    room, _ = webinar
    composition = twilio_video.compositions.create(room_sid=room.sid, audio_sources=["*"])
    assert placements(media(twilio_client, composition, twilio_clock)) == {}


def test_a_hook_composition_is_drawn_from_the_hook_layout(twilio_client, twilio_video, twilio_join, twilio_clock):
    twilio_video.composition_hooks.create(
        friendly_name="screens", video_layout={"screen": {"video_sources": ["*-screen"]}}, format="mp4"
    )
    room = twilio_video.rooms.create(unique_name="webinar", record_participants_on_connect=True)
    host = twilio_join("webinar", "host")
    host.publish(VIDEO, name="host-camera")
    screen = host.publish(VIDEO, name="host-screen")
    twilio_clock.advance(20)
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    (composition,) = twilio_video.compositions.list(room_sid=room.sid)
    assert placements(media(twilio_client, composition, twilio_clock)) == {screen: WHOLE}


def test_cells_excluded_must_be_whole_numbers(twilio_video, webinar):
    room, _ = webinar
    with pytest.raises(TwilioRestException) as caught:
        twilio_video.compositions.create(
            room_sid=room.sid, video_layout={"grid": {"video_sources": ["*"], "cells_excluded": ["first"]}}
        )
    assert caught.value.status == 400
