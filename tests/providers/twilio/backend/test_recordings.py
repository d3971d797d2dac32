"""Recordings on Twilio are windows of the room's recording rules: start sets
them to record, stop to record nothing; the recording's files are the track
recordings made in between, and a composed one also gets a composition of
the window once the room has ended."""

from __future__ import annotations

import hashlib

import pytest

from anyvideo import Layout, RecordingMode, RecordingStatus, StreamKind
from anyvideo.errors import Conflict, InvalidRequest, NotFound

AUDIO, VIDEO = StreamKind.AUDIO, StreamKind.VIDEO
PROCESSING = 3  # seconds: the emulator processes in 2


@pytest.fixture
def ann(room, join):
    return join(room, "ann")


def track_sources(recording) -> set[str]:
    return {r["source_sid"] for r in recording.raw["track_recordings"]}


def test_a_window_records_the_tracks_published_while_it_is_open(video, room, ann, join, control):
    mic, cam = ann.publish(AUDIO, name="mic"), ann.publish(VIDEO, name="cam")
    recording = video.recordings.start(room, mode="individual", name="standup")
    assert recording.id.startswith("win_") and recording.status is RecordingStatus.RECORDING
    assert recording.room_id == room.id and recording.name == "standup"
    late = join(room, "bob").publish(AUDIO)  # published during the window: recorded too
    control.advance(4)

    stopped = video.recordings.stop(recording)
    assert stopped.status is RecordingStatus.PROCESSING
    assert stopped.duration == pytest.approx(4, abs=1)
    assert track_sources(video.recordings.get(recording)) == {mic, cam, late}  # listed by the first read
    assert join(room, "carol").publish(AUDIO) not in track_sources(video.recordings.get(recording))

    control.advance(PROCESSING)
    done = video.recordings.get(recording.ref)
    assert done.status is RecordingStatus.AVAILABLE
    assert sorted(f.name.rsplit(".", 1)[1] for f in done.files) == ["mka", "mka", "mkv"]
    assert all(f.size for f in done.files)


def test_download_one_track_recording_by_file_name(video, room, ann, control, tmp_path):
    ann.publish(AUDIO)
    recording = video.recordings.start(room, mode="individual")
    control.advance(2)
    video.recordings.stop(recording)
    control.advance(PROCESSING)
    file = video.recordings.get(recording).files[0]
    saved = video.recordings.download(recording, tmp_path, file_name=file.name)
    assert saved.name == file.name and saved.stat().st_size == file.size
    assert b"".join(video.recordings.iter_bytes(recording)) == saved.read_bytes()
    with pytest.raises(InvalidRequest, match="no file"):
        video.recordings.download(recording, tmp_path, file_name="RT" + "0" * 32 + ".mka")
    assert hashlib.sha256(saved.read_bytes()).hexdigest()


def test_one_window_at_a_time_in_a_room(video, room, ann):
    ann.publish(AUDIO)
    recording = video.recordings.start(room)
    with pytest.raises(Conflict, match="already being recorded"):
        video.recordings.start(room)
    video.recordings.stop(recording)
    with pytest.raises(Conflict, match="already stopped"):
        video.recordings.stop(recording)
    video.recordings.stop(video.recordings.start(room))  # the room may be recorded again


def test_consecutive_windows_keep_their_own_tracks(video, room, ann, control):
    mic = ann.publish(AUDIO)
    first = video.recordings.start(room, mode="individual")
    first = video.recordings.stop(first)
    control.advance(1)  # Twilio dates in whole seconds: a track of the second one stopped in is the first's
    second = video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(PROCESSING)
    one, two = video.recordings.get(first), video.recordings.get(second)
    assert track_sources(one) == track_sources(two) == {mic}
    assert set(one.raw["window"]["tracks"]).isdisjoint(two.raw["window"]["tracks"])


def test_a_room_already_recording_by_its_own_rules_is_a_conflict(video, join):
    room = video.rooms.create("auto", provider_options={"record_participants_on_connect": True})
    join(room, "ann").publish(AUDIO)
    with pytest.raises(Conflict, match="recording rules"):
        video.recordings.start(room)


def test_audio_only_windows_record_only_audio(video, room, ann, control):
    mic = ann.publish(AUDIO)
    ann.publish(VIDEO)
    recording = video.recordings.stop(video.recordings.start(room, mode="individual", has_video=False))
    assert track_sources(video.recordings.get(recording)) == {mic}
    assert video.ext.get_recording_rules(room.id).rules[0].type == "exclude"


