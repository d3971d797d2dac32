"""Participants and their published tracks; what Twilio's REST API cannot do
(mute, signals) is absent, with a hint."""

from __future__ import annotations

import pytest

from anyvideo import Feature, ParticipantStatus, StreamKind
from anyvideo.errors import InvalidRequest, NotFound, UnsupportedFeature


def test_participants_are_listed_and_fetched_without_a_role(video, room, join):
    ann, bob = join(room, "ann"), join(room, "bob")
    listed = list(video.participants.list(room))
    assert [(p.identity, p.status, p.role) for p in listed] == [
        ("ann", ParticipantStatus.CONNECTED, None),
        ("bob", ParticipantStatus.CONNECTED, None),
    ]
    assert video.participants.get(room, ann.participant_id).identity == "ann"
    assert listed[1].id == bob.participant_id and listed[1].id.startswith("PA")
    assert listed[0].joined_at is not None


def test_disconnect_a_participant(video, room, join):
    ann = join(room, "ann")
    video.participants.disconnect(room, ann.participant_id)
    assert video.participants.get(room, ann.participant_id).status is ParticipantStatus.DISCONNECTED
    assert [p.identity for p in video.participants.list(room, status="disconnected")] == ["ann"]
    assert list(video.participants.list(room, status="connected")) == []
    video.participants.disconnect(room, ann.participant_id)  # already gone: what was asked holds


def test_a_participant_of_another_room_is_not_found(video, room, join):
    other = video.rooms.create("other")
    ann = join(other, "ann")
    with pytest.raises(NotFound):
        video.participants.get(room, ann.participant_id)


def test_published_tracks_are_streams(video, room, join):
    ann = join(room, "ann")
    mic = ann.publish(StreamKind.AUDIO, name="mic")
    cam = ann.publish(StreamKind.VIDEO, name="cam")
    data = ann.publish(StreamKind.DATA, name="chat")
    streams = {s.id: s for s in video.streams.list(room)}
    assert {s.kind for s in streams.values()} == {StreamKind.AUDIO, StreamKind.VIDEO, StreamKind.DATA}
    assert streams[mic].name == "mic" and streams[mic].participant_id == ann.participant_id
    assert video.streams.get(room, cam).kind is StreamKind.VIDEO
    ann.unpublish(data)
    with pytest.raises(NotFound):
        video.streams.get(room, data)


def test_a_browser_publishing_audio_and_video_publishes_two_tracks_as_twilio_clients_do(video, room, join):
    ann = join(room, "ann")
    camera = ann.publish(StreamKind.AUDIO_VIDEO, name="camera")
    streams = list(video.streams.list(room))
    assert sorted((s.kind, s.name) for s in streams) == [
        (StreamKind.AUDIO, "camera-audio"),
        (StreamKind.VIDEO, "camera"),
    ]
    assert video.streams.get(room, camera).kind is StreamKind.VIDEO
    ann.unpublish(camera)  # both go
    assert list(video.streams.list(room)) == []


def test_the_emulator_itself_refuses_an_audio_and_video_stream(room, video, control):
    with pytest.raises(InvalidRequest):
        control.join(video.tokens.create(room, "raw")).publish(StreamKind.AUDIO_VIDEO)


@pytest.mark.parametrize("call", ["mute", "mute_all", "signal"])
def test_mute_and_signals_are_absent_with_a_hint(video, room, join, call):
    track = join(room, "ann").publish(StreamKind.AUDIO)
    with pytest.raises(UnsupportedFeature) as caught:
        if call == "mute":
            video.streams.mute(room, track)
        elif call == "mute_all":
            video.streams.mute_all(room)
        else:
            video.signals.send(room, "chat", "hello")
    assert caught.value.feature in (Feature.MUTE, Feature.SIGNALS)
    assert caught.value.hint and "twilio" in str(caught.value)


def test_disconnecting_makes_the_one_request_the_sdk_makes(video, room, join, backend, received):
    ann = join(room, "ann")
    del received[:]
    video.participants.disconnect(room, ann.participant_id)
    assert received == [("POST", f"/v1/Rooms/{room.id}/Participants/{ann.participant_id}")]


def test_disconnecting_a_participant_who_left_is_a_conflict_for_the_backend(backend, room, join):
    from anyvideo.errors import Conflict

    ann = join(room, "ann")
    ann.leave()
    with pytest.raises(Conflict, match="not connected"):
        backend.disconnect_participant(room.id, ann.participant_id)
