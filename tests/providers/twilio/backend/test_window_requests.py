"""What reading a recording window costs in requests to Twilio: the same however
much its room recorded since (a window's tracks are filed when it closes), and no
request at all from a status callback. Counted by the backend's transport, which
counts every request it sends."""

from __future__ import annotations

import pytest

from anyvideo import Conflict, RecordingStatus, StreamKind

HOOK = "https://app.example.com/twilio"
PROCESSING = 3  # seconds: the emulator processes in 2


def sent_by(video, work) -> int:
    before = video.backend.requests_sent
    work()
    return video.backend.requests_sent - before


@pytest.mark.parametrize("later", [1, 50])
def test_reading_the_first_window_costs_the_same_however_many_followed(connect_twilio, join, control, later):
    video = connect_twilio(page_size=100)  # one page holds every track of the listing (52 at most)
    room = video.rooms.create("busy")
    ann = join(room, "ann")
    tracks = [ann.publish(StreamKind.AUDIO), ann.publish(StreamKind.VIDEO)]
    first = video.recordings.stop(video.recordings.start(room, mode="individual")).id
    for _ in range(later):  # the room keeps recording: a track of its own for each window
        control.advance(1)  # Twilio dates in whole seconds: each window a second of its own
        for track in tracks:
            ann.unpublish(track)
        tracks = [ann.publish(StreamKind.AUDIO)]
        video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(PROCESSING)
    # one listing, of the first window's own time span: its tracks, listed once after it closed
    assert sent_by(video, lambda: video.recordings.get(first)) == 1
    settled = []
    assert sent_by(video, lambda: settled.append(video.recordings.get(first))) == 0  # filed: no request
    assert settled[0].status is RecordingStatus.AVAILABLE and len(settled[0].files) == 2
    listed = []
    assert sent_by(video, lambda: listed.extend(video.recordings.list(room=room))) == 1  # one page, nothing more
    assert len(listed) == later + 1 and listed[0].id == first and listed[0].files == settled[0].files


def test_start_and_stop_write_the_registry_four_times_and_the_next_start_knows_the_rules(
    video, join, control, monkeypatch
):
    """A start files its claim and its window; a stop the window closed and the room's rules
    (record nothing): what a later start reads, so it sends no request to read them."""
    room = video.rooms.create("written")
    join(room, "ann").publish(StreamKind.AUDIO)
    registry, writes = video.backend.registry, []
    for name in ("put", "add", "update", "set_fields", "delete"):
        write = getattr(registry, name)
        monkeypatch.setattr(
            registry, name, lambda *a, write=write, name=name, **k: (writes.append(name), write(*a, **k))[1]
        )
    video.recordings.stop(video.recordings.start(room, mode="individual"))
    assert len(writes) == 4
    monkeypatch.undo()
    control.advance(1)
    assert sent_by(video, lambda: video.recordings.start(room, mode="individual")) == 1  # the rules set, not read


def test_start_and_stop_send_one_request_each_on_a_room_anyvideo_made(video, join, control):
    room = video.rooms.create("counted")
    join(room, "ann").publish(StreamKind.AUDIO)
    started = []
    # anyvideo made the room, so it knows its rules: they are set, not read first
    assert sent_by(video, lambda: started.append(video.recordings.start(room, mode="individual"))) == 1
    stopped = []
    assert sent_by(video, lambda: stopped.append(video.recordings.stop(started[0]))) == 1  # the rules, only
    assert stopped[0].status is RecordingStatus.PROCESSING  # its tracks are not known yet
    control.advance(PROCESSING)  # a track still processing would be listed again by the next read
    got = []
    assert sent_by(video, lambda: got.append(video.recordings.get(started[0]))) == 1  # its tracks, listed once
    assert len(got[0].raw["window"]["tracks"]) == 1
    assert sent_by(video, lambda: video.recordings.get(started[0])) == 0  # filed: not listed again


