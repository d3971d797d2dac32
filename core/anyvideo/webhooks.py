"""Provider callbacks in, verified :class:`~anyvideo.models.Event` objects out.

A backend that receives callbacks implements
:meth:`~anyvideo.backend.Backend.parse_webhook`: it verifies the request the
way its provider signs (failing closed with
:class:`~anyvideo.errors.WebhookVerificationError`) and translates it into
events. This module holds what every provider shares: the request as
received, the replay window, stable event ids, and thin WSGI and ASGI
adapters that hand each verified event to the ``anyvideo_event`` hooks.

    video = anyvideo.connect()               # configured for the provider
    app = anyvideo.webhooks.wsgi_app(video)  # mount at the callback URL

Delivery is at least once, handling exactly once: every event has an
``event_id`` derived from what the provider sent, so a callback the provider
retries yields the same id. :meth:`Video.webhooks.handle
<anyvideo.client.Webhooks.handle>` (and the adapters) dispatch each id once
(:class:`HandledEvents`, kept in the backend's registry, so in its file or
database when it has one), and when a hook fails the callback is answered
with an error and left unhandled, so the provider's next delivery is handled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from anyvideo.errors import AnyVideoError, ConfigurationError, WebhookVerificationError
from anyvideo.registry import Registry

if TYPE_CHECKING:
    from anyvideo.aio import Video as AsyncVideo
    from anyvideo.client import Video
    from anyvideo.models import Event
    from anyvideo.voice import VoiceReply

__all__ = [
    "ASGIApp",
    "CLOCK_SETTINGS",
    "DEFAULT_REPLAY_WINDOW",
    "HandledEvents",
    "Transitions",
    "WebhookRequest",
    "answer",
    "asgi_app",
    "check_fresh",
    "clock_from_settings",
    "form_fields",
    "respond",
    "stable_event_id",
    "wsgi_app",
]

#: How old a signed callback may be before it counts as a replay.
DEFAULT_REPLAY_WINDOW = timedelta(minutes=5)

#: The largest callback body read; providers send a few kilobytes.
MAX_BODY = 1024 * 1024


class _Headers(Mapping[str, str]):
    """Header names compared without regard to case, as HTTP says."""

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._items = {name.lower(): value for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        # Authorization and signature headers are credentials: names only.
        return f"Headers({sorted(self._items)})"


def _headers(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> _Headers:
    return value if isinstance(value, _Headers) else _Headers(value)


def _body(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _method(value: str) -> str:
    return value.upper()


@attrs.frozen
class WebhookRequest:
    """A callback as it reached the application: method, the full URL the
    provider called (scheme, host, path and query), headers and raw body."""

    method: str = attrs.field(converter=_method)
    url: str
    headers: Mapping[str, str] = attrs.field(converter=_headers)
    body: bytes = attrs.field(converter=_body, repr=lambda b: f"<{len(b)} bytes>")

    def form(self) -> dict[str, str]:
        """The form-encoded parameters (body for POST, query for GET); the last of repeated names wins."""
        source = self.body.decode("utf-8", "replace") if self.method != "GET" else urlsplit(self.url).query
        return form_fields(source)

    def json(self) -> Any:
        """The JSON body; a body that is not JSON is an :class:`AnyVideoError`."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AnyVideoError(f"the callback body is not JSON: {exc}") from None

    def with_public_url(self, public_url: str | None, root: str = "") -> WebhookRequest:
        """This request as the provider addressed it, when a proxy rewrote the URL.

        ``public_url`` (``https://hooks.example.com``, optionally with a path
        prefix) is the public address of ``root``, the start of the path where
        the application receiving the request is mounted (a WSGI ``SCRIPT_NAME``,
        an ASGI ``root_path``): it replaces the scheme, host, port and ``root``,
        and the rest of the path and the query are kept. A prefix that the
        server reports already (in ``root``) is so not counted twice.
        """
        if not public_url:
            return self
        public, seen = urlsplit(public_url), urlsplit(self.url)
        within = seen.path[len(root) :] if root and seen.path.startswith(root) else seen.path
        path = public.path.rstrip("/") + within
        return attrs.evolve(self, url=urlunsplit((public.scheme, public.netloc, path, seen.query, "")))


