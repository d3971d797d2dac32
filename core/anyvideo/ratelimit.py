"""A client-side request rate limit, so bulk work stays under a provider's
documented request rates instead of discovering them as 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from anyvideo.errors import ConfigurationError

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most ``rate`` requests per second on average, in bursts of up to
    ``burst`` (a token bucket), shared by every thread that calls :meth:`acquire`."""

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ConfigurationError(f"a request rate must be more than 0 per second, got {rate!r}")
        self.rate = float(rate)
        self.burst = max(1, int(burst if burst is not None else rate))
        self._clock, self._sleep = clock, sleep
        self._tokens = float(self.burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}, burst={self.burst})"

    def acquire(self) -> float:
        """Wait until a request may go; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait:
            self._sleep(wait)
        return wait
