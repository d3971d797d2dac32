"""docs/meetings.md as written: its Python block runs, its commands run, and its tables name
the same permissions and endpoints as the service."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REPO

from anyvideo.cli import cli
from anyvideo.meetings.auth import Permission, verify_token
from anyvideo.meetings.settings import Settings
from anyvideo.meetings.storage import Vault

PAGE = (REPO / "docs" / "meetings.md").read_text(encoding="utf-8")
PYTHON = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", PAGE, re.S)]
SHELL = [b for b in re.findall(r"```sh\n(.*?)```", PAGE, re.S)]


def test_the_page_has_the_blocks_this_test_runs() -> None:
    assert len(PYTHON) == 1 and len(SHELL) == 2


def test_the_python_block_runs_as_written(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    environ["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
    ran = subprocess.run(
        [sys.executable, "-W", "error", "-c", PYTHON[0]],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


def commands() -> list[list[str]]:
    lines = [line.split("#")[0].strip() for line in SHELL[0].splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("anyvideo serve ")]


def test_the_commands_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"ANYVIDEO_MEETINGS_AUTH_SECRET": None, "ANYVIDEO_MEETINGS_DATABASE_URL": None})
    ran = [argv for argv in commands() if argv[2:3] in (["token"], ["migrate"])]
    assert len(ran) == 3
    for argv in ran:
        result = runner.invoke(cli, argv[1:])
        assert result.exit_code == 0, (argv, result.output)
        if argv[2] == "token":  # signed with the secret kept in the folder, as the page says
            verify_token(result.output.strip(), [Settings.from_env({}).auth_secret])
    assert (tmp_path / "anyvideo-meetings.secret").is_file() and (tmp_path / "anyvideo-meetings.db").is_file()


def test_the_storage_key_command_makes_a_key_the_service_takes() -> None:
    environ = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    ran = subprocess.run(
        ["bash", "-c", SHELL[1] + 'printf %s "$ANYVIDEO_MEETINGS_STORAGE_KEY"'],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    vault = Vault(ran.stdout)
    assert vault.open(vault.seal({"secret": "s"})) == {"secret": "s"}


def test_the_permission_table_names_every_permission() -> None:
    table = re.findall(r"^\| `(\w+)` \| `(?:GET|POST|PUT|PATCH|DELETE) ", PAGE, re.M)
    assert table == [p.value for p in Permission]
