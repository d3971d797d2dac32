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

Speed and threads: the private key is parsed once and one application JWT is
reused until shortly before it expires (:mod:`.credentials`). The SDK's HTTP
client mutates one headers dict per request and is not safe to share between
threads, so each thread gets its own SDK client (all sharing the one cached
``Auth``); a lock would serialise every request behind the slowest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from vonage import Auth, HttpClientOptions, Vonage
from vonage_video import Video

from anyvideo.calls import Caller, Duplicates
from anyvideo.deadline import DeadlineAdapter
from anyvideo.errors import ProviderError
from anyvideo.ratelimit import RateLimiter
from anyvideo.retry import RetryPolicy, Safety
from anyvideo_vonage import errors
from anyvideo_vonage.credentials import ApplicationJwt, CachedAuth, PrivateKey
from anyvideo_vonage.rest import PAGE_SIZE, VonageRest

__all__ = ["TimedOptions", "Transport", "sdk_options"]

T = TypeVar("T")


class TimedOptions(HttpClientOptions):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's ``HttpClientOptions`` with ``timeout`` as a ``(connect, read)`` pair.

    The SDK hands ``timeout`` to ``requests`` unchanged, which takes a pair,
    but its own field only takes whole seconds for both limits at once.
    """

    timeout: tuple[float, float] | None = None


def sdk_options(video_host: str, timeout: tuple[float, float]) -> TimedOptions:
    """Options for one SDK client: the timeouts, and no retries of its own (see the module docstring)."""
    return TimedOptions(video_host=video_host, timeout=timeout, max_retries=0, pool_connections=1, pool_maxsize=1)


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
    ) -> None:
        self.application_id = application_id
        self.video_host = video_host
        #: Items asked for per page when listing.
        self.page_size = page_size
        #: Every request goes through it: retry policy, timeouts, rate limit.
        self.calls = Caller(policy, errors.PROVIDER, edge=errors.translating, limiter=rate_limiter)
        self.jwt = ApplicationJwt(application_id, private_key)
        self.auth: Auth = CachedAuth(application_id, private_key, self.jwt)
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
            client = self._local.client = Vonage(self.auth, options)
            # The SDK mounts its own adapter and offers no way to pass one: replace it, same sizes, no retries.
            adapter = DeadlineAdapter(
                pool_connections=options.pool_connections, pool_maxsize=options.pool_maxsize, max_retries=0
            )
            client.http_client._session.mount("https://", adapter)
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
            try:
                return operation()
            except (ValidationError, LookupError, TypeError, AttributeError) as exc:
                # The SDK read an answer that is not what the spec says: its models refused it
                # (ValidationError), or its own code indexed into it (``response[0]["session_id"]``).
                raise self._unreadable(what) from exc

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
