"""Offline testing: emulators of the providers' REST APIs on loopback, and a
control API that plays browsers against them.

    from anyvideo.testing import emulator
    with emulator("twilio") as twilio:
        ...  # point the twilio SDK at twilio.base_url with twilio.credentials
"""

from __future__ import annotations

import importlib

from anyvideo.testing.control import EmulatorControl, RemoteClient
from anyvideo.testing.receiver import WebhookServer
from anyvideo.testing.server import Emulator

__all__ = ["EMULATORS", "Emulator", "EmulatorControl", "RemoteClient", "WebhookServer", "emulator", "emulator_class"]

#: The emulators anyvideo ships, by provider name, as ``module:class``.
EMULATORS = {
    "vonage": "anyvideo.testing.vonage:VonageEmulator",
    "twilio": "anyvideo.testing.twilio:TwilioEmulator",
}


def emulator_class(provider: str) -> type[Emulator]:
    """The emulator class of ``provider`` (imported on first use)."""
    try:
        module, _, name = EMULATORS[provider].partition(":")
    except KeyError:
        raise ValueError(f"no emulator for {provider!r}; there are: {', '.join(EMULATORS)}") from None
    return getattr(importlib.import_module(module), name)


def emulator(provider: str, **options: object) -> Emulator:
    """A new (not yet started) emulator of ``provider``; ``options`` go to its constructor."""
    return emulator_class(provider)(**options)
