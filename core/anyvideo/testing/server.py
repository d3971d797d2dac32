"""What every provider emulator shares: a real HTTP server on loopback in front
of the simulated platform, routing, fault injection, callback delivery, and
the control API that plays the browsers.

A provider face subclasses :class:`Emulator`, declares its REST paths with
:func:`route`, and implements the few provider-specific methods: how requests
authenticate, how errors look, how client tokens are verified, and which ids
the platform hands out.
"""

from __future__ import annotations

import abc
import contextlib
import email.message
import email.parser
import inspect
import json
import re
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseServer
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
)
from anyvideo.models import StreamKind, VideoSource
from anyvideo.sim import Clock, Grant, OffsetClock, SimEvent, Store, World
from anyvideo.sim.media import Box
from anyvideo.sim.records import CompositionRecord, RecordingRecord, StreamRecord
from anyvideo.testing.callbacks import Callbacks
from anyvideo.testing.control import EmulatorControl
from anyvideo.testing.faults import LATE_BACKSTOP, Faults
from anyvideo.testing.phones import Phones, SimCall

if TYPE_CHECKING:
    from anyvideo.client import Video

__all__ = ["Emulator", "EmulatorSetting", "HttpError", "Request", "Response", "route"]

CONTROL_PREFIX = "/_emulator"
#: The page size of an emulator's SQLite store (in memory). SQLite keeps a header of a few hundred
#: bytes beside each page it holds, and a record of one or two kilobytes fills a 4 KiB page badly:
#: with 16 KiB pages an emulator seeded with 100k recordings holds about a quarter less memory.
STORE_PAGE_SIZE = 16384
#: What ``anyvideo emulator`` says when an HTTPS emulator cannot make its certificate.
TRUSTME_MISSING = 'the emulator\'s HTTPS needs trustme: pip install "anyvideo[testing]"'


@attrs.frozen
class EmulatorSetting:
    """One setting an emulator takes on the command line: ``anyvideo emulator <name>
    --<option> VALUE`` passes ``VALUE`` to the constructor's ``keyword``, or, with
    ``keys``, as those entries of the mapping ``keyword`` takes (one option can set
    several; a later setting of the table overrides an earlier one's entries).
    A ``secret`` is printed in the ``export`` lines, which is what the user asked
    for, and never logged or shown otherwise. A value must match ``pattern``
    (described by ``form``) when one is given."""

    option: str
    keyword: str
    help: str
    secret: bool = False
    keys: tuple[str, ...] = ()
    pattern: str | None = None
    form: str | None = None

    def check(self, value: str) -> str | None:
        """Why ``value`` is refused, or ``None``."""
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"must be {self.form or 'of the form ' + self.pattern}"
        return None


@attrs.frozen
class Request:
    """One HTTP request as the emulator received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    url: str  # the full URL the client used, for signature schemes that cover it
    params: Mapping[str, str] = attrs.field(factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def with_params(self, params: Mapping[str, str]) -> Request:
        """This request with its path's parameters: ``attrs.evolve`` without its look at
        the class, which every routed request would pay."""
        return Request(self.method, self.path, self.query, self.headers, self.body, self.url, params)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON; an empty body is ``{}``."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(400, "the request body is not valid JSON") from None

    def form(self) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded``, whatever the Content-Type says."""
        try:
            return urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise HttpError(400, "the request body is not valid form data") from None


@attrs.frozen
class Response:
    """An HTTP response; build one with :meth:`json`, :meth:`data` or :meth:`empty`."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        body = json.dumps(data).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def data(cls, body: bytes, content_type: str, status: int = 200) -> Response:
        return cls(status, body, {"Content-Type": content_type})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status)


class HttpError(Exception):
    """Raised by a handler to answer with an error; the face formats the body
    unless a ready :class:`Response` is given."""

    def __init__(self, status: int, message: str, *, code: int | str | None = None, response: Response | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.response = response


def route(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an emulator method as the handler of ``method`` on ``pattern``
    (``"/v1/Rooms/{sid}"``: each ``{name}`` matches one path segment)."""

    def mark(handler: Callable[..., Any]) -> Callable[..., Any]:
        routes = list(getattr(handler, "_routes", ()))
        routes.append((method.upper(), pattern))
        handler._routes = routes  # type: ignore[attr-defined]
        return handler

    return mark


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(regex + "$")


