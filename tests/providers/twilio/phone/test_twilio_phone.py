"""Phone participants on Twilio, end to end against the emulator: calls out through
Programmable Voice with ``<Connect><Room>``, and calls in to a number whose voice
webhook anyvideo answers (PIN by ``<Gather>``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.openapi import OpenApiChecker
from support.specs import SPECS, RecordsExchanges

import anyvideo
from anyvideo import Conflict, EventType, InvalidRequest, ParticipantStatus, UnsupportedFeature, Video
from anyvideo.testing import WebhookServer
from anyvideo.testing.server import Request, Response
from anyvideo.voice import PIN_ATTEMPTS
from anyvideo_twilio.emulator import TwilioEmulator
from anyvideo_twilio.phone import MAX_PHONE_PARTICIPANTS

CALLER_ID = "+15550001111"
PHONE = "+15551234567"


class CheckedTwilioEmulator(RecordsExchanges, TwilioEmulator):
    """A Twilio emulator that keeps its exchanges, to check against the 2010 API's spec."""


@pytest.fixture(scope="module")
def api_2010() -> OpenApiChecker:
    return OpenApiChecker(SPECS / "twilio_api_v2010.yaml", paths_as_uris=True)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, api_2010: OpenApiChecker) -> Iterator[TwilioEmulator]:
    """The emulator; when the test ends, every voice request it took and answer it gave
    (Calls, IncomingPhoneNumbers) must match ``twilio_api_v2010.yaml``."""
    for variable in ("TWILIO_REGION", "TWILIO_EDGE"):
        monkeypatch.delenv(variable, raising=False)
    with CheckedTwilioEmulator() as running:
        yield running
    voice = [(q, a) for q, a in running.exchanges if q.path.startswith("/2010-04-01/")]
    problems = [p for request, answer in voice for p in api_2010.problems(request, answer)]
    assert not problems, "exchanges that do not match twilio_api_v2010.yaml:\n" + "\n".join(problems)


@pytest.fixture
def events() -> list[anyvideo.Event]:
    return []


@pytest.fixture
def video(emulator: TwilioEmulator, events: list[anyvideo.Event]) -> Video:
    video = emulator.connect()

    class Hook:
        @anyvideo.hookimpl
        def anyvideo_event(self, event: anyvideo.Event, video: Video) -> None:
            events.append(event)

    video.plugins.manager.register(Hook())
    return video


@pytest.fixture
def webhooks(video: Video) -> Iterator[str]:
    """The URL of anyvideo's webhook endpoint (status callbacks, voice webhooks)."""
    with WebhookServer(video) as server:
        yield server.url


def test_a_phone_called_into_a_room_is_an_audio_only_phone_participant(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID, identity="dial-a-guest")
    assert called.phone and called.phone_number == "+•••••••4567" and called.identity == "dial-a-guest"
    assert called.status is ParticipantStatus.CONNECTED and called.room_id == room.id
    listed = list(video.participants.list(room))
    assert [(p.identity, p.phone) for p in listed] == [("dial-a-guest", True)]
    kinds = {s.kind.value for s in video.streams.list(room)}
    assert kinds == {"audio"}
    call = next(c for c in emulator.control.phone_calls() if c["participant_id"] == called.id)
    assert call["status"] == "in-progress" and call["to"] == PHONE and call["from"] == CALLER_ID


def test_removing_the_phone_participant_hangs_the_call_up(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID)
    video.participants.disconnect(room, called)
    assert video.participants.get(room, called.id).status is ParticipantStatus.DISCONNECTED
    call = next(c for c in emulator.control.phone_calls() if c["participant_id"] == called.id)
    assert call["status"] == "completed"


def test_its_join_and_leave_come_as_the_usual_events_marked_as_a_phone(
    video: Video, emulator: TwilioEmulator, events: list[anyvideo.Event], webhooks: str
) -> None:
    room = video.rooms.create("standup", provider_options={"status_callback": webhooks})
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID)
    video.participants.disconnect(room, called)
    emulator.callbacks.flush()
    seen = [(e.type, e.subject.phone) for e in events if isinstance(e.subject, anyvideo.Participant)]
    assert (EventType.PARTICIPANT_JOINED, True) in seen and (EventType.PARTICIPANT_LEFT, True) in seen


