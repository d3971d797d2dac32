"""Callback delivery for the emulators: what the provider would POST to the
application, sent in the background and recorded.

Only loopback addresses are ever contacted: a callback to any other host is
recorded as not delivered, so an emulator never reaches the network.
"""

from __future__ import annotations

import ipaddress
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = ["Callbacks", "Delivery"]


@attrs.frozen
class Delivery:
    """One callback: what was sent where, and how the receiver answered."""

    url: str
    method: str
    headers: Mapping[str, str]
    body: bytes
    sent_at: datetime
    status: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "method": self.method,
            "headers": dict(self.headers),
            "body": self.body.decode(errors="replace"),
            "sent_at": self.sent_at.isoformat(),
            "status": self.status,
            "error": self.error,
        }


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Callbacks:
    """Sends callbacks in order on a background thread; ``delivered`` keeps every attempt."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.delivered: list[Delivery] = []
        self._queue: queue.Queue[tuple[str, str, dict[str, str], bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="anyvideo-callbacks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def send(self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST") -> None:
        """Queue one callback."""
        self._queue.put((url, method.upper(), dict(headers), body))

    def flush(self) -> None:
        """Wait until every queued callback has been attempted."""
        if self._thread is not None:
            self._queue.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.delivered.append(self._deliver(*item))
            finally:
                self._queue.task_done()

    def _deliver(self, url: str, method: str, headers: dict[str, str], body: bytes) -> Delivery:
        sent = datetime.now(UTC)
        record = Delivery(url, method, headers, body, sent)
        if not _is_loopback(url):
            return attrs.evolve(record, error="not delivered: emulators only call loopback addresses")
        target = url
        data: bytes | None = body
        if method == "GET":  # a GET callback carries its parameters in the query string
            target = f"{url}{'&' if '?' in url else '?'}{body.decode()}"
            data = None
        request = urllib.request.Request(target, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return attrs.evolve(record, status=answer.status)
        except urllib.error.HTTPError as exc:
            return attrs.evolve(record, status=exc.code)
        except OSError as exc:
            return attrs.evolve(record, error=f"{type(exc).__name__}: {exc}")
