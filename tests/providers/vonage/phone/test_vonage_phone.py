"""Phone participants on Vonage, end to end against the emulator: the Video API's SIP
dial into the application's Voice side, whose answer webhook (anyvideo's endpoint)
connects the phone; and calls in to a linked number, asked for a PIN (NCCO ``input``)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from support.openapi import OpenApiChecker
from support.specs import SPECS, VONAGE_SPEC, RecordsExchanges
from support.webhooks import VONAGE_SECRET, Collector, vonage_callbacks, vonage_signed

from anyvideo import Conflict, Event, EventType, InvalidRequest, Participant, ParticipantStatus, Video
from anyvideo.testing import WebhookServer
from anyvideo.voice import PIN_ATTEMPTS
from anyvideo.webhooks import WebhookRequest
from anyvideo_vonage.emulator import VonageEmulator

CALLER_ID = "+15550001111"
PHONE = "+15551234567"
DIAL_IN = "+15559990000"
CALLER = "+447700900123"


class CheckedVonageEmulator(RecordsExchanges, VonageEmulator):
    """A Vonage emulator that keeps its exchanges, to check against the Voice API's spec."""


@pytest.fixture(scope="module")
def voice_spec() -> OpenApiChecker:
    conversation = ("components", "schemas", "conversation_uuid")
    why = "the spec's own example, as Vonage answers, is CON-<uuid>, not a bare UUID"
    return OpenApiChecker(
        SPECS / "vonage_voice.yml", prefix="/v1/calls", deviations=[(conversation, {"format": None}, why)]
    )


@pytest.fixture(scope="module")
def dial_spec() -> OpenApiChecker | None:
    """The Video API's spec, for the SIP dials (not vendored: ``None`` without it)."""
    return OpenApiChecker(VONAGE_SPEC) if VONAGE_SPEC.exists() else None


@pytest.fixture
def emulator(
    monkeypatch: pytest.MonkeyPatch, voice_spec: OpenApiChecker, dial_spec: OpenApiChecker | None
) -> Iterator[VonageEmulator]:
    """The emulator over HTTPS; when the test ends, every Voice API request it took and answer
    it gave must match ``vonage_voice.yml``."""
    with CheckedVonageEmulator(tls=True) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running
    voice = [(q, a) for q, a in running.exchanges if q.path.startswith("/v1/calls")]
    problems = [p for request, answer in voice for p in voice_spec.problems(request, answer)]
    assert not problems, "exchanges that do not match vonage_voice.yml:\n" + "\n".join(problems)
    dials = [(q, a) for q, a in running.exchanges if q.path.endswith("/dial")]
    if dial_spec is not None:  # the SIP dials into the Voice side, by the Video API's spec
        problems = [p for request, answer in dials for p in dial_spec.problems(request, answer)]
        assert not problems, "SIP dials that do not match vonage_video.yml:\n" + "\n".join(problems)


@pytest.fixture
def wired(emulator: VonageEmulator) -> Iterator[tuple[Video, list[Event]]]:
    """A Video receiving the emulator's signed callbacks and voice webhooks, the events it dispatched."""
    video = emulator.connect(signature_secret=VONAGE_SECRET)
    collector = Collector()
    video.plugins.manager.register(collector)
    with vonage_callbacks(video, emulator) as server:
        emulator.control.call("PUT", "/vonage/voice", {"answer_url": server.url, "numbers": [DIAL_IN]})
        yield video, collector.events


@pytest.fixture
def video(wired: tuple[Video, list[Event]]) -> Video:
    return wired[0]


def _call_of(emulator: VonageEmulator, participant_id: str, to: str) -> dict[str, Any]:
    return next(c for c in emulator.control.phone_calls() if c["participant_id"] == participant_id and c["to"] == to)


def test_a_phone_called_into_a_room_is_an_audio_only_phone_participant(video: Video, emulator: VonageEmulator) -> None:
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID, identity="dial-a-guest")
    assert called.phone and called.phone_number == "+•••••••4567" and called.identity == "dial-a-guest"
    assert called.status is ParticipantStatus.CONNECTED
    assert [(p.identity, p.phone) for p in video.participants.list(room)] == [("dial-a-guest", True)]
    # Vonage's REST API does not say what a stream carries: the platform's own record does
    assert {s.kind.value for s in emulator.world.streams(room.id)} == {"audio"}
    leg = _call_of(emulator, called.id, PHONE.removeprefix("+"))
    assert leg["status"] == "answered" and leg["from"] == CALLER_ID.removeprefix("+")


def test_removing_the_phone_participant_hangs_the_call_up(video: Video, emulator: VonageEmulator) -> None:
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID)
    video.participants.disconnect(room, called)
    assert video.participants.get(room, called.id).status is ParticipantStatus.DISCONNECTED
    assert _call_of(emulator, called.id, PHONE.removeprefix("+"))["status"] == "completed"


def test_its_join_and_leave_come_as_the_usual_events_marked_as_a_phone(
    wired: tuple[Video, list[Event]], emulator: VonageEmulator
) -> None:
    video, events = wired
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID)
    video.participants.disconnect(room, called)
    emulator.control.callbacks()  # every callback delivered
    seen = [(e.type, e.subject.phone, e.subject.phone_number) for e in events if isinstance(e.subject, Participant)]
    assert (EventType.PARTICIPANT_JOINED, True, "+•••••••4567") in seen
    assert (EventType.PARTICIPANT_LEFT, True, "+•••••••4567") in seen


def test_a_phone_that_does_not_answer_is_refused(video: Video, emulator: VonageEmulator) -> None:
    room = video.rooms.create("standup")
    emulator.control.script_phone(PHONE, answers=False)
    with pytest.raises(Conflict, match="did not answer"):
        video.phone.call(room, PHONE, caller_id=CALLER_ID)
    assert [p.status for p in video.participants.list(room)] == [ParticipantStatus.DISCONNECTED]


