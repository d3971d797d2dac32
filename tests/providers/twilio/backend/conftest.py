"""Fixtures of the Twilio backend tests: anyvideo connected, as an application
connects, to a running Twilio emulator through the official ``twilio`` SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from anyvideo import Room, Video
from anyvideo.extensions import VideoExtensions
from anyvideo.testing import Emulator, EmulatorControl, RemoteClient
from anyvideo.testing.server import CONTROL_PREFIX
from anyvideo_twilio import TwilioBackend
from anyvideo_twilio.emulator import TwilioEmulator


@pytest.fixture
def connect_twilio(twilio_emulator: Emulator) -> Callable[..., Video]:
    """``connect_twilio(**overrides)``: anyvideo connected to the emulator (closed with it)."""
    return twilio_emulator.connect


@pytest.fixture
def video(connect_twilio: Callable[..., Video]) -> Video:
    return connect_twilio()


@pytest.fixture
def backend(video: Video) -> TwilioBackend:
    assert isinstance(video.backend, TwilioBackend)
    return video.backend


@pytest.fixture
def ext(video: Video) -> VideoExtensions:
    """Twilio's provider extensions, through the facade."""
    return video.ext


@pytest.fixture
def emulator(twilio_emulator: Emulator) -> TwilioEmulator:
    assert isinstance(twilio_emulator, TwilioEmulator)
    return twilio_emulator


@pytest.fixture
def control(twilio_emulator: Emulator) -> EmulatorControl:
    return twilio_emulator.control


@pytest.fixture
def browser(video: Video) -> EmulatorControl:
    return video.backend.browser()


@pytest.fixture
def room(video: Video) -> Room:
    return video.rooms.create(name="weekly")


@pytest.fixture
def join(video: Video, browser: EmulatorControl) -> Callable[..., RemoteClient]:
    """``join(room, identity)``: a browser joins with a token anyvideo minted."""

    def make(room: Room, identity: str = "ann") -> RemoteClient:
        return browser.join(video.tokens.create(room, identity))

    return make


@pytest.fixture
def received(emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """``(method, path)`` of every REST request the emulator receives from now on (not its control API)."""
    seen: list[tuple[str, str]] = []
    handle = emulator.handle

    def counting(request: Any) -> Any:
        if not request.path.startswith(CONTROL_PREFIX):
            seen.append((request.method, request.path))
        return handle(request)

    monkeypatch.setattr(emulator, "handle", counting)
    return seen
