"""Twilio track recordings through the official SDK: recording rules decide
which tracks are recorded; each track recording processes, completes, can be
listed, fetched, downloaded (``/Media``) and deleted."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from anyvideo.models import StreamKind

AUDIO, VIDEO, DATA = StreamKind.AUDIO, StreamKind.VIDEO, StreamKind.DATA
PROCESSING = 30  # seconds, as the twilio_server fixture sets it


def refused(call, *args, **kwargs) -> tuple[int, int]:
    with pytest.raises(TwilioRestException) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


@pytest.fixture
def room(twilio_video):
    return twilio_video.rooms.create(unique_name="standup")


def recorded(twilio_video, room_sid: str, **filters) -> dict[str, str]:
    """Source track SID -> status of the room's recordings."""
    return {r.source_sid: r.status for r in twilio_video.rooms(room_sid).recordings.list(**filters)}


# --- recording rules ----------------------------------------------------------------


def test_a_room_records_nothing_until_its_rules_say_so(twilio_video, room, twilio_join):
    twilio_join("standup", "ann").publish(AUDIO)
    assert twilio_video.rooms(room.sid).recording_rules.fetch().rules == []
    assert twilio_video.recordings.list() == []


def test_record_participants_on_connect_records_every_audio_and_video_track(twilio_video, twilio_join):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    assert twilio_video.rooms(room.sid).recording_rules.fetch().rules == [{"type": "include", "all": True}]
    ann = twilio_join("standup", "ann")
    mic, cam = ann.publish(AUDIO), ann.publish(VIDEO)
    ann.publish(DATA)  # data tracks are never recorded
    assert recorded(twilio_video, room.sid) == {mic: "processing", cam: "processing"}


def test_rules_follow_the_algebra_of_sets(twilio_video, room, twilio_join):
    ann, bob = twilio_join("standup", "ann"), twilio_join("standup", "bob")
    ann_mic, ann_cam = ann.publish(AUDIO, name="mic"), ann.publish(VIDEO, name="cam")
    bob_mic, _ = bob.publish(AUDIO, name="mic"), bob.publish(VIDEO, name="cam")
    rules = [{"type": "include", "publisher": "ann"}, {"type": "include", "kind": "audio"}]
    updated = twilio_video.rooms(room.sid).recording_rules.update(rules=rules)
    assert updated.rules == rules
    assert set(recorded(twilio_video, room.sid)) == {ann_mic, ann_cam, bob_mic}


def test_excluding_every_track_stops_recording_and_including_again_starts_new_recordings(
    twilio_video, room, twilio_join, twilio_clock
):
    rules = twilio_video.rooms(room.sid).recording_rules
    mic = twilio_join("standup", "ann").publish(AUDIO)
    rules.update(rules=[{"type": "include", "all": True}])
    first = twilio_video.recordings.list()[0]
    twilio_clock.advance(20)
    rules.update(rules=[{"type": "exclude", "all": True}])
    twilio_clock.advance(PROCESSING)
    assert (first.fetch().status, first.fetch().duration) == ("completed", 20)
    rules.update(rules={"rules": [{"type": "include", "track": mic}]})  # some helpers wrap the list
    second = twilio_video.recordings.list(status="processing")[0]
    assert (second.source_sid, second.sid != first.sid) == (mic, True)


def test_unpublishing_a_track_ends_its_recording(twilio_video, twilio_join, twilio_clock):
    twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    ann = twilio_join("standup", "ann")
    cam = ann.publish(VIDEO)
    twilio_clock.advance(12)
    ann.unpublish(cam)
    twilio_clock.advance(PROCESSING)
    recording = twilio_video.recordings.list()[0]
    assert (recording.status, recording.duration, recording.type) == ("completed", 12, "video")


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"type": "include", "all": False}],
        [{"type": "include", "all": True, "kind": "audio"}],
        [{"kind": "audio"}],
        [{"type": "include", "kind": "data"}],
        '[{"type": "include", "kind": "audio", "kind": "video"}]',
        [{"type": "include", "all": True}] * 21,
    ],
)
def test_invalid_recording_rules_are_refused_with_53120(twilio_video, room, rules):
    assert refused(twilio_video.rooms(room.sid).recording_rules.update, rules=rules) == (400, 53120)


def test_peer_to_peer_and_completed_rooms_take_no_recording_rules(twilio_video):
    p2p = twilio_video.rooms.create(type="peer-to-peer")
    include = [{"type": "include", "all": True}]
    assert refused(twilio_video.rooms(p2p.sid).recording_rules.update, rules=include) == (400, 53114)
    done = twilio_video.rooms.create()
    done.update(status="completed")
    assert refused(twilio_video.rooms(done.sid).recording_rules.update, rules=include) == (400, 53118)


# --- the recording resource ----------------------------------------------------------


def test_a_track_recording_processes_then_completes(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True, video_codecs=["H264"])
    ann = twilio_join("standup", "ann")
    mic, cam = ann.publish(AUDIO, name="mic"), ann.publish(VIDEO)
    twilio_clock.advance(30)
    room.update(status="completed")
    audio, video_ = sorted(twilio_video.recordings.list(), key=lambda r: r.type)
    assert (audio.status, audio.size, audio.duration) == ("processing", 0, 0)
    twilio_clock.advance(PROCESSING)
    audio, video_ = audio.fetch(), video_.fetch()
    assert (audio.status, audio.type, audio.container_format, audio.codec) == ("completed", "audio", "mka", "OPUS")
    assert (video_.type, video_.container_format, video_.codec) == ("video", "mkv", "H264")
    assert (audio.source_sid, audio.track_name, video_.track_name) == (mic, "mic", cam)
    assert audio.grouping_sids == {"room_sid": room.sid, "participant_sid": ann.participant_id}
    assert audio.duration == 30 and audio.size > 0
    assert audio.sid.startswith("RT")


