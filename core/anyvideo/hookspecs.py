"""The plugin contract: few hooks, registration-shaped.

A plugin is a module (or object) with ``@hookimpl`` functions, listed under
``[project.entry-points.anyvideo]`` in its distribution. The built-in ``local``
backend comes in through the same door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    import click

    from anyvideo.backend import Backend
    from anyvideo.client import Video
    from anyvideo.models import Event
    from anyvideo.provisioning import Provisioner
    from anyvideo.testing.server import Emulator

__all__ = ["hookimpl", "hookspec"]

#: Marks the hook specifications below (for anyvideo itself; plugins implement them).
hookspec = pluggy.HookspecMarker("anyvideo")
#: Marks a plugin's hook implementations: ``@anyvideo.hookimpl`` above each function.
hookimpl = pluggy.HookimplMarker("anyvideo")


@hookspec
def anyvideo_register_backends(register: Callable[[str, type[Backend] | str], None]) -> None:
    """Call ``register(name, backend)`` once per backend this plugin provides.

    ``backend`` is a :class:`~anyvideo.Backend` subclass, or its
    ``"module:Class"`` path so that the backend (and its provider's SDK) loads
    only when an application selects it.
    """


@hookspec
def anyvideo_register_emulators(register: Callable[[str, type[Emulator] | str], None]) -> None:
    """Call ``register(name, emulator)`` once per provider emulator this plugin ships.

    ``name`` is the backend the emulator stands in for; ``emulator`` is an
    :class:`~anyvideo.testing.Emulator` subclass, or its ``"module:Class"`` path
    so that the emulator (and what it imports) loads only when someone asks
    for it — a backend package must not import its emulator to register it.
    """


@hookspec
def anyvideo_event(event: Event, video: Video) -> Any:
    """Receive every normalised event a ``Video`` observes (webhooks, the local backend)."""


@hookspec
def anyvideo_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``anyvideo`` command line."""


@hookspec
def anyvideo_register_provisioners(register: Callable[[str, Provisioner | str], None]) -> None:
    """Call ``register(name, provisioner)`` once per backend whose provider this plugin can
    provision (``anyvideo provision <name>``, :func:`anyvideo.provisioning.provision`).

    ``provisioner`` takes a :class:`~anyvideo.provisioning.ProvisionRequest` and returns a
    :class:`~anyvideo.provisioning.Provisioned`; give its ``"module:function"`` path so it
    (and the provider's SDK) loads only when someone provisions.
    """
