"""The HTTP client the SDK sends through: ``twilio``'s own ``TwilioHttpClient``
(its documented extension point), remembering each thread's last answer so an
error can carry Twilio's request id and ``Retry-After``, which the SDK's
exceptions drop. It also downloads media from the signed URLs Twilio redirects
to, in chunks, without credentials (they are not Twilio's hosts)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

__all__ = ["CHUNK", "RecordingHttpClient"]

CHUNK = 64 * 1024


class RecordingHttpClient(TwilioHttpClient):
    """``TwilioHttpClient`` that keeps each thread's last response."""

    def __init__(self, *, timeout: tuple[float, float]) -> None:
        super().__init__()
        # (connect, read) seconds; set after the base class, whose check takes one number only.
        self.timeout = timeout  # type: ignore[assignment]
        self._local = threading.local()
        self._timeout = timeout
        #: REST requests sent so far (media downloads not counted).
        self.sent = 0

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._local.last = None
        self.sent += 1
        response = super().request(*args, **kwargs)
        self._local.last = response
        return response

    @property
    def last_headers(self) -> dict[str, str]:
        """Headers of this thread's last answer (lower-case names), or nothing."""
        last = getattr(self._local, "last", None)
        return {k.lower(): v for k, v in (last.headers or {}).items()} if last is not None else {}

    def stream(self, url: str) -> Iterator[bytes]:
        """The bytes at a signed media URL, in chunks (no Twilio credentials are sent)."""
        assert self.session is not None  # made with pool_connections=True
        with self.session.get(url, stream=True, timeout=self._timeout) as answer:
            answer.raise_for_status()
            yield from answer.iter_content(CHUNK)
