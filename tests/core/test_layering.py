"""The import rules of the design, as the import-linter contracts in pyproject.toml:
core imports no backend; a backend imports neither the test kit nor its own
emulator; an emulator imports nothing of its backend."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the source tree at ``root``, whatever copy of anyvideo is installed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "core"), str(root / "backends")])}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "added", "reported"),
    [
        ("core/anyvideo/models.py", "import anyvideo_vonage.translate", "anyvideo.models -> anyvideo_vonage.translate"),
        (
            "backends/anyvideo_vonage/translate.py",
            "import anyvideo.testing.server",
            "anyvideo_vonage.translate -> anyvideo.testing.server",
        ),
        (
            "backends/anyvideo_twilio/__init__.py",
            "import anyvideo_twilio.emulator",
            "anyvideo_twilio -> anyvideo_twilio.emulator",
        ),
        (
            "backends/anyvideo_vonage/emulator/archives.py",
            "from anyvideo_vonage import VonageBackend",
            "anyvideo_vonage.emulator.archives -> anyvideo_vonage",
        ),
    ],
    ids=[
        "core-imports-a-backend",
        "backend-imports-the-test-kit",
        "backend-imports-its-emulator",
        "emulator-imports-its-backend",
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, added: str, reported: str):
    for tree in ("core", "backends"):
        shutil.copytree(REPO / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{added}\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert reported in result.stdout, result.stdout
