"""pytest fixtures for testing applications offline against the emulators.

Installed with anyvideo (``pytest11`` entry point), so any test suite can ask
for them:

- ``vonage_emulator``: a running Vonage Video emulator (HTTPS, with
  ``REQUESTS_CA_BUNDLE`` pointing at its throw-away CA for the test);
- ``twilio_emulator``: a running Twilio Video emulator (plain HTTP, with
  ``TWILIO_REGION``/``TWILIO_EDGE`` removed for the test so the SDK keeps the
  emulator's URL).

Each yields the :class:`~anyvideo.testing.Emulator`: ``base_url``,
``credentials``, and ``control`` (plays browsers, moves the clock, injects
faults, lists callbacks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anyvideo.testing import Emulator, emulator


@pytest.fixture
def vonage_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A Vonage Video emulator on 127.0.0.1 over HTTPS, for the duration of one test."""
    with emulator("vonage", tls=True) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running


@pytest.fixture
def twilio_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A Twilio Video emulator on 127.0.0.1 over HTTP, for the duration of one test."""
    for variable in ("TWILIO_REGION", "TWILIO_EDGE"):
        monkeypatch.delenv(variable, raising=False)
    with emulator("twilio") as running:
        yield running
