"""The one call layer every backend sends its provider requests through.

:class:`Caller` runs each request under core's
:class:`~anyvideo.retry.RetryPolicy` (what is retried, how often, how long:
``docs/reliability.md``), translating the provider's exceptions at the
backend's edge and waiting its turn under an optional rate limit. It knows
what a lost answer (a 5xx, a dropped connection, a timeout) means for the
tries after it:

- a create is repeated only when ``reconcile`` can find what the lost try made
  (it is asked before each new try, and what it finds is adopted);
- **refused means already done**: a repeat refused as a duplicate (by default a
  :class:`~anyvideo.errors.Conflict`) asks ``reconcile`` once more, since the
  lost try may have landed after the repeat was sent;
- **gone means done**: a repeat of a removal (a delete, a stop) answered
  :class:`~anyvideo.errors.NotFound` was done by the lost try, and ``gone()``
  is its result;
- **late means maybe twice**: a lost try may land after its repeat made the
  object (a slow answer, not a lost one). A create given ``duplicates`` is
  watched after it returns: then, and before each of the next
  :data:`WATCHED_CREATES` creates of the same operation, the duplicates its lost tries made are
  looked for and removed, with a warning on ``anyvideo.retry``; once more on
  :meth:`Caller.settle` (a backend's ``close``).

A request made while another is being tried (the lookup inside a
``reconcile``, say) is tried once: the outer request's tries are the retries,
so the policy's bounds hold for the whole operation. One context variable
says whether a try is under way, so this holds across threads and tasks.

**One deadline per operation**: the policy's ``deadline`` counts from the
call to its end, every try, wait and lookup included. No try starts past it,
no wait runs past it (:meth:`RetryPolicy.run <anyvideo.retry.RetryPolicy.run>`),
and the backend's HTTP requests are held to it within a try
(:mod:`anyvideo.deadline`). A transient failure at the deadline is raised as
:class:`~anyvideo.errors.DeadlineExceeded`, never tried again; when an earlier
try's answer was lost, ``reconcile`` first gets one lookup, within one
request's timeouts (and never longer than the deadline itself), since the cut-off try may
have made what it was asked to.

Around it, what every backend checks the same way before a request:
:func:`retry_after` reads a ``Retry-After`` header, :func:`allowed_options`
checks ``provider_options`` against what an operation accepts, and
:class:`BackendSettings` loads a backend's settings from keywords and the
environment.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import attrs

from anyvideo import deadline as deadlines
from anyvideo.errors import (
    AnyVideoError,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    InvalidRequest,
    NotFound,
    Unreachable,
)
from anyvideo.ratelimit import RateLimiter
from anyvideo.redaction import get_logger
from anyvideo.retry import RetryPolicy, Safety, is_transient

__all__ = [
    "BackendSettings",
    "Caller",
    "Duplicates",
    "WATCHED_CREATES",
    "allowed_options",
    "done",
    "inside_a_try",
    "is_conflict",
    "retry_after",
]

T = TypeVar("T")

#: What a create's lost tries made beside its result (``None`` when the create raised): each
#: duplicate's name and how to remove it.
Duplicates = Callable[[T | None], Iterable[tuple[str, Callable[[], object]]]]

#: For how many later creates of the same operation a create whose answer was lost is watched for
#: duplicates: a provider acts on a request soon after it arrives, so its late work lands while the
#: client goes on creating; each look is a request, so the watch is short.
WATCHED_CREATES = 10

log = get_logger("anyvideo.retry")  # next to the policy's lines about each retry

#: Whether a request's try is under way in this context (thread or task).
_trying: ContextVar[bool] = ContextVar("anyvideo_calls_trying", default=False)


def inside_a_try() -> bool:
    """Whether this code runs inside a :class:`Caller` request's try (so a request made here is tried once)."""
    return _trying.get()


def done() -> None:
    """The result of a removal or stop that a try whose answer was lost already made
    (a ``gone`` for :meth:`Caller.call` whose operation returns nothing)."""
    return None


@attrs.define
class _Watched:
    what: str
    duplicates: Callable[[], Iterable[tuple[str, Callable[[], object]]]]
    sweeps_left: int = WATCHED_CREATES
    removed: int = 0


def is_conflict(error: AnyVideoError) -> bool:
    """The default sign of a repeat refused because the work is done already: a :class:`Conflict` (409)."""
    return isinstance(error, Conflict)


