"""Waiting for a recording or composition to reach a status.

``video.recordings.wait(recording)`` and ``video.compositions.wait(composition)``
look at the object (the backend's ``get``) until its status is the one waited
for, and give up with :class:`~anyvideo.errors.StatusUnreachable` as soon as
it never can be (it failed, was deleted, expired, or went past it), or with
:class:`~anyvideo.errors.WaitTimeout` when time runs out.

Between two looks a wait sleeps a polling interval that grows (``interval``,
doubled after each look, at most ``max_interval``); an event the
:class:`~anyvideo.client.Video` dispatches about the object or its room (a
webhook handled through ``video.webhooks.handle``, an event the backend
observed) ends that sleep at once, so an app that receives webhooks sees the
change when they arrive and one that does not still sees it by polling.

A wait started inside an operation that has a deadline
(:mod:`anyvideo.deadline`) ends by that deadline too.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import attrs

from anyvideo.errors import InvalidRequest, StatusUnreachable, WaitTimeout
from anyvideo.models import Composition, CompositionStatus, Event, Recording, RecordingStatus

if TYPE_CHECKING:  # asyncio is imported by the async waits only: a sync application never loads it
    import asyncio

__all__ = [
    "COMPOSITION_LIFE",
    "RECORDING_LIFE",
    "Life",
    "LoopWake",
    "Waits",
]

_Subject = TypeVar("_Subject", bound=Recording | Composition)

#: The first polling interval, its growth after each look, and the longest (seconds).
INTERVAL = 0.5
BACKOFF = 2.0
MAX_INTERVAL = 10.0


@attrs.frozen
class Life:
    """The order of an object's statuses, for a wait: ``stages`` ranks them (a status
    never goes back to a lower rank), ``final`` are those it never leaves. A status in
    neither (``UNKNOWN``) is waited past."""

    stages: Mapping[StrEnum, int]
    final: frozenset[StrEnum]

    def verdict(self, status: StrEnum, until: StrEnum) -> bool | None:
        """``True``: ``until`` is reached; ``False``: it never will be; ``None``: not yet."""
        if status == until:
            return True
        if status in self.final:
            return False
        rank, wanted = self.stages.get(status), self.stages.get(until)
        if rank is not None and wanted is not None and rank > wanted:
            return False
        return None


RECORDING_LIFE = Life(
    stages={
        RecordingStatus.RECORDING: 0,
        RecordingStatus.PAUSED: 0,
        RecordingStatus.PROCESSING: 1,
        RecordingStatus.AVAILABLE: 2,
        RecordingStatus.FAILED: 3,
        RecordingStatus.DELETED: 3,
        RecordingStatus.EXPIRED: 3,
    },
    final=frozenset({RecordingStatus.FAILED, RecordingStatus.DELETED, RecordingStatus.EXPIRED}),
)

# A file composition goes QUEUED → PROCESSING → AVAILABLE, a live one QUEUED → LIVE → STOPPED.
COMPOSITION_LIFE = Life(
    stages={
        CompositionStatus.QUEUED: 0,
        CompositionStatus.PROCESSING: 1,
        CompositionStatus.LIVE: 1,
        CompositionStatus.AVAILABLE: 2,
        CompositionStatus.STOPPED: 2,
        CompositionStatus.FAILED: 3,
        CompositionStatus.DELETED: 3,
    },
    final=frozenset({CompositionStatus.STOPPED, CompositionStatus.FAILED, CompositionStatus.DELETED}),
)


def _sleep(wake: threading.Event, seconds: float) -> object:
    return wake.wait(seconds)


class _Wake(Protocol):
    def set(self) -> None: ...

    def clear(self) -> None: ...


class LoopWake:
    """What wakes an async wait: set from any thread (a webhook handled in a worker, a
    backend's event), it wakes the waiter in its event loop (``call_soon_threadsafe``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio

        self._loop = loop
        self._event = asyncio.Event()

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less once set."""
        import asyncio

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


async def _asleep(wake: LoopWake, seconds: float) -> object:
    await wake.wait(seconds)
    return None


@attrs.define(eq=False)
class _Watch:
    object_id: str
    wake: _Wake = attrs.field(factory=threading.Event)
    room_id: str | None = None

    def concerns(self, event: Event) -> bool:
        subject_id = getattr(event.subject, "id", None)
        return subject_id == self.object_id or event.room_id is None or event.room_id == self.room_id


#: A step of a wait's schedule: look (``None``, sent the object fetched) or sleep so many seconds.
_Step = float | None


class Waits:
    """The waits under way on one :class:`~anyvideo.client.Video` (and the
    :class:`anyvideo.aio.Video` over it), woken by the events it dispatches
    (:meth:`notify`, from any thread).

    ``clock`` gives the seconds waits are timed by (``time.monotonic``); ``sleep(wake,
    seconds)`` sleeps between two looks, returning early once ``wake`` is set, and
    ``asleep`` does the same in an event loop (tests give them, to wait without waiting).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[threading.Event, float], object] = _sleep,
        asleep: Callable[[LoopWake, float], Awaitable[object]] = _asleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._asleep = asleep
        self._lock = threading.Lock()
        self._watches: list[_Watch] = []

    def notify(self, event: Event) -> None:
        """Wake every wait the event may concern (its object, or anything in its room)."""
        with self._lock:
            watches = list(self._watches)
        for watch in watches:
            if watch.concerns(event):
                watch.wake.set()

    def until(
        self,
        object_id: str,
        fetch: Callable[[], _Subject],
        until: StrEnum,
        life: Life,
        *,
        timeout: float | None,
        interval: float = INTERVAL,
        max_interval: float = MAX_INTERVAL,
        progress: Callable[[float], object] | None = None,
    ) -> _Subject:
        """``fetch()`` until the object's status is ``until``; the object as then fetched.

        ``timeout`` (seconds; ``None``: no limit, but an operation's deadline still applies)
        bounds the whole wait: the object is looked at once more when it has run out. 0
        looks once. ``progress`` is called with the seconds waited so far before each sleep.
        """
        limit = _limit(timeout, interval, max_interval)
        watch = _Watch(object_id)
        with self._watching(watch):
            schedule = self._schedule(watch, until, life, limit, interval, max_interval, progress)
            step = next(schedule)
            try:
                while True:
                    if step is None:
                        step = schedule.send(fetch())
                    else:
                        self._sleep(cast(threading.Event, watch.wake), step)
                        step = next(schedule)
            except StopIteration as done:
                return cast(_Subject, done.value)

    async def auntil(
        self,
        object_id: str,
        fetch: Callable[[], Awaitable[_Subject]],
        until: StrEnum,
        life: Life,
        *,
        timeout: float | None,
        interval: float = INTERVAL,
        max_interval: float = MAX_INTERVAL,
        progress: Callable[[float], object] | None = None,
    ) -> _Subject:
        """:meth:`until` in an event loop: the same schedule, ``await fetch()`` to look, and
        sleeps that an event dispatched from any thread ends at once."""
        import asyncio

        limit = _limit(timeout, interval, max_interval)
        watch = _Watch(object_id, LoopWake(asyncio.get_running_loop()))
        with self._watching(watch):
            schedule = self._schedule(watch, until, life, limit, interval, max_interval, progress)
            step = next(schedule)
            try:
                while True:
                    if step is None:
                        step = schedule.send(await fetch())
                    else:
                        await self._asleep(cast(LoopWake, watch.wake), step)
                        step = next(schedule)
            except StopIteration as done:
                return cast(_Subject, done.value)

    @contextlib.contextmanager
    def _watching(self, watch: _Watch) -> Iterator[None]:
        with self._lock:
            self._watches.append(watch)
        try:
            yield
        finally:
            with self._lock:
                self._watches.remove(watch)

    def _schedule(
        self,
        watch: _Watch,
        until: StrEnum,
        life: Life,
        limit: float | None,
        interval: float,
        max_interval: float,
        progress: Callable[[float], object] | None,
    ) -> Generator[_Step, Any, Recording | Composition]:
        """When to look and how long to sleep, whichever way the looks and sleeps are done."""
        started, pause = self._clock(), float(interval)
        while True:
            watch.wake.clear()  # an event from now on means look again
            subject = yield None
            watch.room_id = subject.room_id
            verdict = life.verdict(subject.status, until)
            if verdict:
                return cast(Recording | Composition, subject)
            if verdict is False:
                raise StatusUnreachable(subject, until.value)
            waited = self._clock() - started
            if limit is not None and waited >= limit:
                raise WaitTimeout(subject, until.value, limit)
            if progress is not None:
                progress(waited)
            yield pause if limit is None else min(pause, limit - waited)
            pause = min(pause * BACKOFF, max_interval)


def _limit(timeout: float | None, interval: float, max_interval: float) -> float | None:
    """The seconds a wait may last (``None``: no limit), once its arguments are checked."""
    for name, value in (("timeout", timeout), ("interval", interval), ("max_interval", max_interval)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise InvalidRequest(name, f"must be a number of seconds, 0 or more, got {value!r}")
    if not interval > 0 or max_interval < interval:
        raise InvalidRequest("interval", "must be more than 0 and at most max_interval")
    from anyvideo import deadline  # here: it loads requests, which an application without a provider never needs

    limit, left = timeout, deadline.time_left()
    if left is not None:  # an operation with a deadline is waiting: it ends by then
        limit = max(0.0, left) if limit is None else min(limit, max(0.0, left))
    return limit
