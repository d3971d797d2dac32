"""The WSGI and ASGI adapters, driven in-process with real providers' signed callbacks, and
docs/webhooks.md's framework examples run as written where the framework is installed."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from support import REPO
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, UNREACHABLE, Collector, twilio_signed, vonage_signed

from anyvideo import EventType, Video
from anyvideo.webhooks import asgi_app, wsgi_app

DOCS = REPO / "docs" / "webhooks.md"


def room_created(sequence: int = 1) -> dict[str, str]:
    return {
        "AccountSid": TWILIO_ACCOUNT,
        "RoomSid": "RM" + "1" * 32,
        "RoomName": "adapters",
        "RoomStatus": "in-progress",
        "StatusCallbackEvent": "room-created",
        "SequenceNumber": str(sequence),
    }


@pytest.fixture
def heard(offline_twilio: Video, offline_vonage: Video) -> Collector:
    collector = Collector()
    offline_twilio.plugins.manager.register(collector)
    offline_vonage.plugins.manager.register(collector)
    return collector


# --- WSGI -----------------------------------------------------------------------------


def call_wsgi(app: Any, method: str, path: str, headers: dict[str, str], body: bytes, **environ: str) -> str:
    env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_LENGTH": str(len(body))}
    env.update(environ)
    setup_testing_defaults(env)
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        env[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    env["wsgi.input"] = io.BytesIO(body)
    answered: list[str] = []
    app(env, lambda status, response_headers: answered.append(status))
    return answered[0]


def test_wsgi_answers_as_documented(offline_twilio: Video, heard: Collector) -> None:
    app = wsgi_app(offline_twilio)
    url = "http://127.0.0.1/video/callbacks"  # setup_testing_defaults: SERVER_NAME 127.0.0.1, port 80
    headers, body = twilio_signed(TWILIO_TOKEN, url, room_created())
    assert call_wsgi(app, "POST", "/video/callbacks", headers, body.encode()) == "204 No Content"
    assert [e.type for e in heard.events] == [EventType.ROOM_STARTED]
    forged = headers | {"X-Twilio-Signature": "AAAA"}
    assert call_wsgi(app, "POST", "/video/callbacks", forged, body.encode()) == "403 Forbidden"
    junk_headers, junk = twilio_signed(TWILIO_TOKEN, url, {"Nothing": "here"})
    assert call_wsgi(app, "POST", "/video/callbacks", junk_headers, junk.encode()) == "400 Bad Request"
    assert call_wsgi(app, "PUT", "/video/callbacks", headers, body.encode()) == "405 Method Not Allowed"
    assert len(heard.events) == 1


def test_wsgi_behind_a_proxy_checks_the_public_url(offline_twilio: Video, heard: Collector) -> None:
    public = "https://hooks.example.com/app"
    headers, body = twilio_signed(TWILIO_TOKEN, f"{public}/video/callbacks?tenant=7", room_created())
    request = ("POST", "/video/callbacks", headers, body.encode())
    assert call_wsgi(wsgi_app(offline_twilio), *request, QUERY_STRING="tenant=7") == "403 Forbidden"
    proxied = wsgi_app(offline_twilio, public_url=public)
    assert call_wsgi(proxied, *request, QUERY_STRING="tenant=7") == "204 No Content"
    assert len(heard.events) == 1


def test_wsgi_vonage(offline_vonage: Video, heard: Collector) -> None:
    headers, body = vonage_signed({"sessionId": "1_S", "event": "sessionCreated", "timestamp": 1_700_000_000_000})
    assert call_wsgi(wsgi_app(offline_vonage), "POST", "/v", headers, body) == "204 No Content"
    assert call_wsgi(wsgi_app(offline_vonage), "POST", "/v", headers, body) == "403 Forbidden"  # a replay
    assert [e.provider for e in heard.events] == ["vonage"]


# --- ASGI -----------------------------------------------------------------------------


def call_asgi(app: Any, scope: dict[str, Any], body: bytes, chunk: int = 7) -> int:
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def http_scope(method: str, path: str, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "scheme": "https",
        "path": path,
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"host", b"hooks.example.com")],
        "server": ("10.0.0.5", 8000),
        **extra,
    }


def test_asgi_answers_as_documented(offline_twilio: Video, heard: Collector) -> None:
    app = asgi_app(offline_twilio)
    headers, body = twilio_signed(TWILIO_TOKEN, "https://hooks.example.com/video", room_created())
    assert call_asgi(app, http_scope("POST", "/video", headers), body.encode()) == 204
    assert call_asgi(app, http_scope("POST", "/video", {}), body.encode()) == 403
    assert call_asgi(app, http_scope("DELETE", "/video", headers), body.encode()) == 405
    assert [e.type for e in heard.events] == [EventType.ROOM_STARTED]


def test_asgi_under_a_mount_prefix(offline_twilio: Video) -> None:
    headers, body = twilio_signed(TWILIO_TOKEN, "https://hooks.example.com/hooks/video", room_created())
    scope = http_scope("POST", "/hooks/video", headers, root_path="/hooks")  # what Starlette's Mount passes
    assert call_asgi(asgi_app(offline_twilio), scope, body.encode()) == 204


# --- the framework examples of docs/webhooks.md, as written ------------------------------


def docs_block(heading: str, index: int = 0) -> str:
    """The ``index``-th python block under ``### heading`` in docs/webhooks.md."""
    section = DOCS.read_text().split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)[index]


