"""One retry policy for every backend: what is retried, how often, how long.

Only failures that may pass are retried: :class:`~anyvideo.errors.RateLimited`
(after the provider's ``Retry-After``, when it gave one) and transient
failures, a :class:`~anyvideo.errors.ProviderError` with a 5xx status or no
status at all (the connection dropped or timed out). Everything else (400,
401, 403, 404, 409) is raised at once.

Whether a transient failure may be retried depends on the operation:

- ``Safety.SAFE``: reads and deletes, and changes a provider treats as
  harmless to repeat (stopping, setting a layout) — retried;
- ``Safety.UNSAFE``: creates, whose first try may have taken effect even
  though its answer was lost — retried only when the caller gives a
  ``reconcile`` function that finds what the lost try made (it is called
  before each new try; what it returns is adopted), else raised.

A 429 is retried for every operation: the provider refused it before doing
anything; so is :class:`~anyvideo.errors.Unreachable`, a try that never connected
and so was never sent. Each retry is logged on ``anyvideo.retry`` and passed to
``on_retry``. Under a deadline (``deadline_at``), no wait runs past it: a
backoff is cut to what is left, and a ``Retry-After`` that does not fit is
raised at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

import attrs
import tenacity

from anyvideo.errors import ConfigurationError, DeadlineExceeded, ProviderError, RateLimited, Unreachable
from anyvideo.redaction import get_logger

__all__ = ["POLICY_SETTINGS", "RetryEvent", "RetryPolicy", "Safety", "is_transient", "policy_from_settings"]

T = TypeVar("T")

log = get_logger("anyvideo.retry")

#: The settings :func:`policy_from_settings` reads for every backend, and their environment variables.
POLICY_SETTINGS = {"retries": "ANYVIDEO_RETRIES", "timeout": "ANYVIDEO_TIMEOUT", "deadline": "ANYVIDEO_DEADLINE"}


class Safety(StrEnum):
    """Whether repeating an operation after a lost answer could do it twice."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@attrs.frozen
class RetryEvent:
    """One retry about to happen: of what, which try failed, why, and the wait before the next."""

    what: str
    attempt: int
    error: Exception
    wait: float


def is_transient(error: BaseException) -> bool:
    """A failure that may pass: a 5xx, or no answer at all (but not a passed deadline, which is final)."""
    return (
        isinstance(error, ProviderError)
        and not isinstance(error, DeadlineExceeded)
        and (error.status is None or error.status >= 500)
    )


_N = TypeVar("_N", int, float)


def _positive(name: str) -> Callable[[object, attrs.Attribute[_N], _N], None]:
    def check(instance: object, attribute: attrs.Attribute[_N], value: _N) -> None:
        if not value > 0:
            raise ConfigurationError(f"{name} must be more than 0, got {value!r}")

    return check


