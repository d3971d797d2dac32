"""What the conformance checks stand on: the platform under test and the
fixtures derived from it."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterator
from typing import TypeVar, cast

import attrs
import pytest

from anyvideo.backend import Devices, Feature
from anyvideo.client import Video
from anyvideo.models import Room
from anyvideo.testing.blocking import blocking

__all__ = ["ConformanceKit", "Platform", "held_by", "needs", "unique_name"]

T = TypeVar("T")


@attrs.frozen
class Platform:
    """A backend under test: ``video`` connected to it, ``devices`` that play
    participants on it, and ``advance(seconds)`` that moves its clock so
    timed work (media processing) finishes without waiting."""

    video: Video
    devices: Devices
    advance: Callable[[float], object]
    #: How far one :meth:`settle` step moves the clock, in seconds.
    step: float = 5.0

    def settle(self, fetch: Callable[[], T], done: Callable[[T], bool], *, within: float = 120.0) -> T:
        """``fetch()`` again, moving the clock a step each time, until ``done`` holds.

        Fails the test when ``within`` seconds of platform time pass first.
        """
        for _ in range(math.ceil(within / self.step) + 1):
            item = fetch()
            if done(item):
                return item
            self.advance(self.step)
        pytest.fail(f"still not done after {within:g}s of platform time: {item!r}")


def unique_name(prefix: str = "conf") -> str:
    """A room name no other test uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


def held_by(video: Video, provider: str) -> bool:
    """Whether an object of ``provider`` can come from this backend: its own
    name, or, for a backend that routes between providers, any of them."""
    return provider == video.backend_name or video.backend.accepts_refs


def needs(video: Video, *features: Feature) -> None:
    """Skip the check unless the backend declares every feature."""
    missing = [f.value for f in features if not video.supports(f)]
    if missing:
        pytest.skip(f"{video.backend_name} does not declare {', '.join(missing)}")


class ConformanceKit:
    """The fixtures every check uses, derived from ``anyvideo_platform``."""

    @pytest.fixture
    def platform(self, anyvideo_platform: Platform) -> Platform:
        return anyvideo_platform

    @pytest.fixture(params=["sync", "aio"])
    def video(self, platform: Platform, request: pytest.FixtureRequest) -> Iterator[Video]:
        """The platform's ``Video``, and the same connection through :mod:`anyvideo.aio` (a
        blocking bridge with the sync surface): every check runs through both facades."""
        if request.param == "sync":
            yield platform.video
            return
        with blocking(platform.video) as bridged:
            yield cast(Video, bridged)

    @pytest.fixture
    def devices(self, platform: Platform) -> Devices:
        return platform.devices

    @pytest.fixture
    def room(self, video: Video) -> Room:
        return video.rooms.create(unique_name())
