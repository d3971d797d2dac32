"""Fixtures of the Vonage backend tests: ``video`` is ``anyvideo.connect("vonage", …)``
pointed at the ``vonage_emulator`` fixture (HTTPS, its CA trusted through
``REQUESTS_CA_BUNDLE``), driving the official SDK; ``browser`` plays clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from anyvideo import Room, Video
from anyvideo.testing import Emulator, EmulatorControl


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
