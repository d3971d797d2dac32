"""The Twilio Video backend, registered through the ``anyvideo`` entry-point
group like any third-party plugin (``pip install 'anyvideo[twilio]'``)."""

from __future__ import annotations

from collections.abc import Callable

from anyvideo.backend import Backend
from anyvideo.hookspecs import hookimpl
from anyvideo_twilio.backend import TwilioBackend

__all__ = ["TwilioBackend"]


@hookimpl
def anyvideo_register_backends(register: Callable[[str, type[Backend]], None]) -> None:
    register("twilio", TwilioBackend)


@hookimpl
def anyvideo_register_emulators(register: Callable[[str, str], None]) -> None:
    # By path: the backend must not import its emulator, which loads only when asked for.
    register("twilio", "anyvideo_twilio.emulator:TwilioEmulator")
