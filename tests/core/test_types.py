"""anyvideo type-checks under ``mypy --strict``, configured in pyproject.toml, over
core and both backend packages."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict

import pytest
from support import REPO

_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: ", re.MULTILINE)


@pytest.fixture(scope="module")
def mypy_errors(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy's errors by file. Its incremental cache lives in pytest's cache when
    there is one (a second run takes a second or two), else in a fresh directory."""
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir("mypy") if cache is not None else tmp_path_factory.mktemp("mypy-cache")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors: dict[str, list[str]] = defaultdict(list)
    for line in result.stdout.splitlines():
        if match := _ERROR.match(line):
            errors[match["path"]].append(line)
    if result.returncode != 0 and not errors:  # not installed, a bad configuration, a crash
        pytest.fail(f"mypy could not run:\n{result.stdout}{result.stderr}")
    return errors


def test_anyvideo_type_checks(mypy_errors: dict[str, list[str]]):
    lines = [line for path_lines in mypy_errors.values() for line in path_lines]
    assert not lines, "mypy --strict:\n" + "\n".join(lines)
