"""Helpers of the meeting service's tests (tests/meetings): the service built on a backend,
driven over HTTP with bearer tokens, and served on loopback for emulators' callbacks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from anyvideo import Video
from anyvideo.meetings.app import create_app
from anyvideo.meetings.auth import SIGNATURE_HEADER, Permission, mint_token, sign_webhook
from anyvideo.meetings.jobs import JobQueue
from anyvideo.meetings.settings import Settings
from anyvideo.sim import Clock, SystemClock
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
