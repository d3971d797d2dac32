"""Custom layouts on Twilio, end to end: anyvideo resolves each region's selectors
into the SIDs of the recorded tracks placed there, Twilio's emulator draws the
composition from those regions on its own, and the file it renders records
which track filled which region — which must be what the layout asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.specs import TWILIO_SAMPLES
from twilio.rest.video.v1.room.room_recording import RoomRecordingInstance

from anyvideo import Layout, Region, StreamKind, VideoSource
from anyvideo.errors import InvalidRequest, ProviderError
from anyvideo.testing import placements, regions_shown

VIDEO = StreamKind.VIDEO
PROCESSING = 3  # seconds: the emulator processes in 2


@pytest.fixture
def webinar(video, room, join):
    """A webinar: the host shows a camera and a screen, a guest a camera, two viewers only watch."""
    host, guest = join(room, "host"), join(room, "guest")
    join(room, "viewer-1")
    join(room, "viewer-2")
    return {
        "camera": host.publish(name="camera"),  # a camera: audio and video tracks
        "screen": host.publish(VIDEO, name="screen", video_source=VideoSource.SCREEN),
        "guest": guest.publish(name="camera"),
    }


def composed(video, control, composition_sid: str, tmp_path: Path) -> Path:
    """The composition's file, once the room's recordings and then the composition are processed."""
    control.advance(PROCESSING)
    control.advance(PROCESSING)
    assert video.compositions.get(composition_sid).status == "available"
    return video.compositions.download(composition_sid, tmp_path)


def recorded_window(video, room, control):
    """An individual recording window of the room, stopped, and the room ended."""
    recording = video.recordings.start(room, mode="individual")
    control.advance(10)
    video.recordings.stop(recording)
    video.rooms.end(room)
    return recording


def test_a_composed_recording_shows_each_track_where_its_selector_says(video, room, webinar, control, tmp_path):
    layout = Layout.custom(
        [
            Region("screen", 0.7, 0, 0.3, 0.5, z=1, sources=["identity:host,name:screen"]),
            Region("main", 0, 0, 0.7, 1, sources=["identity:host"]),
            Region("guests", 0.7, 0.5, 0.3, 0.5),
        ]
    )
    recording = video.recordings.start(room, layout=layout, resolution="1280x720")
    streams = {s.id for s in video.streams.list(room) if s.kind is VIDEO}
    control.advance(10)
    video.recordings.stop(recording)
    video.rooms.end(room)
    composition = video.recordings.get(recording).raw["composition"]["sid"]

    placed = placements(composed(video, control, composition, tmp_path))
    assert set(placed) == streams  # the record names the tracks as anyvideo reports the streams
    assert regions_shown(layout, placed) == {
        "screen": {webinar["screen"]},
        "main": {webinar["camera"]},
        "guests": {webinar["guest"]},
    }


def test_a_composition_shows_each_track_where_its_selector_says(video, room, webinar, control, tmp_path):
    recorded_window(video, room, control)
    control.advance(PROCESSING)
    layout = Layout.custom(
        [Region("big", 0, 0, 1, 0.75, sources=[f"stream:{webinar['screen']}"]), Region("strip", 0, 0.75, 1, 0.25)]
    )
    composition = video.compositions.start(room, layout=layout)
    video_sources = {name: region["video_sources"] for name, region in composition.raw["video_layout"].items()}
    assert all(sid.startswith("RT") for sids in video_sources.values() for sid in sids)

    shown = regions_shown(layout, placements(composed(video, control, composition.id, tmp_path)))
    assert shown == {"big": {webinar["screen"]}, "strip": {webinar["camera"], webinar["guest"]}}


def test_a_composition_by_track_name(video, room, webinar, control, tmp_path):
    recorded_window(video, room, control)
    layout = Layout.custom([Region("cameras", 0, 0, 0.5, 1, sources=["name:camera"]), Region("rest", 0.5, 0, 0.5, 1)])
    composition = video.compositions.start(room, layout=layout)
    shown = regions_shown(layout, placements(composed(video, control, composition.id, tmp_path)))
    assert shown == {"cameras": {webinar["camera"], webinar["guest"]}, "rest": {webinar["screen"]}}


def test_a_composition_by_video_source(video, room, webinar, control, tmp_path):
    assert video.streams.get(room, webinar["screen"]).video_source is VideoSource.SCREEN
    recorded_window(video, room, control)
    layout = Layout.custom(
        [
            Region("screen", 0, 0, 0.75, 1, sources=["source:screen"]),
            Region("cameras", 0.75, 0, 0.25, 1, sources=["source:camera"]),
        ]
    )
    composition = video.compositions.start(room, layout=layout)
    shown = regions_shown(layout, placements(composed(video, control, composition.id, tmp_path)))
    assert shown == {"screen": {webinar["screen"]}, "cameras": {webinar["camera"], webinar["guest"]}}


def test_a_track_is_shown_in_its_own_region_only_not_in_the_catch_all_above_it(video, room, webinar, control, tmp_path):
    layout = Layout.custom(
        [
            Region("others", 0.5, 0, 0.5, 1, z=1),  # "*", listed first and drawn on top
            Region("host", 0, 0, 0.5, 1, sources=["identity:host"]),
        ]
    )
    recorded_window(video, room, control)
    composition = video.compositions.start(room, layout=layout)
    shown = regions_shown(layout, placements(composed(video, control, composition.id, tmp_path)))
    assert shown == {"others": {webinar["guest"]}, "host": {webinar["camera"], webinar["screen"]}}


def test_a_composition_of_chosen_streams_shows_only_those(video, room, webinar, control, tmp_path):
    recorded_window(video, room, control)
    layout = Layout.custom([Region("host", 0, 0, 0.5, 1, sources=["identity:host"]), Region("rest", 0.5, 0, 0.5, 1)])
    composition = video.compositions.start(room, layout=layout, streams=[webinar["screen"], "camera*"])
    shown = regions_shown(layout, placements(composed(video, control, composition.id, tmp_path)))
    assert shown == {"host": {webinar["camera"], webinar["screen"]}, "rest": {webinar["guest"]}}


def test_a_window_composition_shows_only_the_tracks_it_recorded(video, room, join, control, tmp_path):
    guest, host = join(room, "guest"), join(room, "host")
    earlier = guest.publish(name="camera")
    video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(1)  # Twilio dates in whole seconds: a track of the second a window stopped in is its own
    guest.unpublish(earlier)
    camera = host.publish(name="camera")
    layout = Layout.custom([Region("all", 0, 0, 1, 1)])  # "*": every track the window recorded, and no other
    recording = video.recordings.start(room, layout=layout)
    control.advance(10)
    video.recordings.stop(recording)
    video.rooms.end(room)
    composition = video.recordings.get(recording).raw["composition"]["sid"]
    assert regions_shown(layout, placements(composed(video, control, composition, tmp_path))) == {"all": {camera}}


def test_a_layout_that_places_no_track_composes_the_audio(video, room, webinar, control):
    recorded_window(video, room, control)
    layout = Layout.custom([Region("nobody", 0, 0, 1, 1, sources=["identity:nobody"])])
    composition = video.compositions.start(room, layout=layout)
    assert "video_layout" not in composition.raw or not composition.raw["video_layout"]
    assert composition.raw["audio_sources"] == ["*"]


def test_a_preset_is_drawn_as_twilio_draws_its_regions(video, room, webinar, control, tmp_path):
    recorded_window(video, room, control)
    composition = video.compositions.start(room, layout=Layout.pip(), resolution="1280x720")
    # pip: the oldest track fills the canvas, the newest sits in the corner, the one between shows nowhere
    assert placements(composed(video, control, composition.id, tmp_path)) == {
        webinar["camera"]: (0.0, 0.0, 1.0, 1.0),
        webinar["guest"]: (0.75, 0.75, 0.2, 0.2),
    }


ROLE_LAYOUT = Layout.custom([Region("hosts", 0, 0, 1, 1, sources=["role:moderator"])])


@pytest.mark.parametrize(
    "start",
    [
        lambda video, room: video.recordings.start(room, layout=ROLE_LAYOUT),
        lambda video, room: video.compositions.start(room, layout=ROLE_LAYOUT),
    ],
    ids=["recording", "composition"],
)
def test_a_role_selector_is_refused_before_any_request(video, room, backend, start):
    sent = backend.requests_sent
    with pytest.raises(InvalidRequest, match="twilio cannot place streams by role") as caught:
        start(video, room)
    assert caught.value.field == "layout.regions.sources"
    assert backend.requests_sent == sent


# --- composition hooks: made before any room, so by track name only (or Twilio's own JSON) ---


@pytest.mark.parametrize(
    "layout",
    [
        Layout.custom([Region("screen", 0, 0, 0.75, 1, sources=["name:screen"]), Region("rest", 0.75, 0, 0.25, 1)]),
        {
            "screen": {"x_pos": 0, "y_pos": 0, "width": 480, "height": 480, "video_sources": ["screen"]},
            "rest": {"x_pos": 480, "width": 160, "video_sources": ["*"], "video_sources_excluded": ["screen"]},
        },
    ],
    ids=["portable", "twilio json"],
)
def test_a_composition_hook_shows_each_track_where_its_layout_says(video, ext, room, join, control, tmp_path, layout):
    ext.create_composition_hook("webinars", layout=layout)
    host = join(room, "host")
    camera = host.publish(name="camera")
    screen = host.publish(VIDEO, name="screen")
    recorded_window(video, room, control)
    (composition,) = video.compositions.list(room=room)
    portable = Layout.custom([Region("screen", 0, 0, 0.75, 1), Region("rest", 0.75, 0, 0.25, 1)])
    shown = regions_shown(portable, placements(composed(video, control, composition.id, tmp_path)))
    assert shown == {"screen": {screen}, "rest": {camera}}


def test_a_composition_hook_cannot_select_by_identity(ext, backend):
    sent = backend.requests_sent
    with pytest.raises(InvalidRequest, match="before the room's tracks exist") as caught:
        ext.create_composition_hook(
            "hosts", layout=Layout.custom([Region("host", 0, 0, 1, 1, sources=["identity:host"])])
        )
    assert caught.value.field == "layout.regions.sources"
    assert backend.requests_sent == sent


# --- the tracks as the placement sees them, read from Twilio's track recordings ---------


def sample_recording(**changes):
    """A track recording as the SDK reads the spec's sample answer, with ``changes``."""
    payload = json.loads((TWILIO_SAMPLES / "recording__fetch_response.json").read_text())["body"]
    return RoomRecordingInstance(None, {**payload, "type": "video", **changes}, payload["grouping_sids"]["room_sid"])


def test_a_recorded_track_is_seen_as_the_stream_it_recorded(backend):
    grouping = {"room_sid": "RM" + "a" * 32, "participant_sid": "PA" + "b" * 32}
    (track,) = backend.windows.recorded_tracks("RM" + "a" * 32, [sample_recording(grouping_sids=grouping)], None)
    assert track.sid == "RT" + "a" * 32
    assert (track.track.stream_id, track.track.name, track.track.identity) == ("MT" + "a" * 32, "A name", None)


def test_a_recording_that_does_not_say_whose_track_it_is_has_no_identity(backend):
    # the spec's own sample names no participant
    (track,) = backend.windows.recorded_tracks("RM" + "a" * 32, [sample_recording()], None)
    assert track.track.identity is None


@pytest.mark.parametrize("grouping", [["RM"], {"participant_sid": 7}])
def test_a_malformed_recording_is_a_provider_error(backend, grouping):
    with pytest.raises(ProviderError, match="grouping_sids"):
        backend.windows.recorded_tracks("RM" + "a" * 32, [sample_recording(grouping_sids=grouping)], None)
