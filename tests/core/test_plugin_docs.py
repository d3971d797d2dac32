"""docs/plugins.md's conformance recipe, run as written: the sandbox backend
and its test module are taken from the page and the suite passes on them."""

from __future__ import annotations

import re

import pytest
from support import REPO

pytest_plugins = ["pytester"]

PAGE = REPO / "docs" / "plugins.md"


def code_block(first_line: str) -> str:
    """The Python block of the page that starts with ``first_line``."""
    for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"docs/plugins.md has no block starting {first_line!r}")


def test_the_documented_sandbox_backend_passes_the_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(anyvideo_sandbox=code_block("# anyvideo_sandbox.py"))
    pytester.makepyfile(test_sandbox_conformance=code_block("# test_sandbox_conformance.py"))
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-rs")
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "error" not in outcomes, result.stdout.str()
    assert outcomes["passed"] > 30
    result.stdout.fnmatch_lines(["*sandbox does not declare*"])
