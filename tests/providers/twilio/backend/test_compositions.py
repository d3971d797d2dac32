"""Compositions: files rendered by Twilio after the room, from its track
recordings, with a layout, resolution, format, trim and audio sources."""

from __future__ import annotations

import pytest

from anyvideo import CompositionStatus, Feature, Layout, Region, StreamKind
from anyvideo.errors import Conflict, InvalidRequest, NotFound, UnsupportedFeature
from anyvideo.models import RtmpTarget

AUDIO, VIDEO = StreamKind.AUDIO, StreamKind.VIDEO
PROCESSING = 3


@pytest.fixture
def recorded_room(video, control, join):
    """An ended room whose two participants' tracks were recorded by an individual window."""
    room = video.rooms.create("recorded")
    ann, bob = join(room, "ann"), join(room, "bob")
    tracks = {
        "ann-mic": ann.publish(AUDIO, name="ann-mic"),
        "ann-cam": ann.publish(VIDEO, name="ann-cam"),
        "bob-mic": bob.publish(AUDIO, name="bob-mic"),
        "bob-cam": bob.publish(VIDEO, name="bob-cam"),
    }
    recording = video.recordings.start(room, mode="individual")
    control.advance(5)
    video.recordings.stop(recording)
    video.rooms.end(room)
    control.advance(PROCESSING)
    return room, recording, tracks


def test_a_composition_of_an_ended_room_renders_and_downloads(video, recorded_room, control, tmp_path):
    room, _, _ = recorded_room
    composition = video.compositions.start(room, layout=Layout.grid(), resolution="1280x720", format="webm")
    assert composition.id.startswith("CJ") and composition.status in (
        CompositionStatus.QUEUED,
        CompositionStatus.PROCESSING,
    )
    control.advance(PROCESSING)
    done = video.compositions.get(composition.ref)
    assert (done.status, done.format, str(done.resolution)) == (CompositionStatus.AVAILABLE, "webm", "1280x720")
    assert done.layout == Layout.grid() and done.duration
    (file,) = done.files
    assert (file.name, file.content_type) == (f"{done.id}.webm", "video/webm")
    saved = video.compositions.download(done, tmp_path)
    assert saved.stat().st_size == file.size
    assert [c.id for c in video.compositions.list(room=room)] == [done.id]
    assert [c.id for c in video.compositions.list(status="available")] == [done.id]
    assert list(video.compositions.list(status="live")) == []


def test_the_default_is_an_mp4_of_every_track_in_a_grid(video, recorded_room):
    room, _, _ = recorded_room
    composition = video.compositions.start(room)
    assert composition.format == "mp4" and str(composition.resolution) == "640x480"
    assert composition.raw["audio_sources"] == ["*"]
    assert composition.raw["video_layout"]["grid"]["video_sources"] == ["*"]


def test_chosen_streams_and_audio_options(video, recorded_room):
    room, _, tracks = recorded_room
    composition = video.compositions.start(
        room,
        streams=[tracks["ann-cam"], tracks["ann-mic"]],
        provider_options={"audio_sources_excluded": ["bob*"], "trim": False},
    )
    assert composition.raw["audio_sources"] == [tracks["ann-cam"], tracks["ann-mic"]]
    assert composition.raw["audio_sources_excluded"] == ["bob*"]
    assert composition.raw["trim"] is False


def test_a_window_stands_for_its_track_recordings(video, recorded_room):
    room, recording, _ = recorded_room
    tracks = video.recordings.get(recording).raw["window"]["tracks"]
    composition = video.compositions.start(room, recordings=[recording])
    assert composition.raw["audio_sources"] == tracks


def test_custom_regions_become_twilio_regions_of_the_recordings_they_select(video, recorded_room):
    room, recording, tracks = recorded_room
    layout = Layout.custom(
        [
            Region("left", 0, 0, 0.5, 1, sources=["identity:ann"]),
            Region("right", 0.5, 0, 0.5, 1, z=1, sources=["identity:bob"]),
        ]
    )
    composition = video.compositions.start(room, layout=layout, resolution="1280x720")
    regions = composition.raw["video_layout"]
    assert regions["left"]["width"] == 640 and regions["right"]["x_pos"] == 640 and regions["right"]["z_pos"] == 1
    recorded = {r["source_sid"]: r["sid"] for r in video.recordings.get(recording).raw["track_recordings"]}
    assert regions["left"]["video_sources"] == [recorded[tracks["ann-cam"]]]
    assert regions["right"]["video_sources"] == [recorded[tracks["bob-cam"]]]
    assert composition.layout == layout  # kept in the registry: Twilio keeps only the regions


def test_raw_twilio_regions_pass_through(video, recorded_room):
    room, _, _ = recorded_room
    regions = {"solo": {"video_sources": ["ann-cam"], "max_rows": 1}}
    composition = video.compositions.start(room, provider_options={"video_layout": regions})
    assert composition.raw["video_layout"]["solo"]["video_sources"] == ["ann-cam"]


def test_a_room_in_progress_is_not_composed(video, room):
    with pytest.raises(Conflict, match="after it ends"):
        video.compositions.start(room)


def test_live_compositions_are_absent_and_say_where_to_go(video, room):
    assert not video.supports(Feature.LIVE_STREAMING)
    with pytest.raises(UnsupportedFeature, match="Vonage broadcasts"):
        video.compositions.start(room, output="live", hls=True)
    with pytest.raises(UnsupportedFeature):
        video.compositions.start(room, output="live", rtmp=[RtmpTarget("rtmp://example.com/live")])
    with pytest.raises(UnsupportedFeature):
        video.compositions.stop("CJ" + "0" * 32)


UNKNOWN_WINDOW = "win_" + "0" * 24


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"resolution": "1920x1080"}, "resolution"),
        ({"resolution": "1280x1280"}, "resolution"),
        ({"resolution": "8x8"}, "resolution"),
        ({"format": "mkv"}, "format"),
        ({"layout": Layout("grid", screenshare="focus")}, "layout.screenshare"),
        ({"provider_options": {"audio_sources": "ann"}}, "audio_sources"),
        ({"provider_options": {"colour": "blue"}}, "provider_options"),
        ({"provider_options": {"video_layout": {}}, "layout": Layout.grid()}, "provider_options.video_layout"),
        # the output and options are checked before the chosen recordings are looked up
        ({"resolution": "1920x1080", "recordings": [UNKNOWN_WINDOW]}, "resolution"),
        ({"provider_options": {"colour": "blue"}, "recordings": [UNKNOWN_WINDOW]}, "provider_options"),
    ],
)
def test_bad_compositions_fail_before_any_request(video, room, emulator, options, field):
    from anyvideo.testing.faults import Fault

    emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest) as caught:
        video.compositions.start(room, **options)
    assert caught.value.field == field
    assert emulator.faults.injected == []


def test_delete_a_composition(video, recorded_room, control):
    room, _, _ = recorded_room
    composition = video.compositions.start(room)
    control.advance(PROCESSING)
    video.compositions.delete(composition)
    assert video.compositions.get(composition).status is CompositionStatus.DELETED
    with pytest.raises(NotFound):
        video.compositions.get("CJ" + "0" * 32)


def test_list_compositions_walks_several_pages(video, recorded_room, connect_twilio):
    room, _, _ = recorded_room
    made = [video.compositions.start(room).id for _ in range(3)]
    paged = connect_twilio(page_size=2)
    sent = paged.backend.requests_sent
    assert [c.id for c in paged.compositions.list(room=room)] == made
    assert paged.backend.requests_sent - sent == 2
