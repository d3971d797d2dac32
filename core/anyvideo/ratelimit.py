"""A client-side request rate limit, so bulk work stays under a provider's
documented request rates instead of discovering them as 429s."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from anyvideo.errors import ConfigurationError

__all__ = ["RateLimiter", "limiter_from_settings"]


class RateLimiter:
    """At most ``rate`` requests per second on average, in bursts of up to
    ``burst`` (a token bucket), shared by every thread that calls :meth:`acquire`."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not (math.isfinite(rate) and rate > 0):
            raise ConfigurationError(f"a request rate must be a number more than 0 per second, got {rate!r}")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(self.burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}, burst={self.burst:g})"

    def acquire(self, requests: float = 1.0, *, within: float | None = None) -> float | None:
        """Wait until ``requests`` may go; returns the seconds waited.

        They are reserved at once (the balance may go below zero), so waiting
        threads are served in the order they asked. When they could go only
        after ``within`` seconds (what is left of an operation's deadline),
        nothing is reserved or waited for and the answer is ``None``: the
        caller fails now rather than sleep past its deadline.
        """
        with self._lock:
            now = self._clock()
            tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate) - requests
            wait = 0.0 if tokens >= 0 else -tokens / self.rate
            if within is not None and wait > within:
                return None
            self._tokens, self._updated = tokens, now
        if wait:
            self._sleep(wait)
        return wait


def limiter_from_settings(settings: dict[str, Any], environ: Mapping[str, str]) -> RateLimiter | None:
    """Take the ``rate`` setting (requests per second) out of a backend's ``settings``,
    else ``ANYVIDEO_RATE_LIMIT``; ``None`` (no limit) when neither says."""
    rate = settings.pop("rate", None)
    if rate is None:
        rate = environ.get("ANYVIDEO_RATE_LIMIT") or None
    if rate is None:
        return None
    if isinstance(rate, str):
        try:
            rate = float(rate)
        except ValueError:
            raise ConfigurationError(f"rate (ANYVIDEO_RATE_LIMIT) must be requests per second, got {rate!r}") from None
    return RateLimiter(rate)
