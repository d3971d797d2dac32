"""The async facade: :class:`Video`, with the sync facade's resources and method names.

Each method drives the operation the sync method drives (:mod:`anyvideo.operations`):
validation and feature checks run in the event loop, then each backend call runs in the
worker pool (or natively, see :meth:`anyvideo.Backend.native_async`). Signatures and
docstrings are the sync facade's (:mod:`anyvideo.client`); a test holds them equal.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from anyvideo import client, operations
from anyvideo.aio.runner import Pages, Runner
from anyvideo.backend import Feature
from anyvideo.client import ObjectRef
from anyvideo.extensions import ExtensionInfo
from anyvideo.messaging import Channel, DialIn, Invitation, Verification
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    Layout,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Resolution,
    Role,
    Room,
    RoomStatus,
    RtmpTarget,
    Stream,
)
from anyvideo.operations import Call, Effect, Operation, optional_enum
from anyvideo.phone import AsyncPhone
from anyvideo.plugins import Plugins
from anyvideo.waiting import COMPOSITION_LIFE, INTERVAL, MAX_INTERVAL, RECORDING_LIFE, Life
from anyvideo.webhooks import WebhookRequest

__all__ = ["Video", "connect"]

T = TypeVar("T")

log = logging.getLogger("anyvideo.aio")


def connect(
    backend: str | None = None,
    *,
    workers: int | None = None,
    plugins: Plugins | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> Video:
    """Connect to a video backend, as :func:`anyvideo.connect` does, for asyncio code.

    ``workers`` sizes the pool the backend's calls run in (default ``min(32, cpus + 4)``).
    Use it as ``async with anyvideo.aio.connect(...) as video:``, or ``await video.aclose()``.
    """
    return Video(client.connect(backend, plugins=plugins, environ=environ, **settings), workers=workers)


class Video:
    """An async connection to one backend: ``rooms``, ``participants``, ``streams``,
    ``tokens``, ``recordings``, ``compositions``, ``signals``, ``webhooks`` and ``ext``, whose
    methods are the sync :class:`anyvideo.Video`'s, awaited (listings: ``async for``).

    It is made over a sync ``Video`` (``anyvideo.aio.Video(anyvideo.connect(...))``) and shares
    its backend, plugins, handled webhook ids and waits; the backend's observed events are
    dispatched by this one from then on. ``aclose()`` closes the pool, then ``video``
    (``close_video=False`` leaves it open).
    """

    def __init__(self, video: client.Video, *, workers: int | None = None, close_video: bool = True) -> None:
        self._core = video
        self._close_video = close_video
        self.backend = video.backend
        self.plugins = video.plugins
        self._runner = Runner(video.backend, workers)
        self._tasks: set[asyncio.Future[Any]] = set()
        self.backend.attach(self._observed)
        self.rooms = Rooms(self)
        self.participants = Participants(self)
        self.streams = Streams(self)
        self.tokens = Tokens(self)
        self.recordings = Recordings(self)
        self.compositions = Compositions(self)
        self.signals = Signals(self)
        self.webhooks = Webhooks(self)
        self.verify = Verify(self)
        self.phone = AsyncPhone(self)
        self.ext = Extensions(self)

    def __repr__(self) -> str:
        return f"aio.Video(backend={self.backend_name!r}, workers={self.workers})"

    async def __aenter__(self) -> Video:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Finish the calls under way and the async hooks they set going, close the worker pool
        and the backend's native async calls, then the backend (unless made with ``close_video=False``)."""
        await self._hooks_done()
        await self._runner.aclose()
        await self._hooks_done()  # of the calls that were still under way
        if self._close_video:
            await asyncio.to_thread(self._core.close)

    async def _hooks_done(self) -> None:
        while self._tasks:  # the async hooks of events the backend observed
            await asyncio.wait(set(self._tasks))

    @property
    def workers(self) -> int:
        """The size of the worker pool the backend's sync calls run in."""
        return self._runner.workers

    @property
    def backend_name(self) -> str:
        """The name of the backend this ``Video`` drives (``"local"``, say): what ``ANYVIDEO_BACKEND`` selects."""
        return self._core.backend_name

    @property
    def native(self) -> Any:
        """The backend's provider client, for what anyvideo does not cover."""
        return self._core.native

    @property
    def features(self) -> frozenset[Feature]:
        """What the backend can do beyond the core operations (:meth:`supports` asks for one)."""
        return self._core.features

    def supports(self, feature: Feature) -> bool:
        """Whether the backend can do ``feature``; ask before calling, or catch UnsupportedFeature."""
        return self._core.supports(feature)

    def require(self, *features: Feature) -> None:
        """Raise :class:`~anyvideo.UnsupportedFeature` unless the backend has one of ``features``."""
        self._core.require(*features)

    async def invite(
        self,
        room: ObjectRef,
        to: str,
        channel: Channel | str = Channel.SMS,
        *,
        link: str | None = None,
        dial_in: DialIn | None = None,
        text: str | None = None,
        sender: str | None = None,
    ) -> Invitation:
        """The sync :meth:`anyvideo.Video.invite`, awaited."""
        return await self._drive(operations.invite(self._core, room, to, channel, link, dial_in, text, sender))

    async def dispatch(self, event: Event) -> None:
        """Hand ``event`` to every ``anyvideo_event`` hook, in pluggy's order, one after the
        other: a sync hook runs in a worker thread, an async one (or a sync one's awaitable
        result) is awaited in the loop; the first to raise stops the dispatch, as in the sync
        facade. Then the waits it may concern are woken."""
        try:
            for function, kwargs in self._hooks(event):
                if inspect.iscoroutinefunction(function):
                    await function(**kwargs)
                    continue
                result = await self._runner.in_pool(function, **kwargs)
                if inspect.isawaitable(result):
                    await result
        finally:
            self._core._waits.notify(event)

    def _observed(self, event: Event) -> None:
        """The backend's sink, called in the thread its call runs in: sync hooks run there at
        once; an async hook is scheduled in the loop and not waited for (a worker waiting on
        the loop could starve the pool), its failure logged."""
        try:
            for function, kwargs in self._hooks(event):
                result = function(**kwargs)
                if inspect.isawaitable(result):
                    self._schedule(result)
        finally:
            self._core._waits.notify(event)

    def _hooks(self, event: Event) -> Iterator[tuple[Callable[..., Any], dict[str, Any]]]:
        caller = self.plugins.manager.hook.anyvideo_event
        offered = {"event": event, "video": self}
        for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last registered first
            yield impl.function, {name: offered[name] for name in impl.argnames}

    def _schedule(self, awaitable: Any) -> None:
        loop = self._runner.loop
        if loop is None or loop.is_closed():
            log.warning("an async anyvideo_event hook was not run: no event loop is driving this Video")
            with contextlib.suppress(AttributeError):
                awaitable.close()
            return
        loop.call_soon_threadsafe(self._track, awaitable)

    def _track(self, awaitable: Any) -> None:
        """Run an async hook as a task of this loop, kept until done (``aclose`` waits for it)."""
        task: asyncio.Future[Any] = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._hook_done)

    def _hook_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("an async anyvideo_event hook failed", exc_info=task.exception())

    async def _drive(self, operation: Operation[T]) -> T:
        return await self._runner.drive(operation, self.dispatch)

    def _listing(self, operation: Operation[Iterator[T]]) -> AsyncIterator[T]:
        """``async for`` over what ``operation`` lists: validated now, as the sync ``list`` is."""
        first = next(operation)
        return Pages(self._runner, lambda: self._runner.drive(operation, self.dispatch, first))


