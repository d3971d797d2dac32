"""Conformance of rooms, tokens, participants, streams and signals."""

from __future__ import annotations

import contextlib

import pytest

from anyvideo.backend import Devices, Feature
from anyvideo.client import Video
from anyvideo.errors import AuthenticationError, Conflict, Forbidden, InvalidRequest, NotFound
from anyvideo.models import ParticipantStatus, Role, Room, RoomStatus, StreamKind
from anyvideo.testing.conformance.kit import ConformanceKit, Platform, held_by, needs, unique_name

__all__ = ["ParticipantConformance", "RoomConformance", "TokenConformance"]


class RoomConformance(ConformanceKit):
    """Rooms open, are found, listed and end."""

    def test_a_new_room_is_open_with_its_name(self, video: Video) -> None:
        name = unique_name()
        room = video.rooms.create(name)
        assert (room.name, room.status) == (name, RoomStatus.OPEN)
        assert held_by(video, room.provider)
        assert room.ref == f"{room.provider}:{room.id}"

    def test_a_room_is_found_by_id_ref_model_and_name(self, video: Video, room: Room) -> None:
        assert video.rooms.get(room.id).id == room.id
        assert video.rooms.get(room.ref).id == room.id
        assert video.rooms.get(room).id == room.id
        assert video.rooms.get(name=room.name).id == room.id

    def test_a_name_no_room_has_is_not_found(self, video: Video) -> None:
        with pytest.raises(NotFound):
            video.rooms.get(name=unique_name("never"))

    def test_creating_an_open_rooms_name_again_returns_that_room(self, video: Video, room: Room) -> None:
        again = video.rooms.create(room.name)
        assert again.id == room.id
        assert [r.id for r in video.rooms.list(name=room.name)] == [room.id]

    def test_open_rooms_are_listed_by_status_and_name(self, video: Video, room: Room) -> None:
        other = video.rooms.create(unique_name())
        open_ids = [r.id for r in video.rooms.list(status=RoomStatus.OPEN)]
        assert room.id in open_ids and other.id in open_ids
        assert [r.id for r in video.rooms.list(name=other.name)] == [other.id]

    def test_an_ended_room_is_ended_and_listed_so(self, video: Video, room: Room) -> None:
        ended = video.rooms.end(room)
        assert ended.status is RoomStatus.ENDED
        assert video.rooms.get(room).status is RoomStatus.ENDED
        assert room.id in [r.id for r in video.rooms.list(status=RoomStatus.ENDED)]
        assert room.id not in [r.id for r in video.rooms.list(status=RoomStatus.OPEN)]

    def test_ending_an_ended_room_returns_it_as_it_is(self, video: Video, room: Room) -> None:
        ended = video.rooms.end(room)
        again = video.rooms.end(room)
        assert (again.id, again.status, again.ended_at) == (room.id, RoomStatus.ENDED, ended.ended_at)

    def test_a_room_ends_by_name(self, video: Video, room: Room) -> None:
        assert video.rooms.end(name=room.name).id == room.id

    def test_ending_a_room_disconnects_everyone(self, video: Video, devices: Devices, room: Room) -> None:
        devices.join(video.tokens.create(room, "ann"))
        devices.join(video.tokens.create(room, "bob"))
        video.rooms.end(room)
        assert list(video.participants.list(room, status=ParticipantStatus.CONNECTED)) == []

    def test_an_ended_room_refuses_new_tokens(self, video: Video, room: Room) -> None:
        video.rooms.end(room)
        with pytest.raises(Conflict):
            video.tokens.create(room, "late")

    def test_a_token_minted_before_the_end_keeps_no_one_in(self, video: Video, devices: Devices, room: Room) -> None:
        token = video.tokens.create(room, "late")
        video.rooms.end(room)
        # Refused at the door, or let in and forced out (a provider whose rooms never end).
        with contextlib.suppress(Conflict, Forbidden, NotFound):
            devices.join(token)
        assert list(video.participants.list(room, status=ParticipantStatus.CONNECTED)) == []

    def test_an_ended_rooms_name_can_open_a_new_room(self, video: Video, room: Room) -> None:
        video.rooms.end(room)
        again = video.rooms.create(room.name)
        assert again.id != room.id and again.status is RoomStatus.OPEN
        assert video.rooms.get(name=room.name).id == again.id

    def test_a_bad_room_name_is_refused_before_any_request(self, video: Video) -> None:
        with pytest.raises(InvalidRequest) as refused:
            video.rooms.create("no spaces/or slashes")
        assert refused.value.field == "name"

    @needs(Feature.MAX_PARTICIPANTS)
    def test_a_capped_room_refuses_one_participant_too_many(self, video: Video, devices: Devices) -> None:
        room = video.rooms.create(unique_name(), max_participants=2)
        for identity in ("ann", "bob"):
            devices.join(video.tokens.create(room, identity))
        with pytest.raises((Conflict, Forbidden)):
            devices.join(video.tokens.create(room, "cem"))


