"""The HTTP client the SDK sends through: ``twilio``'s own ``TwilioHttpClient``
(its documented extension point), remembering each thread's last answer so an
error can carry Twilio's request id and ``Retry-After``, which the SDK's
exceptions drop. It also downloads media from the signed URLs Twilio redirects
to, in chunks, without credentials (they are not Twilio's hosts).

Every request has a (connect, read) timeout, waits for the optional
client-side rate limiter, and is tried exactly once: the SDK retries nothing
itself, and this client mounts ``requests`` adapters with ``max_retries=0``
for both schemes so urllib3 does not either (a hidden retry of a create would
escape anyvideo's rules of what is safe to repeat). Retrying is the
backend's :class:`~anyvideo.retry.RetryPolicy`'s job alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from anyvideo.ratelimit import RateLimiter

__all__ = ["CHUNK", "RecordingHttpClient"]

CHUNK = 64 * 1024
#: Connections kept per host, as the SDK sizes its pool.
_POOL = min(32, (os.cpu_count() or 1) + 4)


class RecordingHttpClient(TwilioHttpClient):
    """``TwilioHttpClient`` that keeps each thread's last response, never retries
    by itself, and honours the client-side rate limit."""

    def __init__(self, *, timeout: tuple[float, float], limiter: RateLimiter | None = None) -> None:
        super().__init__()
        # (connect, read) seconds; set after the base class, whose check takes one number only.
        self.timeout = timeout  # type: ignore[assignment]
        assert self.session is not None  # made with pool_connections=True
        for scheme in ("https://", "http://"):
            self.session.mount(scheme, HTTPAdapter(pool_maxsize=_POOL, max_retries=0))
        self._local = threading.local()
        self._timeout = timeout
        self._limiter = limiter
        self._count = threading.Lock()
        #: REST requests sent so far (media downloads not counted).
        self.sent = 0

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._local.last = None
        if self._limiter is not None:
            self._limiter.acquire()
        with self._count:
            self.sent += 1
        response = super().request(*args, **kwargs)
        self._local.last = response
        return response

    @property
    def last_headers(self) -> dict[str, str]:
        """Headers of this thread's last answer (lower-case names), or nothing."""
        last = getattr(self._local, "last", None)
        return {k.lower(): v for k, v in (last.headers or {}).items()} if last is not None else {}

    @property
    def last_status(self) -> int | None:
        """HTTP status of this thread's last answer, if one came."""
        last = getattr(self._local, "last", None)
        return None if last is None else last.status_code

    def open(self, url: str) -> requests.Response:
        """Start downloading a signed media URL (no Twilio credentials are sent):
        the answer, its status checked, its body not yet read."""
        assert self.session is not None
        if self._limiter is not None:
            self._limiter.acquire()
        answer = self.session.get(url, stream=True, timeout=self._timeout)
        try:
            answer.raise_for_status()
        except requests.HTTPError:
            answer.close()
            raise
        return answer

    @staticmethod
    def chunks(answer: requests.Response) -> Iterator[bytes]:
        """The body of an :meth:`open` answer, in chunks; the connection is released at the end."""
        with answer:
            yield from answer.iter_content(CHUNK)
