"""The ``router`` backend: a mixed fleet of two backends, for moving between
providers gradually. Registered through the ``anyvideo`` entry-point group."""

from __future__ import annotations

from collections.abc import Callable

from anyvideo.backend import Backend
from anyvideo.hookspecs import hookimpl
from anyvideo.router.backend import RouterBackend
from anyvideo.router.policy import AllToPrimary, NameRule, Percentage, parse_policy

__all__ = ["AllToPrimary", "NameRule", "Percentage", "RouterBackend", "parse_policy"]


@hookimpl
def anyvideo_register_backends(register: Callable[[str, type[Backend]], None]) -> None:
    register("router", RouterBackend)