class TokenConformance(ConformanceKit):
    """Client tokens let exactly the right people in, for exactly as long."""

    def test_a_token_names_its_room_identity_and_expiry(self, video: Video, room: Room) -> None:
        token = video.tokens.create(room, "ann", ttl=600)
        longer = video.tokens.create(room, "ann", ttl=1200)
        assert (token.room_id, token.identity, token.provider) == (room.id, "ann", room.provider)
        assert token.role is Role.PUBLISHER
        # The platform's clock may not be the wall clock: compare two expiries.
        assert abs((longer.expires_at - token.expires_at).total_seconds() - 600) <= 5

    def test_a_token_never_shows_in_a_repr(self, video: Video, room: Room) -> None:
        token = video.tokens.create(room, "ann")
        assert token.token not in repr(token)

    def test_a_token_joins_its_room_as_its_identity(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        assert (ann.identity, ann.room_id) == ("ann", room.id)
        [participant] = video.participants.list(room, status=ParticipantStatus.CONNECTED)
        assert (participant.id, participant.identity) == (ann.participant_id, "ann")

    def test_an_expired_token_cannot_join(self, platform: Platform, video: Video, devices: Devices, room: Room) -> None:
        token = video.tokens.create(room, "ann", ttl=60)
        platform.advance(120)
        with pytest.raises(AuthenticationError):
            devices.join(token)

    def test_a_token_that_is_not_genuine_cannot_join(self, video: Video, devices: Devices, room: Room) -> None:
        token = video.tokens.create(room, "ann").token
        with pytest.raises(AuthenticationError):
            devices.join(token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB"))

    def test_a_bad_ttl_is_refused_before_any_request(self, video: Video, room: Room) -> None:
        with pytest.raises(InvalidRequest) as refused:
            video.tokens.create(room, "ann", ttl=0)
        assert refused.value.field == "ttl"
        with pytest.raises(InvalidRequest):
            video.tokens.create(room, "ann", ttl=video.backend.max_token_ttl + 1)

    @needs(Feature.TOKEN_ROLES)
    def test_a_subscriber_token_cannot_publish(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann", role=Role.SUBSCRIBER))
        with pytest.raises(Forbidden):
            ann.publish()
        assert list(video.streams.list(room)) == []

    @needs(Feature.TOKEN_ROLES)
    def test_a_moderator_token_publishes(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann", role=Role.MODERATOR))
        stream_id = ann.publish(StreamKind.VIDEO, name="cam")
        assert [s.id for s in video.streams.list(room)] == [stream_id]

    @needs(Feature.TOKEN_DATA)
    def test_a_tokens_data_reaches_its_participant(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann", data='{"seat": 4}'))
        participant = video.participants.get(room, ann.participant_id)
        assert (participant.identity, participant.data) == ("ann", '{"seat": 4}')


class ParticipantConformance(ConformanceKit):
    """Participants and what they publish, as the server sees them."""

    def test_a_participant_is_fetched_by_id(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        participant = video.participants.get(room, ann.participant_id)
        assert (participant.identity, participant.status, participant.room_id) == (
            "ann",
            ParticipantStatus.CONNECTED,
            room.id,
        )

    def test_a_disconnected_participant_is_no_longer_connected(
        self, video: Video, devices: Devices, room: Room
    ) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        bob = devices.join(video.tokens.create(room, "bob"))
        ann.publish(StreamKind.VIDEO, name="ann-cam")
        video.participants.disconnect(room, ann.participant_id)
        connected = list(video.participants.list(room, status=ParticipantStatus.CONNECTED))
        assert [p.id for p in connected] == [bob.participant_id]
        assert list(video.streams.list(room)) == []

    def test_disconnecting_someone_who_left_is_no_error(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        ann.leave()
        video.participants.disconnect(room, ann.participant_id)
        video.participants.disconnect(room, ann.participant_id)
        assert video.participants.get(room, ann.participant_id).status is ParticipantStatus.DISCONNECTED

    def test_a_participant_who_leaves_is_no_longer_connected(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        ann.leave()
        assert list(video.participants.list(room, status=ParticipantStatus.CONNECTED)) == []

    def test_a_participant_who_left_is_still_listed_and_fetched(
        self, video: Video, devices: Devices, room: Room
    ) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        bob = devices.join(video.tokens.create(room, "bob"))
        ann.leave()
        video.participants.disconnect(room, bob.participant_id)
        gone = {p.id: p for p in video.participants.list(room, status=ParticipantStatus.DISCONNECTED)}
        assert set(gone) == {ann.participant_id, bob.participant_id}
        assert {p.id for p in video.participants.list(room)} == set(gone)
        for participant in (ann, bob):
            fetched = video.participants.get(room, participant.participant_id)
            assert (fetched.identity, fetched.status) == (participant.identity, ParticipantStatus.DISCONNECTED)

    def test_a_published_stream_is_listed_with_its_name_and_kind(
        self, video: Video, devices: Devices, room: Room
    ) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        stream_id = ann.publish(StreamKind.VIDEO, name="ann-cam")
        [stream] = video.streams.list(room)
        assert (stream.id, stream.name, stream.kind.has_video) == (stream_id, "ann-cam", True)
        assert stream.participant_id == ann.participant_id
        assert video.streams.get(room, stream_id).name == "ann-cam"

    def test_an_unpublished_stream_is_gone(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        stream_id = ann.publish(StreamKind.VIDEO, name="ann-cam")
        ann.unpublish(stream_id)
        assert list(video.streams.list(room)) == []
        with pytest.raises(NotFound):
            video.streams.get(room, stream_id)

    @needs(Feature.MUTE)
    def test_muting_a_stream_mutes_its_audio(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        stream_id = ann.publish(StreamKind.AUDIO_VIDEO, name="ann-cam")
        assert video.streams.mute(room, stream_id).audio_muted
        assert video.streams.get(room, stream_id).audio_muted

    @needs(Feature.MUTE)
    def test_mute_all_spares_the_streams_listed(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann")).publish(StreamKind.AUDIO_VIDEO, name="ann")
        bob = devices.join(video.tokens.create(room, "bob")).publish(StreamKind.AUDIO_VIDEO, name="bob")
        video.streams.mute_all(room, except_streams=[bob])
        assert video.streams.get(room, ann).audio_muted
        assert not video.streams.get(room, bob).audio_muted

    @needs(Feature.SIGNALS)
    def test_a_signal_reaches_every_connected_participant(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        bob = devices.join(video.tokens.create(room, "bob"))
        video.signals.send(room, "chat", "hello")
        for device in (ann, bob):
            assert [(s.type, s.data) for s in device.signals()] == [("chat", "hello")]

    @needs(Feature.SIGNALS)
    def test_a_signal_to_one_participant_reaches_only_them(self, video: Video, devices: Devices, room: Room) -> None:
        ann = devices.join(video.tokens.create(room, "ann"))
        bob = devices.join(video.tokens.create(room, "bob"))
        video.signals.send(room, "chat", "psst", to=bob.participant_id)
        assert ([s.data for s in bob.signals()], list(ann.signals())) == (["psst"], [])