def form_fields(source: str) -> dict[str, str]:
    """Form-encoded ``source`` as a dict, the last of repeated names winning: what
    ``dict(urllib.parse.parse_qsl(source, keep_blank_values=True))`` gives, without
    decoding the fields that have nothing encoded (most of a callback's)."""
    fields = {}
    for piece in source.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in piece or "+" in piece:
            name = unquote(name.replace("+", " "), errors="replace")
            value = unquote(value.replace("+", " "), errors="replace")
        fields[name] = value
    return fields


#: The setting every backend takes for the time signed callbacks are judged against
#: (keyword only: it is an object, not text). Its value is a clock with ``now()`` (such
#: as an emulator's ``clock``) or a function returning the time, aware, in UTC.
CLOCK_SETTINGS: dict[str, str | None] = {"webhook_clock": None}


def clock_from_settings(settings: Mapping[str, Any]) -> Callable[[], datetime]:
    """What "now" is for a backend's replay window: the ``webhook_clock`` setting's time,
    else the machine's. A test that moves an emulator's clock moves this one with it
    (:meth:`anyvideo.testing.Emulator.connect` passes the emulator's clock), so callbacks
    the emulator signs with its own time still verify; a receiver running elsewhere
    passes the same clock."""
    clock = settings.get("webhook_clock")
    if clock is None:
        return lambda: datetime.now(UTC)
    now = getattr(clock, "now", clock)
    if not callable(now):
        raise ConfigurationError("webhook_clock must be a clock with now(), or a function returning the time")

    def checked() -> datetime:
        moment = now()
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise ConfigurationError("webhook_clock must tell the time as a timezone-aware datetime")
        return moment

    checked()  # a clock that cannot tell the time is refused when connecting, not at the first callback
    return checked


def check_fresh(sent_at: datetime, now: datetime, window: timedelta, *, what: str = "callback") -> None:
    """Refuse a signed callback sent longer than ``window`` before ``now`` (or from the future beyond it)."""
    if abs(now - sent_at) > window:
        raise WebhookVerificationError(
            f"the {what} was sent at {sent_at.isoformat()}, outside the {window.total_seconds():g}s replay window"
        )


class HandledEvents:
    """The event ids whose dispatch finished, in a registry, for a while: what makes a
    redelivered callback harmless.

    :meth:`claim` files an id before its dispatch (a second delivery arriving
    meanwhile is then skipped, not handled twice), :meth:`release` forgets it
    when the dispatch failed (so the provider's retry is handled). Ids are kept
    for ``keep``, well past the replay window beyond which no delivery of the
    same callback is accepted anyway, and swept from time to time.
    """

    KIND = "handled_event"
    SWEEP_EVERY = 256

    def __init__(self, registry: Registry, *, keep: timedelta = 4 * DEFAULT_REPLAY_WINDOW) -> None:
        self._registry = registry
        self._keep = keep
        self._claims = 0

    def claim(self, event: Event) -> bool:
        """File ``event``'s id; whether it was new (``False``: handled, or being handled, already)."""
        fresh = self._registry.add(self.KIND, event.event_id, {"at": datetime.now().timestamp()})
        self._claims += 1
        if self._claims % self.SWEEP_EVERY == 0:
            self._sweep()
        return fresh

    def release(self, event: Event) -> None:
        """Forget ``event``'s id: its dispatch failed, and a redelivery must be handled."""
        self._registry.delete(self.KIND, event.event_id)

    def _sweep(self) -> None:
        self._registry.sweep(self.KIND, "at", (datetime.now() - self._keep).timestamp())