#: A declared route: method, path pattern, bound handler, and whether it is the control API's.
_Route = tuple[str, re.Pattern[str], Callable[[Request], Any], bool]

#: How anyvideo errors raised by the simulated platform become HTTP statuses.
_STATUS_OF_ERROR: dict[type[AnyVideoError], int] = {
    InvalidRequest: 400,
    AuthenticationError: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
}


class Emulator(abc.ABC):
    """A provider's REST API on ``127.0.0.1``, backed by a simulated platform.

    Use it as a context manager (``with ProviderEmulator() as emu: ...``) or
    call :meth:`start` and :meth:`stop`. ``port=0`` picks a free port.
    ``tls=True`` serves HTTPS with a throw-away certificate authority whose
    bundle is at :attr:`ca_bundle` (for clients that insist on https).
    """

    #: The provider's name, as in ``anyvideo emulator <name>``.
    name: ClassVar[str]
    #: Whether ``anyvideo emulator`` serves HTTPS unless told otherwise (for SDKs that only speak https).
    default_tls: ClassVar[bool] = False
    #: Whether the provider's official SDK can reach a plain-HTTP emulator (``False``: it only speaks
    #: https, so ``anyvideo emulator --no-tls`` says the settings it prints are not for the SDK).
    sdk_speaks_http: ClassVar[bool] = True
    #: The client devices that join this emulator's rooms as the provider's client SDKs do
    #: (a face whose clients publish differently subclasses :class:`EmulatorControl`).
    devices_class: ClassVar[type[EmulatorControl]] = EmulatorControl
    #: Whether a path ending in ``/`` is answered as the path without it, as some
    #: providers do on every path (off: paths match exactly).
    trailing_slash: ClassVar[bool] = False
    #: The settings ``anyvideo emulator <name>`` takes as options (credentials, callback URLs, ...).
    command_settings: ClassVar[tuple[EmulatorSetting, ...]] = ()
    #: Whether the callbacks it signs are dated by its :attr:`clock` and its backend takes the
    #: ``webhook_clock`` setting (:func:`anyvideo.webhooks.clock_from_settings`): then
    #: :meth:`connect` judges them by that clock.
    signs_with_clock: ClassVar[bool] = False

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        processing_delay: float = 2.0,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        seed: int | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("an emulator only listens on the loopback interface")
        self.clock = clock or OffsetClock()
        self.world = World(
            Store(page_size=STORE_PAGE_SIZE),
            clock=self.clock,
            ids=self.new_id,
            processing_delay=processing_delay,
            placer=self.place_streams,
        )
        self.world.subscribe(self.on_event)
        self.faults = Faults(seed=seed)
        self.callbacks = Callbacks()
        self.phones = Phones()
        self.ca_bundle: Path | None = None
        self._host, self._port, self._tls = host, port, tls
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._routes = self._collect_routes()
        self._videos: list[Video] = []

    # --- what a provider face provides -------------------------------------

    @abc.abstractmethod
    def new_id(self, kind: str) -> str:
        """The provider's id for a new object of ``kind`` ("room", "participant", ...)."""

    @abc.abstractmethod
    def authenticate(self, request: Request) -> None:
        """Check the request's credentials as the provider does; raise HttpError(401/403) if wrong."""

    @abc.abstractmethod
    def error_response(self, status: int, message: str, code: int | str | None = None) -> Response:
        """The provider's error body for ``status``."""

    @abc.abstractmethod
    def verify_client_token(self, token: str) -> Grant:
        """Check a client token (signature, issuer) and say what it grants; raise AuthenticationError if bad."""

    @property
    @abc.abstractmethod
    def credentials(self) -> dict[str, str]:
        """The credentials this emulator accepts, for users to configure their clients with."""

    @property
    @abc.abstractmethod
    def backend_settings(self) -> dict[str, str]:
        """What ``anyvideo.connect(<name>, **settings)`` needs to reach this emulator."""

    @property
    @abc.abstractmethod
    def backend_environment(self) -> dict[str, str]:
        """The same, as the environment variables the backend reads (``anyvideo emulator`` prints them)."""

    @property
    def app_environment(self) -> dict[str, str]:
        """Every setting an application of this emulator needs, as environment variables:
        :attr:`backend_environment`, then what the provider's own clients read besides it
        (another credential mode's credentials, say). ``anyvideo emulator`` prints it."""
        return dict(self.backend_environment)

    @classmethod
    def options_from_settings(cls, values: Mapping[str, str]) -> dict[str, Any]:
        """The constructor's keyword arguments for the given :attr:`command_settings`, by option name."""
        options: dict[str, Any] = {}
        for setting in cls.command_settings:
            if setting.option not in values:
                continue
            value = values[setting.option]
            if setting.keys:
                options.setdefault(setting.keyword, {}).update(dict.fromkeys(setting.keys, value))
            else:
                options[setting.keyword] = value
        return options

    @property
    def client_environment(self) -> dict[str, str | None]:
        """Environment variables a client of this emulator needs while it runs (``None``:
        remove the variable); the pytest fixtures set them for the test. An HTTPS
        emulator's clients trust its throw-away CA through ``REQUESTS_CA_BUNDLE``."""
        return {"REQUESTS_CA_BUNDLE": str(self.ca_bundle)} if self.ca_bundle is not None else {}

    def connect(self, **settings: Any) -> Video:
        """anyvideo connected to this emulator as an application connects (``settings`` add to
        or override :attr:`backend_settings`); closed when the emulator stops.

        When the emulator :attr:`signs_with_clock`, it judges the callbacks' signed times by
        its :attr:`clock` (the ``webhook_clock`` setting), so a test that advances the clock moves both sides;
        a receiver running elsewhere passes ``webhook_clock=emulator.clock`` too."""
        from anyvideo.client import connect

        clock = {"webhook_clock": self.clock} if self.signs_with_clock else {}
        video = connect(self.name, environ={}, **{**self.backend_settings, **clock, **settings})
        self._videos.append(video)
        return video

    def place_streams(
        self, world: World, record: RecordingRecord | CompositionRecord, streams: Sequence[StreamRecord]
    ) -> Mapping[str, Box]:
        """Where a composed file shows each video stream, read from the provider's own
        layout as the provider would (the rectangle each fills, in fractions of the
        canvas). Written into the file, so a test can check what it downloads.
        Default: nothing recorded (the face does not model layouts)."""
        return {}

    def on_event(self, event: SimEvent) -> None:
        """React to something that happened in the world (e.g. queue a callback). Default: nothing."""

    # --- lifecycle ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where the running emulator answers (``http://127.0.0.1:PORT``, or ``https://``);
        :class:`RuntimeError` if it is not running."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; use it as a context manager or call start()")
        host, port = _address(self._server)
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    @property
    def control(self) -> EmulatorControl:
        """A client of this emulator's control API (browsers, clock, faults, callbacks)."""
        return EmulatorControl(self.base_url, ca_bundle=self.ca_bundle)

    @property
    def devices(self) -> EmulatorControl:
        """Client devices for this emulator's rooms, publishing as the provider's client SDKs do."""
        return self.devices_class(self.base_url, ca_bundle=self.ca_bundle)

    def start(self) -> Emulator:
        """Start serving on loopback, and delivering callbacks (a second call does nothing); the emulator itself."""
        if self._server is not None:
            return self
        context = self._tls_context() if self._tls else None
        handler = type("Handler", (_Handler,), {"emulator": self})
        server = _Server((self._host, self._port), handler)
        if context is not None:
            # Each connection's handshake is made by its own thread (_Handler.handle): made in
            # accept(), one client that connects and says nothing would hold every other.
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-emulator", daemon=True
        )
        self._thread.start()
        self.callbacks.start()
        return self

    def stop(self) -> None:
        """Stop serving and delivering callbacks, and close the ``Video`` objects connected to it and its state."""
        if self._server is None:
            return
        while self._videos:
            self._videos.pop().close()
        self.faults.land()  # no request left held by a late landing
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = self._thread = None
        self.callbacks.stop()
        self.world.close()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _tls_context(self) -> ssl.SSLContext:
        try:
            import trustme
        except ImportError:  # trustme comes with anyvideo[testing]
            raise ConfigurationError(TRUSTME_MISSING) from None
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost", "::1")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        self._scratch = tempfile.TemporaryDirectory(prefix=f"anyvideo-{self.name}-ca-")
        self.ca_bundle = Path(self._scratch.name) / "ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_bundle))
        return context

    # --- dispatch -----------------------------------------------------------

    def _collect_routes(self) -> dict[int, list[_Route]]:
        """The routes by how many segments their paths have: a parameter matches one
        whole segment, so a path is only tried against the routes of its own length."""
        declared = []
        for _, member in inspect.getmembers(type(self), inspect.isfunction):
            for method, pattern in getattr(member, "_routes", ()):
                declared.append((method, pattern, member.__get__(self)))
        # Among paths of one length, literal segments before parameters:
        # "/rooms/mine" before "/rooms/{id}".
        declared.sort(key=lambda d: d[1].count("{"))
        routes: dict[int, list[_Route]] = {}
        for method, pattern, handler in declared:
            route = (method, _compile(pattern), handler, pattern.startswith(CONTROL_PREFIX))
            routes.setdefault(pattern.count("/"), []).append(route)
        return routes

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then authentication, then the handler."""
        if self.trailing_slash and len(request.path) > 1 and request.path.endswith("/"):
            request = attrs.evolve(request, path=request.path.rstrip("/") or "/")
        allowed = []
        for method, regex, handler, is_control in self._routes.get(request.path.count("/"), ()):
            match = regex.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            request = request.with_params(match.groupdict())
            try:
                if not is_control:
                    self.authenticate(request)
                return self._respond(handler(request))
            except HttpError as exc:
                return exc.response or self.error_response(exc.status, exc.message, exc.code)
            except AnyVideoError as exc:
                status = next((s for cls, s in _STATUS_OF_ERROR.items() if isinstance(exc, cls)), 500)
                return self.error_response(status, str(exc))
        if allowed:
            return self.error_response(405, f"{request.method} is not allowed on {request.path}")
        return self.error_response(404, f"no such resource: {request.path}")

    @staticmethod
    def _respond(result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None:
            return Response.empty()
        return Response.json(result)

    # --- the control API: plays the browsers and the clock -------------------

    @route("POST", CONTROL_PREFIX + "/join")
    def _control_join(self, request: Request) -> Any:
        body = request.json()
        grant = self.verify_client_token(str(body.get("token", "")))
        participant = self.world.join(body.get("room") or grant.room_id, grant)
        return {"participant_id": participant.id, "room_id": participant.room_id, "identity": participant.identity}

    @route("POST", CONTROL_PREFIX + "/participants/{participant_id}/publish")
    def _control_publish(self, request: Request) -> Any:
        body = request.json()
        try:
            kind = StreamKind(body.get("kind", StreamKind.AUDIO_VIDEO.value))
            source = VideoSource(body["video_source"]) if body.get("video_source") else None
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        stream = self.world.publish(request.params["participant_id"], kind, name=body.get("name"), video_source=source)
        return {"stream_id": stream.id}

    @route("POST", CONTROL_PREFIX + "/streams/{stream_id}/unpublish")
    def _control_unpublish(self, request: Request) -> None:
        self.world.unpublish(request.params["stream_id"])

    @route("POST", CONTROL_PREFIX + "/participants/{participant_id}/leave")
    def _control_leave(self, request: Request) -> None:
        self.world.leave(request.params["participant_id"])

    @route("GET", CONTROL_PREFIX + "/participants/{participant_id}/signals")
    def _control_signals(self, request: Request) -> Any:
        return [
            {"type": s.type, "data": s.data, "sent_at": s.sent_at.isoformat()}
            for s in self.world.signals_for(request.params["participant_id"])
        ]

    @route("POST", CONTROL_PREFIX + "/clock/advance")
    def _control_advance(self, request: Request) -> Any:
        seconds = request.json().get("seconds", 0)
        if not isinstance(seconds, int | float) or seconds < 0:
            raise HttpError(400, "seconds must be a number ≥ 0")
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise HttpError(409, "this emulator's clock cannot be moved")
        now = advance(seconds)
        self.world.events()  # settle what became due
        return {"now": now.isoformat()}

    @route("PUT", CONTROL_PREFIX + "/phones/{number}")
    def _control_script_phone(self, request: Request) -> Any:
        """``{"answers": bool}``: whether the phone at ``number`` answers its calls from now on."""
        answers = request.json().get("answers")
        if not isinstance(answers, bool):
            raise HttpError(400, "answers must be true or false")
        try:
            self.phones.script(request.params["number"], answers=answers)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        return {"number": request.params["number"], "answers": answers}

    @route("POST", CONTROL_PREFIX + "/phones/{number}/call")
    def _control_call_in(self, request: Request) -> Any:
        """``{"to": number}``: the phone at ``number`` calls ``to``, a number of the account."""
        to = request.json().get("to")
        try:
            caller = self.phones.check_number(request.params["number"])
            called = self.phones.check_number(to if isinstance(to, str) else "")
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        return self.incoming_call(caller, called).as_dict()

    @route("POST", CONTROL_PREFIX + "/calls/{call_id}/dtmf")
    def _control_dtmf(self, request: Request) -> Any:
        """``{"digits": "123456#"}``: the phone on the call keys them."""
        digits = request.json().get("digits")
        try:
            self.phones.key(request.params["call_id"], digits if isinstance(digits, str) else "")
        except KeyError:
            raise HttpError(404, f"no call {request.params['call_id']!r}") from None
        except ValueError as exc:
            raise HttpError(409, str(exc)) from None
        return self.phones.get(request.params["call_id"]).as_dict()

    @route("GET", CONTROL_PREFIX + "/calls")
    def _control_calls(self, request: Request) -> Any:
        with self.phones.lock:
            return [call.as_dict() for call in self.phones.calls.values()]

    def incoming_call(self, caller: str, called: str) -> SimCall:
        """The phone at ``caller`` calls ``called``; the call as it then is. Default: this
        emulator has no voice side."""
        raise HttpError(404, f"the {self.name} emulator has no number {called} to call")

    @route("GET", CONTROL_PREFIX + "/callbacks")
    def _control_callbacks(self, request: Request) -> Any:
        self.callbacks.flush()
        return [delivery.as_dict() for delivery in self.callbacks.delivered]

    @route("PUT", CONTROL_PREFIX + "/faults")
    def _control_faults(self, request: Request) -> Any:
        self.faults.configure(request.json())
        return self.faults.describe()

    @route("DELETE", CONTROL_PREFIX + "/faults")
    def _control_clear_faults(self, request: Request) -> None:
        self.faults.clear()


#: What a client that goes away mid-handshake or mid-request makes the server's socket raise.
_CLIENT_GONE = (ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


class _Server(ThreadingHTTPServer):
    """The stdlib's threading server, quiet about clients that went away."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is not the server's error: nothing to report. Anything
        else is, and is printed with its traceback, as the stdlib does."""
        if isinstance(sys.exc_info()[1], _CLIENT_GONE):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Turns raw HTTP into :class:`Request` objects for the emulator, and applies faults."""

    emulator: ClassVar[Emulator]
    # Set by the stdlib's handler (typeshed leaves them out): the request line as read,
    # and the header lines send_header() buffers until the answer is written.
    raw_requestline: bytes
    _headers_buffer: list[bytes]
    protocol_version = "HTTP/1.1"
    server_version = "anyvideo-emulator"
    # An answer goes out in one write (see _send). Were headers and body written
    # apart, Nagle's algorithm would hold the body for the client's delayed ACK
    # (~40 ms) on every keep-alive request.
    disable_nagle_algorithm = True

    #: The last Date header made: (whole second, its text).
    _date: ClassVar[tuple[int, str]] = (0, "")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read callbacks, not logs
        pass

    def handle(self) -> None:
        """The TLS handshake first, on this connection's thread: a client that fails it
        (goes away, or speaks no TLS) gets nothing and leaves nothing to report."""
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except OSError:  # ssl.SSLError included
                self.close_connection = True
                return
        super().handle()

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header's text, made once a second: the stdlib formats it for every
        answer, at a tenth of what a bare answer costs."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        second, text = _Handler._date
        if second != now:
            text = super().date_time_string(now)
            _Handler._date = (now, text)
        return text

    def parse_request(self) -> bool:
        """The stdlib's parsing of an ordinary HTTP/1.x request, without the email
        package's parser for the headers (a fifth of what a bare request costs);
        anything out of the ordinary is left to the stdlib, with its answers."""
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            return super().parse_request()
        self.requestline = requestline
        self.command, path, self.request_version = words
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path  # as the stdlib does (gh-87389)
        lines: list[bytes] = []
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                self.send_error(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "Line too long",
                    f"got more than {_MAX_LINE} bytes when reading header line",
                )
                return False
            lines.append(line)
            if len(lines) > _MAX_HEADERS:
                self.send_error(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "Too many headers",
                    f"got more than {_MAX_HEADERS} headers",
                )
                return False
            if line in (b"\r\n", b"\n", b""):
                break
        self.headers = _parse_headers(lines, self.MessageClass)
        connection = self.headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        if self.headers.get("Expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urllib.parse.urlsplit(self.path)
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        host = self.headers.get("Host") or "{}:{}".format(*_address(self.server))
        request = Request(
            method=self.command,
            path=split.path,
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True) if split.query else {},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            url=f"{scheme}://{host}{self.path}",
        )
        emulator = self.emulator
        fault = None
        if not split.path.startswith(CONTROL_PREFIX):
            emulator.faults.land(self.command, split.path)  # late landings due land before this request
            fault = emulator.faults.draw(self.command, split.path)
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.late:
                landing = emulator.faults.hold(self.command, split.path, fault)
                landing.release.wait(LATE_BACKSTOP)
                try:
                    emulator.handle(request)
                finally:
                    landing.landed.set()
            elif fault.lost:
                emulator.handle(request)
            if fault.drop or fault.lost or fault.late:
                self.close_connection = True
                with contextlib.suppress(OSError):  # a late landing's client has long gone
                    self.connection.shutdown(socket.SHUT_RDWR)  # the client sees the connection reset, no answer
                return
            if fault.status:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                error = emulator.error_response(fault.status, HTTPStatus(fault.status).phrase)
                self._send(attrs.evolve(error, headers={**error.headers, **headers}))
                return
        self._send(emulator.handle(request))

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            # end_headers() would write the headers at once, and the body would take a
            # second system call: the body joins the buffered headers, one write sends both.
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(response.body)
            self.flush_headers()
        except _CLIENT_GONE:
            # The client gave up waiting (a read timeout) or hung up: the request was handled
            # and its answer is lost, as on a real platform. Nothing to report.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