def test_a_sip_call_anyvideo_did_not_place_connects_nobody(video: Video, emulator: VonageEmulator) -> None:
    room = video.rooms.create("standup")
    token = video.tokens.create(room, "intruder")
    headers = {"X-AnyVideo-Call": "0" * 32}
    sip = {"uri": "sip:15550001111@sip.nexmo.com", "headers": headers}
    body = {"sessionId": room.id, "token": token.token, "sip": sip}
    video.native.video._http_client.post(
        video.backend.transport.video_host, f"/v2/project/{emulator.application.application_id}/dial", body
    )
    assert [c["to"] for c in emulator.control.phone_calls()] == ["15550001111"]  # no phone rung


@pytest.mark.parametrize(("to", "caller_id", "field"), [("5551234567", CALLER_ID, "to"), (PHONE, "", "caller_id")])
def test_a_number_that_is_not_e164_is_refused_before_any_request(
    emulator: VonageEmulator, to: str, caller_id: str, field: str
) -> None:
    video = emulator.connect()
    with pytest.raises(InvalidRequest) as refused:
        video.phone.call("1_MX4xMjM0NTZ-fg", to, caller_id=caller_id)
    assert refused.value.field == field
    assert emulator.control.phone_calls() == []


# --- dial in ----------------------------------------------------------------------------


def test_a_caller_who_keys_the_pin_joins_the_room(video: Video, emulator: VonageEmulator) -> None:
    room = video.rooms.create("clinic")
    opened = video.phone.dial_in(room, number=DIAL_IN)
    assert opened.number == DIAL_IN and len(opened.pin) == 6
    assert video.phone.dial_in(room, number=DIAL_IN).pin == opened.pin
    call = emulator.control.call_in(CALLER, DIAL_IN)
    assert call["waiting_for_digits"] and call["status"] == "answered"
    joined = emulator.control.send_dtmf(call["id"], opened.pin + "#")
    assert joined["participant_id"] is not None and joined["status"] == "answered"
    participant = video.participants.get(room, joined["participant_id"])
    assert participant.phone and participant.phone_number == "+••••••••0123"
    video.participants.disconnect(room, participant)
    assert next(c for c in emulator.control.phone_calls() if c["id"] == call["id"])["status"] == "completed"


def test_three_wrong_pins_end_the_call(video: Video, emulator: VonageEmulator) -> None:
    room = video.rooms.create("clinic")
    pin = video.phone.dial_in(room, number=DIAL_IN).pin
    wrong = "000000" if pin != "000000" else "111111"
    call = emulator.control.call_in(CALLER, DIAL_IN)
    for attempt in range(1, PIN_ATTEMPTS + 1):
        after = emulator.control.send_dtmf(call["id"], wrong + "#")
        assert after["participant_id"] is None
        assert after["waiting_for_digits"] is (attempt < PIN_ATTEMPTS)
    assert after["status"] == "completed"
    assert list(video.participants.list(room)) == []


def test_an_unsigned_voice_webhook_is_refused(emulator: VonageEmulator) -> None:
    video = emulator.connect(signature_secret=VONAGE_SECRET)
    with WebhookServer(video) as server:
        emulator.control.call("PUT", "/vonage/voice", {"answer_url": server.url, "numbers": [DIAL_IN]})
        emulator.control.call("PUT", "/vonage/callbacks", {"signature_secret": None})
        call = emulator.control.call_in(CALLER, DIAL_IN)
    assert call["status"] == "failed"  # the webhook answered 403: the call cannot go on


def test_the_voice_api_shows_the_calls_and_a_phone_hung_up_leaves_the_room(
    video: Video, emulator: VonageEmulator
) -> None:
    room = video.rooms.create("standup")
    called = video.phone.call(room, PHONE, caller_id=CALLER_ID)
    listed, _ = video.native.voice.list_calls()
    assert {call.to.number for call in listed} == {CALLER_ID.removeprefix("+"), PHONE.removeprefix("+")}
    leg = next(call for call in listed if call.to.number == PHONE.removeprefix("+"))
    assert video.native.voice.get_call(leg.uuid).status == "answered"
    video.native.voice.hangup(leg.uuid)
    assert video.native.voice.get_call(leg.uuid).status == "completed"
    # the phone hung up: the SIP call it was connected from ends, and its connection leaves
    assert video.participants.get(room, called.id).status is ParticipantStatus.DISCONNECTED


def test_the_answer_ncco_connects_the_phone_as_the_voice_spec_writes_an_endpoint(
    video: Video, voice_spec: OpenApiChecker
) -> None:
    room = video.rooms.create("standup")
    video.phone.call(room, PHONE, caller_id=CALLER_ID)
    key, _ = next(iter(video.backend.registry.find("phone_call")))
    query = {
        "to": "15550001111",
        "from": "sip",
        "uuid": "u-1",
        "conversation_uuid": "CON-1",
        "SipHeader_X-AnyVideo-Call": key,
    }
    url = "http://127.0.0.1/voice?" + urllib.parse.urlencode(query)
    headers, body = vonage_signed(b"")
    reply = video.phone.reply(WebhookRequest("GET", url, headers, body))
    assert reply is not None and reply.content_type == "application/json"
    (connect,) = json.loads(reply.body)
    assert connect["action"] == "connect" and connect["from"] == "15550001111"
    endpoint = jsonschema_rs.Draft7Validator(voice_spec.schema_at("components", "schemas", "EndpointPhoneTo"))
    assert list(endpoint.iter_errors(connect["endpoint"][0])) == []
    assert connect["endpoint"][0] == {"type": "phone", "number": "15551234567"}
