"""One deadline per operation, down to the socket.

:class:`~anyvideo.calls.Caller` sets the instant an operation must end by
(:func:`within`) for everything its tries do, in this thread or task; every
HTTP request a backend sends through a :class:`DeadlineAdapter` is held to it.
A read timeout bounds each wait for bytes, not the answer: a server that
trickles a byte just inside it would hold a request for as long as it
trickles. So the adapter shortens the connect timeout to what is left, and
every read of an answer, status line and headers included, waits at most
what is left; past the instant, reading fails as a read timeout does
(``requests``' ``ReadTimeout`` or ``ConnectionError``), which the backend
translates at its edge and the call layer reports as
:class:`~anyvideo.errors.DeadlineExceeded`.

An answer streamed to the caller after its operation returned (a media
download's body) is read outside any deadline, with the read timeout alone.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

__all__ = ["DeadlineAdapter", "DeadlinePassed", "length", "time_left", "within"]

#: The deadline of the operation under way: the ``time.monotonic()`` instant it must end by,
#: and the seconds it was given; ``None``: none.
_current: ContextVar[tuple[float, float] | None] = ContextVar("anyvideo_deadline", default=None)


def time_left() -> float | None:
    """Seconds left before the deadline of the operation under way (0 or less once it
    passed); ``None`` outside an operation with a deadline."""
    current = _current.get()
    return None if current is None else current[0] - time.monotonic()


def length() -> float | None:
    """The seconds the operation under way was given; ``None`` outside an operation with a deadline."""
    current = _current.get()
    return None if current is None else current[1]


class within:  # noqa: N801 - used as a function: ``with within(seconds) as expires``
    """Hold what runs inside to a deadline ``seconds`` from now (``None``: no deadline);
    gives the ``time.monotonic()`` instant it falls at. (A class, not a generator: every
    request of every operation enters one.)"""

    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds

    def __enter__(self) -> float | None:
        seconds = self._seconds
        expires = None if seconds is None else time.monotonic() + seconds
        self._token = _current.set(None if expires is None or seconds is None else (expires, seconds))
        return expires

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._token)


class DeadlinePassed(Timeout):
    """A request not sent because its operation's deadline had passed."""


class _Bounded(io.RawIOBase):
    """The reading end of a connection on which no read waits past the deadline."""

    def __init__(self, buffered: io.BufferedReader, sock: socket.socket) -> None:
        super().__init__()
        self._buffered = buffered
        self._sock = sock
        # urllib3 set the request's read timeout on the socket just before the answer is read.
        self._timeout = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = time_left()
        if left is None or (self._timeout is not None and left >= self._timeout):
            # no deadline, or one further off than the read timeout: the socket's own timeout ends the wait first
            return self._buffered.readinto1(buffer)
        if left <= 0:
            raise TimeoutError("the operation's deadline passed")
        self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))
        try:
            # One receive at most, so each wait for bytes is measured against the time left now.
            return self._buffered.readinto1(buffer)
        finally:
            self._sock.settimeout(self._timeout)  # the connection may serve another request from the pool

    def close(self) -> None:
        self._buffered.close()
        super().close()


class _BoundedResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = io.BufferedReader(_Bounded(self.fp, sock))


class _Connection(HTTPConnection):
    response_class = _BoundedResponse


class _TlsConnection(HTTPSConnection):
    response_class = _BoundedResponse


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


_POOLS: Mapping[str, type[HTTPConnectionPool]] = {"http": _Pool, "https": _TlsPool}
_DEFAULT_POOLS = {HTTPConnectionPool, HTTPSConnectionPool}


class DeadlineAdapter(HTTPAdapter):
    """``requests``' ``HTTPAdapter`` (same arguments) whose requests end by their operation's deadline:
    one past it is not sent (:class:`DeadlinePassed`), the connect timeout is cut to what is left,
    and no read of the answer waits past it (module docstring)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # An HTTP(S) proxy's manager uses the default pools, which ours extend; a SOCKS one has its own,
        # left alone: through it, only the connect and each read's timeout are cut to the deadline.
        if set(manager.pool_classes_by_scheme.values()) == _DEFAULT_POOLS:
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: _Timeout = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> Response:
        left = time_left()
        if left is not None:
            if left <= 0:
                raise DeadlinePassed("the operation's deadline passed before this request", request=request)
            pair = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            timeout = (_cut(pair[0], left), _cut(pair[1], left))
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


_Timeout = float | tuple[float | None, float | None] | None


def _cut(seconds: float | None, left: float) -> float:
    return left if seconds is None else min(seconds, left)
