"""anyvideo's Vonage Video backend, registered through the ``anyvideo`` entry-point group.

Registering imports nothing but this module: the backend, and with it the
Vonage SDK, loads when an application selects ``vonage`` (or uses one of the
names below).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from anyvideo.hookspecs import hookimpl
from anyvideo.plugins import lazy_exports

if TYPE_CHECKING:
    from anyvideo_vonage.backend import VonageBackend
    from anyvideo_vonage.extensions import (
        AudioConnection,
        AudioConnector,
        Captions,
        Render,
        RenderSpec,
        SipCall,
        SipConnection,
    )

__all__ = [
    "AudioConnection",
    "AudioConnector",
    "Captions",
    "Render",
    "RenderSpec",
    "SipCall",
    "SipConnection",
    "VonageBackend",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "VonageBackend": "anyvideo_vonage.backend",
        **dict.fromkeys(
            ("AudioConnection", "AudioConnector", "Captions", "Render", "RenderSpec", "SipCall", "SipConnection"),
            "anyvideo_vonage.extensions",
        ),
    },
)


@hookimpl
def anyvideo_register_backends(register: Callable[[str, str], None]) -> None:
    register("vonage", "anyvideo_vonage.backend:VonageBackend")


@hookimpl
def anyvideo_register_emulators(register: Callable[[str, str], None]) -> None:
    # By path: the backend must not import its emulator, which loads only when asked for.
    register("vonage", "anyvideo_vonage.emulator:VonageEmulator")


@hookimpl
def anyvideo_register_provisioners(register: Callable[[str, str], None]) -> None:
    register("vonage", "anyvideo_vonage.provision:provision")
