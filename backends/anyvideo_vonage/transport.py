"""How the Vonage backend reaches the provider: :class:`Transport`, through which
every module of the package sends its requests.

Every request, SDK call or REST helper, runs through one
:class:`~anyvideo.calls.Caller` (core's retry policy, the ``(connect, read)``
timeout, the deadline, the optional rate limit); each operation says there what
a repeat of its request would do (``docs/providers/vonage.md``, "Retries").
Nothing below it retries on its own: the SDK's HTTP client is built with
``max_retries=0`` (urllib3 retries nothing, not even a refused connection) and
one connection per pool (its own loop re-sends a request whose connection
dropped as many times as the pool is large, POSTs included), and the REST
helper's ``requests.Session`` keeps the ``requests`` default of no retries. So
a request is sent at most ``policy.attempts`` times. Both send through core's
:class:`~anyvideo.deadline.DeadlineAdapter`, which holds each request to its
operation's deadline.

Offline: when ``video_host`` is not Vonage's (an emulator), the SDK client's
session sends the requests of every API the emulator serves (:data:`EMULATED_APIS`)
to the emulator, whatever Vonage host the SDK addressed them to, and refuses every
other request to another host (:class:`VideoOnlyAdapter`): the rest of
``video.native`` would otherwise reach the real Vonage, which no emulator stands in for.

Speed and threads: the private key is parsed once and one application JWT is
reused until shortly before it expires (:mod:`.credentials`). The SDK's HTTP
client mutates one headers dict per request and is not safe to share between
threads, so each thread gets its own SDK client (all sharing the one cached
``Auth``); a lock would serialise every request behind the slowest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError
from requests import PreparedRequest, Response
from vonage import Auth, HttpClientOptions, Vonage
from vonage_video import Video

from anyvideo.calls import Caller, Duplicates
from anyvideo.deadline import DeadlineAdapter
from anyvideo.errors import AnyVideoError, ConfigurationError, ProviderError
from anyvideo.ratelimit import RateLimiter
from anyvideo.retry import RetryPolicy, Safety
from anyvideo.sessions import ProviderSession
from anyvideo_vonage import errors
from anyvideo_vonage.credentials import ApplicationJwt, CachedAuth, PrivateKey
from anyvideo_vonage.rest import PAGE_SIZE, VonageRest

__all__ = [
    "EMULATED_APIS",
    "OTHER_APIS",
    "SdkAnswerWarnings",
    "TimedOptions",
    "Transport",
    "VideoOnlyAdapter",
    "is_vonage_host",
    "sdk_client",
    "sdk_options",
]

#: Whether this thread or task is inside one of anyvideo's SDK calls.
_calling: ContextVar[bool] = ContextVar("anyvideo_vonage_calling", default=False)


class SdkAnswerWarnings(logging.Filter):
    """Drops the SDK's WARNING for an error answer (``Http Response Error! …``, on the
    ``vonage`` logger) when anyvideo made the call: anyvideo raises that answer as its own
    error, and with no logging configured Python would print the SDK's line to stderr
    beside it. The SDK's lines from calls of its own (``video.native``) pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        answered = record.levelno == logging.WARNING and str(record.msg).startswith("Http Response Error!")
        return not (answered and _calling.get())


logging.getLogger("vonage").addFilter(SdkAnswerWarnings())

T = TypeVar("T")

#: The SDK's other clients, by the start of the paths they send (their sources, ``vonage`` 4.x):
#: what a refused request was for. The longest matching start wins.
OTHER_APIS = {
    "/v2/applications": "the Application API (video.native.application)",
    "/v1/calls": "the Voice API (video.native.voice)",
    "/v1/messages": "the Messages API (video.native.messages)",
    "/sms/": "the SMS API (video.native.sms)",
    "/conversions/": "the SMS API (video.native.sms)",
    "/v2/verify": "the Verify API (video.native.verify)",
    "/verify/": "the legacy Verify API (video.native.verify_legacy)",
    "/ni/": "the Number Insight API (video.native.number_insight)",
    "/number/": "the Numbers API (video.native.numbers)",
    "/account/numbers": "the Numbers API (video.native.numbers)",
    "/account/": "the Account API (video.native.account)",
    "/accounts": "the Account or Subaccounts API (video.native.account, .subaccounts)",
    "/v1/users": "the Users API (video.native.users)",
    "/camara/": "the Network APIs (video.native.network_sim_swap, .network_number_verification)",
    "/oauth2/": "the Network APIs (video.native.network_sim_swap, .network_number_verification)",
    "/identity-insights/": "the Identity Insights API (video.native.identity_insights)",
}

