"""The ``router`` backend: a mixed fleet of two backends, for moving between
providers gradually. Registered through the ``anyvideo`` entry-point group, by
path: it loads when an application selects it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from anyvideo.hookspecs import hookimpl
from anyvideo.plugins import lazy_exports

if TYPE_CHECKING:
    from anyvideo.router.backend import RouterBackend
    from anyvideo.router.policy import AllToPrimary, NameRule, Percentage, parse_policy

__all__ = ["AllToPrimary", "NameRule", "Percentage", "RouterBackend", "parse_policy"]

__getattr__ = lazy_exports(
    __name__,
    {
        "RouterBackend": "anyvideo.router.backend",
        **dict.fromkeys(("AllToPrimary", "NameRule", "Percentage", "parse_policy"), "anyvideo.router.policy"),
    },
)


@hookimpl
def anyvideo_register_backends(register: Callable[[str, str], None]) -> None:
    register("router", "anyvideo.router.backend:RouterBackend")
