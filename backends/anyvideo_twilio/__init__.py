"""The Twilio Video backend, registered through the ``anyvideo`` entry-point
group like any third-party plugin (``pip install 'anyvideo[twilio]'``).

Registering imports nothing but this module: the backend, and with it the
Twilio SDK, loads when an application selects ``twilio`` (or names
``anyvideo_twilio.TwilioBackend``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from anyvideo.hookspecs import hookimpl
from anyvideo.plugins import lazy_exports

if TYPE_CHECKING:
    from anyvideo_twilio.backend import TwilioBackend

__all__ = ["TwilioBackend"]

__getattr__ = lazy_exports(__name__, {"TwilioBackend": "anyvideo_twilio.backend"})


@hookimpl
def anyvideo_register_backends(register: Callable[[str, str], None]) -> None:
    register("twilio", "anyvideo_twilio.backend:TwilioBackend")


@hookimpl
def anyvideo_register_emulators(register: Callable[[str, str], None]) -> None:
    # By path: the backend must not import its emulator, which loads only when asked for.
    register("twilio", "anyvideo_twilio.emulator:TwilioEmulator")


@hookimpl
def anyvideo_register_provisioners(register: Callable[[str, str], None]) -> None:
    register("twilio", "anyvideo_twilio.provision:provision")
