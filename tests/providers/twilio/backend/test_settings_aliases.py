"""Twilio's quickstart names, ``TWILIO_API_KEY`` and ``TWILIO_API_SECRET``, are read as
``TWILIO_API_KEY_SID`` and ``TWILIO_API_KEY_SECRET``; set to different values, both
together are a clear ConfigurationError that never shows either value."""

from __future__ import annotations

import pytest

import anyvideo
from anyvideo import ConfigurationError
from anyvideo.testing import Emulator
from anyvideo_twilio.config import TwilioSettings

ALIASES = {"TWILIO_API_KEY_SID": "TWILIO_API_KEY", "TWILIO_API_KEY_SECRET": "TWILIO_API_SECRET"}


def _quickstart_environment(emulator: Emulator) -> dict[str, str]:
    """The emulator's environment, with the API key under the quickstarts' names and no auth token."""
    environ = dict(emulator.backend_environment)
    del environ["TWILIO_AUTH_TOKEN"]
    for name, alias in ALIASES.items():
        environ[alias] = environ.pop(name)
    return environ


def test_the_quickstart_names_connect_and_mint_tokens(twilio_emulator: Emulator) -> None:
    with anyvideo.connect("twilio", environ=_quickstart_environment(twilio_emulator)) as video:
        room = video.rooms.create("from-quickstart-names")
        assert video.tokens.create(room, "ann").token


@pytest.mark.parametrize("canonical", list(ALIASES))
def test_the_alias_and_the_name_set_alike_are_fine(twilio_emulator: Emulator, canonical: str) -> None:
    environ = _quickstart_environment(twilio_emulator)
    environ[canonical] = environ[ALIASES[canonical]]
    loaded = TwilioSettings.load({}, environ)
    assert (loaded.api_key_sid, loaded.api_key_secret) == (environ["TWILIO_API_KEY"], environ["TWILIO_API_SECRET"])


@pytest.mark.parametrize("canonical", list(ALIASES))
def test_the_alias_and_the_name_set_differently_are_refused(twilio_emulator: Emulator, canonical: str) -> None:
    environ = _quickstart_environment(twilio_emulator)
    environ[canonical] = "SK" + "0" * 32
    with pytest.raises(ConfigurationError) as raised:
        anyvideo.connect("twilio", environ=environ)
    message = str(raised.value)
    assert canonical in message and ALIASES[canonical] in message and "different values" in message
    assert environ[canonical] not in message and environ[ALIASES[canonical]] not in message


def test_a_keyword_setting_still_wins_over_both(twilio_emulator: Emulator) -> None:
    environ = _quickstart_environment(twilio_emulator)
    environ["TWILIO_API_KEY_SID"] = "SK" + "0" * 32  # would conflict, but the keyword decides
    sid = twilio_emulator.credentials["api_key_sid"]
    assert TwilioSettings.load({"api_key_sid": sid}, environ).api_key_sid == sid
