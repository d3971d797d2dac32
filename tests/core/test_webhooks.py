"""The provider-neutral half of webhooks: requests, replay windows, event ids,
and the WSGI/ASGI adapters, driven by a made-up provider's signed callbacks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime, timedelta
from wsgiref.util import setup_testing_defaults

import pytest

import anyvideo
from anyvideo import ConfigurationError, Event, Plugins, WebhookVerificationError
from anyvideo.errors import AnyVideoError
from anyvideo.local import LocalBackend
from anyvideo.webhooks import MAX_BODY, WebhookRequest, asgi_app, check_fresh, stable_event_id, wsgi_app

SECRET = b"shh"


class Signed(LocalBackend):
    """Callbacks are JSON ``{"event", "room", "at"}``, signed with HMAC-SHA256 over URL and body."""

    name = "signed"

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        expected = hmac.new(SECRET, request.url.encode() + request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):
            raise WebhookVerificationError("bad signature")
        body = request.json()
        at = datetime.fromisoformat(body["at"])
        check_fresh(at, datetime.now(UTC), timedelta(minutes=5))
        event_id = stable_event_id(self.name, body["event"], body["room"], body["at"])
        return [Event(body["event"], self.name, event_id, at, room_id=body["room"], raw=body)]


class RegistersSigned:
    @anyvideo.hookimpl
    def anyvideo_register_backends(self, register):
        register("signed", Signed)


class Heard:
    def __init__(self) -> None:
        self.events: list[Event] = []

    @anyvideo.hookimpl
    def anyvideo_event(self, event: Event, video) -> None:
        self.events.append(event)


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def video(heard: Heard):
    plugins = Plugins(["local"], extra=[RegistersSigned(), heard], environ={})
    with anyvideo.connect("signed", plugins=plugins, environ={}) as video:
        yield video


def callback(url: str, *, event: str = "room.ended", at: datetime | None = None) -> tuple[bytes, str]:
    body = json.dumps({"event": event, "room": "rm1", "at": (at or datetime.now(UTC)).isoformat()}).encode()
    return body, hmac.new(SECRET, url.encode() + body, hashlib.sha256).hexdigest()


# --- requests --------------------------------------------------------------------


def test_header_names_are_compared_without_case() -> None:
    request = WebhookRequest("post", "https://x/hook", {"X-Twilio-Signature": "abc"}, b"")
    assert request.method == "POST"
    assert request.headers["x-twilio-signature"] == request.headers.get("X-TWILIO-SIGNATURE") == "abc"


def test_a_requests_repr_shows_no_header_value_or_body() -> None:
    request = WebhookRequest("POST", "https://x/hook", {"Authorization": "Bearer s3cret"}, b"token=s3cret")
    assert "s3cret" not in repr(request)


def test_form_parameters_come_from_the_body_or_the_query() -> None:
    assert WebhookRequest("POST", "https://x/h?a=1", {}, "RoomSid=RM1&Empty=").form() == {"RoomSid": "RM1", "Empty": ""}
    assert WebhookRequest("GET", "https://x/h?RoomSid=RM2", {}, b"").form() == {"RoomSid": "RM2"}


def test_a_body_that_is_not_json_is_an_anyvideo_error() -> None:
    with pytest.raises(AnyVideoError, match="not JSON"):
        WebhookRequest("POST", "https://x/h", {}, b"\xff{").json()


@pytest.mark.parametrize(
    ("public", "seen", "expected"),
    [
        ("https://hooks.example.com", "http://10.0.0.5:8000/video?x=1", "https://hooks.example.com/video?x=1"),
        ("https://example.com/app/", "http://127.0.0.1/video", "https://example.com/app/video"),
        (None, "http://127.0.0.1/video", "http://127.0.0.1/video"),
    ],
)
def test_a_public_url_replaces_what_a_proxy_rewrote(public, seen, expected) -> None:
    assert WebhookRequest("POST", seen, {}, b"").with_public_url(public).url == expected


def test_a_callback_outside_the_replay_window_is_refused() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    check_fresh(now - timedelta(minutes=4), now, timedelta(minutes=5))
    for sent in (now - timedelta(minutes=6), now + timedelta(minutes=6)):
        with pytest.raises(WebhookVerificationError, match="replay window"):
            check_fresh(sent, now, timedelta(minutes=5))


def test_event_ids_are_stable_and_distinct() -> None:
    assert stable_event_id("twilio", "RM1", 3) == stable_event_id("twilio", "RM1", 3)
    assert stable_event_id("twilio", "RM1", 3) != stable_event_id("twilio", "RM1", 4)
    assert stable_event_id("twilio", "RM1", 3) != stable_event_id("vonage", "RM1", 3)
    assert stable_event_id("twilio", "a|b", "c") != stable_event_id("twilio", "a", "b|c")


# --- the facade ------------------------------------------------------------------


def test_handle_dispatches_verified_events_to_the_hooks(video, heard) -> None:
    body, signature = callback("https://x/hook")
    events = video.webhooks.handle("POST", "https://x/hook", {"X-Signature": signature}, body)
    assert [e.type for e in events] == ["room.ended"]
    assert heard.events == events


class FailsFirst:
    """An application hook that fails on its first event, as a database that is down would."""

    def __init__(self) -> None:
        self.calls = 0

    @anyvideo.hookimpl
    def anyvideo_event(self, event: Event, video) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("the database is down")


def test_a_callback_delivered_again_is_handled_once(video, heard) -> None:
    body, signature = callback("https://x/hook")
    for _ in range(3):
        events = video.webhooks.handle("POST", "https://x/hook", {"X-Signature": signature}, body)
    assert [e.type for e in events] == ["room.ended"]
    assert [e.event_id for e in heard.events] == [events[0].event_id]


def test_a_callback_whose_hook_failed_is_handled_when_delivered_again(heard) -> None:
    failing = FailsFirst()
    # pluggy calls the hook registered last first: the failing one, before ``heard``
    plugins = Plugins(["local"], extra=[RegistersSigned(), heard, failing], environ={})
    with anyvideo.connect("signed", plugins=plugins, environ={}) as video:
        body, signature = callback("https://x/hook")
        with pytest.raises(RuntimeError, match="database is down"):
            video.webhooks.handle("POST", "https://x/hook", {"X-Signature": signature}, body)
        video.webhooks.handle("POST", "https://x/hook", {"X-Signature": signature}, body)
        video.webhooks.handle("POST", "https://x/hook", {"X-Signature": signature}, body)
    assert failing.calls == 2  # the failed try, then the redelivery; not the third delivery
    assert [e.type for e in heard.events] == ["room.ended"]


def test_handled_ids_are_kept_in_the_backends_registry_so_other_processes_see_them(heard, tmp_path) -> None:
    from anyvideo.registry import Registry

    body, signature = callback("https://x/hook")
    for _ in range(2):  # two application processes sharing one registry file
        plugins = Plugins(["local"], extra=[RegistersSigned(), heard], environ={})
        with anyvideo.connect("signed", plugins=plugins, environ={}) as video:
            video.backend.registry = Registry(tmp_path / "registry.db", namespace="signed")
            video.webhooks.handle("POST", "https://x/hook", {"X-Signature": signature}, body)
            video.backend.registry.close()
    assert len(heard.events) == 1


def test_handled_ids_are_swept_once_they_are_old(tmp_path) -> None:
    from anyvideo.registry import Registry
    from anyvideo.webhooks import HandledEvents

    registry = Registry(None, namespace="signed")
    handled = HandledEvents(registry, keep=timedelta(0))
    events = [Event("room.ended", "signed", f"signed:{n}", datetime.now(UTC)) for n in range(HandledEvents.SWEEP_EVERY)]
    assert all(handled.claim(event) for event in events)
    assert list(registry.find(HandledEvents.KIND)) == []  # the last claim swept them all
    assert handled.claim(events[0])


def test_parse_does_not_dispatch(video, heard) -> None:
    body, signature = callback("https://x/hook")
    assert video.webhooks.parse("POST", "https://x/hook", {"X-Signature": signature}, body)
    assert heard.events == []


def test_a_forged_callback_dispatches_nothing(video, heard) -> None:
    body, _ = callback("https://x/hook")
    with pytest.raises(WebhookVerificationError):
        video.webhooks.handle("POST", "https://x/hook", {"X-Signature": "0" * 64}, body)
    assert heard.events == []


def test_the_local_backend_receives_no_callbacks() -> None:
    with anyvideo.connect("local", environ={}) as video:
        with pytest.raises(ConfigurationError, match="receives no provider callbacks"):
            video.webhooks.parse("POST", "https://x/hook", {}, b"{}")


# --- WSGI ------------------------------------------------------------------------


def call_wsgi(
    app, *, body: bytes, headers: dict[str, str], path: str = "/hook", method: str = "POST", length: str | None = None
):
    environ: dict = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "app.internal:8000"}
    setup_testing_defaults(environ)
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    environ["CONTENT_LENGTH"] = str(len(body)) if length is None else length
    environ["wsgi.input"] = io.BytesIO(body)
    statuses = []
    app(environ, lambda status, headers: statuses.append(status))
    return statuses[0]


def test_the_wsgi_app_answers_204_and_dispatches(video, heard) -> None:
    body, signature = callback("http://app.internal:8000/hook")
    assert call_wsgi(wsgi_app(video), body=body, headers={"X-Signature": signature}) == "204 No Content"
    assert [e.type for e in heard.events] == ["room.ended"]


def test_the_wsgi_app_refuses_a_forgery_with_403(video, heard) -> None:
    body, _ = callback("http://app.internal:8000/hook")
    assert call_wsgi(wsgi_app(video), body=body, headers={"X-Signature": "nope"}) == "403 Forbidden"
    assert heard.events == []


def test_the_wsgi_app_checks_the_signature_against_the_public_url(video, heard) -> None:
    body, signature = callback("https://hooks.example.com/hook")
    app = wsgi_app(video, public_url="https://hooks.example.com")
    assert call_wsgi(app, body=body, headers={"X-Signature": signature}) == "204 No Content"
    assert call_wsgi(wsgi_app(video), body=body, headers={"X-Signature": signature}) == "403 Forbidden"


def test_the_wsgi_app_answers_400_to_what_it_cannot_parse(video) -> None:
    url = "http://app.internal:8000/hook"
    body = b"not json"
    signature = hmac.new(SECRET, url.encode() + body, hashlib.sha256).hexdigest()
    assert call_wsgi(wsgi_app(video), body=body, headers={"X-Signature": signature}) == "400 Bad Request"


class CountingInput(io.BytesIO):
    """A request body that remembers how much of it the application read."""

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken = getattr(self, "taken", 0) + len(data)
        return data


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "+5", " ", "١٢"])
def test_the_wsgi_app_refuses_a_content_length_that_is_not_a_count_without_reading(video, heard, length) -> None:
    body, signature = callback("http://app.internal:8000/hook")
    environ: dict = {"REQUEST_METHOD": "POST", "PATH_INFO": "/hook", "HTTP_HOST": "app.internal:8000"}
    setup_testing_defaults(environ)
    environ.update({"HTTP_X_SIGNATURE": signature, "CONTENT_LENGTH": length, "wsgi.input": CountingInput(body * 100)})
    statuses: list[str] = []
    wsgi_app(video)(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["400 Bad Request"]
    assert getattr(environ["wsgi.input"], "taken", 0) == 0
    assert heard.events == []


def test_the_wsgi_app_refuses_a_body_over_the_limit_without_reading_it(video, heard) -> None:
    body, signature = callback("http://app.internal:8000/hook")
    status = call_wsgi(wsgi_app(video), body=body, headers={"X-Signature": signature}, length=str(MAX_BODY + 1))
    assert status == "400 Bad Request"
    assert heard.events == []


def test_the_wsgi_app_refuses_other_methods(video) -> None:
    assert call_wsgi(wsgi_app(video), body=b"", headers={}, method="PUT") == "405 Method Not Allowed"


# --- ASGI ------------------------------------------------------------------------


def call_asgi(app, *, body: bytes, headers: dict[str, str], chunk: int = 7) -> int:
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": "/hook",
        "query_string": b"",
        "headers": [(b"host", b"hooks.example.com"), *((k.encode(), v.encode()) for k, v in headers.items())],
    }
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_the_asgi_app_reads_a_chunked_body_and_dispatches(video, heard) -> None:
    body, signature = callback("https://hooks.example.com/hook")
    assert call_asgi(asgi_app(video), body=body, headers={"x-signature": signature}) == 204
    assert [e.type for e in heard.events] == ["room.ended"]


def test_the_asgi_app_refuses_a_stale_callback(video, heard) -> None:
    body, signature = callback("https://hooks.example.com/hook", at=datetime.now(UTC) - timedelta(hours=1))
    assert call_asgi(asgi_app(video), body=body, headers={"x-signature": signature}) == 403
    assert heard.events == []


def test_a_webhook_server_receives_callbacks_over_http(video, heard) -> None:
    import requests

    from anyvideo.testing import WebhookServer

    with WebhookServer(video, path="/video/callbacks") as server:
        body, signature = callback(server.url)
        answer = requests.post(server.url, data=body, headers={"X-Signature": signature}, timeout=5)
        forged = requests.post(server.url, data=body, headers={"X-Signature": "x"}, timeout=5)
    assert (answer.status_code, forged.status_code) == (204, 403)
    assert [e.type for e in heard.events] == ["room.ended"]


def test_a_slow_client_does_not_hold_up_the_webhook_servers_other_callbacks(video, heard) -> None:
    import socket

    import requests

    from anyvideo.testing import WebhookServer

    with WebhookServer(video) as server:
        port = int(server.url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port)) as stalled:
            stalled.sendall(b"POST /callbacks HTTP/1.1\r\nHost: x\r\n")  # and never the rest
            body, signature = callback(server.url)
            answer = requests.post(server.url, data=body, headers={"X-Signature": signature}, timeout=30)
    assert answer.status_code == 204
    assert [e.type for e in heard.events] == ["room.ended"]


#: Claims in order (subject, transition, callback, event type) -> what each is told to announce.
ANNOUNCEMENTS = [
    ([("rec", "started", "track-1", "recording.started")], ["recording.started"]),
    (
        [("rec", "started", "track-1", "recording.started"), ("rec", "started", "track-2", "recording.started")],
        ["recording.started", None],  # the second track reports the same transition: not announced
    ),
    (
        [("rec", "started", "track-1", "recording.started"), ("rec", "started", "track-1", "recording.started")],
        ["recording.started", "recording.started"],  # the first callback delivered again: announced again
    ),
    (
        [("rec", "outcome", "track-1", "recording.failed"), ("rec", "outcome", "track-2", "recording.available")],
        ["recording.failed", None],  # one outcome per transition: the first claimed
    ),
    (
        [("rec", "outcome", "track-2", "recording.failed"), ("rec", "outcome", "track-2", "recording.available")],
        ["recording.failed", "recording.failed"],  # the claimant repeats what it claimed
    ),
    (
        [("rec-a", "started", "t", "recording.started"), ("rec-b", "started", "t", "recording.started")],
        ["recording.started", "recording.started"],  # another object's transition is its own
    ),
]


@pytest.mark.parametrize(("claims", "announced"), ANNOUNCEMENTS)
def test_a_transition_is_announced_by_the_first_callback_that_claims_it(claims, announced, tmp_path) -> None:
    from anyvideo.registry import Registry
    from anyvideo.webhooks import Transitions

    path = tmp_path / "registry.sqlite"
    told = []
    for subject, transition, by, kind in claims:
        registry = Registry(path, namespace="signed")  # each claim from another process: the file is shared
        told.append(Transitions(registry).announce(subject, transition, by, kind))
        registry.close()
    assert told == announced
