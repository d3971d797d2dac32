"""anyvideo's conformance suite, run against the Twilio backend on the emulator."""

from __future__ import annotations

import pytest

from anyvideo.testing.conformance import ConformanceSuite, Platform


class TestTwilioConformance(ConformanceSuite):
    @pytest.fixture
    def anyvideo_platform(self, connect_twilio, twilio_emulator):
        video = connect_twilio()
        return Platform(video, video.backend.browser(), advance=twilio_emulator.control.advance)
