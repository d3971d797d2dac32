"""Fixtures of the Vonage backend tests: ``video`` is ``anyvideo.connect("vonage", …)``
pointed at the ``vonage_emulator`` fixture (HTTPS, its CA trusted through
``REQUESTS_CA_BUNDLE``), driving the official SDK; ``browser`` plays clients;
``wired`` is a Video that receives the emulator's signed callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from support.webhooks import VONAGE_SECRET, Collector, vonage_callbacks

from anyvideo import Event, Room, Video
from anyvideo.testing import Emulator, EmulatorControl, SettledDevices


@pytest.fixture
def connect_vonage(vonage_emulator: Emulator) -> Callable[..., Video]:
    """``connect_vonage(**settings)``: a Video on the emulator (settings override the emulator's)."""
    return vonage_emulator.connect


@pytest.fixture
def video(connect_vonage: Callable[..., Video]) -> Video:
    return connect_vonage()


@pytest.fixture
def browser(video: Video) -> EmulatorControl:
    return video.backend.browser()


@pytest.fixture
def room(video: Video) -> Room:
    return video.rooms.create("weekly")


@pytest.fixture
def wired(
    connect_vonage: Callable[..., Video], vonage_emulator: Emulator
) -> Iterator[tuple[Video, SettledDevices, list[Event]]]:
    """A Video receiving the emulator's signed callbacks (over HTTP, on loopback), the devices
    whose every action waits for the callbacks it caused, and the events dispatched, in order."""
    video = connect_vonage(signature_secret=["an-older-secret-of-32-bytes-or-more!", VONAGE_SECRET])
    collector = Collector()
    video.plugins.manager.register(collector)
    with vonage_callbacks(video, vonage_emulator):
        yield video, SettledDevices(vonage_emulator.control), collector.events