#: The starts of the paths of the SDK's other APIs that the emulator serves too: pointed at an
#: emulator, their requests go to it (same path, query and headers) instead of Vonage's hosts.
#: (Messages v0.1, SMS, Verify: invitations and verification; the Application API: provisioning;
#: the Voice API: phone participants, anyvideo_vonage.phone). The SDK's Messages v1
#: (``/v1/messages``, video.native.messages) is not among them: no spec here defines it.
EMULATED_APIS: tuple[str, ...] = (
    "/v0.1/messages",
    "/sms/",
    "/verify/json",
    "/verify/check/json",
    "/v2/applications",
    "/v1/calls",
)


def is_vonage_host(host: str) -> bool:
    """Whether ``host`` (``name[:port]``, or a URL) is one of Vonage's own, not an emulator's."""
    name = (urlsplit(host if "//" in host else f"//{host}").hostname or "").lower()
    return name == "vonage.com" or name.endswith(".vonage.com")


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


class VideoOnlyAdapter(DeadlineAdapter):
    """Core's :class:`~anyvideo.deadline.DeadlineAdapter` that sends only to the video host.

    Mounted on the SDK client's session when the video host is an emulator: a request
    of an API the emulator serves (:data:`EMULATED_APIS`) goes to the emulator whatever
    host it was addressed to; a request for any other host raises :class:`ConfigurationError`
    before any network activity, naming the API, since the emulator does not stand in for it.
    """

    def __init__(self, video_host: str, **options: Any) -> None:
        super().__init__(**options)
        self.video_host = _netloc(video_host if "//" in video_host else f"//{video_host}")

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        url = request.url or ""
        if _netloc(url) != self.video_host:
            split = urlsplit(url)
            path = split.path  # never the query: the legacy APIs carry api_secret there
            if path.startswith(EMULATED_APIS):
                request.url = split._replace(netloc=self.video_host).geturl()
                return super().send(request, *args, **kwargs)
            starts = [start for start in OTHER_APIS if path.startswith(start)]
            api = OTHER_APIS[max(starts, key=len)] if starts else "an API other than Video"
            raise ConfigurationError(
                f"vonage: {request.method} {urlsplit(url).scheme}://{_netloc(url)}{path} is {api}, which is not "
                f"emulated: the backend points at an emulator ({self.video_host}), which does not emulate it. "
                "The request was not sent (it would have reached the real Vonage)."
            )
        return super().send(request, *args, **kwargs)