@pytest.fixture
def twilio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``anyvideo.connect()`` in the examples reads: a Twilio account (nothing is requested)."""
    monkeypatch.setenv("ANYVIDEO_BACKEND", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("TWILIO_VIDEO_BASE_URL", f"http://{UNREACHABLE}")


def test_the_flask_examples(twilio_environment: None) -> None:
    pytest.importorskip("flask")
    namespace: dict[str, Any] = {"__name__": "callbacks_app"}
    exec(docs_block("Flask"), namespace)
    video, app = namespace["video"], namespace["app"]
    collector = Collector()
    video.plugins.manager.register(collector)
    try:
        client = app.test_client()
        url = "http://localhost/video/callbacks"
        headers, body = twilio_signed(TWILIO_TOKEN, url, room_created())
        assert client.post("/video/callbacks", data=body, headers=headers).status_code == 204
        get_url = f"{url}?{urlencode(room_created(2))}"
        signature = twilio_signed(TWILIO_TOKEN, get_url, {})[0]["X-Twilio-Signature"]
        get = client.get(f"/video/callbacks?{urlencode(room_created(2))}", headers={"X-Twilio-Signature": signature})
        assert get.status_code == 204
        forged = headers | {"X-Twilio-Signature": "AAAA"}
        assert client.post("/video/callbacks", data=body, headers=forged).status_code == 403
        junk_headers, junk = twilio_signed(TWILIO_TOKEN, url, {"Nothing": "here"})
        assert client.post("/video/callbacks", data=junk, headers=junk_headers).status_code == 400
        assert len(collector.events) == 2

        exec(docs_block("Flask", 1), namespace)  # the mounted adapter instead of the view
        assert client.post("/video/callbacks", data=body, headers=headers).status_code == 204  # handled already
        assert len(collector.events) == 2
        third_headers, third = twilio_signed(TWILIO_TOKEN, url, room_created(3))
        assert client.post("/video/callbacks", data=third, headers=third_headers).status_code == 204
        assert client.post("/video/callbacks", data=body, headers=forged).status_code == 403
        assert len(collector.events) == 3
    finally:
        video.close()


@pytest.mark.parametrize("framework", ["Django", "FastAPI"])
def test_the_other_examples_are_valid_python(framework: str) -> None:
    """Django and FastAPI are not dependencies of anyvideo: their examples are compiled here (and the
    FastAPI one run by test_the_fastapi_example where FastAPI is installed)."""
    compile(docs_block(framework), f"docs/webhooks.md ({framework})", "exec")


def test_the_fastapi_example(twilio_environment: None) -> None:
    pytest.importorskip("fastapi")
    testclient = pytest.importorskip("fastapi.testclient")
    namespace: dict[str, Any] = {"__name__": "callbacks_app"}
    exec(docs_block("FastAPI"), namespace)
    client = testclient.TestClient(namespace["app"])
    headers, body = twilio_signed(TWILIO_TOKEN, "http://testserver/video/callbacks", room_created())
    assert client.post("/video/callbacks", content=body, headers=headers).status_code == 204
    assert client.post("/video/callbacks", content=body, headers={}).status_code == 403
    namespace["video"].close()


def test_the_once_example_hands_each_event_id_to_its_handler_once(tmp_path) -> None:
    from datetime import UTC, datetime

    from anyvideo import Event

    section = DOCS.read_text().split("## Duplicates and failures", 1)[1].split("\n## ", 1)[0]
    namespace: dict[str, Any] = {}
    exec(re.findall(r"```python\n(.*?)```", section, re.S)[0], namespace)
    handled: list[str] = []
    once = namespace["Once"](str(tmp_path / "handled.db"), lambda event: handled.append(event.event_id))
    first, second = (Event("room.ended", "p", f"p:{n}", datetime.now(UTC)) for n in (1, 2))
    for event in (first, first, second, first):
        once.anyvideo_event(event, None)
    assert handled == ["p:1", "p:2"]
