"""The service's foundation: settings from the environment, the migrated schema, bearer
tokens with seed 001's permissions (401 and 403), and the ``anyvideo serve`` commands."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect
from support import REPO
from support.meetings import SECRET, Api, bearer
from support.serving import closed_port

from anyvideo.cli import cli
from anyvideo.errors import ConfigurationError
from anyvideo.meetings.auth import Permission, TokenRefused, mint_token, verify_token
from anyvideo.meetings.db import Base, make_engine, migrate
from anyvideo.meetings.settings import DEFAULT_DATABASE_URL, Settings

# --- settings ---------------------------------------------------------------------------


def test_with_nothing_configured_the_secret_is_made_once_and_kept_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = Settings.from_env({})
    assert first.database_url == DEFAULT_DATABASE_URL == "sqlite:///anyvideo-meetings.db"
    kept = tmp_path / "anyvideo-meetings.secret"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert Settings.from_env({}).auth_secret == first.auth_secret == kept.read_text().strip()
    assert first.auth_secret not in repr(first)
    assert first.environ["ANYVIDEO_LOCAL_DB"] == "anyvideo-meetings-local.db"


def test_the_environment_configures_the_service(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET,
            "ANYVIDEO_MEETINGS_DATABASE_URL": "sqlite:///elsewhere.db",
            "ANYVIDEO_MEETINGS_MAX_BODY": "1000",
            "ANYVIDEO_BACKEND": "twilio",
            "ANYVIDEO_LOCAL_DB": "mine.db",
        }
    )
    assert (settings.auth_secret, settings.database_url, settings.max_body) == (SECRET, "sqlite:///elsewhere.db", 1000)
    assert settings.environ["ANYVIDEO_BACKEND"] == "twilio" and settings.environ["ANYVIDEO_LOCAL_DB"] == "mine.db"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"ANYVIDEO_MEETINGS_AUTH_SECRET": "short"}, "ANYVIDEO_MEETINGS_AUTH_SECRET"),
        ({"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, "ANYVIDEO_MEETINGS_MAX_BODY": "lots"}, "ANYVIDEO_MEETINGS_MAX_BODY"),
        ({"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, "ANYVIDEO_MEETINGS_MAX_BODY": "0"}, "ANYVIDEO_MEETINGS_MAX_BODY"),
    ],
)
def test_a_bad_setting_is_refused_by_name(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_env(environ)


# --- the schema -------------------------------------------------------------------------


def test_the_migrations_make_exactly_the_models_and_run_again_harmlessly(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert {"video_chat_sessions", "session_attendees", "video_chat_archives", "alembic_version"} <= tables
    engine.dispose()


@pytest.mark.parametrize("table", ["video_chat_sessions", "session_attendees", "video_chat_archives"])
def test_every_table_has_the_seeds_audit_fields_and_soft_delete(table: str) -> None:
    columns = set(Base.metadata.tables[table].columns.keys())
    audit = {"created_on", "created_by", "modified_on", "modified_by", "deleted", "deleted_on", "deleted_by"}
    assert audit <= columns


def test_the_migrations_ship_inside_the_package() -> None:
    versions = REPO / "core" / "anyvideo" / "meetings" / "migrations" / "versions"
    assert sorted(p.name for p in versions.glob("*.py")) == [
        "0001_meetings.py",
        "0002_jobs_storage.py",
        "0003_archive_room.py",
    ]


# --- tokens ------------------------------------------------------------------------------


def test_a_minted_token_verifies_with_its_permissions() -> None:
    principal = verify_token(mint_token(SECRET, ["EditMeeting"], subject="ann"), [SECRET])
    assert principal.subject == "ann" and principal.may(Permission.EDIT_MEETING)
    assert not principal.may(Permission.STOP_MEETING)


def test_minting_an_unknown_permission_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="EditMeetings"):
        mint_token(SECRET, ["EditMeetings"])


def _forged(**claims: object) -> str:
    now = int(time.time())
    payload = {"sub": "eve", "permissions": [p.value for p in Permission], "iat": now, "exp": now + 3600} | claims
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: mint_token("another-secret-0123456789abcdef-xyz", ["EditMeeting"]), "signature"),
        (lambda: _forged(exp=int(time.time()) - 10), "expired"),
        (lambda: _forged(exp=None), "exp"),
        (lambda: _forged(sub=None), "sub"),
        (lambda: _forged(permissions="EditMeeting"), "permissions"),
        (lambda: jwt.encode({"sub": "eve", "exp": int(time.time()) + 3600}, None, algorithm="none"), "not valid"),
        (lambda: "not-a-jwt", "not valid"),
    ],
    ids=["wrong-secret", "expired", "no-exp", "no-sub", "permissions-not-a-list", "alg-none", "garbage"],
)
def test_a_bad_token_is_refused(make: Callable[[], str], reason: str) -> None:
    # Made when the test runs, not when it is collected: a loaded machine may take longer
    # than a short expiry between the two.
    token = make()
    with pytest.raises(TokenRefused, match=reason):
        verify_token(token, [SECRET])


#: Each endpoint and the permission the seed gives it.
ENDPOINTS = [
    ("POST", "/session", Permission.CREATE_MEETING_SESSION),
    ("PATCH", "/session/abc", Permission.EDIT_MEETING),
    ("PATCH", "/session/abc/end", Permission.STOP_MEETING),
    ("POST", "/session/abc/token", Permission.GENERATE_MEETING_TOKEN),
    ("GET", "/session/abc/attendees", Permission.GET_MEETING_ATTENDEES),
    ("GET", "/archives", Permission.GET_MEETING_ARCHIVES),
    ("GET", "/archives/abc", Permission.GET_MEETING_ARCHIVES),
    ("DELETE", "/archives/abc", Permission.DELETE_MEETING_ARCHIVE),
    ("PUT", "/archives/storage-target", Permission.SET_MEETING_UPLOAD_TARGET),
]


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS)
def test_each_endpoint_needs_a_token_and_its_permission(api: Api, method: str, path: str, permission: Permission):
    body = {} if method in ("POST", "PATCH", "PUT") else None
    missing = api.client.request(method, path, json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.headers["content-type"] == "application/problem+json"
    bad = api.client.request(method, path, json=body, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    others = [p.value for p in Permission if p is not permission]
    refused = api.client.request(method, path, json=body, headers=bearer(others))
    assert refused.status_code == 403 and permission.value in refused.json()["detail"]
    allowed = api.client.request(method, path, json=body, headers=bearer([permission.value]))
    assert allowed.status_code not in (401, 403), allowed.text


# --- the commands ------------------------------------------------------------------------


def test_serve_token_mints_what_the_service_accepts(tmp_path: Path) -> None:
    runner = CliRunner(env={"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET})
    result = runner.invoke(cli, ["serve", "token", "--permissions", "EditMeeting,StopMeeting", "--subject", "ann"])
    assert result.exit_code == 0, result.output
    principal = verify_token(result.output.strip(), [SECRET])
    assert principal.subject == "ann" and principal.permissions == {"EditMeeting", "StopMeeting"}
    everything = runner.invoke(cli, ["serve", "token", "--permissions", "all"])
    assert verify_token(everything.output.strip(), [SECRET]).permissions == {p.value for p in Permission}
    unknown = runner.invoke(cli, ["serve", "token", "--permissions", "Everything"])
    assert unknown.exit_code == 2 and "unknown permission(s) Everything" in unknown.output


def test_serve_migrate_brings_the_configured_database_up_to_date(tmp_path: Path) -> None:
    database = tmp_path / "service.db"
    environ = {"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, "ANYVIDEO_MEETINGS_DATABASE_URL": f"sqlite:///{database}"}
    result = CliRunner(env=environ).invoke(cli, ["serve", "migrate"])
    assert result.exit_code == 0, result.output
    assert "newest schema" in result.output
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_anyvideo_serve_with_nothing_configured_serves_the_api(tmp_path: Path) -> None:
    """A real process, as a user starts it in an empty folder: the local backend, SQLite files there."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "core"), str(REPO / "backends")])
    port = closed_port()
    command = [sys.executable, "-m", "anyvideo", "serve", "--port", str(port)]
    with subprocess.Popen(
        command, cwd=tmp_path, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            _drive_the_served_api(server, port, tmp_path, environ)
        finally:
            server.terminate()
            server.wait(30)
    made = {p.name for p in tmp_path.iterdir()}
    assert {"anyvideo-meetings.db", "anyvideo-meetings.secret", "anyvideo-meetings-local.db"} <= made


def _drive_the_served_api(server: subprocess.Popen[str], port: int, tmp_path: Path, environ: dict[str, str]) -> None:
    """Waits for uvicorn's line saying it listens, then drives the API as a user would."""
    assert server.stderr is not None
    for line in server.stderr:  # uvicorn says when it listens
        if "Uvicorn running on" in line:
            assert f"http://127.0.0.1:{port}" in line
            break
    else:
        pytest.fail(f"anyvideo serve exited with {server.wait()}")
    base = f"http://127.0.0.1:{port}"
    assert "/session" in requests.get(f"{base}/openapi.json", timeout=30).json()["paths"]
    minted = subprocess.run(
        [sys.executable, "-m", "anyvideo", "serve", "token", "-p", "all"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    headers = {"Authorization": f"Bearer {minted.stdout.strip()}"}
    link = requests.post(f"{base}/session", json={}, headers=headers, timeout=30).text
    token = requests.post(f"{base}/session/{link}/token", json={"role": "moderator"}, headers=headers, timeout=30)
    assert token.status_code == 200 and token.json()["role"] == "moderator"
    assert requests.get(f"{base}/session/{link}/attendees", headers=headers, timeout=30).json() == []


#: ``anyvideo serve`` in an interpreter where the service's dependency ``module`` cannot be imported.
WITHOUT = """
import sys

hidden = sys.argv[1]

class Hidden:
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] == hidden:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None

sys.meta_path.insert(0, Hidden())
sys.argv = ["anyvideo", "serve", "--port", "9"]
from anyvideo.cli import main
main()
"""


@pytest.mark.parametrize("module", ["fastapi", "sqlalchemy"])
def test_serving_without_the_extra_says_how_to_install_it(tmp_path: Path, module: str) -> None:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "core"), str(REPO / "backends")])}
    ran = subprocess.run(
        [sys.executable, "-c", WITHOUT, module], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode != 0
    assert ran.stderr.strip() == (
        f'error: anyvideo serve needs the module {module!r}, which is not installed: pip install "anyvideo[serve]"'
    )
