"""One clock for both sides of a callback: the anyvideo ``Video`` an emulator's
``connect()`` builds judges the signed ``Timestamp`` by the emulator's clock, so a test
that advances it an hour still gets its events; a callback that is really stale (signed
long before that clock's now) is still refused. A receiver running elsewhere passes the
same clock (``webhook_clock=``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from support.webhooks import Collector, deliveries, twilio_signed

import anyvideo
from anyvideo import EventType, Video
from anyvideo.errors import ConfigurationError, WebhookVerificationError
from anyvideo.testing import WebhookServer
from anyvideo_twilio.emulator import TwilioEmulator

HOOK = "http://127.0.0.1:9/hooks"
HOUR = 3600


def _twilio_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_an_hour_ahead_callbacks_still_verify_and_events_arrive(
    emulator: TwilioEmulator, connect_twilio: Callable[..., Video]
) -> None:
    receiving = connect_twilio()
    collector = Collector()
    receiving.plugins.manager.register(collector)
    with WebhookServer(receiving) as server:
        app = connect_twilio(status_callback=server.url)
        emulator.control.advance(HOUR)
        room = app.rooms.create("an-hour-later")
        app.rooms.end(room)
        sent = app.backend.browser().callbacks()
    assert sent and all(delivery["status"] < 300 for delivery in sent), [d["status"] for d in sent]
    kinds = [event.type for event in collector.events]
    assert EventType.ROOM_STARTED in kinds and EventType.ROOM_ENDED in kinds


def test_a_callback_signed_before_the_emulators_now_is_still_refused(emulator: TwilioEmulator, video: Video) -> None:
    emulator.control.advance(HOUR)
    token = emulator.credentials["auth_token"]
    base = {"AccountSid": emulator.credentials["account_sid"], "StatusCallbackEvent": "room-created"}
    base |= {"RoomSid": "RM" + "0" * 32, "RoomName": "stale", "RoomStatus": "in-progress", "RoomType": "group"}
    for sent_at, fresh in [(emulator.clock.now(), True), (emulator.clock.now() - timedelta(minutes=10), False)]:
        params = base | {"Timestamp": _twilio_time(sent_at), "SequenceNumber": "0"}
        headers, body = twilio_signed(token, HOOK, params)
        if fresh:
            assert [e.type for e in video.webhooks.parse("POST", HOOK, headers, body)] == [EventType.ROOM_STARTED]
        else:
            with pytest.raises(WebhookVerificationError, match="replay window"):
                video.webhooks.parse("POST", HOOK, headers, body)


def test_a_receiver_elsewhere_passes_the_emulators_clock(emulator: TwilioEmulator) -> None:
    """The same settings an application's receiver would be given, with the emulator's clock."""
    emulator.control.advance(HOUR)
    app = emulator.connect()
    app.rooms.create("elsewhere-later", provider_options={"status_callback": HOOK})
    late = deliveries(emulator.control, HOOK)[-1]
    parse = (late["method"], late["url"], late["headers"], late["body"])
    with anyvideo.connect("twilio", environ={}, **emulator.backend_settings, webhook_clock=emulator.clock) as there:
        (event,) = there.webhooks.parse(*parse)
        assert event.type == EventType.ROOM_STARTED
    with anyvideo.connect("twilio", environ={}, **emulator.backend_settings, webhook_clock=emulator.clock.now) as there:
        assert len(there.webhooks.parse(*parse)) == 1
    with anyvideo.connect("twilio", environ={}, **emulator.backend_settings) as on_the_machines_clock:
        with pytest.raises(WebhookVerificationError, match="replay window"):
            on_the_machines_clock.webhooks.parse(*parse)


@pytest.mark.parametrize("clock", ["now", 42, lambda: datetime(2026, 1, 1)])
def test_a_webhook_clock_that_is_not_one_is_refused(emulator: TwilioEmulator, clock: object) -> None:
    with pytest.raises(ConfigurationError, match="webhook_clock"):
        with anyvideo.connect("twilio", environ={}, **emulator.backend_settings, webhook_clock=clock) as video:
            video.webhooks.parse("POST", HOOK, {}, "")
