"""The embedded ``local`` backend, registered through the ``anyvideo`` entry-point
group like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable

from anyvideo.backend import Backend
from anyvideo.hookspecs import hookimpl
from anyvideo.local.backend import LocalBackend

__all__ = ["LocalBackend"]


@hookimpl
def anyvideo_register_backends(register: Callable[[str, type[Backend]], None]) -> None:
    register("local", LocalBackend)
