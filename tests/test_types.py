"""anyvideo type-checks under ``mypy --strict``, configured in pyproject.toml, over
core and both backend packages."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The backends' own modules are being moved onto the shared call layer and
# fixed as they go; each leaves this list once it type-checks.
AWAITING_TYPES = {
    "backends/anyvideo_twilio/backend.py",
    "backends/anyvideo_twilio/tokens.py",
    "backends/anyvideo_twilio/translate.py",
    "backends/anyvideo_twilio/transport.py",
    "backends/anyvideo_vonage/backend.py",
    "backends/anyvideo_vonage/credentials.py",
    "backends/anyvideo_vonage/errors.py",
    "backends/anyvideo_vonage/extensions.py",
    "backends/anyvideo_vonage/resilience.py",
    "backends/anyvideo_vonage/translate.py",
    "backends/anyvideo_vonage/webhooks.py",
}

_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: ", re.MULTILINE)


@pytest.fixture(scope="module")
def mypy_errors(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy's errors by file. Its incremental cache lives in pytest's cache when
    there is one (a second run takes a second or two), else in a fresh directory."""
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir("mypy") if cache is not None else tmp_path_factory.mktemp("mypy-cache")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache_dir)],
        cwd=ROOT,
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
    unexpected = [line for path, lines in mypy_errors.items() if path not in AWAITING_TYPES for line in lines]
    assert not unexpected, "mypy --strict:\n" + "\n".join(unexpected)


def test_only_modules_that_still_fail_await_types(mypy_errors: dict[str, list[str]]):
    clean = sorted(AWAITING_TYPES - mypy_errors.keys())
    assert not clean, f"these type-check now; take them off AWAITING_TYPES: {', '.join(clean)}"
