"""Each kind of error ends ``anyvideo`` with its own exit code, as docs/cli.md documents."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from anyvideo.backend import Feature
from anyvideo.cli import EXIT_CODES, cli, exit_code, main
from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    BackendNotFound,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
    StatusUnreachable,
    Unreachable,
    UnsupportedFeature,
    WaitTimeout,
    WebhookVerificationError,
)
from anyvideo.models import Room, RoomStatus

DOC = Path(__file__).parents[2] / "docs" / "cli.md"
ROOM = Room(id="rm_1", provider="local", name="standup", status=RoomStatus.ENDED)

#: One error of each kind, and the code it exits with.
CASES: list[tuple[AnyVideoError, int]] = [
    (AnyVideoError("unclassified"), 1),
    (WebhookVerificationError("bad signature"), 1),
    (ConfigurationError("missing setting"), 3),
    (BackendNotFound("nosuch", ["local"]), 3),
    (InvalidRequest("name", "too long"), 4),
    (NotFound("local: no such room"), 5),
    (Conflict("local: the room has ended"), 6),
    (StatusUnreachable(ROOM, "open"), 6),
    (AuthenticationError("vonage: bad key"), 7),
    (Forbidden("twilio: not allowed"), 8),
    (UnsupportedFeature(Feature.LIVE_STREAMING, "local"), 9),
    (RateLimited("twilio: slow down", retry_after=1.0), 10),
    (ProviderError("the request failed", provider="vonage", status=500), 11),
    (DeadlineExceeded("rooms.create", 5.0, provider="vonage"), 12),
    (WaitTimeout(ROOM, "open", 1.0), 12),
    (Unreachable("could not connect: 127.0.0.1:9 refused the connection", provider="vonage"), 13),
]


@pytest.mark.parametrize(("error", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_error_kind_has_its_exit_code(error: AnyVideoError, code: int) -> None:
    assert exit_code(error) == code


def test_a_subclass_the_table_does_not_name_takes_its_parents_code() -> None:
    class TokenExpired(AuthenticationError):
        pass

    assert exit_code(TokenExpired("expired")) == EXIT_CODES[AuthenticationError]


def test_the_codes_stay_clear_of_click_and_interrupts() -> None:
    assert not {0, 1, 2, 130} & set(EXIT_CODES.values())


def test_the_doc_table_is_the_codes_table() -> None:
    documented: dict[str, int] = {}
    for code, names in re.findall(r"^\| (\d+) \| ([^|]*) \|", DOC.read_text(), re.MULTILINE):
        for name in re.findall(r"`(\w+)`", names):
            documented[name] = int(code)
    assert documented == {cls.__name__: code for cls, code in EXIT_CODES.items()}


@pytest.fixture
def failing() -> Iterator[list[AnyVideoError]]:
    """A command ``fail`` that raises the error put in the list."""
    raised: list[AnyVideoError] = []

    @cli.command("fail")
    def fail() -> None:
        raise raised[0]

    yield raised
    del cli.commands["fail"]


@pytest.mark.parametrize(("error", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_main_exits_with_the_code_and_one_error_line(
    error: AnyVideoError,
    code: int,
    failing: list[AnyVideoError],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    failing.append(error)
    monkeypatch.setattr(sys, "argv", ["anyvideo", "fail"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == code
    assert capsys.readouterr().err == f"error: {error}\n"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anyvideo", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ANYVIDEO_BACKEND": "local"},
        timeout=120,
    )


def test_a_usage_error_exits_2() -> None:
    assert run("rooms", "list", "--status", "nosuch").returncode == 2
    assert click.UsageError("x").exit_code == 2


def test_an_unknown_backend_exits_with_the_configuration_code() -> None:
    assert run("rooms", "list", "--backend", "nosuch").returncode == 3


def test_invalid_input_exits_with_the_invalid_request_code() -> None:
    assert run("rooms", "create", "bad name!").returncode == 4


def test_ending_a_room_that_does_not_exist_exits_with_the_not_found_code() -> None:
    result = run("rooms", "end", "rm_nosuch")
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("error: ")