#: The stdlib's limits on a request's header lines (``http.client``).
_MAX_LINE, _MAX_HEADERS = 65536, 100
#: A header line as the email package's parser takes it whole: a name of printable
#: characters but the colon, a colon, a value without a line break inside.
_PLAIN_HEADER = re.compile(rb"[\041-\071\073-\176]+:[^\r\n]*\r?\n")


def _parse_headers(lines: list[bytes], message_class: type[email.message.Message]) -> email.message.Message:
    """The headers ``http.client.parse_headers`` makes of ``lines`` (the blank line that
    ends them last): plain lines split here as its parser splits them (name, value
    without leading blanks or the line break); any other line (folded, malformed)
    and the parser itself reads them all."""
    headers = message_class()
    for line in lines[:-1]:
        if not _PLAIN_HEADER.fullmatch(line):
            text = b"".join(lines).decode("iso-8859-1")
            return email.parser.Parser(_class=message_class).parsestr(text)
        name, _, value = line.decode("iso-8859-1").partition(":")
        headers.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
    return headers


def _address(server: BaseServer) -> tuple[str, int]:
    """The host and port a TCP server listens on (an IPv6 address has two more fields)."""
    address = server.server_address
    if not isinstance(address, tuple):
        raise TypeError(f"not a TCP server address: {address!r}")
    host, port = address[:2]
    return host, port


def iter_pages(items: Iterator[Any], offset: int, count: int) -> list[Any]:
    """Items ``offset`` to ``offset + count`` of an iterator, without reading further."""
    page = []
    for index, item in enumerate(items):
        if index >= offset + count:
            break
        if index >= offset:
            page.append(item)
    return page
