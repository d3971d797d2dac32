"""``python -m anyvideo`` is the ``anyvideo`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def test_python_m_anyvideo_runs_the_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "anyvideo", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "ANYVIDEO_LOCAL_DB": str(tmp_path / "db.sqlite")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert version("anyvideo") in result.stdout


def test_python_m_anyvideo_exits_with_the_commands_codes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "anyvideo", "no-such-command"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "No such command" in result.stderr
