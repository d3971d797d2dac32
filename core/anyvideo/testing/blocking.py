"""A sync face over :class:`anyvideo.aio.Video`, so sync tests (the conformance suite) run
through the async facade unchanged.

:func:`blocking` wraps a sync ``Video``'s connection in an async ``Video`` living on an
event loop in a background thread, and hands back an object with the sync facade's
surface: each call is sent to that loop (``asyncio.run_coroutine_threadsafe``) and its
result (or error: the very same exception object) awaited; a listing is iterated with
``async for`` on the loop, a page per hop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from anyvideo.aio import Video as AsyncVideo
from anyvideo.client import Video

__all__ = ["BlockingVideo", "blocking"]

T = TypeVar("T")

_RESOURCES = ("rooms", "participants", "streams", "tokens", "recordings", "compositions", "signals", "webhooks", "ext")


class _Loop:
    """An event loop running in a thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="anyvideo-aio-bridge", daemon=True)
        self._thread.start()

    def run(self, work: Callable[[], Any]) -> Any:
        """``work()`` called on the loop, awaited there if it gives an awaitable; its result here."""

        async def call() -> Any:
            result = work()
            return await result if isinstance(result, Awaitable) else result

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result()

    def iterate(self, items: AsyncIterator[T]) -> Iterator[T]:
        while True:
            try:
                yield self.run(items.__anext__)
            except StopAsyncIteration:
                return

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class _Resource:
    def __init__(self, loop: _Loop, resource: Any) -> None:
        self._loop = loop
        self._resource = resource

    def __contains__(self, name: object) -> bool:
        return name in self._resource

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._resource, name)
        if not callable(member):
            return member

        def call(*args: Any, **kwargs: Any) -> Any:
            result = self._loop.run(lambda: member(*args, **kwargs))
            return self._loop.iterate(result) if isinstance(result, AsyncIterator) else result

        return call


class BlockingVideo:
    """The sync facade's surface over an async ``Video`` (``aio``), for tests."""

    def __init__(self, loop: _Loop, aio: AsyncVideo) -> None:
        self._loop = loop
        self.aio = aio
        for name in _RESOURCES:
            setattr(self, name, _Resource(loop, getattr(aio, name)))

    def __repr__(self) -> str:
        return f"BlockingVideo({self.aio!r})"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.aio, name)  # backend, backend_name, features, supports, plugins, native


@contextmanager
def blocking(video: Video, *, workers: int | None = None) -> Iterator[BlockingVideo]:
    """``video``'s connection through :mod:`anyvideo.aio`, with a sync surface, until the
    block ends (``video`` stays open: its owner closes it)."""
    loop = _Loop()
    try:
        aio = loop.run(lambda: AsyncVideo(video, workers=workers, close_video=False))
        try:
            yield BlockingVideo(loop, aio)
        finally:
            loop.run(aio.aclose)
            video.backend.attach(video.dispatch)  # the sync Video hears its backend again
    finally:
        loop.stop()
