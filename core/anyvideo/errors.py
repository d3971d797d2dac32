"""The anyvideo error taxonomy.

Every error raised through the public API is an :class:`AnyVideoError`.
Provider SDK exceptions never leak: a backend translates them at its edge and
chains the original (``raise NotFound(...) from exc``). No message built here
ever contains a credential: callers pass ids and field names, never secrets.

Where a builtin exception means the same thing, the error is also that builtin
(:data:`BUILTIN_BASES` lists them), so ``except LookupError`` or ``except ValueError``
in a caller catches it as it would the standard library's own. Only the errors that
clearly are that builtin get one: an ``except`` around anyvideo code never catches a
kind of failure it did not ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anyvideo.backend import Feature

__all__ = [
    "BUILTIN_BASES",
    "AnyVideoError",
    "AuthenticationError",
    "BackendNotFound",
    "ConfigurationError",
    "Conflict",
    "DeadlineExceeded",
    "Forbidden",
    "InvalidRequest",
    "MissingExtra",
    "NotFound",
    "ProviderError",
    "RateLimited",
    "StatusUnreachable",
    "Unreachable",
    "UnsupportedFeature",
    "WaitTimeout",
    "WebhookVerificationError",
    "error_for_status",
]


class AnyVideoError(Exception):
    """Base class of every error anyvideo raises.

    Every one pickles (to cross a process boundary) with its message and attributes.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # The default rebuilds by calling __init__(*self.args), but args holds the one
        # formatted message, not what __init__ takes: rebuild from the message and attributes.
        return (_restore, (type(self), self.args, dict(vars(self))))


def _restore(cls: type[AnyVideoError], args: tuple[Any, ...], state: dict[str, Any]) -> AnyVideoError:
    error = cls.__new__(cls, *args)
    error.args = args
    vars(error).update(state)
    return error


class ConfigurationError(AnyVideoError):
    """The library or a backend is configured wrongly (missing or unknown setting)."""


class BackendNotFound(ConfigurationError, LookupError):
    """No installed plugin provides the requested backend (a :class:`LookupError`, as
    :func:`codecs.lookup` raises for an unknown codec)."""

    def __init__(self, name: str, installed: Iterable[str], *, broken: dict[str, str] | None = None):
        self.name = name
        self.installed = tuple(sorted(installed))
        self.broken = dict(broken or {})
        listed = ", ".join(self.installed) or "none"
        message = f"no backend named {name!r}; installed backends: {listed}"
        for plugin, reason in sorted(self.broken.items()):
            message += f"; plugin {plugin!r} failed to load: {reason}"
        super().__init__(message)


class MissingExtra(BackendNotFound):
    """The backend ``name`` is installed, but a module it needs (``module``) is not:
    the optional dependencies of its plugin were not installed. ``command`` is the
    ``pip`` command that installs them."""

    def __init__(self, name: str, module: str, command: str, installed: Iterable[str]):
        self.name = name
        self.module = module
        self.command = command
        self.installed = tuple(sorted(installed))
        self.broken = {}
        ConfigurationError.__init__(
            self, f"the {name} backend needs the module {module!r}, which is not installed: {command}"
        )


class UnsupportedFeature(AnyVideoError, NotImplementedError):
    """The selected backend cannot do what was asked; nothing was sent to the provider
    (a :class:`NotImplementedError`: this backend does not implement it)."""

    def __init__(self, feature: Feature, backend: str, hint: str | None = None):
        self.feature = feature
        self.backend = backend
        self.hint = hint
        message = f"{backend} cannot do {feature.value}"
        if hint:
            message += f" — {hint}"
        super().__init__(message)


