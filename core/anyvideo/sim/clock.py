"""Time for the simulated platform: the real clock, or one a test moves by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the simulated platform what time it is (aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: ``clock.advance(seconds=30)``."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
        if start.utcoffset() is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, **kwargs: float) -> datetime:
        """Move forward by ``seconds`` (and/or ``timedelta`` keyword arguments); returns the new time."""
        step = timedelta(seconds=seconds, **kwargs)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += step
            return self._now


class OffsetClock:
    """The machine's clock plus however far it has been advanced.

    Emulators use it: tokens minted by real SDKs carry real times, yet a test
    can still jump ahead to finish processing or expire a token.
    """

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float = 0.0, **kwargs: float) -> datetime:
        """Move forward by ``seconds`` (and/or ``timedelta`` keyword arguments); returns the new time."""
        step = timedelta(seconds=seconds, **kwargs)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._offset += step
            return datetime.now(UTC) + self._offset
