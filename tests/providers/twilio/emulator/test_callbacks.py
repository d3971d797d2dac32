"""Twilio status callbacks: room, recording and composition events, form-encoded,
signed with X-Twilio-Signature as the SDK's own RequestValidator checks it."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from anyvideo.models import StreamKind

AUDIO = StreamKind.AUDIO
PROCESSING = 30


@pytest.fixture
def validator(twilio_server) -> RequestValidator:
    return RequestValidator(twilio_server.credentials["auth_token"])


def received(server, receiver, path: str) -> list[dict]:
    server.callbacks.flush()
    return receiver.at(path)


def test_a_rooms_life_is_told_to_its_status_callback(
    twilio_video, twilio_server, twilio_receiver, twilio_join, twilio_clock
):
    room = twilio_video.rooms.create(
        unique_name="standup", status_callback=twilio_receiver.url("/room"), record_participants_on_connect=True
    )
    ann = twilio_join("standup", "ann")
    mic = ann.publish(AUDIO, name="mic")
    twilio_clock.advance(10)
    ann.unpublish(mic)
    ann.leave()
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    room.fetch()  # the recording completes when the emulator is next asked
    calls = received(twilio_server, twilio_receiver, "/room")
    assert [c["params"]["StatusCallbackEvent"] for c in calls] == [
        "room-created",
        "participant-connected",
        "track-added",
        "recording-started",
        "track-removed",
        "participant-disconnected",
        "room-ended",
        "recording-completed",
    ]
    by_event = {c["params"]["StatusCallbackEvent"]: c["params"] for c in calls}
    common = {"AccountSid": twilio_server.credentials["account_sid"], "RoomSid": room.sid, "RoomName": "standup"}
    assert all(common.items() <= params.items() for params in by_event.values())
    assert [c["params"]["SequenceNumber"] for c in calls if "SequenceNumber" in c["params"]] == [
        str(n) for n in range(6)
    ]
    assert by_event["room-ended"]["RoomStatus"] == "completed" and by_event["room-ended"]["RoomDuration"] == "10"
    connected = by_event["participant-connected"]
    assert (connected["ParticipantSid"], connected["ParticipantIdentity"], connected["ParticipantStatus"]) == (
        ann.participant_id,
        "ann",
        "connected",
    )
    assert by_event["participant-disconnected"]["ParticipantDuration"] == "10"
    added = by_event["track-added"]
    assert (added["TrackSid"], added["TrackKind"], added["TrackName"]) == (mic, "audio", "mic")
    assert by_event["track-removed"]["TrackName"] == "mic"  # track events name the track (status callbacks page)
    done = by_event["recording-completed"]
    recording = twilio_video.recordings.list()[0]
    assert (done["RecordingSid"], done["SourceSid"], done["TrackName"], done["Type"]) == (
        recording.sid,
        mic,
        "mic",
        "audio",
    )
    assert (done["Container"], done["Codec"], done["Duration"], done["Size"]) == (
        "mka",
        "OPUS",
        "10",
        str(recording.size),
    )
    assert done["MediaUri"] == f"/v1/Recordings/{recording.sid}/Media"
    assert "MediaUri" not in by_event["recording-started"]
    assert all(c["headers"]["Content-Type"] == "application/x-www-form-urlencoded" for c in calls)


def test_the_sdks_request_validator_accepts_every_callback(
    twilio_video, twilio_server, twilio_receiver, twilio_join, validator
):
    twilio_video.rooms.create(unique_name="standup", status_callback=twilio_receiver.url("/room?tenant=acme"))
    twilio_join("standup", "ann").leave()
    calls = received(twilio_server, twilio_receiver, "/room")
    assert len(calls) == 3
    for call in calls:
        assert validator.validate(call["url"], call["params"], call["headers"]["X-Twilio-Signature"])
        forged = {**call["params"], "RoomSid": "RM" + "0" * 32}
        assert not validator.validate(call["url"], forged, call["headers"]["X-Twilio-Signature"])


def test_get_callbacks_carry_and_sign_their_parameters_in_the_url(
    twilio_video, twilio_server, twilio_receiver, validator
):
    twilio_video.rooms.create(status_callback=twilio_receiver.url("/room"), status_callback_method="GET")
    (call,) = received(twilio_server, twilio_receiver, "/room")
    assert (call["method"], call["params"]["StatusCallbackEvent"]) == ("GET", "room-created")
    assert validator.validate(call["url"], {}, call["headers"]["X-Twilio-Signature"])


def test_a_room_that_times_out_tells_room_ended(twilio_video, twilio_server, twilio_receiver, twilio_clock):
    room = twilio_video.rooms.create(status_callback=twilio_receiver.url("/room"), unused_room_timeout=1)
    twilio_clock.advance(60)
    room.fetch()
    assert [c["params"]["StatusCallbackEvent"] for c in received(twilio_server, twilio_receiver, "/room")] == [
        "room-created",
        "room-ended",
    ]


@pytest.fixture
def recorded_room(twilio_video, twilio_join, twilio_clock):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    twilio_join("standup", "ann").publish(AUDIO, name="mic")
    twilio_clock.advance(10)
    return room


def test_a_composition_tells_its_status_callback(
    twilio_video, twilio_server, twilio_receiver, recorded_room, twilio_clock, validator
):
    recorded_room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    composition = twilio_video.compositions.create(
        room_sid=recorded_room.sid, audio_sources=["*"], status_callback=twilio_receiver.url("/composition")
    )
    twilio_clock.advance(PROCESSING)
    composition = composition.fetch()
    calls = received(twilio_server, twilio_receiver, "/composition")
    assert [c["params"]["StatusCallbackEvent"] for c in calls] == ["composition-started", "composition-available"]
    available = calls[1]["params"]
    assert (available["CompositionSid"], available["RoomSid"]) == (composition.sid, recorded_room.sid)
    assert available["CompositionUri"] == f"/v1/Compositions/{composition.sid}"
    assert available["MediaUri"] == f"/v1/Compositions/{composition.sid}/Media"
    assert (available["Duration"], available["Size"]) == (str(composition.duration), str(composition.size))
    assert all(validator.validate(c["url"], c["params"], c["headers"]["X-Twilio-Signature"]) for c in calls)


def test_a_hook_tells_of_the_compositions_it_enqueues(
    twilio_video, twilio_server, twilio_receiver, recorded_room, twilio_clock
):
    hook = twilio_video.composition_hooks.create(
        friendly_name="everything", audio_sources=["*"], status_callback=twilio_receiver.url("/hook")
    )
    recorded_room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    (composition,) = twilio_video.compositions.list()
    assert composition.status_callback == twilio_receiver.url("/hook")
    twilio_clock.advance(PROCESSING)
    composition.fetch()
    calls = received(twilio_server, twilio_receiver, "/hook")
    assert [c["params"]["StatusCallbackEvent"] for c in calls] == [
        "composition-enqueued",
        "composition-started",
        "composition-available",
    ]
    enqueued = calls[0]["params"]
    assert (enqueued["HookSid"], enqueued["HookFriendlyName"], enqueued["CompositionSid"]) == (
        hook.sid,
        "everything",
        composition.sid,
    )
    assert enqueued["HookUri"] == f"/v1/CompositionHooks/{hook.sid}"


def test_a_hook_composition_that_matches_no_track_fails(
    twilio_video, twilio_server, twilio_receiver, recorded_room, twilio_clock
):
    twilio_video.composition_hooks.create(
        friendly_name="nobody", audio_sources=["nobody"], status_callback=twilio_receiver.url("/hook")
    )
    recorded_room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    (composition,) = twilio_video.compositions.list()
    assert composition.status == "failed"
    events = [c["params"]["StatusCallbackEvent"] for c in received(twilio_server, twilio_receiver, "/hook")]
    assert events == ["composition-enqueued", "composition-failed"]