class Transitions:
    """Which callback announced each transition of an object, in a registry: what makes one
    event per transition when a provider reports one transition several times (a recording
    of many tracks, each track's callback saying it started).

    :meth:`announce` claims a transition for one callback with the registry's
    insert-if-absent :meth:`~anyvideo.registry.Registry.add_or_get` (which writes nothing
    when the transition is claimed already), so of two receivers
    sharing the registry exactly one announces it, and a receiver started later
    (or again) finds it announced. The callback that claimed it announces it
    again when the provider delivers it again (its handling failed), under the
    same event id; any other callback does not.
    """

    KIND = "transition"

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def announce(self, subject_id: str, transition: str, by: str, event_type: str) -> str | None:
        """Claim ``subject_id``'s ``transition`` for the callback ``by`` as an ``event_type`` event.

        Returns the event type to announce when ``by`` holds the claim (first to
        claim it, or the claimant delivered again), else ``None``. A transition
        with several possible outcomes (available or failed) is claimed under one
        ``transition`` name: the first outcome claimed is the one announced.
        """
        held = self._registry.add_or_get(self.KIND, f"{subject_id}:{transition}", {"by": by, "type": event_type})
        if held is None:
            return event_type
        return str(held["type"]) if held.get("by") == by else None


def stable_event_id(provider: str, *parts: object) -> str:
    """An id for an event that is the same each time the provider retries its callback."""
    digest = hashlib.sha256(json.dumps([provider, *map(str, parts)]).encode()).hexdigest()
    return f"{provider}:{digest[:32]}"


# --- adapters ---------------------------------------------------------------------

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_STATUS = {
    200: "200 OK",
    204: "204 No Content",
    400: "400 Bad Request",
    403: "403 Forbidden",
    405: "405 Method Not Allowed",
}


def answer(video: Video, request: WebhookRequest) -> int:
    """Verify ``request``, hand its events to the hooks; the HTTP status to answer the provider
    with: 204, 403 when it fails verification, 400 when it is not a callback, 405 for a method
    other than POST and GET (what :func:`wsgi_app` answers). A hook's exception propagates."""
    return respond(video, request)[0]


def respond(video: Video, request: WebhookRequest) -> tuple[int, VoiceReply | None]:
    """:func:`answer`, and a voice webhook's answer: a call to a number anyvideo answers
    (``video.phone``) is answered 200 with the backend's call-control document."""
    if request.method not in ("POST", "GET"):
        return 405, None
    try:
        reply = video.backend.voice_reply(request)
        if reply is not None:
            return 200, reply
        video.webhooks.handle(request.method, request.url, request.headers, request.body)
    except AnyVideoError as refused:
        return _refusal(refused), None
    return 204, None


async def _aanswer(video: AsyncVideo, request: WebhookRequest) -> tuple[int, VoiceReply | None]:
    """:func:`respond` for an async ``Video``: handled in the event loop, hooks awaited."""
    import asyncio

    if request.method not in ("POST", "GET"):
        return 405, None
    try:
        reply = await asyncio.to_thread(video.backend.voice_reply, request)
        if reply is not None:
            return 200, reply
        await video.webhooks.handle(request.method, request.url, request.headers, request.body)
    except AnyVideoError as refused:
        return _refusal(refused), None
    return 204, None


def _refusal(refused: AnyVideoError) -> int:
    # A forgery is refused with 403 (the provider gives up on 4xx; a forger learns nothing
    # more), anything else that cannot be parsed with 400.
    return 403 if isinstance(refused, WebhookVerificationError) else 400


def wsgi_app(video: Video, *, public_url: str | None = None) -> Callable[[dict[str, Any], StartResponse], list[bytes]]:
    """A WSGI application that receives ``video``'s provider callbacks.

    It answers 204 once the events are dispatched to the ``anyvideo_event``
    hooks, 403 to a request that fails verification, 400 to one that cannot
    be parsed. ``public_url`` is the public address of where it is mounted
    (its ``SCRIPT_NAME``; the site's address when it serves the whole site),
    when a proxy in front of the application changes scheme, host or path:
    see :meth:`WebhookRequest.with_public_url`.
    """

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        length = _content_length(environ.get("CONTENT_LENGTH"))
        if length is None:
            start_response(_STATUS[400], [("Content-Length", "0")])
            return []
        body = environ["wsgi.input"].read(length) if length else b""
        headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items() if key.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        request = WebhookRequest(environ["REQUEST_METHOD"], _wsgi_url(environ), headers, body)
        status, reply = respond(video, request.with_public_url(public_url, environ.get("SCRIPT_NAME", "")))
        if reply is not None:
            start_response(
                _STATUS[status], [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))]
            )
            return [reply.body]
        start_response(_STATUS[status], [("Content-Length", "0")])
        return []

    return app