def test_chosen_tracks_through_recording_rules(video, room, ann, join):
    ann.publish(AUDIO, name="mic")
    bob_mic = join(room, "bob").publish(AUDIO, name="mic")
    rules = [{"type": "include", "publisher": "bob"}]
    recording = video.recordings.start(room, mode="individual", provider_options={"rules": rules})
    video.recordings.stop(recording)
    assert track_sources(video.recordings.get(recording)) == {bob_mic}


def test_composed_windows_are_composed_once_the_room_ends(video, room, ann, control, tmp_path):
    ann.publish(AUDIO, name="mic")
    ann.publish(VIDEO, name="cam")
    recording = video.recordings.start(room, layout=Layout.pip(), resolution="1280x720")
    assert recording.mode is RecordingMode.COMPOSED
    control.advance(3)
    recording = video.recordings.stop(recording)
    control.advance(PROCESSING)
    # Twilio composes only ended rooms: the tracks are ready, the mixed file is not, so the
    # composed recording is still processing and offers no file (not the track recordings).
    waiting = video.recordings.get(recording)
    assert (waiting.status, waiting.files) == (RecordingStatus.PROCESSING, ())
    assert waiting.raw["composition"] == {"sid": None, "status": "waiting-for-room-end"}
    assert {r["status"] for r in waiting.raw["track_recordings"]} == {"completed"}
    with pytest.raises(Conflict, match="no files"):
        video.recordings.download(recording, f"{tmp_path}/")

    video.rooms.end(room)
    composing = video.recordings.get(recording)
    sid = composing.raw["composition"]["sid"]
    assert sid.startswith("CJ") and composing.raw["composition"]["status"] in ("enqueued", "processing")
    assert (composing.status, composing.files) == (RecordingStatus.PROCESSING, ())
    composition = video.compositions.get(sid)
    assert str(composition.resolution) == "1280x720" and composition.layout == Layout.pip()
    assert set(composition.raw["audio_sources"]) == set(waiting.raw["window"]["tracks"]) - {
        r["sid"] for r in waiting.raw["track_recordings"] if r["type"] == "video"
    }
    assert set(composition.raw["video_layout"]) == {"main", "pip"}

    control.advance(PROCESSING)
    control.advance(PROCESSING)
    done = video.recordings.get(recording)
    assert done.raw["composition"]["status"] == "completed" and done.status is RecordingStatus.AVAILABLE
    (file,) = done.files  # the mixed file alone
    assert file.name == f"{sid}.mp4" and file.content_type == "video/mp4"
    saved = video.recordings.download(recording, f"{tmp_path}/")
    assert saved == tmp_path / file.name and saved.stat().st_size == file.size


def test_a_window_stopped_after_the_room_ended_elsewhere_composes_on_the_next_look(video, room, ann, control):
    ann.publish(AUDIO)
    recording = video.recordings.stop(video.recordings.start(room))
    video.native.video.v1.rooms(room.id).update(status="completed")  # ended outside anyvideo
    control.advance(PROCESSING)
    assert video.recordings.get(recording).raw["composition"]["sid"].startswith("CJ")


def test_a_window_that_captured_nothing_has_nothing_to_compose(video, room, control):
    recording = video.recordings.stop(video.recordings.start(room))
    control.advance(PROCESSING)
    empty = video.recordings.get(recording)
    assert (empty.status, empty.files) == (RecordingStatus.AVAILABLE, ())
    assert empty.raw["composition"]["status"] == "nothing-recorded"
    assert recording.id in [r.id for r in video.recordings.list(room=room)]


def test_list_recordings_gives_windows_and_other_track_recordings(video, join, control):
    auto = video.rooms.create("auto", provider_options={"record_participants_on_connect": True})
    other = join(auto, "zoe").publish(AUDIO)
    room = video.rooms.create("manual")
    join(room, "ann").publish(AUDIO)
    join(room, "bob").publish(VIDEO)
    window = video.recordings.stop(video.recordings.start(room, mode="individual"))
    listed = list(video.recordings.list())
    assert [r.id for r in listed].count(window.id) == 1
    standalone = [r for r in listed if r.id.startswith("RT")]
    assert [(r.mode, r.name, r.room_id) for r in standalone] == [(RecordingMode.INDIVIDUAL, other, auto.id)]
    assert [r.id for r in video.recordings.list(room=room)] == [window.id]
    control.advance(PROCESSING)
    assert [r.id for r in video.recordings.list(room=room, status="available")] == [window.id]
    assert list(video.recordings.list(room=room, status="processing")) == []
    assert video.recordings.get(standalone[0].id).mode is RecordingMode.INDIVIDUAL


