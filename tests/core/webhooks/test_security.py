"""What verification refuses, for each provider, on callbacks the emulators really sent: a forged
signature, a missing one, a tampered body, the wrong URL, a replayed callback. Nothing refused
reaches the ``anyvideo_event`` hook."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from support.webhooks import (
    NOWHERE,
    TWILIO_TOKEN,
    VONAGE_SECRET,
    Collector,
    deliveries,
    twilio_signed,
    vonage_signed,
)

from anyvideo import EventType, StreamKind, Video
from anyvideo.errors import WebhookVerificationError
from anyvideo.registry import Registry
from anyvideo.testing import Emulator
from anyvideo.webhooks import Transitions, WebhookRequest
from anyvideo_twilio.webhooks import CallbackParser as TwilioParser
from anyvideo_vonage.webhooks import CallbackParser as VonageParser

Delivery = dict[str, Any]


def handle(video: Video, delivery: Delivery, **change: Any) -> list:
    d = delivery | change
    return video.webhooks.handle(d["method"], d["url"], d["headers"], d["body"])


def without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != name.lower()}


@pytest.fixture
def vonage_sent(vonage_video: Video, vonage_emulator: Emulator) -> Callable[[], list[Delivery]]:
    """Make the Vonage emulator sign callbacks to a URL where nobody listens; ``sent()`` lists them."""
    control = vonage_emulator.control
    settings = {kind: NOWHERE for kind in ("session", "archive", "broadcast", "render")}
    control.call("PUT", "/vonage/callbacks", settings | {"signature_secret": VONAGE_SECRET})
    room = vonage_video.rooms.create("guarded")
    control.join(vonage_video.tokens.create(room, "ann")).publish()
    return lambda: deliveries(control, NOWHERE)


@pytest.fixture
def twilio_sent(twilio_video: Video, twilio_emulator: Emulator) -> Callable[[], list[Delivery]]:
    room = twilio_video.rooms.create("guarded", provider_options={"status_callback": NOWHERE})
    twilio_emulator.control.join(twilio_video.tokens.create(room, "ann")).publish(StreamKind.AUDIO)
    return lambda: deliveries(twilio_emulator.control, NOWHERE)


@pytest.fixture
def heard(vonage_video: Video, twilio_video: Video) -> Collector:
    collector = Collector()
    for video in (vonage_video, twilio_video):
        video.plugins.manager.register(collector)
    return collector


# --- what was sent is accepted --------------------------------------------------------------


def test_what_the_providers_sent_is_accepted(vonage_video, vonage_sent, twilio_video, twilio_sent, heard) -> None:
    for delivery in vonage_sent():
        assert handle(vonage_video, delivery)
    for delivery in twilio_sent():
        assert handle(twilio_video, delivery)
    assert {e.provider for e in heard.events} == {"vonage", "twilio"}


# --- forged, missing --------------------------------------------------------------------------


def test_a_forged_signature_is_refused(vonage_video, vonage_sent, twilio_video, twilio_sent, heard) -> None:
    vonage, twilio = vonage_sent()[0], twilio_sent()[0]
    forged, _ = vonage_signed(vonage["body"].encode(), secret="an-attackers-secret-of-32-bytes-or-more")
    with pytest.raises(WebhookVerificationError, match="does not verify"):
        handle(vonage_video, vonage, headers=vonage["headers"] | forged)
    header = "X-Twilio-Signature"
    guessed = twilio_signed("an-attackers-guess-at-the-auth-token", twilio["url"], dict(parse_qsl(twilio["body"])))[0]
    with pytest.raises(WebhookVerificationError, match="does not match"):
        handle(twilio_video, twilio, headers=without(twilio["headers"], header) | {header: guessed[header]})
    assert heard.events == []


def test_a_missing_signature_is_refused(vonage_video, vonage_sent, twilio_video, twilio_sent, heard) -> None:
    vonage, twilio = vonage_sent()[0], twilio_sent()[0]
    with pytest.raises(WebhookVerificationError, match="no signature"):
        handle(vonage_video, vonage, headers=without(vonage["headers"], "Authorization"))
    with pytest.raises(WebhookVerificationError, match="no X-Twilio-Signature"):
        handle(twilio_video, twilio, headers=without(twilio["headers"], "X-Twilio-Signature"))
    assert heard.events == []


def test_a_signature_without_body_hash_or_time_is_refused(offline_vonage: Video) -> None:
    body = {"sessionId": "1_S", "event": "sessionCreated", "timestamp": 1}
    for claim in ("payload_hash", "iat"):
        with pytest.raises(WebhookVerificationError, match=claim):
            offline_vonage.webhooks.parse("POST", NOWHERE, *vonage_signed(body, **{claim: None}))


# --- tampered body ----------------------------------------------------------------------------


def test_a_tampered_body_is_refused(vonage_video, vonage_sent, twilio_video, twilio_sent, heard) -> None:
    vonage, twilio = vonage_sent()[0], twilio_sent()[0]
    with pytest.raises(WebhookVerificationError, match="not the one that was signed"):
        handle(vonage_video, vonage, body=vonage["body"].replace('"sessionId": "', '"sessionId": "x'))
    params = dict(parse_qsl(twilio["body"]))
    with pytest.raises(WebhookVerificationError, match="does not match"):
        handle(twilio_video, twilio, body=urlencode(params | {"RoomName": "elsewhere"}))
    with pytest.raises(WebhookVerificationError, match="does not match"):
        handle(twilio_video, twilio, body=urlencode(params | {"Injected": "1"}))
    assert heard.events == []


def test_a_json_callback_without_its_body_hash_in_the_url_is_refused(offline_twilio: Video) -> None:
    body = '{"StatusCallbackEvent": "room-created", "RoomSid": "RM1"}'
    headers = {**twilio_signed(TWILIO_TOKEN, NOWHERE, {})[0], "Content-Type": "application/json"}
    with pytest.raises(WebhookVerificationError, match="bodySHA256"):
        offline_twilio.webhooks.parse("POST", NOWHERE, headers, body)


# --- wrong URL --------------------------------------------------------------------------------


def test_a_callback_sent_to_another_url_is_refused(vonage_video, vonage_sent, twilio_video, twilio_sent) -> None:
    twilio = twilio_sent()[0]
    for other in (NOWHERE.replace("/hooks", "/other"), NOWHERE.replace("127.0.0.1", "localhost"), NOWHERE + "?x=1"):
        with pytest.raises(WebhookVerificationError, match="does not match"):
            handle(twilio_video, twilio, url=other)
    # Vonage's signature does not cover the URL: what was delivered once is refused anywhere else
    # as the replay it is (the token was used).
    vonage = vonage_sent()[0]
    assert handle(vonage_video, vonage)
    with pytest.raises(WebhookVerificationError, match="already received"):
        handle(vonage_video, vonage, url=NOWHERE.replace("/hooks", "/other"))


def test_twilio_checks_the_url_with_and_without_the_default_port(offline_twilio: Video) -> None:
    params = {"AccountSid": "AC1", "StatusCallbackEvent": "room-created", "RoomSid": "RM1"}
    headers, body = twilio_signed(TWILIO_TOKEN, "https://hooks.example.com:443/t", params)
    assert offline_twilio.webhooks.parse("POST", "https://hooks.example.com/t", headers, body)


# --- replayed ---------------------------------------------------------------------------------


def test_a_replayed_vonage_callback_is_refused(vonage_video, vonage_sent) -> None:
    first = vonage_sent()[0]
    assert handle(vonage_video, first)
    with pytest.raises(WebhookVerificationError, match="already received"):
        handle(vonage_video, first)


def test_a_stale_callback_is_refused(vonage_video, twilio_video, twilio_emulator, heard) -> None:
    body = {"sessionId": "1_S", "event": "sessionCreated", "timestamp": 1}
    old = int(time.time()) - 3600
    with pytest.raises(WebhookVerificationError, match="replay window"):
        vonage_video.webhooks.handle("POST", NOWHERE, *vonage_signed(body, iat=old, exp=old + 7200))
    room = twilio_video.rooms.create("late", provider_options={"status_callback": NOWHERE})
    ann = twilio_emulator.control.join(twilio_video.tokens.create(room, "ann"))
    twilio_emulator.control.advance(600)  # the provider's clock is ten minutes on: its signed Timestamp is too
    ann.publish(StreamKind.AUDIO)
    late = deliveries(twilio_emulator.control, NOWHERE)[-1]
    assert "track-added" in late["body"]
    on_the_machines_clock = twilio_emulator.connect(webhook_clock=None)  # not the emulator's clock
    with pytest.raises(WebhookVerificationError, match="replay window"):
        handle(on_the_machines_clock, late)
    assert heard.events == []


@pytest.mark.parametrize("timestamp", ["yesterday", "2026-13-45T00:00:00Z", "1700000000"])
def test_a_twilio_callback_whose_signed_timestamp_is_not_a_time_is_refused(
    offline_twilio: Video, heard, timestamp: str
) -> None:
    params = {"AccountSid": "AC1", "StatusCallbackEvent": "room-created", "RoomSid": "RM1", "Timestamp": timestamp}
    with pytest.raises(WebhookVerificationError, match="signed Timestamp is not a time"):
        offline_twilio.webhooks.handle("POST", NOWHERE, *twilio_signed(TWILIO_TOKEN, NOWHERE, params))
    assert heard.events == []


def test_an_expired_vonage_signature_is_refused(offline_vonage: Video) -> None:
    body = {"sessionId": "1_S", "event": "sessionCreated", "timestamp": 1}
    with pytest.raises(WebhookVerificationError, match="expired"):
        offline_vonage.webhooks.parse("POST", NOWHERE, *vonage_signed(body, exp=int(time.time()) - 10))


def test_the_replay_window_is_configurable(offline_twilio: Video) -> None:
    registry = Registry(None, namespace="vonage:test")
    strict = VonageParser(registry, [VONAGE_SECRET], lambda kind, id: None, replay_window=timedelta(seconds=30))
    minute_ago = int(time.time()) - 60
    headers, body = vonage_signed({"event": "sessionCreated", "sessionId": "1_S"}, iat=minute_ago)
    with pytest.raises(WebhookVerificationError, match="30s replay window"):
        strict.parse(WebhookRequest("POST", NOWHERE, headers, body))
    assert VonageParser(registry, [VONAGE_SECRET], lambda kind, id: None).parse(
        WebhookRequest("POST", NOWHERE, headers, body)
    )

    windows, transitions = offline_twilio.backend.windows, Transitions(offline_twilio.backend.registry)
    params = {
        "AccountSid": "AC1",
        "StatusCallbackEvent": "room-created",
        "RoomSid": "RM1",
        "Timestamp": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    request = WebhookRequest("POST", NOWHERE, *twilio_signed(TWILIO_TOKEN, NOWHERE, params))
    with pytest.raises(WebhookVerificationError, match="30s replay window"):
        TwilioParser([TWILIO_TOKEN], windows, transitions, replay_window=timedelta(seconds=30)).parse(request)
    [event] = TwilioParser([TWILIO_TOKEN], windows, transitions).parse(request)
    assert event.type == EventType.ROOM_STARTED
    with pytest.raises(ValueError, match="positive"):
        TwilioParser([TWILIO_TOKEN], windows, transitions, replay_window=timedelta(0))


def test_a_twilio_callback_retried_inside_the_window_keeps_its_event_id(twilio_video, twilio_sent) -> None:
    """Twilio's signature has no time or id of its own: a repeat inside the window is accepted,
    and the application drops it by ``event_id``."""
    delivery = twilio_sent()[0]
    assert handle(twilio_video, delivery)[0].event_id == handle(twilio_video, delivery)[0].event_id
