"""anyvideo's conformance suite, run against the Vonage backend on the emulator.

The application receives Vonage's signed callbacks (as a Vonage application
does to know who is connected), so participants have identities.
"""

from __future__ import annotations

import pytest
from support.webhooks import VONAGE_SECRET, vonage_callbacks

from anyvideo.testing import SettledDevices
from anyvideo.testing.conformance import ConformanceSuite, Platform


class TestVonageConformance(ConformanceSuite):
    @pytest.fixture
    def anyvideo_platform(self, connect_vonage, vonage_emulator):
        video = connect_vonage(signature_secret=VONAGE_SECRET)
        with vonage_callbacks(video, vonage_emulator):
            yield Platform(video, SettledDevices(vonage_emulator.control), advance=vonage_emulator.control.advance)
