"""Twilio participants and tracks through the official SDK: list, fetch,
disconnect, anonymize; published and subscribed tracks; subscribe rules."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from anyvideo.errors import Conflict, Forbidden, InvalidRequest
from anyvideo.models import StreamKind

AUDIO, VIDEO, DATA = StreamKind.AUDIO, StreamKind.VIDEO, StreamKind.DATA


def refused(call, *args, **kwargs) -> tuple[int, int]:
    with pytest.raises(TwilioRestException) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


@pytest.fixture
def room(twilio_video):
    return twilio_video.rooms.create(unique_name="standup")


# --- participants ---------------------------------------------------------------


def test_list_participants_connected_by_default_with_filters(twilio_video, room, twilio_join, twilio_clock):
    ann = twilio_join("standup", "ann")
    twilio_clock.advance(60)
    bob = twilio_join("standup", "bob")
    ann.leave()
    participants = twilio_video.rooms(room.sid).participants
    assert [p.identity for p in participants.list()] == ["bob"]
    assert [p.sid for p in participants.list(status="disconnected")] == [ann.participant_id]
    assert [p.sid for p in participants.list(identity="bob")] == [bob.participant_id]
    joined_bob = participants(bob.participant_id).fetch().start_time
    assert participants.list(date_created_before=joined_bob) == []
    assert [p.identity for p in participants.list(status="disconnected", date_created_before=joined_bob)] == ["ann"]


def test_a_completed_rooms_participants_are_listed_disconnected(twilio_video, room, twilio_join):
    twilio_join("standup", "ann")
    room.update(status="completed")
    assert [(p.identity, p.status) for p in twilio_video.rooms(room.sid).participants.list()] == [
        ("ann", "disconnected")
    ]


def test_fetch_a_participant_by_sid_or_by_identity(twilio_video, room, twilio_join):
    ann = twilio_join("standup", "ann")
    by_sid = twilio_video.rooms(room.sid).participants(ann.participant_id).fetch()
    by_identity = twilio_video.rooms("standup").participants("ann").fetch()
    assert by_sid.sid == by_identity.sid == ann.participant_id
    assert (by_sid.identity, by_sid.status, by_sid.room_sid, by_sid.end_time) == ("ann", "connected", room.sid, None)


def test_a_participant_of_another_room_is_not_found(twilio_video, room, twilio_join):
    other = twilio_video.rooms.create(unique_name="other")
    ann = twilio_join("standup", "ann")
    assert refused(twilio_video.rooms(other.sid).participants(ann.participant_id).fetch) == (404, 20404)


def test_disconnect_a_participant(twilio_video, room, twilio_join, twilio_clock):
    ann = twilio_join("standup", "ann")
    twilio_clock.advance(42)
    gone = twilio_video.rooms(room.sid).participants(ann.participant_id).update(status="disconnected")
    assert (gone.status, gone.duration) == ("disconnected", 42)
    assert gone.end_time is not None
    assert (
        refused(twilio_video.rooms(room.sid).participants(ann.participant_id).update, status="disconnected")[0] == 400
    )


def test_connecting_again_with_an_identity_disconnects_the_first_connection(twilio_video, room, twilio_join):
    first = twilio_join("standup", "ann")
    second = twilio_join("standup", "ann")
    participants = twilio_video.rooms(room.sid).participants
    assert participants(first.participant_id).fetch().status == "disconnected"
    assert [p.sid for p in participants.list()] == [second.participant_id]


def test_anonymize_a_participant_who_has_left(twilio_video, room, twilio_join):
    ann = twilio_join("standup", "ann")
    participant = twilio_video.rooms(room.sid).participants(ann.participant_id)
    assert refused(participant.anonymize().update)[0] == 400
    ann.leave()
    anonymized = participant.anonymize().update()
    assert (anonymized.identity, anonymized.status) == (ann.participant_id, "disconnected")
    assert participant.fetch().identity == ann.participant_id


# --- published tracks ---------------------------------------------------------------


def test_published_tracks_are_listed_and_fetched_by_sid_or_name(twilio_video, room, twilio_join):
    ann = twilio_join("standup", "ann")
    mic = ann.publish(AUDIO, name="mic")
    cam = ann.publish(VIDEO, name="cam")
    chat = ann.publish(DATA)
    tracks = twilio_video.rooms(room.sid).participants(ann.participant_id).published_tracks
    assert [(t.sid, t.kind, t.name, t.enabled) for t in tracks.list()] == [
        (mic, "audio", "mic", True),
        (cam, "video", "cam", True),
        (chat, "data", chat, True),  # a track without a name goes by its SID
    ]
    assert tracks("cam").fetch().sid == cam
    assert tracks(mic).fetch().participant_sid == ann.participant_id
    ann.unpublish(cam)
    assert [t.sid for t in tracks.list()] == [mic, chat]
    assert refused(tracks(cam).fetch) == (404, 20404)


def test_a_twilio_client_publishes_one_track_per_kind(room, twilio_join):
    with pytest.raises(InvalidRequest):
        twilio_join("standup", "ann").publish(StreamKind.AUDIO_VIDEO)


def test_an_audio_only_room_refuses_video_tracks(twilio_video, twilio_join):
    twilio_video.rooms.create(unique_name="radio", audio_only=True)
    ann = twilio_join("radio", "ann")
    ann.publish(AUDIO)
    with pytest.raises(Forbidden):
        ann.publish(VIDEO)


def test_track_names_are_unique_among_a_participants_tracks(room, twilio_join):
    ann = twilio_join("standup", "ann")
    ann.publish(AUDIO, name="mic")
    with pytest.raises(Conflict):
        ann.publish(VIDEO, name="mic")
    twilio_join("standup", "bob").publish(AUDIO, name="mic")


# --- subscriptions ---------------------------------------------------------------------


def test_a_participant_subscribes_to_every_other_track_by_default(twilio_video, room, twilio_join):
    ann, bob = twilio_join("standup", "ann"), twilio_join("standup", "bob")
    ann.publish(AUDIO, name="ann-mic")
    mic, cam = bob.publish(AUDIO, name="mic"), bob.publish(VIDEO, name="cam")
    subscribed = twilio_video.rooms(room.sid).participants(ann.participant_id).subscribed_tracks
    assert [(t.sid, t.publisher_sid, t.participant_sid) for t in subscribed.list()] == [
        (mic, bob.participant_id, ann.participant_id),
        (cam, bob.participant_id, ann.participant_id),
    ]
    assert subscribed(cam).fetch().kind == "video"


def test_subscribe_rules_decide_what_a_participant_receives(twilio_video, room, twilio_join):
    ann, bob = twilio_join("standup", "ann"), twilio_join("standup", "bob")
    mic, cam = bob.publish(AUDIO, name="mic"), bob.publish(VIDEO, name="cam")
    participant = twilio_video.rooms(room.sid).participants(ann.participant_id)
    assert participant.subscribe_rules.fetch().rules == [
        {"type": "include", "all": True, "publisher": None, "track": None, "kind": None, "priority": None}
    ]
    updated = participant.subscribe_rules.update(
        rules=[{"type": "include", "all": True}, {"type": "exclude", "kind": "video", "publisher": "bob"}]
    )
    assert updated.rules[1] == {
        "type": "exclude",
        "all": None,
        "publisher": "bob",
        "track": None,
        "kind": "video",
        "priority": None,
    }
    assert [t.sid for t in participant.subscribed_tracks.list()] == [mic]
    assert refused(participant.subscribed_tracks(cam).fetch) == (404, 20404)


@pytest.mark.parametrize(
    "rules",
    [[], [{"type": "include"}], [{"type": "keep", "all": True}], [{"type": "include", "kind": "smell"}]],
)
def test_invalid_subscribe_rules_are_refused(twilio_video, room, twilio_join, rules):
    ann = twilio_join("standup", "ann")
    update = twilio_video.rooms(room.sid).participants(ann.participant_id).subscribe_rules.update
    assert refused(update, rules=rules) == (400, 53215)


def test_a_disconnected_participant_is_subscribed_to_nothing(twilio_video, room, twilio_join):
    ann, bob = twilio_join("standup", "ann"), twilio_join("standup", "bob")
    bob.publish(AUDIO)
    ann.leave()
    assert twilio_video.rooms(room.sid).participants(ann.participant_id).subscribed_tracks.list() == []