def test_list_recordings_walks_several_pages(connect_twilio, room, ann, control):
    video = connect_twilio(page_size=2)
    made = []
    for _ in range(3):
        ann.publish(AUDIO)
        made.append(video.recordings.stop(video.recordings.start(room, mode="individual")).id)
        control.advance(1)
    sent = video.backend.requests_sent
    assert [r.id for r in video.recordings.list()] == made
    assert video.backend.requests_sent - sent >= 2


def test_a_window_is_listed_once_even_when_its_first_track_was_deleted_elsewhere(video, room, ann, join, control):
    ann.publish(AUDIO)
    join(room, "bob").publish(AUDIO)
    recording = video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(PROCESSING)
    first, second = video.recordings.get(recording).raw["window"]["tracks"]
    video.native.video.v1.recordings(first).delete()  # in Twilio's console, say
    (listed,) = video.recordings.list()
    assert listed.id == recording.id and [f.name.split(".")[0] for f in listed.files] == [second]


def test_an_open_window_found_while_listing_claims_its_new_tracks(video, room, ann, join):
    recording = video.recordings.start(room, mode="individual")
    ann.publish(AUDIO)
    assert [r.id for r in video.recordings.list()] == [recording.id]
    assert len(video.recordings.get(recording).raw["window"]["tracks"]) == 1


def test_delete_a_window_deletes_its_track_recordings(video, room, ann, control):
    ann.publish(AUDIO)
    recording = video.recordings.stop(video.recordings.start(room, mode="individual"))
    with pytest.raises(Conflict, match="processing"):
        video.recordings.delete(recording)
    control.advance(PROCESSING)
    tracks = video.recordings.get(recording).raw["window"]["tracks"]
    video.recordings.delete(recording)
    assert video.recordings.get(recording).status is RecordingStatus.DELETED
    assert [r.status for r in video.native.video.v1.recordings.list(status="deleted")] == ["deleted"] * len(tracks)
    assert list(video.recordings.list()) == []


def test_delete_a_standalone_track_recording(video, join, control):
    auto = video.rooms.create("auto", provider_options={"record_participants_on_connect": True})
    join(auto, "zoe").publish(AUDIO)
    video.rooms.end(auto)
    control.advance(PROCESSING)
    (recording,) = video.recordings.list()
    assert recording.status is RecordingStatus.AVAILABLE and len(recording.files) == 1
    video.recordings.delete(recording)
    assert video.recordings.get(recording).status is RecordingStatus.DELETED


def test_unknown_recordings_are_not_found(video):
    with pytest.raises(NotFound):
        video.recordings.get("win_000000000000000000000000")
    with pytest.raises(NotFound):
        video.recordings.get("RT" + "0" * 32)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"resolution": "1920x1080"}, "resolution"),
        ({"max_duration": 600}, "max_duration"),
        ({"provider_options": {"format": "avi"}}, "format"),
        ({"provider_options": {"colour": "blue"}}, "provider_options"),
        ({"provider_options": {"rules": [{"type": "include", "kind": "data"}]}}, "rules.kind"),
        ({"layout": Layout("grid", screenshare="pip")}, "layout.screenshare"),
    ],
)
def test_bad_recordings_fail_before_any_request(video, room, emulator, options, field):
    from anyvideo.testing.faults import Fault

    emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest) as caught:
        video.recordings.start(room, **options)
    assert caught.value.field == field
    assert emulator.faults.injected == []


def test_a_peer_to_peer_room_cannot_be_recorded(video):
    room = video.rooms.create("p2p", provider_options={"type": "peer-to-peer"})
    with pytest.raises(Conflict, match="peer-to-peer"):
        video.recordings.start(room)


def test_an_ended_room_cannot_be_recorded(video, room):
    video.rooms.end(room)
    with pytest.raises(Conflict, match="ended"):
        video.recordings.start(room)
