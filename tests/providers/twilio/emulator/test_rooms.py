"""Twilio rooms through the official SDK: create, fetch, list, complete, and
the rules rooms follow by themselves (types, limits, timeouts)."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

from anyvideo.errors import Conflict


def refused(call, *args, **kwargs) -> tuple[int, int]:
    """``(HTTP status, Twilio code)`` of the error the SDK raises."""
    with pytest.raises(TwilioRestException) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


# --- create -------------------------------------------------------------------


def test_create_room_takes_every_documented_parameter(twilio_video, twilio_receiver):
    room = twilio_video.rooms.create(
        unique_name="standup",
        type="group",
        max_participants=20,
        max_participant_duration=3600,
        media_region="de1",
        empty_room_timeout=10,
        unused_room_timeout=15,
        audio_only=False,
        record_participants_on_connect=True,
        video_codecs=["H264", "VP8"],
        status_callback=twilio_receiver.url("/rooms"),
        status_callback_method="GET",
        enable_turn=True,
        large_room=False,
        recording_rules={"rules": [{"type": "include", "kind": "audio"}]},
    )
    assert (room.unique_name, room.type, room.status) == ("standup", "group", "in-progress")
    assert (room.max_participants, room.max_participant_duration) == (20, 3600)
    assert (room.media_region, room.empty_room_timeout, room.unused_room_timeout) == ("de1", 10, 15)
    assert (room.audio_only, room.record_participants_on_connect, room.video_codecs) == (False, True, ["H264", "VP8"])
    assert (room.status_callback, room.status_callback_method) == (twilio_receiver.url("/rooms"), "GET")
    assert room.sid.startswith("RM") and len(room.sid) == 34
    assert room.end_time is None and room.duration is None
    assert twilio_video.rooms(room.sid).recording_rules.fetch().rules == [{"type": "include", "kind": "audio"}]


def test_a_room_without_a_unique_name_goes_by_its_sid(twilio_video):
    room = twilio_video.rooms.create()
    assert room.unique_name == room.sid
    assert (room.type, room.media_region, room.video_codecs) == ("group", "us1", ["VP8"])
    assert (room.empty_room_timeout, room.unused_room_timeout, room.max_participant_duration) == (5, 5, 14400)


@pytest.mark.parametrize(
    ("kind", "max_participants", "max_tracks"),
    [("group", 50, 170), ("group-small", 4, 170), ("peer-to-peer", 10, 0), ("go", 2, 0)],
)
def test_each_room_type_has_its_own_limits(twilio_video, kind, max_participants, max_tracks):
    room = twilio_video.rooms.create(type=kind)
    assert (room.type, room.max_participants, room.max_concurrent_published_tracks) == (
        kind,
        max_participants,
        max_tracks,
    )
    assert refused(twilio_video.rooms.create, type=kind, max_participants=max_participants + 1) == (400, 53107)


def test_an_audio_only_room_supports_no_video_codec(twilio_video):
    room = twilio_video.rooms.create(audio_only=True, video_codecs=["VP8"])
    assert (room.audio_only, room.video_codecs) == (True, [])


def test_a_unique_name_in_use_is_refused_with_53113(twilio_video):
    first = twilio_video.rooms.create(unique_name="standup")
    assert refused(twilio_video.rooms.create, unique_name="standup") == (400, 53113)
    first.update(status="completed")
    assert twilio_video.rooms.create(unique_name="standup").sid != first.sid


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"type": "conference"}, 53108),
        ({"unique_name": "x" * 129}, 53101),
        ({"media_region": "moon1"}, 53115),
        ({"empty_room_timeout": 61}, 53109),
        ({"unused_room_timeout": 0}, 53109),
        ({"status_callback_method": "PUT"}, 53110),
        ({"status_callback": "not a url"}, 53111),
        ({"type": "peer-to-peer", "record_participants_on_connect": True}, 53114),
        ({"recording_rules": [{"type": "include", "all": False}]}, 53120),
    ],
)
def test_invalid_room_parameters_are_refused(twilio_video, options, code):
    assert refused(twilio_video.rooms.create, **options) == (400, code)


def test_an_unknown_video_codec_or_participant_duration_is_refused(twilio_video):
    assert refused(twilio_video.rooms.create, video_codecs=["AV1"])[0] == 400
    assert refused(twilio_video.rooms.create, max_participant_duration=86401)[0] == 400


# --- fetch and list -------------------------------------------------------------


def test_fetch_a_room_by_sid_or_by_unique_name_while_in_progress(twilio_video):
    room = twilio_video.rooms.create(unique_name="standup")
    assert twilio_video.rooms("standup").fetch().sid == room.sid
    room.update(status="completed")
    assert refused(twilio_video.rooms("standup").fetch) == (404, 20404)
    assert twilio_video.rooms(room.sid).fetch().status == "completed"


def test_an_unknown_room_is_a_20404(twilio_video):
    assert refused(twilio_video.rooms("RM" + "0" * 32).fetch) == (404, 20404)


def test_list_rooms_in_progress_by_default_and_filters_by_status_name_and_date(twilio_video, twilio_clock):
    early = twilio_video.rooms.create(unique_name="early")
    early.update(status="completed")
    twilio_clock.advance(3600)
    late = twilio_video.rooms.create(unique_name="late")
    middle = early.date_created.replace(microsecond=0)
    assert [r.sid for r in twilio_video.rooms.list()] == [late.sid]
    assert [r.sid for r in twilio_video.rooms.list(status="completed")] == [early.sid]
    assert [r.sid for r in twilio_video.rooms.list(unique_name="late")] == [late.sid]
    assert twilio_video.rooms.list(unique_name="early") == []  # completed, so not in the default listing
    after = early.date_created.replace(microsecond=0)
    assert [r.sid for r in twilio_video.rooms.list(status="completed", date_created_after=after)] == [early.sid]
    assert twilio_video.rooms.list(status="completed", date_created_before=middle) == []


def test_rooms_page_with_absolute_urls_pointing_at_the_emulator(twilio_video, twilio_server):
    sids = [twilio_video.rooms.create().sid for _ in range(5)]
    page = twilio_video.rooms.page(page_size=2)
    meta = twilio_server.last_body("GET", "/v1/Rooms")["meta"]
    assert (meta["page"], meta["page_size"], meta["key"], meta["previous_page_url"]) == (0, 2, "rooms", None)
    assert meta["first_page_url"] == f"{twilio_server.base_url}/v1/Rooms?PageSize=2&Page=0"
    assert meta["next_page_url"].startswith(f"{twilio_server.base_url}/v1/Rooms?PageSize=2&Page=1&PageToken=PA")
    second = page.next_page()
    assert second.previous_page().next_page_url == page.next_page_url
    assert [r.sid for r in twilio_video.rooms.list(page_size=2)] == sids
    assert [r.sid for r in twilio_video.rooms.list(limit=3)] == sids[:3]


def test_page_size_beyond_the_limit_is_refused(twilio_video):
    # The SDK raises its plain exception, with the answer, for a page it cannot read.
    with pytest.raises(TwilioException) as caught:
        twilio_video.rooms.page(page_size=1001)
    assert caught.value.args[1].status_code == 400


# --- complete, and ending by themselves --------------------------------------------


def test_completing_a_room_disconnects_everyone(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup")
    ann = twilio_join("standup", "ann")
    twilio_clock.advance(90)
    done = twilio_video.rooms(room.sid).update(status="completed")
    assert (done.status, done.duration) == ("completed", 90)
    assert done.end_time is not None
    assert twilio_video.rooms(room.sid).participants(ann.participant_id).fetch().status == "disconnected"


def test_only_status_completed_updates_a_room_and_only_once(twilio_video):
    room = twilio_video.rooms.create()
    assert refused(room.update, status="in-progress") == (400, 53112)
    room.update(status="completed")
    assert refused(room.update, status="completed") == (400, 53118)


def test_an_empty_room_ends_after_its_empty_room_timeout(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", empty_room_timeout=2)
    twilio_join("standup", "ann").leave()
    twilio_clock.advance(119)
    assert room.fetch().status == "in-progress"
    twilio_clock.advance(1)
    assert room.fetch().status == "completed"


def test_a_room_nobody_joins_ends_after_its_unused_room_timeout(twilio_video, twilio_clock):
    room = twilio_video.rooms.create()
    twilio_clock.advance(5 * 60)
    assert room.fetch().status == "completed"


def test_an_occupied_room_does_not_time_out(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup")
    twilio_join("standup", "ann")
    twilio_clock.advance(3600)
    assert room.fetch().status == "in-progress"


def test_a_participant_is_disconnected_after_the_maximum_duration(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", max_participant_duration=600)
    ann = twilio_join("standup", "ann")
    twilio_clock.advance(600)
    assert room.participants(ann.participant_id).fetch().status == "disconnected"


def test_a_full_room_refuses_one_more_participant(twilio_video, twilio_join):
    twilio_video.rooms.create(unique_name="huddle", type="group-small")
    for identity in "abcd":
        twilio_join("huddle", identity)
    with pytest.raises(Conflict):
        twilio_join("huddle", "e")
