"""``--json`` on the listings: one JSON document a script can read, times with their offset."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REPO

from anyvideo.backend import Feature
from anyvideo.cli import RECORDING_KEYS, ROOM_KEYS, cli


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    return CliRunner(
        env={
            "ANYVIDEO_BACKEND": "local",
            "ANYVIDEO_LOCAL_DB": str(tmp_path / "anyvideo.db"),
            "ANYVIDEO_LOCAL_PROCESSING_DELAY": "0",
        }
    )


def document(runner: CliRunner, *args: str) -> object:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def aware(value: object) -> datetime:
    assert isinstance(value, str)
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None, value
    return moment


def test_rooms_list_json_has_every_key_and_times_with_their_offset(runner: CliRunner) -> None:
    ref = runner.invoke(cli, ["rooms", "create", "standup"]).stdout.strip()
    rooms = document(runner, "rooms", "list", "--json")
    assert isinstance(rooms, list) and len(rooms) == 1
    (room,) = rooms
    assert list(room) == list(ROOM_KEYS)
    assert (room["ref"], room["name"], room["status"], room["provider"]) == (ref, "standup", "open", "local")
    assert room["id"] == ref.split(":", 1)[1]
    aware(room["created_at"])
    assert room["ended_at"] is None


def test_an_empty_listing_is_an_empty_json_list(runner: CliRunner) -> None:
    assert document(runner, "rooms", "list", "--json") == []
    assert document(runner, "recordings", "list", "--json") == []


def test_the_rooms_table_shows_times_with_their_offset(runner: CliRunner) -> None:
    runner.invoke(cli, ["rooms", "create", "standup"])
    (room,) = document(runner, "rooms", "list", "--json")  # type: ignore[misc]
    table = runner.invoke(cli, ["rooms", "list"]).stdout
    created = table.splitlines()[-1].split()[-1]
    assert aware(created) == aware(room["created_at"]).replace(microsecond=0)


def test_recordings_list_json_has_every_key_and_times_with_their_offset(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    recordings = document(runner, "recordings", "list", "--status", "available", "--json")
    assert isinstance(recordings, list) and recordings
    for recording in recordings:
        assert list(recording) == list(RECORDING_KEYS)
        assert recording["ref"] == f"local:{recording['id']}"
        assert recording["status"] == "available"
        assert aware(recording["started_at"]) <= aware(recording["stopped_at"])
        assert isinstance(recording["size"], int) and recording["size"] > 0
    table = runner.invoke(cli, ["recordings", "list", "--status", "available"]).stdout
    aware(table.splitlines()[-1].split()[4])


def test_backends_json_names_each_backend_and_its_features(runner: CliRunner) -> None:
    backends = document(runner, "backends", "--json")
    assert isinstance(backends, list)
    by_name = {entry["name"]: entry for entry in backends}
    assert {"local", "vonage", "twilio"} <= set(by_name)
    assert "recording" in by_name["local"]["features"]
    assert "live_streaming" not in by_name["local"]["features"]
    assert all(set(entry) == {"name", "features"} for entry in backends)


def test_capabilities_json_has_one_object_per_feature_with_the_hints(runner: CliRunner) -> None:
    features = document(runner, "capabilities", "--json")
    assert isinstance(features, list)
    assert [entry["feature"] for entry in features] == [f.value for f in Feature]
    recording = next(entry for entry in features if entry["feature"] == "recording")
    assert set(recording) == {"feature", "description", "backends", "hints"}
    assert recording["backends"]["local"] is True and recording["description"]
    streaming = next(entry for entry in features if entry["feature"] == "live_streaming")
    assert streaming["backends"]["local"] is False
    assert all(isinstance(hint, str) and hint for entry in features for hint in entry["hints"].values())


def test_capabilities_markdown_and_json_are_exclusive(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["capabilities", "--markdown", "--json"])
    assert result.exit_code == 2
    assert "exclusive" in result.output


def test_the_script_of_the_cli_page_prints_the_open_rooms_refs(runner: CliRunner, tmp_path: Path) -> None:
    """docs/cli.md's shell block, run by a shell as written, in a folder whose python is this one."""
    [script] = re.findall(r"```sh\n(.*?)```", (REPO / "docs" / "cli.md").read_text(encoding="utf-8"), re.S)
    kept = runner.invoke(cli, ["rooms", "create", "standup"]).stdout.strip()
    ended = runner.invoke(cli, ["rooms", "create", "retro"]).stdout.strip()
    assert runner.invoke(cli, ["rooms", "end", ended]).exit_code == 0
    folder = Path(sys.executable).parent
    env = os.environ | dict(runner.env) | {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}
    shown = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [kept]