def test_start_reads_the_rules_of_a_room_anyvideo_did_not_make(connect_twilio, video, join):
    room = video.rooms.create("foreign")  # made by another application (another registry)
    join(room, "ann").publish(StreamKind.AUDIO)
    other = connect_twilio()
    started = []
    assert sent_by(other, lambda: started.append(other.recordings.start(room, mode="individual"))) == 2
    assert sent_by(other, lambda: other.recordings.stop(started[0])) == 1
    # now that it set them, it knows them: the next window is one request again
    assert sent_by(other, lambda: other.recordings.stop(other.recordings.start(room, mode="individual"))) == 2


def test_rules_set_through_the_extension_are_known(connect_twilio, video, join):
    room = video.rooms.create("ruled")
    other = connect_twilio()
    assert sent_by(other, lambda: other.ext.set_recording_rules(room.id, [{"type": "exclude", "all": True}])) == 1
    assert sent_by(other, lambda: other.recordings.stop(other.recordings.start(room, mode="individual"))) == 2


def test_rules_that_record_set_through_the_extension_refuse_a_start(video):
    room = video.rooms.create("recorded")
    video.ext.set_recording_rules(room.id, [{"type": "include", "all": True}])
    with pytest.raises(Conflict, match="recording rules"):
        video.recordings.start(room)  # refused by what anyvideo set last, as a read would have


def test_a_status_callback_sends_no_request(video, join, control):
    room = video.rooms.create("watched", provider_options={"status_callback": HOOK})
    ann = join(room, "ann")
    ann.publish(StreamKind.AUDIO)
    ann.publish(StreamKind.VIDEO)
    recording = video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(PROCESSING)
    events = []
    for delivery in control.callbacks():
        args = (delivery["method"], delivery["url"], delivery["headers"], delivery["body"])
        assert sent_by(video, lambda args=args: events.extend(video.webhooks.parse(*args))) == 0
    [available] = [e for e in events if e.type == "recording.available"]
    assert available.subject.id == recording.id and len(available.subject.files) == 2
    assert all(f.size for f in available.subject.files)  # from the callbacks' Size
    # what the callbacks filed is what a get answers; its first read lists the window's
    # tracks once (the callbacks cannot tell that none was missed), the next ones nothing
    assert sent_by(video, lambda: video.recordings.get(recording)) == 1
    assert sent_by(video, lambda: video.recordings.get(recording)) == 0


def test_a_track_deleted_on_its_own_leaves_its_window(video, room, join, control):
    ann = join(room, "ann")
    ann.publish(StreamKind.AUDIO)
    ann.publish(StreamKind.VIDEO)
    recording = video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(PROCESSING)
    first, second = video.recordings.get(recording).raw["window"]["tracks"]
    video.recordings.delete(first)
    assert [f.name.partition(".")[0] for f in video.recordings.get(recording).files] == [second]


def test_a_window_closed_before_its_callbacks_still_gets_its_tracks(video, join, control):
    """The stop lists nothing: a track's callbacks that arrive once the next window is open
    are the first window's still (Twilio's Timestamp says when its track recording started)."""
    room = video.rooms.create("late", provider_options={"status_callback": HOOK})
    join(room, "ann").publish(StreamKind.AUDIO)
    first = video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(1)
    second = video.recordings.start(room, mode="individual")
    control.advance(PROCESSING)
    events = []
    for delivery in control.callbacks():
        args = (delivery["method"], delivery["url"], delivery["headers"], delivery["body"])
        assert sent_by(video, lambda args=args: events.extend(video.webhooks.parse(*args))) == 0
    started = [e.subject.id for e in events if e.type == "recording.started"]
    assert started == [first.id, second.id]
    [available] = [e for e in events if e.type == "recording.available"]
    assert available.subject.id == first.id and len(available.subject.files) == 1
    assert video.recordings.stop(second).id == second.id
    first_tracks = video.recordings.get(first).raw["window"]["tracks"]
    second_tracks = video.recordings.get(second).raw["window"]["tracks"]
    assert len(first_tracks) == len(second_tracks) == 1 and first_tracks != second_tracks