def test_list_recordings_with_every_filter(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    ann, bob = twilio_join("standup", "ann"), twilio_join("standup", "bob")
    ann_mic = ann.publish(AUDIO)
    twilio_clock.advance(60)
    bob_cam = bob.publish(VIDEO)
    started_bob = twilio_video.recordings.list(source_sid=bob_cam)[0].date_created
    room.update(status="completed")
    recordings = twilio_video.recordings
    assert [r.source_sid for r in recordings.list(media_type="video")] == [bob_cam]
    assert [r.source_sid for r in recordings.list(grouping_sid=[ann.participant_id])] == [ann_mic]
    assert [r.source_sid for r in recordings.list(grouping_sid=[room.sid, bob.participant_id])] == [bob_cam]
    assert [r.source_sid for r in recordings.list(date_created_after=started_bob)] == [bob_cam]
    assert [r.source_sid for r in recordings.list(date_created_before=started_bob)] == [ann_mic]
    assert recordings.list(status="completed") == []
    twilio_clock.advance(PROCESSING)
    assert len(recordings.list(status="completed")) == 2
    assert [r.source_sid for r in twilio_video.rooms(room.sid).recordings.list(source_sid=ann_mic)] == [ann_mic]


def test_a_room_lists_and_fetches_its_own_recordings_only(twilio_video, twilio_join):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    other = twilio_video.rooms.create(unique_name="other")
    twilio_join("standup", "ann").publish(AUDIO)
    sid = twilio_video.recordings.list()[0].sid
    assert twilio_video.rooms(room.sid).recordings(sid).fetch().room_sid == room.sid
    assert twilio_video.rooms(other.sid).recordings.list() == []
    assert refused(twilio_video.rooms(other.sid).recordings(sid).fetch) == (404, 20404)


def test_delete_a_completed_recording(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    twilio_join("standup", "ann").publish(AUDIO)
    recording = twilio_video.recordings.list()[0]
    assert refused(recording.delete)[0] == 400  # still being captured
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    assert recording.delete() is True
    assert recording.fetch().status == "deleted"
    assert twilio_video.recordings.list() == []  # deleted ones only on request
    assert [r.sid for r in twilio_video.recordings.list(status="deleted")] == [recording.sid]
    assert refused(recording.delete) == (404, 20404)


def test_delete_a_recording_through_its_room(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    twilio_join("standup", "ann").publish(AUDIO)
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    sid = twilio_video.recordings.list()[0].sid
    assert twilio_video.rooms(room.sid).recordings(sid).delete() is True
    assert twilio_video.rooms(room.sid).recordings(sid).fetch().status == "deleted"


# --- media ----------------------------------------------------------------------------


@pytest.fixture
def finished(twilio_video, twilio_join, twilio_clock):
    """A completed room with one completed audio and one completed video recording."""
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    ann = twilio_join("standup", "ann")
    ann.publish(AUDIO), ann.publish(VIDEO)
    twilio_clock.advance(8)
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    return room, sorted(twilio_video.recordings.list(), key=lambda r: r.type)


def test_media_redirects_to_a_signed_url_serving_the_bytes(twilio_client, twilio_server, finished):
    _, recordings = finished
    for recording, content_type in zip(recordings, ("audio/x-matroska", "video/x-matroska"), strict=True):
        answer = twilio_client.request("GET", recording.links["media"])
        location = json.loads(answer.text)["redirect_to"]
        assert (answer.status_code, answer.headers["Location"]) == (302, location)
        assert location.startswith(f"{twilio_server.base_url}/media/")
        media = requests.get(location, timeout=10)  # a signed URL needs no credentials
        assert (media.status_code, media.headers["Content-Type"]) == (200, content_type)
        assert len(media.content) == recording.size
        assert (
            media.headers["Content-Disposition"]
            == f'attachment; filename="{recording.sid}.{recording.container_format}"'
        )
        stored = twilio_server.world.get_recording(recording.sid).files[0]
        assert hashlib.sha256(media.content).hexdigest() == stored.sha256
        assert requests.get(location, timeout=10).content == media.content  # stable


def test_room_recording_media_redirects_too(twilio_client, twilio_video, finished):
    room, recordings = finished
    media_url = twilio_video.rooms(room.sid).recordings(recordings[0].sid).fetch().links["media"]
    location = json.loads(twilio_client.request("GET", media_url).text)["redirect_to"]
    assert requests.get(location, timeout=10).content.startswith(b"ANYVIDEO-SIM-MEDIA")


def test_a_signed_media_url_expires_after_its_ttl(twilio_client, twilio_clock, finished):
    recording = finished[1][0]
    answer = twilio_client.request("GET", recording.links["media"], params={"Ttl": 60})
    location = json.loads(answer.text)["redirect_to"]
    twilio_clock.advance(61)
    assert requests.get(location, timeout=10).status_code == 403
    assert requests.get(location.replace("Signature=", "Signature=0"), timeout=10).status_code == 403
    assert twilio_client.request("GET", recording.links["media"], params={"Ttl": 3601}).status_code == 400


def test_media_of_a_recording_not_yet_completed_or_deleted_is_a_404(twilio_client, twilio_video, twilio_join):
    twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    twilio_join("standup", "ann").publish(AUDIO)
    recording = twilio_video.recordings.list()[0]
    assert twilio_client.request("GET", recording.links["media"]).status_code == 404


def test_media_of_a_deleted_recording_is_a_404(twilio_client, finished):
    recording = finished[1][0]
    recording.delete()
    assert twilio_client.request("GET", recording.links["media"]).status_code == 404