class _Resource:
    def __init__(self, video: Video) -> None:
        self._video = video
        self._core = video._core


class Rooms(_Resource):
    """Create, find, list and end rooms."""

    async def create(
        self,
        name: str | None = None,
        *,
        max_participants: int | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Room:
        """Open a room, as :meth:`anyvideo.client.Rooms.create`. Cancelled, the create is
        finished (its lost-answer reconcile included) and the room it got is ended."""
        return await self._video._drive(operations.create_room(self._core, name, max_participants, provider_options))

    async def get(self, room: ObjectRef | None = None, *, name: str | None = None) -> Room:
        """A room by id (or ref, or model), or by unique ``name``."""
        return await self._video._drive(operations.get_room(self._core, room, name))

    def list(self, *, status: RoomStatus | str | None = None, name: str | None = None) -> AsyncIterator[Room]:
        """Rooms, oldest first, fetched lazily page by page (``async for``)."""
        return self._video._listing(operations.list_rooms(self._core, status, name))

    async def end(self, room: ObjectRef | None = None, *, name: str | None = None) -> Room:
        """End a room, as :meth:`anyvideo.client.Rooms.end`. Cancelled, the end is finished."""
        return await self._video._drive(operations.end_room(self._core, room, name))


class Participants(_Resource):
    """Who is (or was) in a room."""

    def list(self, room: ObjectRef, *, status: ParticipantStatus | str | None = None) -> AsyncIterator[Participant]:
        """The room's participants, optionally only those with this ``status``, fetched lazily (``async for``)."""
        return self._video._listing(operations.list_participants(self._core, room, status))

    async def get(self, room: ObjectRef, participant: ObjectRef) -> Participant:
        """One participant of the room; :class:`~anyvideo.NotFound` if there is none."""
        return await self._video._drive(operations.get_participant(self._core, room, participant))

    async def disconnect(self, room: ObjectRef, participant: ObjectRef) -> None:
        """Force a participant out of the room, as :meth:`anyvideo.client.Participants.disconnect`."""
        await self._video._drive(operations.disconnect_participant(self._core, room, participant))


class Streams(_Resource):
    """What participants publish."""

    def list(self, room: ObjectRef) -> AsyncIterator[Stream]:
        """The streams published in the room now."""
        return self._video._listing(operations.list_streams(self._core, room))

    async def get(self, room: ObjectRef, stream: ObjectRef) -> Stream:
        """One stream published in the room now; :class:`~anyvideo.NotFound` if there is none."""
        return await self._video._drive(operations.get_stream(self._core, room, stream))

    async def mute(self, room: ObjectRef, stream: ObjectRef) -> Stream:
        """Mute one stream's audio."""
        return await self._video._drive(operations.mute_stream(self._core, room, stream))

    async def mute_all(self, room: ObjectRef, *, except_streams: Iterable[ObjectRef] = ()) -> None:
        """Mute every stream's audio in the room, but those listed."""
        await self._video._drive(operations.mute_all(self._core, room, except_streams))


class Tokens(_Resource):
    """Client tokens: what a browser or app needs to join a room."""

    async def create(
        self,
        room: ObjectRef,
        identity: str,
        *,
        role: Role | str = Role.PUBLISHER,
        ttl: float | timedelta = 3600,
        data: str | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> AccessToken:
        """Mint a token for ``identity`` to join ``room``, valid for ``ttl`` seconds."""
        operation = operations.create_token(self._core, room, identity, role, ttl, data, provider_options)
        return await self._video._drive(operation)


class _Media(_Resource):
    """Download and waiting, shared by recordings and compositions."""

    _field: str
    _life: Life

    def _sync(self) -> client.Recordings | client.Compositions:
        raise NotImplementedError

    def iter_bytes(self, item: ObjectRef, *, file_name: str | None = None) -> AsyncIterator[bytes]:
        """The bytes of one file (the only one, unless ``file_name`` says), in chunks (``async for``)."""
        self._core._id(item, self._field)  # a bad reference fails here, as in the sync facade
        sync = self._sync()

        async def opener() -> Iterator[bytes]:
            return await self._video._runner.in_pool(sync.iter_bytes, item, file_name=file_name)

        return Pages(self._video._runner, opener)

    async def download(
        self,
        item: ObjectRef,
        destination: str | os.PathLike[str],
        *,
        file_name: str | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> Path:
        """Save the media to ``destination``, by the rules of :meth:`anyvideo.client.Recordings.download`;
        the files are written in a worker thread, ``progress`` is called in the loop.

        Cancelled, the download stops at its next chunk and leaves no partial file."""
        self._core._id(item, self._field)
        loop = asyncio.get_running_loop()
        abandoned = threading.Event()

        def report(size: int) -> None:
            if abandoned.is_set():
                raise _Abandoned
            if progress is not None:
                loop.call_soon_threadsafe(progress, size)

        work = self._video._runner.in_pool(
            self._sync().download, item, destination, file_name=file_name, progress=report
        )
        work.add_done_callback(lambda done: done.cancelled() or done.exception())  # an abandoned one's error
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            abandoned.set()
            raise

    async def _wait(
        self,
        item: ObjectRef,
        fetch: Callable[[str], Any],
        until: Any,
        timeout: float | None,
        interval: float,
        max_interval: float,
        progress: Callable[[float], object] | None,
    ) -> Any:
        object_id = self._core._id(item, self._field)
        return await self._core._waits.auntil(
            object_id,
            lambda: fetch(object_id),
            until,
            self._life,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            progress=progress,
        )


class _Abandoned(Exception):
    """Raised in a download's worker once its task was cancelled: its partial files go."""


class Recordings(_Media):
    """Record rooms, composed (one mixed file) or individual (a file per stream)."""

    _field = "recording"
    _life = RECORDING_LIFE

    def _sync(self) -> client.Recordings:
        return self._core.recordings

    async def start(
        self,
        room: ObjectRef,
        *,
        mode: RecordingMode | str = RecordingMode.COMPOSED,
        layout: Layout | str | None = None,
        resolution: Resolution | str | None = None,
        name: str | None = None,
        has_audio: bool = True,
        has_video: bool = True,
        max_duration: float | timedelta | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Recording:
        """Start recording, as :meth:`anyvideo.client.Recordings.start`. Cancelled, the start is
        finished and the recording stopped."""
        operation = operations.start_recording(
            self._core, room, mode, layout, resolution, name, has_audio, has_video, max_duration, provider_options
        )
        return await self._video._drive(operation)

    async def stop(self, recording: ObjectRef) -> Recording:
        """Stop the recording; the recording as it is then (see :meth:`wait` for its files)."""
        return await self._video._drive(operations.stop_recording(self._core, recording))

    async def get(self, recording: ObjectRef) -> Recording:
        """The recording as the provider reports it now."""
        return await self._video._drive(operations.get_recording(self._core, recording))

    def list(
        self, *, room: ObjectRef | None = None, status: RecordingStatus | str | None = None
    ) -> AsyncIterator[Recording]:
        """Recordings of the account (or of one room), oldest first, fetched lazily (``async for``)."""
        return self._video._listing(operations.list_recordings(self._core, room, status))

    async def delete(self, recording: ObjectRef) -> None:
        """Delete the recording and its files."""
        await self._video._drive(operations.delete_recording(self._core, recording))

    async def wait(
        self,
        recording: ObjectRef,
        *,
        until: RecordingStatus | str = RecordingStatus.AVAILABLE,
        timeout: float | None = 600.0,
        interval: float = INTERVAL,
        max_interval: float = MAX_INTERVAL,
        progress: Callable[[float], object] | None = None,
    ) -> Recording:
        """Wait until the recording's status is ``until``, as :meth:`anyvideo.client.Recordings.wait`:
        the same schedule, slept with ``asyncio.sleep`` and woken by this ``Video``'s events."""
        wanted = optional_enum(RecordingStatus, until, "until")
        found: Recording = await self._wait(recording, self.get, wanted, timeout, interval, max_interval, progress)
        return found


class Compositions(_Media):
    """Mix streams into a file after the fact, or broadcast them live."""

    _field = "composition"
    _life = COMPOSITION_LIFE

    def _sync(self) -> client.Compositions:
        return self._core.compositions

    async def start(
        self,
        room: ObjectRef,
        *,
        output: CompositionOutput | str = CompositionOutput.FILE,
        layout: Layout | str | None = None,
        resolution: Resolution | str | None = None,
        format: str | None = None,
        streams: Iterable[ObjectRef] | None = None,
        recordings: Iterable[ObjectRef] | None = None,
        hls: bool = False,
        rtmp: Iterable[RtmpTarget] = (),
        max_duration: float | timedelta | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Composition:
        """Start a composition, as :meth:`anyvideo.client.Compositions.start`. Cancelled, the start
        is finished, then a live composition is stopped and a file composition deleted."""
        operation = operations.start_composition(
            self._core,
            room,
            output,
            layout,
            resolution,
            format,
            streams,
            recordings,
            hls,
            rtmp,
            max_duration,
            provider_options,
        )
        return await self._video._drive(operation)

    async def stop(self, composition: ObjectRef) -> Composition:
        """Stop a live composition (a file composition finishes by itself)."""
        return await self._video._drive(operations.stop_composition(self._core, composition))

    async def get(self, composition: ObjectRef) -> Composition:
        """The composition as the provider reports it now."""
        return await self._video._drive(operations.get_composition(self._core, composition))

    def list(
        self, *, room: ObjectRef | None = None, status: CompositionStatus | str | None = None
    ) -> AsyncIterator[Composition]:
        """Compositions of the account (or of one room), optionally only those with this ``status``,
        fetched lazily (``async for``)."""
        return self._video._listing(operations.list_compositions(self._core, room, status))

    async def delete(self, composition: ObjectRef) -> None:
        """Delete a file composition and its files: this needs ``POST_HOC_COMPOSITION``."""
        await self._video._drive(operations.delete_composition(self._core, composition))

    async def wait(
        self,
        composition: ObjectRef,
        *,
        until: CompositionStatus | str = CompositionStatus.AVAILABLE,
        timeout: float | None = 600.0,
        interval: float = INTERVAL,
        max_interval: float = MAX_INTERVAL,
        progress: Callable[[float], object] | None = None,
    ) -> Composition:
        """Wait until the composition's status is ``until``, as :meth:`anyvideo.client.Compositions.wait`."""
        wanted = optional_enum(CompositionStatus, until, "until")
        found: Composition = await self._wait(composition, self.get, wanted, timeout, interval, max_interval, progress)
        return found


class Webhooks(_Resource):
    """Provider callbacks, verified and normalised into :class:`~anyvideo.models.Event` objects.

    Mount :func:`anyvideo.webhooks.asgi_app` (given this ``Video``) at the callback URL, or
    ``await`` :meth:`handle` from your own view.
    """

    async def parse(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | str,
    ) -> list[Event]:
        """Verify one callback and return its events, without dispatching them."""
        return await self._video._drive(operations.parse_webhook(WebhookRequest(method, url, headers, body)))

    async def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | str,
    ) -> list[Event]:
        """Parse the callback, then dispatch each event not handled before to the hooks
        (:meth:`Video.dispatch`), as :meth:`anyvideo.client.Webhooks.handle`. A failed or
        cancelled dispatch leaves the callback unhandled, so the provider's next delivery is."""
        request = WebhookRequest(method, url, headers, body)
        return await self._video._drive(operations.handle_webhook(self._core.webhooks._handled, request))


class Signals(_Resource):
    """Messages from the server to clients in a room."""

    async def send(self, room: ObjectRef, type: str = "", data: str = "", *, to: ObjectRef | None = None) -> None:
        """Send to every connected client, or only to participant ``to``."""
        await self._video._drive(operations.send_signal(self._core, room, type, data, to))


class Verify(_Resource):
    """Phone verification, awaited (the sync :class:`anyvideo.client.Verify`)."""

    async def start(self, number: str, *, brand: str = "anyvideo", code_length: int = 6) -> Verification:
        """Send a code of ``code_length`` digits (4 or 6) to ``number`` (E.164), naming ``brand``."""
        return await self._video._drive(operations.start_verification(self._core, number, brand, code_length))

    async def check(self, verification: str | Verification, code: str) -> Verification:
        """Check ``code``: verified, still pending after a wrong code, or failed."""
        return await self._video._drive(operations.check_verification(self._core, verification, code))


class Extensions:
    """``video.ext``: the backend's provider extensions, awaited. A name the backend does not
    offer raises :class:`~anyvideo.UnsupportedExtension` at once; the call (its feature check
    and references included) runs in the worker pool and, cancelled, is finished."""

    def __init__(self, video: Video) -> None:
        self._video = video
        self._sync = video._core.ext

    def __repr__(self) -> str:
        return f"aio.{self._sync!r}"

    def __contains__(self, name: object) -> bool:
        return name in self._sync

    def __iter__(self) -> Iterator[ExtensionInfo]:
        return iter(self._sync)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._sync, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._video._runner.perform(Call(name, args, kwargs, effect=Effect.CHANGE, function=method))

        call.__name__ = call.__qualname__ = name
        call.__doc__ = method.__doc__
        return call
