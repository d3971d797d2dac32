"""Fixtures of the Vonage backend tests: ``video`` is ``anyvideo.connect("vonage", …)``
pointed at the ``vonage_emulator`` fixture (HTTPS, its CA trusted through
``REQUESTS_CA_BUNDLE``), driving the official SDK; ``browser`` plays clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from vonage_support import host_of

import anyvideo
from anyvideo import Room, Video
from anyvideo.testing import Emulator, EmulatorControl


@pytest.fixture
def connect_vonage(vonage_emulator: Emulator) -> Iterator[Callable[..., Video]]:
    """``connect_vonage(**settings)``: a Video on the emulator (settings override the emulator's credentials)."""
    opened: list[Video] = []

    def connect(**settings: Any) -> Video:
        options = {
            "application_id": vonage_emulator.credentials["application_id"],
            "private_key": vonage_emulator.credentials["private_key"],
            "video_host": host_of(vonage_emulator),
            **settings,
        }
        video = anyvideo.connect("vonage", environ={}, **options)
        opened.append(video)
        return video

    yield connect
    for video in opened:
        video.close()


@pytest.fixture
def video(connect_vonage: Callable[..., Video]) -> Video:
    return connect_vonage()


@pytest.fixture
def browser(video: Video) -> EmulatorControl:
    return video.backend.browser()


@pytest.fixture
def room(video: Video) -> Room:
    return video.rooms.create("weekly")