class InvalidRequest(AnyVideoError, ValueError):
    """Bad input, caught before any request was made. ``field`` names the culprit
    (a :class:`ValueError`)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")


class NotFound(AnyVideoError, LookupError):
    """The provider has no such object (or no longer has it) (a :class:`LookupError`)."""


class Conflict(AnyVideoError):
    """The object is in a state that forbids the operation (room ended, already recording, …)."""


class StatusUnreachable(Conflict):
    """A wait ended: the object reached a state from which it can never reach the status
    waited for (it failed, was deleted, expired, or is past it). ``subject`` is the object
    as last seen, ``until`` the status waited for."""

    def __init__(self, subject: Any, until: str) -> None:
        self.subject = subject
        self.until = until
        super().__init__(
            f"{subject.provider}: {type(subject).__name__.lower()} {subject.id!r} is {subject.status}; "
            f"it can never become {until}"
        )


class WaitTimeout(AnyVideoError, TimeoutError):
    """A wait ran out of time before the object reached the status waited for. ``subject`` is
    the object as last seen, ``until`` the status waited for, ``timeout`` the seconds waited.
    Nothing was undone: the object may still get there; wait again, or look later."""

    def __init__(self, subject: Any, until: str, timeout: float) -> None:
        self.subject = subject
        self.until = until
        self.timeout = timeout
        super().__init__(
            f"{subject.provider}: {type(subject).__name__.lower()} {subject.id!r} was still {subject.status} "
            f"after {timeout:g} s of waiting for {until}"
        )


class AuthenticationError(AnyVideoError):
    """The credentials were rejected: wrong, expired or badly signed."""


class Forbidden(AnyVideoError):
    """Authenticated, but not allowed (a subscriber publishing, a token for another room, …)."""


class RateLimited(AnyVideoError):
    """The provider asked us to slow down; ``retry_after`` is in seconds when it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)


class ProviderError(AnyVideoError):
    """The provider failed or answered something anyvideo cannot interpret."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ):
        self.provider = provider
        self.status = status
        self.code = code
        self.request_id = request_id
        details = [f"status {status}" if status is not None else "", f"code {code}" if code else ""]
        if request_id:
            details.append(f"request {request_id}")
        suffix = ", ".join(d for d in details if d)
        super().__init__(f"{provider}: {message}" + (f" ({suffix})" if suffix else ""))


class DeadlineExceeded(ProviderError, TimeoutError):
    """``operation`` did not finish within its ``deadline`` (seconds, every try and wait
    counted). Final for the operation: it is not tried again. A request cut off by it
    may still have taken effect (``docs/reliability.md`` says what that means for
    each kind of operation). A :class:`TimeoutError`, as :class:`WaitTimeout` is."""

    def __init__(self, operation: str, deadline: float, *, provider: str):
        self.operation = operation
        self.deadline = deadline
        super().__init__(f"{operation} did not finish within its deadline of {deadline:g} s", provider=provider)


class Unreachable(ProviderError, ConnectionError):
    """No connection to the provider could be made: nothing listens at its address, its
    name does not resolve, or connecting timed out. The request was never sent, so it
    made nothing and repeating it is safe. Transient (it may pass) and a
    :class:`ConnectionError`, as :class:`DeadlineExceeded` is a :class:`TimeoutError`."""


class WebhookVerificationError(AnyVideoError):
    """A callback's signature is missing, wrong or too old; no event was produced."""


#: Each error that is also a builtin exception, with that builtin. The rest have none that
#: clearly fits: a rejected credential or a forbidden act is no :class:`PermissionError`
#: (that one is the operating system's EACCES), a conflict or a provider's failure no builtin.
BUILTIN_BASES: dict[type[AnyVideoError], type[Exception]] = {
    BackendNotFound: LookupError,
    NotFound: LookupError,
    InvalidRequest: ValueError,
    UnsupportedFeature: NotImplementedError,
    WaitTimeout: TimeoutError,
    DeadlineExceeded: TimeoutError,
    Unreachable: ConnectionError,
}


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    code: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> AnyVideoError:
    """The taxonomy's error for a provider's HTTP answer ``status``.

    404 is :class:`NotFound`, 409 :class:`Conflict` (with the provider's
    reason), 401 and 403 :class:`AuthenticationError` (both providers answer
    403 to credentials they reject), 429 :class:`RateLimited`; anything else
    is a :class:`ProviderError` that keeps the status, code and request id.
    A backend that knows finer provider codes maps those first.
    """
    reason = f"{provider}: {message}"
    if status == 404:
        return NotFound(reason)
    if status == 409:
        return Conflict(reason)
    if status in (401, 403):
        return AuthenticationError(reason)
    if status == 429:
        return RateLimited(reason, retry_after=retry_after)
    return ProviderError(message, provider=provider, status=status, code=code, request_id=request_id)