def _seconds_or_none(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not value > 0:
        raise ConfigurationError(f"{attribute.name} must be more than 0 seconds, or None, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """How a backend rides through failures: at most ``attempts`` tries
    within ``max_time`` seconds, waiting an exponential backoff with full
    jitter (from ``initial`` up to ``maximum`` seconds) or the provider's
    ``Retry-After``. ``timeout`` is each request's (connect, read) limit;
    ``deadline`` the seconds a whole operation may take, every try and wait
    counted (``None``: no deadline), enforced by :class:`~anyvideo.calls.Caller`.

    ``RetryPolicy(attempts=1)`` never retries.
    """

    attempts: int = attrs.field(default=4, validator=_positive("attempts"))
    max_time: float = attrs.field(default=30.0, validator=_positive("max_time"))
    initial: float = attrs.field(default=0.25, validator=_positive("initial"))
    maximum: float = attrs.field(default=8.0, validator=_positive("maximum"))
    timeout: tuple[float, float] = (5.0, 30.0)
    deadline: float | None = attrs.field(default=60.0, validator=_seconds_or_none)
    on_retry: Callable[[RetryEvent], object] | None = attrs.field(default=None, eq=False)
    #: How to wait; tests pass a fake to keep time still.
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)

    def run(
        self,
        operation: Callable[[], T],
        *,
        what: str,
        safety: Safety = Safety.SAFE,
        reconcile: Callable[[], T | None] | None = None,
        retry_if: Callable[[BaseException], bool] | None = None,
        deadline_at: float | None = None,
    ) -> T:
        """``operation()``, tried again under this policy; ``what`` names it in logs.

        ``retry_if`` replaces the rule of what is worth another try, for work
        whose every step is safe to repeat and whose failures are not all
        anyvideo's (copying media into storage, say). ``deadline_at`` is the
        ``time.monotonic()`` instant no wait may run past; the tries
        themselves are held to it by the caller (:class:`~anyvideo.calls.Caller`).
        """
        lost_answer = False

        def attempt() -> T:
            nonlocal lost_answer
            if lost_answer and reconcile is not None:
                found = reconcile()
                if found is not None:
                    log.info("%s: adopting what the lost try made", what)
                    return found
            try:
                return operation()
            except Exception as exc:
                # Once an answer was lost, a later refusal (429) does not prove the lost try made nothing.
                # A try that never connected was never sent: it lost no answer.
                lost_answer = lost_answer or (is_transient(exc) and not isinstance(exc, Unreachable))
                raise

        def retryable(error: BaseException) -> bool:
            if retry_if is not None:
                return retry_if(error)
            if isinstance(error, (RateLimited, Unreachable)):
                return True
            return is_transient(error) and (safety is Safety.SAFE or reconcile is not None)

        def wait(state: tenacity.RetryCallState) -> float:
            seconds = self._wait(state)
            return seconds if deadline_at is None else max(0.0, min(seconds, deadline_at - time.monotonic()))

        # The first try runs on its own: most succeed, and the retry machinery costs as much as
        # a tenth of a loopback request. Only a failure worth another try builds it, and hands it
        # that first failure as its first try (counted, logged and waited after like any other).
        started = time.monotonic()
        try:
            return attempt()
        except Exception as exc:
            if self.attempts == 1 or not retryable(exc):
                raise
            first: Exception | None = exc

        def again() -> T:
            nonlocal first
            if first is not None:
                failed, first = first, None
                raise failed
            return attempt()

        def bounds(state: tenacity.RetryCallState) -> bool:
            # tenacity's stop_after_attempt | stop_before_delay, the delay counted from the first try
            too_late = time.monotonic() - started + state.upcoming_sleep >= self.max_time
            return state.attempt_number >= self.attempts or too_late

        def stop(state: tenacity.RetryCallState) -> bool:
            # A Retry-After is the provider's, not ours to shorten: one past the deadline is raised for the
            # caller to schedule.
            error = state.outcome.exception() if state.outcome else None
            return bounds(state) or (
                deadline_at is not None
                and isinstance(error, RateLimited)
                and error.retry_after is not None
                and error.retry_after >= deadline_at - time.monotonic()
            )

        retrying = tenacity.Retrying(
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception(retryable),
            before_sleep=lambda state: self._tell(what, state),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(again)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return max(0.0, error.retry_after)
        return tenacity.wait_random_exponential(multiplier=self.initial, max=self.maximum)(state)

    def _tell(self, what: str, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        assert isinstance(error, Exception)
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("%s: try %d failed (%s); retrying in %.2fs", what, state.attempt_number, error, wait)
        if self.on_retry is not None:
            self.on_retry(RetryEvent(what, state.attempt_number, error, wait))


def policy_from_settings(settings: dict[str, Any], environ: Mapping[str, str]) -> RetryPolicy:
    """Take ``retries``, ``timeout`` and ``deadline`` out of a backend's ``settings`` (else
    ``ANYVIDEO_RETRIES``, ``ANYVIDEO_TIMEOUT``, ``ANYVIDEO_DEADLINE``) and make the policy.

    ``retries`` is how many times a failed request may be tried again (0:
    never), or a whole :class:`RetryPolicy`; ``timeout`` is seconds for each
    request to connect and to answer, one number or a ``(connect, read)`` pair;
    ``deadline`` is seconds for a whole operation, retries included (0: no
    deadline; unset: the policy's, 60 s by default).
    """
    retries = settings.pop("retries", None)
    timeout = settings.pop("timeout", None)
    deadline = settings.pop("deadline", None)
    if retries is None and environ.get("ANYVIDEO_RETRIES"):
        retries = _number(environ["ANYVIDEO_RETRIES"], "ANYVIDEO_RETRIES", int)
    if timeout is None and environ.get("ANYVIDEO_TIMEOUT"):
        timeout = _number(environ["ANYVIDEO_TIMEOUT"], "ANYVIDEO_TIMEOUT", float)
    if deadline is None and environ.get("ANYVIDEO_DEADLINE"):
        deadline = _number(environ["ANYVIDEO_DEADLINE"], "ANYVIDEO_DEADLINE", float)
    policy = retries if isinstance(retries, RetryPolicy) else RetryPolicy()
    if retries is not None and not isinstance(retries, RetryPolicy):
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ConfigurationError(f"retries must be a whole number ≥ 0 or a RetryPolicy, got {retries!r}")
        policy = attrs.evolve(policy, attempts=retries + 1)
    if timeout is not None:
        pair = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        if len(pair) != 2 or not all(isinstance(t, int | float) and not isinstance(t, bool) and t > 0 for t in pair):
            raise ConfigurationError(f"timeout must be seconds > 0, or a (connect, read) pair, got {timeout!r}")
        policy = attrs.evolve(policy, timeout=(float(pair[0]), float(pair[1])))
    if deadline is not None:
        if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not 0 <= deadline < math.inf:
            raise ConfigurationError(f"deadline must be seconds ≥ 0 (0: no deadline), got {deadline!r}")
        policy = attrs.evolve(policy, deadline=float(deadline) or None)
    return policy


def _number(text: str, variable: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise ConfigurationError(f"{variable} must be a number, got {text!r}") from None
