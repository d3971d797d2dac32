"""Rooms on Twilio: create (idempotent by unique name), get, find, list, end;
Twilio's room options checked before any request."""

from __future__ import annotations

import itertools

import pytest

from anyvideo import Feature, RoomStatus
from anyvideo.errors import Conflict, InvalidRequest, NotFound
from anyvideo.testing.faults import Fault


def test_create_get_and_find_a_room(video):
    room = video.rooms.create("standup", max_participants=4)
    assert (room.name, room.status, room.max_participants, room.provider) == ("standup", RoomStatus.OPEN, 4, "twilio")
    assert room.id.startswith("RM") and room.ref == f"twilio:{room.id}"
    assert video.rooms.get(room.ref) == room
    assert video.rooms.get(name="standup") == room
    assert room.raw["type"] == "group"


def test_creating_again_with_the_same_name_returns_the_room_in_progress(video):
    first = video.rooms.create("retry", max_participants=10)
    # A retry after the first create succeeded (its answer lost) gets the same room, not an error or a twin.
    assert video.rooms.create("retry", max_participants=10) == first
    assert [r.id for r in video.rooms.list(status="open", name="retry")] == [first.id]


def test_a_different_room_under_a_taken_name_is_a_conflict(video):
    video.rooms.create("taken", provider_options={"type": "group"})
    with pytest.raises(Conflict, match="twilio"):
        video.rooms.create("taken", provider_options={"type": "group-small"})
    with pytest.raises(Conflict):
        video.rooms.create("taken", max_participants=3)


def test_a_name_can_be_reused_once_the_room_ended(video):
    old = video.rooms.end(video.rooms.create("daily"))
    new = video.rooms.create("daily")
    assert new.id != old.id
    assert video.rooms.get(name="daily") == new


def test_find_gives_the_newest_ended_room_when_none_is_open(video, control):
    first = video.rooms.end(video.rooms.create("weekly"))
    control.advance(2)
    second = video.rooms.end(video.rooms.create("weekly"))
    assert video.rooms.get(name="weekly").id == second.id != first.id
    with pytest.raises(NotFound):
        video.rooms.get(name="nobody-made-this")


def test_list_rooms_by_status_and_name(video):
    open_room = video.rooms.create("a")
    ended = video.rooms.end(video.rooms.create("b"))
    assert [r.id for r in video.rooms.list(status="open")] == [open_room.id]
    assert [r.id for r in video.rooms.list(status="ended")] == [ended.id]
    assert {r.id for r in video.rooms.list()} == {open_room.id, ended.id}
    assert [r.id for r in video.rooms.list(name="b", status="ended")] == [ended.id]


def test_list_rooms_walks_several_pages(video, connect_twilio):
    made = [video.rooms.create(f"room-{i}").id for i in range(5)]
    paged = connect_twilio(page_size=2)
    sent = paged.backend.requests_sent
    assert [r.id for r in paged.rooms.list(status="open")] == made
    assert paged.backend.requests_sent - sent == 3  # pages of 2, 2 and 1


def test_stopping_early_fetches_no_further_page(video, connect_twilio):
    for i in range(5):
        video.rooms.create(f"room-{i}")
    paged = connect_twilio(page_size=2)
    sent = paged.backend.requests_sent
    assert len(list(itertools.islice(paged.rooms.list(status="open"), 3))) == 3
    assert paged.backend.requests_sent - sent == 2


def test_end_a_room(video, join):
    room = video.rooms.create("ending")
    ann = join(room, "ann")
    ended = video.rooms.end(room)
    assert ended.status is RoomStatus.ENDED and ended.ended_at is not None
    assert [p.status for p in video.participants.list(room)] == ["disconnected"]
    assert ann.participant_id
    assert video.rooms.end(room).ended_at == ended.ended_at  # Twilio refuses a completed room; anyvideo: ended
    with pytest.raises(Conflict, match="ended"):
        video.tokens.create(room, "late")


def test_a_token_minted_before_the_end_cannot_join_the_completed_room(video, browser):
    room = video.rooms.create("closing")
    token = video.tokens.create(room, "late")
    video.rooms.end(room)
    assert video.rooms.get(room).raw["status"] == "completed"  # Twilio itself ended it
    with pytest.raises(Conflict, match="ended"):
        browser.join(token)
    assert list(video.participants.list(room)) == []


def test_get_an_unknown_room_is_not_found(video):
    with pytest.raises(NotFound) as caught:
        video.rooms.get("RM" + "0" * 32)
    assert type(caught.value.__cause__).__name__ == "TwilioRestException"


def test_room_options_reach_twilio(video):
    options = {
        "type": "group-small",
        "media_region": "ie1",
        "empty_room_timeout": 10,
        "unused_room_timeout": 2,
        "max_participant_duration": 3600,
        "audio_only": True,
        "status_callback": "http://127.0.0.1:9/callbacks",
        "status_callback_method": "GET",
    }
    room = video.rooms.create("options", provider_options=options)
    for name, value in options.items():
        assert room.raw[name] == value
    assert room.max_participants == 4


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"type": "huge"}, "provider_options.type"),
        ({"media_region": "mars1"}, "provider_options.media_region"),
        ({"empty_room_timeout": 0}, "provider_options.empty_room_timeout"),
        ({"unused_room_timeout": 61}, "provider_options.unused_room_timeout"),
        ({"empty_room_timeout": 1.5}, "provider_options.empty_room_timeout"),
        ({"max_participant_duration": 86401}, "provider_options.max_participant_duration"),
        ({"audio_only": "yes"}, "provider_options.audio_only"),
        ({"status_callback": "not a url"}, "provider_options.status_callback"),
        ({"status_callback_method": "PUT"}, "provider_options.status_callback_method"),
        ({"video_codecs": ["VP9"]}, "provider_options.video_codecs"),
        ({"type": "go", "record_participants_on_connect": True}, "provider_options.type"),
        ({"colour": "blue"}, "provider_options"),
    ],
)
def test_bad_room_options_fail_before_any_request(video, emulator, options, field):
    emulator.faults.add(Fault(status=500))  # any request would fail differently
    with pytest.raises(InvalidRequest) as caught:
        video.rooms.create("checked", provider_options=options)
    assert caught.value.field == field
    assert emulator.faults.injected == []


def test_max_participants_above_the_type_limit_fails_before_any_request(video, emulator):
    emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest, match="group-small room holds at most 4"):
        video.rooms.create("small", max_participants=5, provider_options={"type": "group-small"})
    assert video.supports(Feature.MAX_PARTICIPANTS)


def test_a_name_shaped_like_a_room_sid_is_refused(video):
    with pytest.raises(InvalidRequest, match="SID"):
        video.rooms.create("RM" + "a" * 32)
