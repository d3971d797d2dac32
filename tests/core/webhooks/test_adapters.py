"""The WSGI and ASGI adapters, driven in-process with real providers' signed callbacks, and
docs/webhooks.md's framework examples run as written where the framework is installed."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime
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


# --- the other blocks of docs/webhooks.md, as written --------------------------------------


def page_block(containing: str) -> str:
    """The python block of docs/webhooks.md that contains ``containing``."""
    return next(b for b in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S) if containing in b)


def participant_connected(identity: str) -> dict[str, str]:
    return room_created() | {
        "StatusCallbackEvent": "participant-connected",
        "ParticipantSid": "PA" + "2" * 32,
        "ParticipantIdentity": identity,
        "ParticipantStatus": "connected",
        "Timestamp": datetime.now(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),  # in the replay window
    }


def test_the_opening_example_prints_who_joined(twilio_environment: None, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {}
    exec(page_block("class Attendance"), namespace)
    url = "http://127.0.0.1/video/callbacks"
    headers, body = twilio_signed(TWILIO_TOKEN, url, participant_connected("ann"))
    try:
        assert call_wsgi(namespace["app"], "POST", "/video/callbacks", headers, body.encode()).startswith("204")
    finally:
        namespace["video"].close()
    assert capsys.readouterr().out == f"ann joined {'RM' + '1' * 32}\n"


def test_the_vonage_block_accepts_either_secret_while_rotating(
    monkeypatch: pytest.MonkeyPatch, vonage_application: Any
) -> None:
    monkeypatch.setenv("VONAGE_APPLICATION_ID", vonage_application.application_id)
    monkeypatch.setenv("VONAGE_PRIVATE_KEY", vonage_application.private_key)
    monkeypatch.setenv("VONAGE_VIDEO_HOST", UNREACHABLE)
    monkeypatch.delenv("VONAGE_SIGNATURE_SECRET", raising=False)
    new, old, other = (f"{name}-signature-secret-of-at-least-32-bytes" for name in ("new", "old", "other"))
    monkeypatch.setenv("CALLBACK_SECRET", new)
    monkeypatch.setenv("OLD_CALLBACK_SECRET", old)
    namespace: dict[str, Any] = {}
    exec(page_block("signature_secret=rotating"), namespace)
    app = wsgi_app(namespace["video"])
    body = {"sessionId": "1_MX4", "projectId": vonage_application.application_id, "event": "sessionCreated"}
    try:
        for secret, answer in [(new, "204"), (old, "204"), (other, "403")]:
            headers, raw = vonage_signed(body, secret)
            assert call_wsgi(app, "POST", "/video/callbacks", headers, raw).startswith(answer), secret
    finally:
        namespace["video"].close()


def test_the_proxy_block_verifies_against_the_public_url(twilio_environment: None) -> None:
    namespace: dict[str, Any] = {}
    exec(page_block('public_url="https://hooks.example.com"'), namespace)
    app = namespace["app"]
    try:
        public, body = twilio_signed(TWILIO_TOKEN, "https://hooks.example.com/video/callbacks", room_created())
        assert call_wsgi(app, "POST", "/video/callbacks", public, body.encode()).startswith("204")
        seen, body = twilio_signed(TWILIO_TOKEN, "http://127.0.0.1/video/callbacks", room_created(2))
        assert call_wsgi(app, "POST", "/video/callbacks", seen, body.encode()).startswith("403")
    finally:
        namespace["video"].close()
