"""Helpers of the meeting service's tests (tests/meetings): the service built on a backend,
driven over HTTP with bearer tokens, served on loopback for emulators' callbacks, and run as
``anyvideo serve`` processes of its own (which a test may kill)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from anyvideo import Video
from anyvideo.meetings.app import create_app
from anyvideo.meetings.auth import SIGNATURE_HEADER, Permission, mint_token, sign_webhook
from anyvideo.meetings.jobs import JobQueue
from anyvideo.meetings.settings import Settings
from anyvideo.sim import Clock, SystemClock
from support import REPO
from support.serving import closed_port

#: The tests' signing secret (long enough for HS256).
SECRET = "meetings-tests-secret-0123456789abcdef"
#: The secret the third party's webhook is signed with in these tests.
WEBHOOK_SECRET = "meetings-tests-webhook-secret-0123456789"
#: The tests' Fernet key for storage credentials (a fixed test key: 32 bytes, url-safe base64).
STORAGE_KEY = "bWVldGluZ3MtdGVzdHMtc3RvcmFnZS1rZXktMzJiISE="
ALL = [p.value for p in Permission]


def settings_for(database: str, **overrides: Any) -> Settings:
    """Settings on ``database`` (a SQLAlchemy URL, or a SQLite file), the test secrets and storage
    key, no environment; no job worker thread: jobs run when a test drains them (:class:`Api`
    does before it reads)."""
    url = database if "://" in database else f"sqlite:///{database}"
    options: dict[str, Any] = {"webhook_secret": WEBHOOK_SECRET, "storage_key": STORAGE_KEY, "run_worker": False}
    return Settings(auth_secret=SECRET, database_url=url, environ={}, **(options | overrides))


def signed(body: object, when: datetime, *, secret: str = WEBHOOK_SECRET) -> dict[str, Any]:
    """The request options of ``POST /webhooks/session`` with ``body``, signed at ``when``."""
    content = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign_webhook(secret, content, when)}
    return {"content": content, "headers": headers}


def bearer(permissions: Iterable[str] = ALL, *, subject: str = "tester", secret: str = SECRET) -> dict[str, str]:
    """The Authorization header of a token with ``permissions``."""
    return {"Authorization": f"Bearer {mint_token(secret, permissions, subject=subject)}"}


class Api:
    """The service's endpoints over HTTP, as its callers use them (every permission by default).

    Given the service's ``jobs``, it drains them before it reads attendees or archives, as the
    service's worker would have by then (the backend's events are jobs)."""

    def __init__(
        self,
        client: Any,
        headers: dict[str, str] | None = None,
        clock: Clock | None = None,
        jobs: JobQueue | None = None,
    ) -> None:
        self.client = client
        self.headers = headers or bearer()
        #: The service's clock, which a webhook's signature time is judged by.
        self.clock = clock or SystemClock()
        self.jobs = jobs

    def webhook(self, body: object) -> Any:
        """``POST /webhooks/session`` with ``body``, signed as the third party signs it."""
        return self.client.post("/webhooks/session", **signed(body, self.clock.now()))

    def drain(self) -> None:
        if self.jobs is not None:
            self.jobs.drain()

    def create(self, **options: Any) -> str:
        answer = self.client.post("/session", json=options, headers=self.headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        return str(answer.text)

    def token(self, link: str, **body: Any) -> dict[str, Any]:
        answer = self.client.post(f"/session/{link}/token", json=body, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def end(self, link: str) -> None:
        answer = self.client.patch(f"/session/{link}/end", headers=self.headers)
        assert answer.status_code == 204, answer.text

    def attendees(self, link: str, active: bool | None = None) -> list[dict[str, Any]]:
        self.drain()
        query = "" if active is None else f"?active={str(active).lower()}"
        answer = self.client.get(f"/session/{link}/attendees{query}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def who(self, link: str, active: bool | None = None) -> list[str]:
        return sorted(a["attendee"] for a in self.attendees(link, active))

    def archives(self, **query: Any) -> dict[str, Any]:
        self.drain()
        answer = self.client.get("/archives", params=query, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@contextmanager
def local_service(
    database: str, video: Video, clock: Clock | None = None, **overrides: Any
) -> Iterator[tuple[FastAPI, TestClient]]:
    """The service on ``video`` (and its ``clock``) and ``database`` (a URL, or a SQLite file), driven
    through FastAPI's TestClient."""
    app = create_app(settings_for(database, **overrides), video=video, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


@contextmanager
def served(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (``port``, else a free one) in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port or closed_port(), log_level="warning"))
    started = threading.Event()
    original = server.startup

    async def startup(sockets: Any = None) -> None:
        await original(sockets)
        started.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not started.wait(60):
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(60)


# --- anyvideo serve in processes of its own ---------------------------------------------------

#: Long enough to wait for anything on a loaded machine; never reached when all is well.
DEADLINE = 180.0


def wait_for(condition: Callable[[], bool], what: str, processes: Sequence[subprocess.Popen[Any]] = ()) -> None:
    """Until ``condition()`` holds, looking again every 50 ms; fails at the deadline or when one of
    ``processes`` exits."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"anyvideo serve exited ({process.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {DEADLINE} s")
        time.sleep(0.05)


def service_environment(database: str, settings: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment of an ``anyvideo serve`` on ``database`` (a SQLAlchemy URL) with the tests'
    secrets and storage key, and ``settings``; nothing else of this environment's configuration."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    return environ | {
        "PYTHONPATH": os.pathsep.join([str(REPO / "core"), str(REPO / "backends")]),
        "ANYVIDEO_MEETINGS_DATABASE_URL": database,
        "ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET,
        "ANYVIDEO_MEETINGS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ANYVIDEO_MEETINGS_STORAGE_KEY": STORAGE_KEY,
        **settings,
    }


@attrs.frozen
class Instance:
    """An ``anyvideo serve`` process, listening at ``url``."""

    url: str
    process: subprocess.Popen[str]


@contextmanager
def serving(environ: Mapping[str, str], cwd: Path) -> Iterator[Instance]:
    """``anyvideo serve`` in a process of its own on a free port, once it listens. Its standard
    error is read throughout (so a chatty server never blocks), and shown on failure; the process
    is stopped after the block (if a test has not killed it)."""
    port = closed_port()
    command = [sys.executable, "-m", "anyvideo", "serve", "--port", str(port)]
    with subprocess.Popen(
        command, cwd=cwd, env=dict(environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as server:
        assert server.stderr is not None
        lines: list[str] = []
        listening = threading.Event()

        def read() -> None:
            assert server.stderr is not None
            for line in server.stderr:
                lines.append(line)
                if "Uvicorn running on" in line:
                    listening.set()
            listening.set()  # exited: stop waiting

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            listening.wait(DEADLINE)
            if server.poll() is not None or not any("Uvicorn running on" in line for line in lines):
                pytest.fail(f"anyvideo serve did not start:\n{''.join(lines)}")
            yield Instance(f"http://127.0.0.1:{port}", server)
        finally:
            server.terminate()
            server.wait(30)
            reader.join(30)
