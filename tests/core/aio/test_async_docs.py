"""docs/async.md's examples, run as written: the FastAPI app is driven over ASGI
(lifespan, then requests), as a server would drive it."""

from __future__ import annotations

import asyncio
import json
import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from support import REPO

from anyvideo.models import EventType

PAGE = REPO / "docs" / "async.md"

BLOCKS = [
    textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
]


def block_containing(text: str) -> str:
    for block in BLOCKS:
        if text in block:
            return block
    raise AssertionError(f"docs/async.md has no python block containing {text!r}")


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in ("ANYVIDEO_BACKEND", "ANYVIDEO_LOCAL_DB", "ANYVIDEO_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)
    yield


def test_the_first_example_runs_as_written() -> None:
    exec(block_containing("asyncio.run(main())"), {"__name__": "async_block"})


class Server:
    """Drives an ASGI app as a server does: lifespan startup, HTTP requests, shutdown."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Server:
        async def receive() -> dict[str, Any]:
            return await self._lifespan.get()

        async def send(message: dict[str, Any]) -> None:
            await self._answers.put(message)

        self._task = asyncio.ensure_future(self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
        await self._lifespan.put({"type": "lifespan.startup"})
        assert (await self._answers.get())["type"] == "lifespan.startup.complete"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._lifespan.put({"type": "lifespan.shutdown"})
        assert (await self._answers.get())["type"] == "lifespan.shutdown.complete"
        assert self._task is not None
        await self._task

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())],
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 1234),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_fastapi_example_runs_as_written() -> None:
    namespace: dict[str, Any] = {"__name__": "fastapi_block"}
    exec(block_containing("FastAPI(lifespan=lifespan)"), namespace)

    async def scenario() -> None:
        async with Server(namespace["app"]) as server:
            status, body = await server.request("POST", "/meetings/standup")
            assert status == 200
            opened = json.loads(body)
            assert opened["room"].startswith("local:") and opened["token"]
            status, body = await server.request("DELETE", "/meetings/standup")
            assert (status, json.loads(body)["status"]) == (200, "ended")

    asyncio.run(scenario())
    # The events the local backend observed reached the async hook (the local backend takes no
    # provider callbacks; tests/core/aio/test_facade.py hands a signed one to webhooks.handle).
    assert {EventType.ROOM_STARTED, EventType.ROOM_ENDED} <= set(namespace["arrived"])
