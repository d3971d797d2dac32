"""Fixtures of the webhook tests: anyvideo connected to each emulator as an application
connects, verifying callbacks (Vonage: the signature secret; Twilio: the auth token).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest
from support.webhooks import VONAGE_SECRET, Collector, Wiring, vonage_callbacks

from anyvideo import Video
from anyvideo.testing import Emulator, WebhookServer


@pytest.fixture
def connect_vonage(vonage_emulator: Emulator) -> Callable[..., Video]:
    """``connect_vonage(**settings)``: a Video on the Vonage emulator that verifies with ``VONAGE_SECRET``."""
    return functools.partial(vonage_emulator.connect, signature_secret=VONAGE_SECRET)


@pytest.fixture
def connect_twilio(twilio_emulator: Emulator) -> Callable[..., Video]:
    """``connect_twilio(**settings)``: a Video on the Twilio emulator (its auth token verifies callbacks)."""
    return twilio_emulator.connect


@pytest.fixture
def vonage_video(connect_vonage: Callable[..., Video]) -> Video:
    return connect_vonage()


@pytest.fixture
def twilio_video(connect_twilio: Callable[..., Video]) -> Video:
    return connect_twilio()


@pytest.fixture
def vonage_wired(vonage_video: Video, vonage_emulator: Emulator) -> Iterator[Wiring]:
    """The application's webhook app on loopback, and the Vonage emulator configured (as the
    dashboard would be) to send every kind of callback there, signed with the secret."""
    collector = Collector()
    vonage_video.plugins.manager.register(collector)
    with vonage_callbacks(vonage_video, vonage_emulator):
        yield Wiring(vonage_video, vonage_emulator.control, {}, collector)


@pytest.fixture
def twilio_wired(twilio_video: Video, twilio_emulator: Emulator) -> Iterator[Wiring]:
    """The application's webhook app on loopback, named as each room's status callback."""
    collector = Collector()
    twilio_video.plugins.manager.register(collector)
    with WebhookServer(twilio_video, path="/twilio/callbacks") as server:
        yield Wiring(twilio_video, twilio_emulator.control, {"status_callback": server.url}, collector)
        twilio_emulator.control.callbacks()
