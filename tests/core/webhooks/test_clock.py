"""One notion of "now" for callback freshness, in core, for every provider: the
``webhook_clock`` setting, which :meth:`anyvideo.testing.Emulator.connect` sets to the
emulator's clock. Advanced an hour, each emulator's signed callbacks still verify and
their events arrive; judged by the machine's clock instead, they are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.webhooks import VONAGE_SECRET, Collector, vonage_callbacks

from anyvideo import EventType, StreamKind
from anyvideo.errors import WebhookVerificationError
from anyvideo.testing import Emulator
from anyvideo.webhooks import clock_from_settings

HOUR = 3600


def test_a_vonage_emulator_an_hour_ahead_still_delivers_verified_events(vonage_emulator: Emulator) -> None:
    video = vonage_emulator.connect(signature_secret=VONAGE_SECRET)
    collector = Collector()
    video.plugins.manager.register(collector)
    with vonage_callbacks(video, vonage_emulator) as server:
        vonage_emulator.control.advance(HOUR)
        room = video.rooms.create("an-hour-later")
        browser = video.backend.browser()
        ann = browser.join(video.tokens.create(room, "ann", ttl=3 * HOUR))
        ann.publish(StreamKind.AUDIO)
        sent = browser.callbacks()
    del server
    assert sent and all(delivery["status"] < 300 for delivery in sent), [d["status"] for d in sent]
    assert EventType.PARTICIPANT_JOINED in [event.type for event in collector.events]


def test_judged_by_the_machines_clock_the_same_vonage_callbacks_are_refused(vonage_emulator: Emulator) -> None:
    app = vonage_emulator.connect(signature_secret=VONAGE_SECRET)
    on_the_machines_clock = vonage_emulator.connect(signature_secret=VONAGE_SECRET, webhook_clock=None)
    with vonage_callbacks(app, vonage_emulator):
        vonage_emulator.control.advance(HOUR)
        room = app.rooms.create("judged-elsewhere")
        app.backend.browser().join(app.tokens.create(room, "ann", ttl=3 * HOUR))
        delivery = next(d for d in vonage_emulator.control.callbacks() if d["url"].endswith("/vonage/callbacks"))
    with pytest.raises(WebhookVerificationError, match="replay window"):
        on_the_machines_clock.webhooks.parse("POST", delivery["url"], delivery["headers"], delivery["body"])


@pytest.mark.parametrize("given", [None, "clock", "function"])
def test_clock_from_settings_tells_the_clocks_time(given: str | None) -> None:
    from anyvideo.sim import ManualClock

    clock = ManualClock()
    settings: dict[str, Any] = {None: {}, "clock": {"webhook_clock": clock}, "function": {"webhook_clock": clock.now}}[
        given
    ]
    now: Callable[[], Any] = clock_from_settings(settings)
    if given is None:
        assert now() != clock.now()  # the machine's
    else:
        clock.advance(HOUR)
        assert now() == clock.now()
