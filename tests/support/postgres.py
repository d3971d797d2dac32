"""A throw-away PostgreSQL for the tests, and a fresh database in it for each test.

``ANYVIDEO_TEST_POSTGRES_URL`` (a superuser's ``postgresql://`` URL) points the tests at a
server of yours. Without it, the session starts a cluster of its own: ``initdb`` and
``pg_ctl`` from ``PATH`` or ``/usr/lib/postgresql/*/bin``, in a temporary folder, on a free
loopback port, with ``fsync=off`` (nothing in it outlives the session), stopped at the end.
PostgreSQL refuses to run as root: as root, the cluster runs as an unprivileged user
(``nobody``, or one made with ``useradd`` where there is none). With neither, the tests that
need PostgreSQL are skipped, saying what to install.

Use the fixtures by importing them into a ``conftest.py``:
```from support.postgres import postgres, postgres_database  # noqa: F401``..
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest

from support.serving import closed_port

__all__ = ["ENV", "REQUIRED", "PostgresServer", "postgres", "postgres_database", "sqlalchemy_url", "throwaway_cluster"]

#: A superuser's URL of a server to use instead of starting one.
ENV = "ANYVIDEO_TEST_POSTGRES_URL"
#: Set (CI sets it): no PostgreSQL is a failure, not a skip.
REQUIRED = "ANYVIDEO_TEST_POSTGRES_REQUIRED"
#: Who runs the cluster when the tests run as root (made when missing and ``nobody`` is not there).
FALLBACK_USER = "anyvideo-postgres"
INSTALL_HINT = (
    f"PostgreSQL is not installed (apt-get install postgresql: initdb and pg_ctl on PATH or in "
    f"/usr/lib/postgresql/*/bin), and {ENV} does not name a server"
)
#: How often starting on a free port is tried (another process may take the port in between).
START_TRIES = 5


def sqlalchemy_url(url: str) -> str:
    """``url`` (``postgresql://…``) as SQLAlchemy names the psycopg 3 driver: ``postgresql+psycopg://…``."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+')[0]}+psycopg://{rest}"


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: from ``PATH``, else the newest under /usr/lib/postgresql."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3].split(".")[0])
    )
    return Path(candidates[-1]).parent if candidates else None


def _unprivileged_user() -> str:
    for name in ("nobody", FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", FALLBACK_USER], check=True)
    return FALLBACK_USER


def _run(command: list[str], user: str | None) -> subprocess.CompletedProcess[str]:
    wrapped = ["runuser", "-u", user, "--", *command] if user else command
    return subprocess.run(wrapped, capture_output=True, text=True, check=False)


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[str]:
    """A new cluster in a temporary folder, running on a free 127.0.0.1 port while the block runs;
    yields the superuser's URL (user ``postgres``, trusted on loopback)."""
    user = _unprivileged_user() if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="anyvideo-postgres-"))
    data, log = home / "data", home / "server.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(home, entry.pw_uid, entry.pw_gid)
    try:
        made = _run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            user,
        )
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{made.stdout}\n{made.stderr}")
        for _ in range(START_TRIES):
            port = closed_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} -c fsync=off -c synchronous_commit=off "
                f"-c full_page_writes=off -c unix_socket_directories={home} -c max_connections=300"
            )
            started = _run(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], user
            )
            if started.returncode == 0:
                break
        else:
            raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{log.read_text()}")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user)
    finally:
        shutil.rmtree(home, ignore_errors=True)


class PostgresServer:
    """A PostgreSQL server the tests may make databases on."""

    def __init__(self, url: str) -> None:
        #: A superuser's ``postgresql://`` URL.
        self.url = url

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(statement)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A new, empty database while the block runs (dropped after); yields its ``postgresql://`` URL."""
        name = f"anyvideo_test_{secrets.token_hex(6)}"
        self._admin(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(self.url, name)
        finally:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _unavailable(reason: str) -> NoReturn:
    """Skip, saying ``reason``; fail instead where ``ANYVIDEO_TEST_POSTGRES_REQUIRED`` is set."""
    if os.environ.get(REQUIRED):
        pytest.fail(f"{reason} ({REQUIRED} is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL: ``ANYVIDEO_TEST_POSTGRES_URL``, else a throw-away cluster (skips without either)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable('psycopg is not installed: pip install "psycopg[binary]" (in the anyvideo[serve] extra)')
    given = os.environ.get(ENV)
    if given:
        yield PostgresServer(given)
        return
    bin_dir = binaries()
    if bin_dir is None:
        _unavailable(INSTALL_HINT)
    with throwaway_cluster(bin_dir) as url:
        yield PostgresServer(url)


@pytest.fixture
def postgres_database(postgres: PostgresServer) -> Iterator[str]:
    """A fresh database for one test; its ``postgresql://`` URL."""
    with postgres.database() as url:
        yield url
