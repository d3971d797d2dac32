"""The conformance suite, run against every backend anyvideo ships: the local
platform, and the Vonage and Twilio backends on their emulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import anyvideo
from anyvideo.sim import ManualClock
from anyvideo.testing.conformance import ConformanceSuite, Platform


class TestLocal(ConformanceSuite):
    @pytest.fixture
    def anyvideo_platform(self) -> Iterator[Platform]:
        clock = ManualClock()
        with anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video:
            yield Platform(video, video.backend.browser(), advance=clock.advance)
