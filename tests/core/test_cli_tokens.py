"""``anyvideo tokens create``: a client token from the shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from anyvideo import connect
from anyvideo.cli import cli
from anyvideo.errors import NotFound


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    return CliRunner(env={"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_DB": str(tmp_path / "anyvideo.db")})


@pytest.fixture
def room(runner: CliRunner) -> str:
    created = runner.invoke(cli, ["rooms", "create", "standup"])
    assert created.exit_code == 0, created.output
    return created.stdout.strip()


def test_tokens_create_prints_a_token_the_backend_accepts(runner: CliRunner, room: str, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["tokens", "create", room, "alice"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token and "\n" not in token
    with connect("local", db=str(tmp_path / "anyvideo.db")) as video:
        client = video.backend.browser().join(token, room.split(":", 1)[1])  # type: ignore[attr-defined]
        assert [p.identity for p in video.participants.list(room)] == ["alice"]
        client.leave()


def test_tokens_create_json_has_the_token_and_what_it_allows(runner: CliRunner, room: str) -> None:
    before = datetime.now(UTC)
    result = runner.invoke(
        cli, ["tokens", "create", room, "bob", "--role", "subscriber", "--ttl", "600", "--data", "seat 4", "--json"]
    )
    assert result.exit_code == 0, result.output
    token = json.loads(result.stdout)
    assert list(token) == ["token", "provider", "room", "room_ref", "identity", "role", "expires_at"]
    assert (token["room_ref"], token["room"], token["identity"], token["role"]) == (
        room,
        room.split(":", 1)[1],
        "bob",
        "subscriber",
    )
    expires = datetime.fromisoformat(token["expires_at"])
    assert expires.utcoffset() is not None
    assert before + timedelta(seconds=590) <= expires <= datetime.now(UTC) + timedelta(seconds=610)


def test_tokens_create_for_a_room_that_does_not_exist_exits_not_found(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["tokens", "create", "rm_nosuch", "alice"])
    assert isinstance(result.exception, NotFound)  # main() makes it exit 5


def test_an_unknown_role_is_a_usage_error(runner: CliRunner, room: str) -> None:
    result = runner.invoke(cli, ["tokens", "create", room, "alice", "--role", "king"])
    assert result.exit_code == 2
