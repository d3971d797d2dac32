"""Running a documentation page's Python blocks as a user's test suite would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def module_blocks(blocks: Sequence[str]) -> list[str]:
    """The blocks that are test modules (they define a ``test_`` function at top level)."""
    return [block for block in blocks if re.search(r"^def test_", block, re.M)]


def run_as_test_modules(blocks: Sequence[str], folder: Path, *pytest_args: str) -> None:
    """Write each block to ``folder`` as a test module and run them with pytest in a fresh
    process, as a user's suite with only anyvideo's pytest plugin, no provider settings in
    the environment; fails unless every test in them ran and passed (none skipped)."""
    for number, block in enumerate(blocks):
        (folder / f"test_block_{number}.py").write_text(block, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    env["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args, str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = sum(len(re.findall(r"^def test_", block, re.M)) for block in blocks)
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed[1]) >= tests and "skipped" not in result.stdout, result.stdout
