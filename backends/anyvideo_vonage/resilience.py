"""Every request to Vonage under one retry policy, one timeout pair and an optional rate limit.

The policy is core's :class:`~anyvideo.retry.RetryPolicy` (attempts, time
bound, backoff, ``Retry-After``); what each operation may repeat is decided
where the backend calls :meth:`RequestRunner.run` (see the "Retries" table of
``docs/providers/vonage.md``). Nothing below it retries on its own: the SDK's
HTTP client is built with ``max_retries=0`` (urllib3 retries nothing, not even
a refused connection) and one connection per pool (its own loop re-sends a
request whose connection dropped as many times as the pool is large, POSTs
included), and the REST helper's ``requests.Session`` keeps the ``requests``
default of no retries. So a request is sent at most ``policy.attempts`` times.

Two answers after a try whose answer was lost (a 5xx, a dropped connection, a
timeout) say the lost try did the work, and are taken as success rather than
raised: a 404 from an operation that removes something (``gone``: it is gone
already), and a 409 from a create whose ``reconcile`` then finds what the lost
try made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from vonage import HttpClientOptions

from anyvideo.errors import AnyVideoError, Conflict, NotFound
from anyvideo.ratelimit import RateLimiter
from anyvideo.redaction import get_logger
from anyvideo.retry import RetryPolicy, Safety, is_transient
from anyvideo_vonage import errors

__all__ = ["RequestRunner", "TimedOptions", "sdk_options"]

T = TypeVar("T")

log = get_logger("anyvideo.retry")  # next to core's lines about each retry


class TimedOptions(HttpClientOptions):
    """The SDK's ``HttpClientOptions`` with ``timeout`` as a ``(connect, read)`` pair.

    The SDK hands ``timeout`` to ``requests`` unchanged, which takes a pair,
    but its own field only takes whole seconds for both limits at once.
    """

    timeout: tuple[float, float] | None = None  # type: ignore[assignment]


def sdk_options(video_host: str, timeout: tuple[float, float]) -> TimedOptions:
    """Options for one SDK client: the timeouts, and no retries of its own (see the module docstring)."""
    return TimedOptions(video_host=video_host, timeout=timeout, max_retries=0, pool_connections=1, pool_maxsize=1)


class RequestRunner:
    """Runs one request at a time under ``policy`` and, when given, ``limiter`` (each try waits its turn)."""

    def __init__(self, policy: RetryPolicy, limiter: RateLimiter | None = None) -> None:
        self.policy = policy
        self.limiter = limiter

    def __repr__(self) -> str:
        return f"RequestRunner({self.policy!r}, limiter={self.limiter!r})"

    def run(
        self,
        operation: Callable[[], T],
        *,
        what: str,
        safety: Safety = Safety.SAFE,
        reconcile: Callable[[], T | None] | None = None,
        gone: Callable[[], T] | None = None,
    ) -> T:
        """``operation()`` (an SDK call or a REST helper request), its SDK errors translated, tried again
        under the policy. ``reconcile`` finds what a try whose answer was lost made (for creates);
        ``gone`` is the result when a repeat finds the object gone (for stops and removals)."""
        lost = False  # some try may have taken effect though its answer never came

        def attempt() -> T:
            nonlocal lost
            if self.limiter is not None:
                self.limiter.acquire()
            try:
                try:
                    return operation()
                except errors.SDK_ERRORS as exc:
                    raise errors.from_sdk(exc) from exc
            except NotFound:
                if lost and gone is not None:
                    return gone()
                raise
            except Conflict:
                # a lost try started it and the provider refuses a second: find the first
                found = reconcile() if lost and reconcile is not None else None
                if found is not None:
                    log.info("vonage: %s: a repeat was refused (409); adopting what the lost try made", what)
                    return found
                raise
            except AnyVideoError as exc:
                lost = lost or is_transient(exc)
                raise

        return self.policy.run(attempt, what=f"vonage: {what}", safety=safety, reconcile=reconcile)

    def once(self, operation: Callable[[], T]) -> T:
        """``operation()`` tried once (after its turn under the rate limit), for a request made inside
        another's try (a ``reconcile``): its failure fails that try, which the policy may repeat, so
        retries are never multiplied by retries."""
        if self.limiter is not None:
            self.limiter.acquire()
        try:
            return operation()
        except errors.SDK_ERRORS as exc:
            raise errors.from_sdk(exc) from exc