def test_a_phone_that_does_not_answer_is_refused_and_never_joins(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("standup")
    emulator.control.script_phone(PHONE, answers=False)
    with pytest.raises(Conflict, match="no-answer"):
        video.phone.call(room, PHONE, caller_id=CALLER_ID)
    assert list(video.participants.list(room)) == []


def test_a_peer_to_peer_room_takes_no_phone(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("p2p", provider_options={"type": "peer-to-peer"})
    with pytest.raises(UnsupportedFeature, match="group rooms only"):
        video.phone.call(room, PHONE, caller_id=CALLER_ID)
    assert emulator.control.phone_calls() == []


def test_the_36th_phone_participant_is_refused_before_any_call(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("town-hall")
    for n in range(MAX_PHONE_PARTICIPANTS):
        video.phone.call(room, f"+1555100{n:04d}", caller_id=CALLER_ID)
    with pytest.raises(Conflict, match="35 phone participants"):
        video.phone.call(room, PHONE, caller_id=CALLER_ID)
    assert len(emulator.control.phone_calls()) == MAX_PHONE_PARTICIPANTS


@pytest.mark.parametrize(
    ("to", "caller_id", "field"), [("5551234567", CALLER_ID, "to"), (PHONE, "+1 555", "caller_id")]
)
def test_a_number_that_is_not_e164_is_refused_before_any_request(
    video: Video, emulator: TwilioEmulator, to: str, caller_id: str, field: str
) -> None:
    sent = video.backend.transport.sent
    with pytest.raises(InvalidRequest) as refused:
        video.phone.call("RM" + "0" * 32, to, caller_id=caller_id)
    assert refused.value.field == field and video.backend.transport.sent == sent


# --- dial in ----------------------------------------------------------------------------------

DIAL_IN = "+15559990000"
CALLER = "+447700900123"


@pytest.fixture
def dial_in_number(video: Video, webhooks: str) -> str:
    """A number of the account whose voice webhook is anyvideo's endpoint (provisioned
    through the SDK, which the backend points at the emulator)."""
    video.native.api.v2010.account.incoming_phone_numbers.create(phone_number=DIAL_IN, voice_url=webhooks)
    return DIAL_IN


def test_a_caller_who_keys_the_pin_joins_the_room(video: Video, emulator: TwilioEmulator, dial_in_number: str) -> None:
    room = video.rooms.create("clinic")
    opened = video.phone.dial_in(room, number=dial_in_number)
    assert opened.number == dial_in_number and len(opened.pin) == 6 and opened.pin.isdigit()
    assert video.phone.dial_in(room, number=dial_in_number).pin == opened.pin  # one PIN per room
    call = emulator.control.call_in(CALLER, dial_in_number)
    assert call["waiting_for_digits"] and call["status"] == "in-progress"
    joined = emulator.control.send_dtmf(call["id"], opened.pin + "#")
    assert joined["participant_id"] is not None
    participant = video.participants.get(room, joined["participant_id"])
    assert participant.phone and participant.phone_number == "+••••••••0123"
    video.participants.disconnect(room, participant)
    assert next(c for c in emulator.control.phone_calls() if c["id"] == call["id"])["status"] == "completed"


def test_three_wrong_pins_end_the_call(video: Video, emulator: TwilioEmulator, dial_in_number: str) -> None:
    room = video.rooms.create("clinic")
    pin = video.phone.dial_in(room, number=dial_in_number).pin
    wrong = "000000" if pin != "000000" else "111111"
    call = emulator.control.call_in(CALLER, dial_in_number)
    for attempt in range(1, PIN_ATTEMPTS + 1):
        after = emulator.control.send_dtmf(call["id"], wrong + "#")
        assert after["participant_id"] is None
        assert after["waiting_for_digits"] is (attempt < PIN_ATTEMPTS)
    assert after["status"] == "completed"
    assert list(video.participants.list(room)) == []


def test_dtmf_is_checked_before_it_is_sent(emulator: TwilioEmulator) -> None:
    with pytest.raises(InvalidRequest, match="DTMF"):
        emulator.control.send_dtmf("CA" + "0" * 32, "12a")


def test_a_number_of_another_account_opens_no_dial_in(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("clinic")
    with pytest.raises(InvalidRequest, match="not a number of this Twilio account"):
        video.phone.dial_in(room, number="+15550000000")


def test_the_spec_check_refuses_what_the_2010_api_does_not_define(api_2010: OpenApiChecker) -> None:
    path = "/2010-04-01/Accounts/AC" + "0" * 32 + "/Calls.json"
    request = Request("POST", path, {}, {}, b"From=%2B15550001111&Colour=blue", "https://127.0.0.1" + path)
    problems = api_2010.problems(request, Response.json({"sid": 7}, 201))
    assert any("missing To" in p for p in problems) and any("unknown parameter Colour" in p for p in problems)
    assert any("sid" in p for p in problems)  # the answer's sid is not a string


def test_the_async_facade_calls_and_opens_dial_in_the_same_way(
    video: Video, emulator: TwilioEmulator, dial_in_number: str
) -> None:
    import asyncio

    from anyvideo import aio

    room = video.rooms.create("standup")

    async def main() -> tuple[anyvideo.Participant, str]:
        async with aio.Video(video, close_video=False) as async_video:
            called = await async_video.phone.call(room, PHONE, caller_id=CALLER_ID)
            opened = await async_video.phone.dial_in(room, number=dial_in_number)
            with pytest.raises(InvalidRequest):
                await async_video.phone.call(room, "555", caller_id=CALLER_ID)
            return called, opened.pin

    called, pin = asyncio.run(main())
    assert called.phone and video.phone.dial_in(room, number=dial_in_number).pin == pin


def test_a_peer_to_peer_room_opens_no_dial_in(video: Video, dial_in_number: str) -> None:
    room = video.rooms.create("p2p", provider_options={"type": "peer-to-peer"})
    with pytest.raises(UnsupportedFeature) as refused:
        video.phone.dial_in(room, number=dial_in_number)
    assert refused.value.feature == "phone_dial_in"


def test_a_caller_is_turned_away_from_a_room_with_35_phones(
    video: Video, emulator: TwilioEmulator, dial_in_number: str
) -> None:
    room = video.rooms.create("town-hall")
    pin = video.phone.dial_in(room, number=dial_in_number).pin
    for n in range(MAX_PHONE_PARTICIPANTS):
        video.phone.call(room, f"+1555100{n:04d}", caller_id=CALLER_ID)
    call = emulator.control.call_in(CALLER, dial_in_number)
    after = emulator.control.send_dtmf(call["id"], pin + "#")
    assert after["participant_id"] is None and after["status"] == "completed"


def test_a_call_hung_up_through_the_api_leaves_the_room(video: Video, emulator: TwilioEmulator) -> None:
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID)
    call_sid = next(c["id"] for c in emulator.control.phone_calls() if c["participant_id"] == called.id)
    assert video.native.calls(call_sid).update(status="completed").status == "completed"
    assert video.participants.get(room, called.id).status is ParticipantStatus.DISCONNECTED
