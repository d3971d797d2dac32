"""Offline testing: emulators of the providers' REST APIs on loopback, and a
control API that plays browsers against them.

Each backend package ships its provider's emulator and registers it through
the ``anyvideo_register_emulators`` hook, so the list is open: whatever is
installed is there.

    from anyvideo.testing import emulator
    with emulator(name) as running:
        video = running.connect()  # anyvideo on the emulator, closed with it
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anyvideo.errors import ConfigurationError
from anyvideo.plugins import Plugins
from anyvideo.testing.control import EmulatorControl, RemoteClient, SettledClient, SettledDevices
from anyvideo.testing.receiver import WebhookServer
from anyvideo.testing.rendering import placements, regions_shown
from anyvideo.testing.server import Emulator, EmulatorSetting

if TYPE_CHECKING:
    from anyvideo.backend import Backend, Devices

__all__ = [
    "Emulator",
    "EmulatorSetting",
    "EmulatorControl",
    "RemoteClient",
    "SettledClient",
    "SettledDevices",
    "WebhookServer",
    "devices_for",
    "emulator",
    "emulator_class",
    "emulator_names",
    "placements",
    "regions_shown",
]


def emulator_names(plugins: Plugins | None = None) -> list[str]:
    """The names of the installed emulators (``anyvideo emulator NAME``), sorted."""
    return (plugins or Plugins()).emulator_names()


def emulator_class(name: str, plugins: Plugins | None = None) -> type[Emulator]:
    """The emulator class registered as ``name`` (imported on first use)."""
    return (plugins or Plugins()).emulator(name)


def emulator(name: str, *, plugins: Plugins | None = None, **options: object) -> Emulator:
    """A new (not yet started) emulator registered as ``name``; ``options`` go to its constructor."""
    return emulator_class(name, plugins)(**options)  # type: ignore[arg-type]


def devices_for(backend: Backend, plugins: Plugins | None = None) -> Devices:
    """The client devices of the emulator ``backend`` is pointed at.

    The emulator registered under the backend's name says how its browsers
    publish (:attr:`Emulator.devices_class`); the backend says where it sends
    requests (:attr:`~anyvideo.Backend.api_url`). Only an emulator, on
    loopback, can play participants: anything else is a real platform, which
    is joined from its client SDKs (:class:`~anyvideo.ConfigurationError`).
    """
    try:
        cls = emulator_class(backend.name, plugins)
    except ConfigurationError:
        raise ConfigurationError(
            f"the {backend.name} backend talks to a real platform; participants join from its client SDKs"
            " (no anyvideo emulator is installed for it)"
        ) from None
    return cls.devices_class.for_backend(backend.api_url, backend.name)
