"""Rooms are sessions; their name, status and times live in the registry."""

from __future__ import annotations

import pytest

from anyvideo import Conflict, NotFound, ParticipantStatus, RoomStatus


def test_create_get_find(video) -> None:
    room = video.rooms.create("standup")
    assert room.status is RoomStatus.OPEN and room.name == "standup" and room.created_at is not None
    assert room.id.startswith("1_") and room.ref == f"vonage:{room.id}"
    assert video.rooms.get(room) == room
    assert video.rooms.get(name="standup") == room


def test_creating_under_an_open_name_returns_that_room(video) -> None:
    first = video.rooms.create("standup")
    assert video.rooms.create("standup") == first
    assert [r.id for r in video.rooms.list(name="standup")] == [first.id]


def test_a_name_is_free_again_once_its_room_ended(video) -> None:
    first = video.rooms.create("standup")
    video.rooms.end(first)
    second = video.rooms.create("standup")
    assert video.rooms.get(name="standup") == second


def test_find_falls_back_to_the_newest_ended_room(video) -> None:
    first = video.rooms.create("retro")
    video.rooms.end(first)
    assert video.rooms.get(name="retro").id == first.id


def test_list_filters_by_status_and_name(video) -> None:
    a, b, c = (video.rooms.create(name) for name in ("a", "b", "c"))
    video.rooms.end(b)
    assert [r.id for r in video.rooms.list()] == [a.id, b.id, c.id]
    assert [r.id for r in video.rooms.list(status="open")] == [a.id, c.id]
    assert [r.id for r in video.rooms.list(status=RoomStatus.ENDED)] == [b.id]
    assert [r.id for r in video.rooms.list(name="c")] == [c.id]


def test_unknown_rooms_are_not_found(video) -> None:
    with pytest.raises(NotFound):
        video.rooms.get("1_MX5ub3RoZXJlfg")
    with pytest.raises(NotFound):
        video.rooms.get(name="nobody")


def test_a_session_made_outside_anyvideo_is_a_nameless_open_room(video) -> None:
    session_id = video.native.video.create_session().session_id
    room = video.rooms.get(session_id)
    assert room.name is None and room.status is RoomStatus.OPEN


def test_ending_disconnects_everyone_and_refuses_new_tokens(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    bob = browser.join(video.tokens.create(room, "bob"))
    ann.publish()
    ended = video.rooms.end(room)
    assert ended.status is RoomStatus.ENDED and ended.ended_at is not None
    left = list(video.participants.list(room))
    assert {p.id for p in left} == {ann.participant_id, bob.participant_id}
    assert all(p.status is ParticipantStatus.DISCONNECTED and p.left_at is not None for p in left)
    assert list(video.streams.list(room)) == []
    with pytest.raises(Conflict, match="ended"):
        video.tokens.create(room, "carol")
    with pytest.raises(Conflict):
        video.recordings.start(room)


def test_ending_twice_keeps_the_first_end(video, room) -> None:
    first = video.rooms.end(room)
    assert video.rooms.end(room).ended_at == first.ended_at


def test_rooms_are_kept_in_a_shared_registry_file(connect_vonage, tmp_path) -> None:
    db = tmp_path / "registry.db"
    room = connect_vonage(registry=str(db)).rooms.create("kept")
    assert connect_vonage(registry=str(db)).rooms.get(name="kept").id == room.id


def test_e2ee_and_relayed_sessions(video) -> None:
    e2ee = video.rooms.create(provider_options={"e2ee": True})
    assert e2ee.raw["e2ee"] is True
    relayed = video.rooms.create(provider_options={"media_mode": "relayed"})
    assert relayed.raw["media_mode"] == "relayed"


@pytest.mark.parametrize(
    "options",
    [{"media_mode": "mesh"}, {"archive_mode": "always", "media_mode": "relayed"}, {"location": "paris"}, {"x": 1}],
)
def test_bad_room_options_fail_before_any_request(video, options) -> None:
    from anyvideo import InvalidRequest

    with pytest.raises(InvalidRequest, match="provider_options"):
        video.rooms.create(provider_options=options)