class TimedOptions(HttpClientOptions):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's ``HttpClientOptions`` with ``timeout`` as a ``(connect, read)`` pair.

    The SDK hands ``timeout`` to ``requests`` unchanged, which takes a pair,
    but its own field only takes whole seconds for both limits at once.
    """

    timeout: tuple[float, float] | None = None


def sdk_options(video_host: str, timeout: tuple[float, float]) -> TimedOptions:
    """Options for one SDK client: the timeouts, and no retries of its own (see the module docstring)."""
    return TimedOptions(video_host=video_host, timeout=timeout, max_retries=0, pool_connections=1, pool_maxsize=1)


def sdk_client(auth: Auth, video_host: str, options: TimedOptions) -> Vonage:
    """An SDK client for ``auth`` whose requests go through core's deadline adapter; pointed at
    an emulator (``video_host`` not Vonage's), through :class:`VideoOnlyAdapter`."""
    client = Vonage(auth, options)
    # The SDK makes its own session and adapter and offers no way to pass either: both replaced (core's
    # ProviderSession; core's adapter, same sizes, no retries).
    sizes = {"pool_connections": options.pool_connections, "pool_maxsize": options.pool_maxsize}
    client.http_client._session.close()
    session = client.http_client._session = ProviderSession()
    if is_vonage_host(video_host):
        session.mount("https://", DeadlineAdapter(**sizes, max_retries=0))
    else:  # an emulator: nothing may reach the real Vonage through the SDK's other APIs
        session.mount("https://", VideoOnlyAdapter(video_host, **sizes, max_retries=0))
        session.mount("http://", VideoOnlyAdapter(video_host, max_retries=0))
    return client


class Transport:
    """The application's credentials, this thread's SDK client, the REST helper and the
    rules every request follows: errors translated at this edge, the retry policy, the rate limit."""

    def __init__(
        self,
        application_id: str,
        private_key: PrivateKey,
        *,
        video_host: str,
        policy: RetryPolicy,
        rate_limiter: RateLimiter | None = None,
        page_size: int = PAGE_SIZE,
        api_key: str | None = None,
        api_secret: str | None = None,
    ) -> None:
        self.application_id = application_id
        self.video_host = video_host
        #: Items asked for per page when listing.
        self.page_size = page_size
        #: Every request goes through it: retry policy, timeouts, rate limit.
        self.calls = Caller(policy, errors.PROVIDER, edge=errors.translating, limiter=rate_limiter)
        self.jwt = ApplicationJwt(application_id, private_key)
        self.auth: Auth = CachedAuth(application_id, private_key, self.jwt, api_key=api_key, api_secret=api_secret)
        #: Whether the account's API key and secret were given (the SMS and Verify APIs need them).
        self.has_api_secret = bool(api_key and api_secret)
        self.rest = VonageRest(video_host, application_id, self.jwt, calls=self.calls)
        self._local = threading.local()
        self._clients: list[Vonage] = []
        self._clients_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Transport(application_id={self.application_id!r}, video_host={self.video_host!r})"

    @property
    def policy(self) -> RetryPolicy:
        return self.calls.policy

    def sdk(self) -> Vonage:
        """This thread's SDK client, authenticating with the cached application JWT."""
        client = getattr(self._local, "client", None)
        if client is None:
            # No retries inside the SDK (see sdk_options): the policy alone decides.
            options = sdk_options(self.video_host, self.policy.timeout)
            client = self._local.client = sdk_client(self.auth, self.video_host, options)
            with self._clients_lock:
                self._clients.append(client)
        return client

    @property
    def video(self) -> Video:
        """This thread's SDK Video client (``vonage.Vonage().video``)."""
        return self.sdk().video

    def call(
        self,
        operation: Callable[..., T],
        *args: Any,
        safety: Safety = Safety.SAFE,
        gone: Callable[[], T] | None = None,
    ) -> T:
        """One SDK operation, named in logs by its own name; see :meth:`run`."""
        return self.run(getattr(operation, "__name__", "request"), lambda: operation(*args), safety=safety, gone=gone)

    def run(
        self,
        what: str,
        operation: Callable[[], T],
        *,
        safety: Safety = Safety.SAFE,
        reconcile: Callable[[], T | None] | None = None,
        gone: Callable[[], T] | None = None,
        duplicates: Duplicates[T] | None = None,
    ) -> T:
        """``operation()`` (SDK calls) under the retry policy, its exceptions anyvideo errors, chained.
        ``safety``, ``reconcile``, ``gone`` and ``duplicates``: see :meth:`anyvideo.calls.Caller.call`."""

        def read() -> T:
            calling = _calling.set(True)
            try:
                return operation()
            except AnyVideoError:
                raise  # already translated (the REST helper's), though NotFound is a LookupError too
            except (ValidationError, LookupError, TypeError, AttributeError) as exc:
                # The SDK read an answer that is not what the spec says: its models refused it
                # (ValidationError), or its own code indexed into it (``response[0]["session_id"]``).
                raise self._unreadable(what) from exc
            finally:
                _calling.reset(calling)

        return self.calls.call(what, read, safety=safety, reconcile=reconcile, gone=gone, duplicates=duplicates)

    def _unreadable(self, what: str) -> ProviderError:
        # The answer's status (this thread's client made the last request): a 2xx that cannot be
        # read is no transient failure, and trying again would read the same.
        answer = self.sdk().http_client.last_response
        status = answer.status_code if answer is not None else None
        return ProviderError(
            f"answered {what} with something the SDK could not read", provider=errors.PROVIDER, status=status
        )

    def close(self) -> None:
        self.calls.settle()  # the last look for what late tries started twice, while it can still be stopped
        self.rest.close()
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.http_client._session.close()