def _wsgi_url(environ: Mapping[str, Any]) -> str:
    scheme: str = environ.get("wsgi.url_scheme", "http")
    host: str = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    path: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query: str = environ.get("QUERY_STRING", "")
    return urlunsplit((scheme, host, path, query, ""))


ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _content_length(header: str | None) -> int | None:
    """The body's length from a ``Content-Length`` header, or ``None`` when it is not
    a plain count of at most :data:`MAX_BODY` bytes. A WSGI server may hand a negative
    or garbled value through, and ``read(-1)`` would read to the end of the stream."""
    if not header:
        return 0
    header = header.strip()
    if not (header.isascii() and header.isdigit()):
        return None
    length = int(header)
    return length if length <= MAX_BODY else None


def asgi_app(video: Video | AsyncVideo, *, public_url: str | None = None) -> ASGIApp:
    """An ASGI application that receives ``video``'s provider callbacks; answers as :func:`wsgi_app`.

    Given an :class:`anyvideo.aio.Video`, it awaits ``video.webhooks.handle``: verification
    runs in its worker pool, async ``anyvideo_event`` hooks are awaited in the loop and sync
    ones run in worker threads, so no hook blocks the loop. Given a sync ``Video``, the
    whole handling runs in a worker thread. ``public_url`` is the public address of where
    it is mounted (its ``root_path``), as for :func:`wsgi_app`.
    """
    return ASGIApp(video, public_url=public_url)


class ASGIApp:
    """The ASGI application :func:`asgi_app` makes: an object, not a function, so that a
    framework's router takes it for an ASGI application (Starlette's ``Route`` and
    ``add_route`` call a function as a request handler instead)."""

    def __init__(self, video: Video | AsyncVideo, *, public_url: str | None = None) -> None:
        self._video = video
        self._public_url = public_url

    async def __call__(self, scope: MutableMapping[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        """Answer one HTTP request (a callback)."""
        import asyncio

        from anyvideo.aio.client import Video as Async  # the async facade imports this module

        if scope["type"] != "http":
            raise ValueError(f"the anyvideo webhook app serves http, not {scope['type']}")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                return await _asgi_status(send, 400)
            if not message.get("more_body"):
                break
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        request = WebhookRequest(scope["method"], _asgi_url(scope, headers), headers, body)
        request = request.with_public_url(self._public_url, scope.get("root_path", ""))
        video = self._video
        if isinstance(video, Async):
            status, reply = await _aanswer(video, request)
        else:
            status, reply = await asyncio.to_thread(respond, video, request)
        await _asgi_status(send, status, reply)


async def _asgi_status(send: ASGISend, status: int, reply: VoiceReply | None = None) -> None:
    body = b"" if reply is None else reply.body
    headers = [(b"content-length", str(len(body)).encode())]
    if reply is not None:
        headers.append((b"content-type", reply.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _asgi_url(scope: Mapping[str, Any], headers: list[tuple[str, str]]) -> str:
    host = next((value for name, value in headers if name.lower() == "host"), None)
    if host is None:
        server: tuple[str, int | None] = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    # By the ASGI spec (and servers since 2023) ``path`` already holds ``root_path``; older ones left it out.
    root: str = scope.get("root_path", "")
    path: str = scope["path"]
    path = path if not root or path.startswith(root) else root + path
    query: str = scope.get("query_string", b"").decode("latin-1")
    scheme: str = scope.get("scheme", "http")
    return urlunsplit((scheme, host, path, query, ""))
