"""How :class:`anyvideo.aio.Video` drives an operation: backend calls in a bounded
worker pool (or the backend's native async methods), cancellation by the kind of
call, and listings a page's worth of items per hop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import itertools
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from anyvideo.backend import Backend
from anyvideo.errors import InvalidRequest
from anyvideo.models import Event
from anyvideo.operations import Call, Dispatch, Effect, Operation

__all__ = ["PAGE", "Pages", "Runner", "default_workers"]

T = TypeVar("T")

log = logging.getLogger("anyvideo.aio")

#: How many items of a listing (or chunks of a download) one hop to the pool brings back.
PAGE = 50


def default_workers() -> int:
    """The worker pool's default size: ``min(32, cpus + 4)``, as :class:`ThreadPoolExecutor`'s."""
    return min(32, (os.cpu_count() or 1) + 4)


class Runner:
    """The pool of worker threads a backend's sync calls run in, and the driver of operations."""

    def __init__(self, backend: Backend, workers: int | None) -> None:
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise InvalidRequest("workers", f"must be a whole number of threads, 1 or more, got {workers!r}")
        self.backend = backend
        self.workers = workers or default_workers()
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="anyvideo-aio")
        self._native: Any = None
        self._native_asked = False
        self.loop: asyncio.AbstractEventLoop | None = None

    def native(self) -> Any:
        """The backend's native async calls (``Backend.native_async``), asked for once, in the loop."""
        if not self._native_asked:
            self._native_asked = True
            self._native = self.backend.native_async()
        return self._native

    def in_pool(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """``function(*args, **kwargs)`` in a worker thread, with this task's context variables."""
        loop = self.loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return loop.run_in_executor(self.pool, functools.partial(context.run, function, *args, **kwargs))

    def start(self, call: Call) -> asyncio.Future[Any]:
        """Set ``call`` going: the backend's native coroutine when it offers one, else in the pool."""
        if call.function is not None:
            return self.in_pool(call.function, *call.args, **call.kwargs)
        if call.name in self.backend.requestless:  # no request to wait on: the loop does it at once
            self.loop = asyncio.get_running_loop()
            done: asyncio.Future[Any] = self.loop.create_future()
            try:
                done.set_result(getattr(self.backend, call.name)(*call.args, **call.kwargs))
            except Exception as exc:
                done.set_exception(exc)
            return done
        native = getattr(self.native(), call.name, None)
        if native is not None and inspect.iscoroutinefunction(native):
            self.loop = asyncio.get_running_loop()
            started: asyncio.Future[Any] = asyncio.ensure_future(native(*call.args, **call.kwargs))
            return started
        return self.in_pool(getattr(self.backend, call.name), *call.args, **call.kwargs)

    async def perform(self, call: Call) -> Any:
        """``call``'s result. Cancelled, a read is abandoned; a change is finished first; a
        create is finished, then what it made is undone, before the cancellation goes on."""
        work = self.start(call)
        if call.effect is Effect.READ:
            return await work
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            await _settle(work)
            if call.undo is not None and not work.cancelled() and work.exception() is None:
                undo = call.undo(work.result())
                undone = self.start(undo)
                await _settle(undone)
                if not undone.cancelled() and undone.exception() is not None:
                    log.warning("could not undo a cancelled %s with %s: %r", call.name, undo.name, undone.exception())
            raise

    async def drive(
        self, operation: Operation[T], dispatch: Callable[[Event], Awaitable[None]], step: Call | Dispatch | None = None
    ) -> T:
        """Drive ``operation`` to its end in the event loop (from ``step`` when it has
        already taken its first one): the async twin of :func:`anyvideo.operations.run`."""
        requestless = self.backend.requestless
        try:
            step = next(operation) if step is None else step
            while True:
                try:
                    result: Any = None
                    if isinstance(step, Dispatch):
                        await dispatch(step.event)
                    elif step.function is None and step.name in requestless:
                        # No request to wait on (a token is signed here): done at once in the loop,
                        # as the sync facade does it, with no future to make and await.
                        result = getattr(self.backend, step.name)(*step.args, **step.kwargs)
                    else:
                        result = await self.perform(step)
                except BaseException as exc:  # a cancellation too: the operation may clean up
                    step = operation.throw(exc)
                else:
                    step = operation.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Close the native async calls, then the pool (waiting in a thread for calls under way)."""
        native = self._native
        if native is not None and hasattr(native, "aclose"):
            await native.aclose()
        await asyncio.to_thread(self.pool.shutdown, True)


async def _settle(work: asyncio.Future[Any]) -> None:
    """Wait until ``work`` is done, whatever cancels the waiting meanwhile."""
    while not work.done():
        try:
            await asyncio.wait({work})
        except asyncio.CancelledError:
            continue
    if not work.cancelled():
        work.exception()  # retrieved: the caller decides what a failure means


class Pages(AsyncIterator[T]):
    """``async for`` over a backend's iterator, advanced in the pool ``page`` items per hop.

    ``opener`` gives the iterator (its first call runs on the first ``__anext__``).
    """

    def __init__(self, runner: Runner, opener: Callable[[], Awaitable[Iterator[T]]], page: int = PAGE) -> None:
        self._runner = runner
        self._open = opener
        self._page = page
        self._iterator: Iterator[T] | None = None
        self._buffer: list[T] = []
        self._done = False

    def __aiter__(self) -> Pages[T]:
        return self

    async def __anext__(self) -> T:
        if not self._buffer and not self._done:
            if self._iterator is None:
                self._iterator = await self._open()
            self._buffer = await self._runner.in_pool(_take, self._iterator, self._page)
            self._buffer.reverse()
            self._done = not self._buffer
        if not self._buffer:
            raise StopAsyncIteration
        return self._buffer.pop()

    async def aclose(self) -> None:
        """Stop early: the backend's iterator is closed (in the pool: closing may talk to the provider)."""
        self._done, self._buffer = True, []
        close = getattr(self._iterator, "close", None)
        if close is not None:
            await self._runner.in_pool(close)


def _take(iterator: Iterator[T], count: int) -> list[T]:
    return list(itertools.islice(iterator, count))