@attrs.frozen
class Caller:
    """How one backend sends its requests: under ``policy``, each try after its turn
    under ``limiter``, its exceptions translated by ``edge`` (a context manager
    that turns the SDK's exceptions into anyvideo errors, chained).

    ``provider`` prefixes what is logged and names the backend's logger,
    ``anyvideo.<provider>``: each try sent (INFO) and each that failed (INFO, the
    error's message, which never holds a credential); ``refused_as_done`` says which
    refusal of a repeat after a lost answer may mean the lost try did the work.
    """

    policy: RetryPolicy
    provider: str
    edge: Callable[[], AbstractContextManager[object]] = attrs.field(default=contextlib.nullcontext, repr=False)
    limiter: RateLimiter | None = None
    refused_as_done: Callable[[AnyVideoError], bool] = attrs.field(default=is_conflict, repr=False)
    _watched: list[_Watched] = attrs.field(factory=list, init=False, repr=False, eq=False)
    #: One sweep at a time, so two threads never remove the same duplicate; re-entered when a removal is
    #: itself a create-like request (ending a room), whose own look covers only its own operation.
    _sweeping: threading.RLock = attrs.field(factory=threading.RLock, init=False, repr=False, eq=False)
    _log: logging.Logger = attrs.field(
        default=attrs.Factory(lambda self: get_logger(f"anyvideo.{self.provider}"), takes_self=True),
        init=False,
        repr=False,
        eq=False,
    )

    def call(
        self,
        what: str,
        operation: Callable[[], T],
        *,
        safety: Safety = Safety.SAFE,
        reconcile: Callable[[], T | None] | None = None,
        gone: Callable[[], T] | None = None,
        duplicates: Duplicates[T] | None = None,
    ) -> T:
        """``operation()``, tried again under the policy as ``safety`` allows; ``what`` names it in logs.

        ``reconcile`` finds what a try whose answer was lost made (for creates:
        ``None`` when it made nothing); ``gone`` is the result when a repeat
        finds the object gone (for removals and stops); ``duplicates`` finds
        what lost tries made beside the result (for creates whose lost try can
        still land: watched after a lost answer). Inside another request's try,
        ``operation`` is tried once, within the outer deadline.
        """
        lost = False  # some try may have taken effect though its answer never came
        tries = 0

        def past_deadline() -> bool:
            left = deadlines.time_left()
            return left is not None and left <= 0

        def exceeded() -> DeadlineExceeded:
            seconds = deadlines.length()
            assert seconds is not None  # only called once a deadline has passed
            return DeadlineExceeded(what, seconds, provider=self.provider)

        def lookup() -> T | None:
            """``reconcile()``; past the deadline, within a grace of its own, its failure meaning "not known"."""
            assert reconcile is not None
            if not past_deadline():
                return reconcile()
            grace = min(sum(self.policy.timeout), self.policy.deadline or math.inf)
            with deadlines.within(grace):
                try:
                    return reconcile()
                except AnyVideoError as exc:
                    log.info("%s: %s: the lookup after the deadline failed (%s)", self.provider, what, exc)
                    return None

        def attempt() -> T:
            nonlocal lost, tries
            if self.limiter is not None and self.limiter.acquire(within=deadlines.time_left()) is None:
                raise exceeded()  # the request could go only after the deadline: fail now, not then
            if past_deadline():
                # The policy already looked for what a lost try made (``lookup``) before this try.
                raise exceeded()
            tries += 1
            self._log.info("%s: %s: try %d sent", self.provider, what, tries)
            try:
                with self.edge():
                    return operation()
            except AnyVideoError as exc:
                self._log.info("%s: %s: try %d failed: %s (%s)", self.provider, what, tries, type(exc).__name__, exc)
                if lost and gone is not None and isinstance(exc, NotFound):
                    log.info("%s: %s: a repeat found it gone; the lost try did it", self.provider, what)
                    return gone()
                if lost and reconcile is not None and self.refused_as_done(exc):
                    found = reconcile()
                    if found is not None:
                        log.info("%s: %s: a repeat was refused; adopting what the lost try made", self.provider, what)
                        return found
                # a try that never connected was never sent: it cannot have taken effect
                lost = lost or (is_transient(exc) and not isinstance(exc, Unreachable))
                if is_transient(exc) and past_deadline():
                    found = lookup() if lost and reconcile is not None else None
                    if found is not None:
                        log.info("%s: %s: cut off at the deadline; adopting what it made", self.provider, what)
                        return found
                    raise exceeded() from exc
                raise

        if _trying.get():
            return attempt()
        if safety is Safety.UNSAFE and self._watched:
            # before this create is sent: once made, it is unknown to the backend until filed, like a duplicate
            self.settle(final=False, what=what)
        made: list[T] = []
        trying = _trying.set(True)  # one try under way: a request made inside it is tried once
        try:
            with deadlines.within(self.policy.deadline) as expires:
                try:
                    made.append(
                        self.policy.run(
                            attempt,
                            what=f"{self.provider}: {what}",
                            safety=safety,
                            reconcile=None if reconcile is None else lookup,
                            deadline_at=expires,
                        )
                    )
                except DeadlineExceeded as exc:
                    if exc.operation != what:
                        raise exceeded() from exc  # met by a lookup inside a try: the deadline was this operation's
                    raise
            return made[0]
        finally:
            _trying.reset(trying)
            # raised too: the caller was told nothing was made, so whatever a lost try made is a duplicate
            if lost and duplicates is not None:
                self._watch(what, duplicates, made[0] if made else None)

    def _watch(self, what: str, duplicates: Duplicates[T], result: T | None) -> None:
        watched = _Watched(what, lambda: duplicates(result))
        with self._sweeping:
            if not self._sweep(watched, final=False):
                self._watched.append(watched)

    def settle(self, *, final: bool = True, what: str | None = None) -> int:
        """Look for the duplicates of the creates watched after a lost answer (``what``: of that operation
        only), and remove them (each with a warning on ``anyvideo.retry``); how many were removed.
        ``final``: the last look (on close)."""
        removed = 0
        with self._sweeping:
            for watched in [w for w in self._watched if what in (None, w.what)]:
                before = watched.removed
                if self._sweep(watched, final=final):
                    self._watched.remove(watched)
                removed += watched.removed - before
        return removed

    def _sweep(self, watched: _Watched, *, final: bool) -> bool:
        """Remove ``watched``'s duplicates; whether to stop watching it."""
        try:
            for name, remove in watched.duplicates():
                log.warning(
                    "%s: %s: %s is a duplicate a try whose answer was lost made; removing it",
                    self.provider,
                    watched.what,
                    name,
                )
                remove()
                watched.removed += 1
        except AnyVideoError as exc:  # looked for again before the next create
            log.warning("%s: %s: could not look for duplicates (%s)", self.provider, watched.what, exc)
            return False
        watched.sweeps_left -= 1
        return final or watched.sweeps_left <= 0


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date
    (counted from ``now``, default the current time), never below 0; ``None`` when
    there is none or it is neither."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT; an obsolete form may parse without a zone
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def allowed_options(
    options: Mapping[str, Any], allowed: Collection[str], *, provider: str, where: str = "here"
) -> Mapping[str, Any]:
    """``options`` (an operation's ``provider_options``) when every key is in ``allowed``;
    else :class:`InvalidRequest` naming the unknown keys, before any request is sent."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidRequest(
            "provider_options",
            f"{provider} does not know {', '.join(unknown)} {where} (known: {', '.join(sorted(allowed))})",
        )
    return options


@attrs.frozen
class BackendSettings:
    """A backend's settings: each name and the environment variable it falls back
    to (``None``: keyword only). ``aliases`` gives other names a variable is also read
    under (the provider's own quickstarts' names, say)."""

    backend: str
    variables: Mapping[str, str | None]
    aliases: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)

    def load(self, settings: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
        """Each setting's value: the keyword's, else (when the keyword is absent, ``None``
        or empty) its environment variable's when that is not empty, or an alias's.
        Settings with no value are left out; an unknown keyword, or a variable and its
        alias set to different values, is a :class:`ConfigurationError` naming them
        (never their values)."""
        unknown = sorted(set(settings) - set(self.variables))
        if unknown:
            raise ConfigurationError(
                f"unknown settings for the {self.backend} backend: {', '.join(unknown)}"
                f" (known: {', '.join(self.variables)})"
            )
        values: dict[str, Any] = {}
        for name, variable in self.variables.items():
            value = settings.get(name)
            if (value is None or value == "") and variable is not None:
                value = self._from_environment(variable, environ)
            if value is not None:
                values[name] = value
        return values

    def _from_environment(self, variable: str, environ: Mapping[str, str]) -> str | None:
        found = {name: environ[name] for name in (variable, *self.aliases.get(variable, ())) if environ.get(name)}
        if len(set(found.values())) > 1:
            raise ConfigurationError(
                f"{' and '.join(found)} are both set, to different values; they mean the same"
                f" for the {self.backend} backend: set one, or both alike"
            )
        return next(iter(found.values()), None)

    def require(self, values: Mapping[str, Any], *names: str) -> None:
        """A :class:`ConfigurationError` naming each of ``names`` (and its variable) ``values`` lacks."""
        missing = [self._described(name) for name in names if not values.get(name)]
        if missing:
            raise ConfigurationError(f"the {self.backend} backend needs {' and '.join(missing)}")

    def _described(self, name: str) -> str:
        variable = self.variables[name]
        return name if variable is None else f"{name} ({variable})"
