"""One clear line for what is wrong around anyvideo: nothing listening, a certificate not
trusted, a CA bundle missing; and a note when the rooms a command sees live only in it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import serving

from anyvideo.cli import EXIT_CODES
from anyvideo.errors import ConfigurationError, ProviderError, Unreachable
from anyvideo.plugins import Plugins
from anyvideo.testing.server import Emulator

#: Settings with which each backend reaches ``{url}`` (an http:// URL) and ``{host}`` (host:port).
REACHING = {
    "twilio": {
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_API_KEY_SID": "SK" + "1" * 32,
        "TWILIO_API_KEY_SECRET": "not-a-secret",
        "TWILIO_VIDEO_BASE_URL": "{url}",
    },
    "vonage": {
        "VONAGE_APPLICATION_ID": "11111111-1111-1111-1111-111111111111",
        "VONAGE_VIDEO_HOST": "{host}",
    },
}


def run(*args: str, env: dict[str, str], drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "anyvideo", *args],
        capture_output=True,
        text=True,
        env={**environment, "ANYVIDEO_RETRIES": "0", **env},
        timeout=120,
    )


@pytest.fixture
def closed_port() -> int:
    return serving.closed_port()


@pytest.fixture
def vonage_key(tmp_path: Path) -> str:
    with Plugins().emulator("vonage")(port=0, processing_delay=0) as emulator:
        key = emulator.app_environment["VONAGE_PRIVATE_KEY"]
    path = tmp_path / "private.pem"
    path.write_text(key)
    return str(path)


@pytest.mark.parametrize("backend", sorted(REACHING))
def test_connection_refused_is_said_so_not_timed_out(backend: str, closed_port: int, vonage_key: str) -> None:
    host = f"127.0.0.1:{closed_port}"
    env = {k: v.format(url=f"http://{host}", host=host) for k, v in REACHING[backend].items()}
    result = run("rooms", "create", "standup", "--backend", backend, env={**env, "VONAGE_PRIVATE_KEY": vonage_key})
    assert result.returncode == EXIT_CODES[Unreachable]
    (line,) = result.stderr.splitlines()  # nothing was sent: no duplicates were looked for, and none warned of
    assert line.startswith(f"error: {backend}: connection refused by {host}: nothing listens there"), result.stderr
    assert "timed out" not in result.stderr


@pytest.mark.parametrize("backend", sorted(REACHING))
def test_a_name_that_does_not_resolve_is_said_so(backend: str, vonage_key: str) -> None:
    host = "video.example.invalid"  # .invalid never resolves (RFC 6761)
    env = {k: v.format(url=f"https://{host}", host=host) for k, v in REACHING[backend].items()}
    result = run("rooms", "create", "standup", "--backend", backend, env={**env, "VONAGE_PRIVATE_KEY": vonage_key})
    assert result.returncode == EXIT_CODES[Unreachable]
    assert result.stderr.splitlines() == [
        f"error: {backend}: cannot resolve {host}: no such name, or no network (is the host setting right?)"
    ]


@pytest.fixture
def vonage_emulator(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Vonage emulator over HTTPS, and the settings that point at it, but its CA."""
    cls: type[Emulator] = Plugins().emulator("vonage")
    with cls(port=0, tls=True, processing_delay=0) as emulator:
        env = dict(emulator.app_environment)
        key = tmp_path / "private.pem"
        key.write_text(env["VONAGE_PRIVATE_KEY"])
        env["VONAGE_PRIVATE_KEY"] = str(key)
        env.pop("REQUESTS_CA_BUNDLE", None)
        yield env


def test_an_untrusted_certificate_names_the_ca_bundle_variable(vonage_emulator: dict[str, str]) -> None:
    result = run("rooms", "create", "standup", env=vonage_emulator, drop=("REQUESTS_CA_BUNDLE",))
    assert result.returncode == EXIT_CODES[ProviderError]
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: vonage: TLS: the certificate of 127.0.0.1:"), line
    assert "not trusted by the system's CA bundles" in line and "set REQUESTS_CA_BUNDLE" in line


def test_a_missing_ca_bundle_says_which_and_where(vonage_emulator: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nosuch" / "ca.pem"
    result = run("rooms", "create", "standup", env={**vonage_emulator, "REQUESTS_CA_BUNDLE": str(missing)})
    assert result.returncode == EXIT_CODES[ConfigurationError]
    assert result.stderr.splitlines() == [
        f"error: TLS: the CA bundle REQUESTS_CA_BUNDLE names ({missing}) does not exist (fix or unset it)"
    ]


def test_a_local_room_without_a_database_is_said_to_be_forgotten(tmp_path: Path) -> None:
    result = run("rooms", "create", "standup", env={"ANYVIDEO_BACKEND": "local"})
    assert result.returncode == 0, result.stderr
    (note,) = result.stderr.splitlines()
    assert note.startswith("note: ANYVIDEO_LOCAL_DB is not set: this room is forgotten when the command exits")
    kept = run(
        "rooms", "create", "standup", env={"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_DB": str(tmp_path / "db")}
    )
    assert kept.stderr == ""


def test_an_empty_vonage_listing_without_a_registry_says_why(vonage_emulator: dict[str, str], tmp_path: Path) -> None:
    without = {k: v for k, v in vonage_emulator.items() if k != "ANYVIDEO_REGISTRY"}
    result = run("rooms", "list", "--json", env=without)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    (note,) = result.stderr.splitlines()
    assert note.startswith("note: ANYVIDEO_REGISTRY is not set: only rooms created by this command are listed")
    assert "Vonage has no API listing sessions" in note
    kept = run("rooms", "list", env={**without, "ANYVIDEO_REGISTRY": str(tmp_path / "registry.sqlite")})
    assert kept.stderr == ""
