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
