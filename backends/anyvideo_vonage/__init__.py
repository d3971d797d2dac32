"""anyvideo's Vonage Video backend, registered through the ``anyvideo`` entry-point group."""

from __future__ import annotations

from collections.abc import Callable

from anyvideo.backend import Backend
from anyvideo.hookspecs import hookimpl
from anyvideo_vonage.backend import VonageBackend
from anyvideo_vonage.extensions import Captions, Render, RenderSpec, SipCall, SipConnection

__all__ = ["Captions", "Render", "RenderSpec", "SipCall", "SipConnection", "VonageBackend"]


@hookimpl
def anyvideo_register_backends(register: Callable[[str, type[Backend]], None]) -> None:
    register("vonage", VonageBackend)


@hookimpl
def anyvideo_register_emulators(register: Callable[[str, str], None]) -> None:
    # By path: the backend must not import its emulator, which loads only when asked for.
    register("vonage", "anyvideo_vonage.emulator:VonageEmulator")
