"""The embedded ``local`` backend, registered through the ``anyvideo`` entry-point
group like any third-party plugin: by path, so that listing the backends (the
CLI's ``--help``, an application on another backend) does not load it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from anyvideo.hookspecs import hookimpl
from anyvideo.plugins import lazy_exports

if TYPE_CHECKING:
    from anyvideo.local.backend import LocalBackend

__all__ = ["LocalBackend"]

__getattr__ = lazy_exports(__name__, {"LocalBackend": "anyvideo.local.backend"})


@hookimpl
def anyvideo_register_backends(register: Callable[[str, str], None]) -> None:
    register("local", "anyvideo.local.backend:LocalBackend")
