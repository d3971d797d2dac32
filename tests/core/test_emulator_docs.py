"""docs/emulators.md, run as written: every Python block of the page is a test module
of a user's suite, and passes with only anyvideo's pytest plugin to serve the emulators."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from support import REPO
from support.docs import run_as_test_modules

from anyvideo.plugins import Plugins
from anyvideo.testing.server import CONTROL_PREFIX

PAGE = REPO / "docs" / "emulators.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def test_every_python_block_of_the_page_is_a_test_module() -> None:
    assert BLOCKS and all("\ndef test_" in f"\n{block}" for block in BLOCKS)


def test_every_python_block_of_the_page_passes(tmp_path: Path) -> None:
    run_as_test_modules(BLOCKS, tmp_path, "-W", "error")


def _shape(method: str, path: str) -> str:
    """A route as ``METHOD /path`` with its parameters unnamed (the page may name them its own way)."""
    return f"{method} {re.sub(r'{[^}/]*}', '{}', path)}"


def control_routes(name: str) -> set[str]:
    """The control-API routes the emulator registered as ``name`` serves (what ``route`` declared on it)."""
    members = inspect.getmembers(Plugins().emulator(name), inspect.isfunction)
    return {
        _shape(method, pattern)
        for _, member in members
        for method, pattern in getattr(member, "_routes", ())
        if pattern.startswith(CONTROL_PREFIX + "/")
    }


#: A route as the page writes it: ``METHOD /_emulator/...`` in a code span.
_DOCUMENTED = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/_emulator/[^`\s]+)`")


def documented_routes() -> set[str]:
    return {_shape(method, path) for method, path in _DOCUMENTED.findall(PAGE.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("name", ["vonage", "twilio"])
def test_the_page_lists_every_control_api_route_the_emulator_serves(name: str) -> None:
    served = control_routes(name)
    assert served and not served - documented_routes(), f"undocumented: {sorted(served - documented_routes())}"


def test_the_page_lists_no_control_api_route_nobody_serves() -> None:
    served = control_routes("vonage") | control_routes("twilio")
    assert not documented_routes() - served
