"""The provider-neutral part of phone participants: what ``video.phone`` checks before any
request, dial-in PINs in a registry, the PIN dialogue, and the webhook adapters answering a
voice webhook with its call-control document."""

from __future__ import annotations

import io
from typing import Any

import pytest

import anyvideo
from anyvideo import Feature, InvalidRequest, UnsupportedFeature
from anyvideo.registry import Registry
from anyvideo.voice import PIN_ATTEMPTS, PhoneCallSpec, Pins, PinVerdict, VoiceReply, dtmf_digits, judge_pin
from anyvideo.webhooks import WebhookRequest, respond, wsgi_app

NUMBER = "+15559990000"


@pytest.fixture
def pins() -> Pins:
    return Pins(Registry(None, namespace="test:pins"))


def test_a_call_spec_takes_e164_numbers_and_names_the_call_by_its_masked_number() -> None:
    spec = PhoneCallSpec("+15551234567", "+15550001111")
    assert spec.identity == "+•••••••4567"
    assert PhoneCallSpec("+15551234567", "+15550001111", "guest").identity == "guest"


@pytest.mark.parametrize(
    ("to", "caller_id", "field"), [("555", "+15550001111", "to"), ("+15551234567", "1", "caller_id")]
)
def test_a_number_that_is_not_e164_names_its_field(to: str, caller_id: str, field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        PhoneCallSpec(to, caller_id)
    assert refused.value.field == field


@pytest.mark.parametrize("digits", ["", "12a", "1 2", "+1", "1" * 65, None, 123])
def test_dtmf_is_digits_star_and_hash_only(digits: Any) -> None:
    with pytest.raises(InvalidRequest, match="DTMF"):
        dtmf_digits(digits)


def test_dtmf_keeps_what_a_phone_can_key() -> None:
    assert dtmf_digits("0123456789*#") == "0123456789*#"


def test_a_room_keeps_its_pin_and_pins_are_per_number(pins: Pins) -> None:
    pin = pins.issue("room-a", NUMBER)
    assert len(pin) == 6 and pin.isdigit() and pins.issue("room-a", NUMBER) == pin
    assert pins.room(NUMBER, pin) == "room-a" and pins.room("+15550000000", pin) is None
    assert pins.issue("room-b", NUMBER) != pin


def test_the_pin_dialogue(pins: Pins) -> None:
    pin = pins.issue("room-a", NUMBER)
    wrong = "000000" if pin != "000000" else "111111"
    assert judge_pin(pins, NUMBER, pin + "#", 1) == (PinVerdict.JOIN, "room-a")
    assert judge_pin(pins, NUMBER, pin, PIN_ATTEMPTS) == (PinVerdict.JOIN, "room-a")
    assert judge_pin(pins, NUMBER, wrong, 1) == (PinVerdict.RETRY, None)
    assert judge_pin(pins, NUMBER, "12", PIN_ATTEMPTS - 1) == (PinVerdict.RETRY, None)
    assert judge_pin(pins, NUMBER, wrong, PIN_ATTEMPTS) == (PinVerdict.HANG_UP, None)


def test_the_local_backend_has_no_telephony() -> None:
    video = anyvideo.connect("local")
    room = video.rooms.create("standup")
    assert not video.supports(Feature.PHONE_DIAL_OUT) and not video.supports(Feature.PHONE_DIAL_IN)
    with pytest.raises(UnsupportedFeature, match="telephony"):
        video.phone.call(room, "+15551234567", caller_id="+15550001111")
    with pytest.raises(UnsupportedFeature, match="telephony"):
        video.phone.dial_in(room, number=NUMBER)
    with pytest.raises(InvalidRequest):  # input first, before the feature
        video.phone.call(room, "5551234567", caller_id="+15550001111")


class _Answering:
    """A backend stand-in for the adapters: answers voice webhooks, refuses other callbacks."""

    def voice_reply(self, request: WebhookRequest) -> VoiceReply | None:
        return VoiceReply("application/xml", b"<Response/>") if "CallSid" in request.form() else None


def test_the_wsgi_adapter_answers_a_voice_webhook_with_its_document() -> None:
    video = anyvideo.connect("local")
    video.backend.voice_reply = _Answering().voice_reply  # type: ignore[method-assign]
    request = WebhookRequest(
        "POST", "http://app/hooks", {"Content-Type": "application/x-www-form-urlencoded"}, "CallSid=CA1"
    )
    assert respond(video, request) == (200, VoiceReply("application/xml", b"<Response/>"))
    started: list[Any] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": "10",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(b"CallSid=CA1"),
        "SERVER_NAME": "app",
        "SERVER_PORT": "80",
        "PATH_INFO": "/hooks",
    }
    body = wsgi_app(video)(environ, lambda status, headers: started.append((status, headers)))
    assert body == [b"<Response/>"]
    assert started == [("200 OK", [("Content-Type", "application/xml"), ("Content-Length", "11")])]
    # anything else is a callback, as before: the local backend receives none
    other = WebhookRequest("POST", "http://app/hooks", {}, "Other=1")
    assert respond(video, other)[0] == 400


def test_the_asgi_adapter_answers_a_voice_webhook_with_its_document() -> None:
    import asyncio

    from anyvideo.webhooks import asgi_app

    video = anyvideo.connect("local")
    video.backend.voice_reply = _Answering().voice_reply  # type: ignore[method-assign]
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hooks",
        "headers": [(b"host", b"app"), (b"content-type", b"application/x-www-form-urlencoded")],
        "query_string": b"",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"CallSid=CA1", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(asgi_app(video)(scope, receive, send))
    assert sent[0]["status"] == 200 and (b"content-type", b"application/xml") in sent[0]["headers"]
    assert sent[1]["body"] == b"<Response/>"
