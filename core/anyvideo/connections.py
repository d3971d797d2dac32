"""A request that never left, told apart from one whose answer was lost.

Both backends send their requests through ``requests`` (the SDKs do). When no
connection could be made — nothing listens at the address, the name does not resolve,
connecting timed out — the request was never sent: it made nothing, and repeating it is
safe. Once connected, a failure may come after the provider acted on the request, and
only the retry policy's rules for a lost answer apply. :func:`unreachable` draws that
line for every backend, from urllib3's record of what failed.
"""

from __future__ import annotations

from collections.abc import Iterator

import urllib3.exceptions

from anyvideo.errors import Unreachable

__all__ = ["address", "causes", "host", "unreachable"]


def unreachable(error: BaseException, *, provider: str) -> Unreachable | None:
    """The :class:`~anyvideo.errors.Unreachable` for ``error`` when it says no connection
    was made (the caller chains ``error``), else ``None``."""
    for cause in causes(error):
        # urllib3 files refused and unresolvable connections under ConnectTimeoutError: test them first
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return Unreachable(f"could not connect: the name {host(error)} does not resolve", provider=provider)
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            refused = any(isinstance(inner, ConnectionRefusedError) for inner in causes(cause))
            reason = "refused the connection" if refused else "could not be connected to"
            return Unreachable(f"could not connect: {address(error)} {reason}", provider=provider)
        if isinstance(cause, urllib3.exceptions.ConnectTimeoutError):
            return Unreachable(f"could not connect: connecting to {address(error)} timed out", provider=provider)
    return None


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what led to it: the exceptions chained to it, and those that urllib3
    and requests keep as a reason or an argument (``requests`` wraps urllib3's error in
    ``args[0]``, urllib3's ``MaxRetryError`` the failure in ``reason``)."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        pending += [cause for cause in linked if isinstance(cause, BaseException)]


def _endpoint(error: BaseException) -> tuple[str | None, int | None]:
    for cause in causes(error):
        # "conn" first: urllib3 2 deprecates the "pool" alias of NewConnectionError with a warning
        endpoint = getattr(cause, "conn", None) or getattr(cause, "pool", None)
        name = getattr(endpoint, "host", None)
        if name:
            return str(name), getattr(endpoint, "port", None)
    return None, None


def address(error: BaseException) -> str:
    """The host:port the request behind ``error`` went to, as urllib3 recorded it (never the
    URL, whose query may carry ids)."""
    name, port = _endpoint(error)
    if name is None:
        return "the server"
    return f"{name}:{port}" if port else name


def host(error: BaseException) -> str:
    """The host name the request behind ``error`` went to, as urllib3 recorded it."""
    return _endpoint(error)[0] or "the server's name"
