"""anyvideo.aio: the sync facade's surface, awaited; one definition of each operation."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, twilio_signed

import anyvideo
import anyvideo.aio
from anyvideo import client
from anyvideo.aio.runner import PAGE
from anyvideo.errors import Conflict, InvalidRequest, UnsupportedFeature
from anyvideo.local import LocalBackend
from anyvideo.models import Event, ParticipantStatus, RecordingStatus, RoomStatus
from anyvideo.sim import ManualClock
from anyvideo.specs import RoomSpec


def room_created() -> dict[str, str]:
    return {
        "AccountSid": TWILIO_ACCOUNT,
        "RoomSid": "RM" + "1" * 32,
        "RoomName": "hooked",
        "RoomStatus": "in-progress",
        "StatusCallbackEvent": "room-created",
        "SequenceNumber": "1",
    }


RESOURCES = [
    "rooms",
    "participants",
    "streams",
    "tokens",
    "recordings",
    "compositions",
    "signals",
    "webhooks",
    "verify",
]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


#: The backend calls :class:`Counting` counts.
COUNTED = {"create_room", "get_room", "find_room", "end_room", "list_rooms", "create_token", "start_recording"}


class Counting(LocalBackend):
    """The local backend, counting the backend calls made and the threads they ran in."""

    name = "local"
    calls: list[str]
    threads: set[str]

    def __getattribute__(self, name: str) -> Any:
        method = super().__getattribute__(name)
        if name not in COUNTED:
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            vars(self).setdefault("calls", []).append(name)
            vars(self).setdefault("threads", set()).add(threading.current_thread().name)
            return method(*args, **kwargs)

        return counted


@pytest.fixture
def counted(clock: ManualClock) -> Iterator[anyvideo.Video]:
    backend = Counting.from_settings({"clock": clock, "processing_delay": 2}, {})
    with anyvideo.Video(backend) as video:
        yield video


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_method_has_the_sync_signature(resource: str) -> None:
    sync_class = getattr(client, resource.capitalize())
    async_class = getattr(anyvideo.aio, resource.capitalize())
    public = {n for n, m in inspect.getmembers(sync_class, inspect.isfunction) if not n.startswith("_")}
    assert public == {n for n, m in inspect.getmembers(async_class, inspect.isfunction) if not n.startswith("_")}
    for name in public:
        sync_signature = inspect.signature(getattr(sync_class, name))
        async_signature = inspect.signature(getattr(async_class, name))
        assert list(sync_signature.parameters.values()) == list(async_signature.parameters.values()), name


def test_validation_fails_in_the_loop_before_any_request(counted: anyvideo.Video) -> None:
    async def scenario() -> None:
        async with anyvideo.aio.Video(counted, close_video=False) as video:
            with pytest.raises(InvalidRequest) as refused:
                await video.rooms.create("no/slashes")
            assert refused.value.field == "name"
            with pytest.raises(InvalidRequest):
                video.rooms.list(status="sleepy")  # a listing refuses bad input at once, as the sync one
            with pytest.raises(InvalidRequest):
                await video.rooms.get()

    run(scenario())
    assert not vars(counted.backend).get("calls")


def test_calls_run_in_the_pool_of_the_size_asked_for(counted: anyvideo.Video) -> None:
    async def scenario() -> int:
        async with anyvideo.aio.Video(counted, workers=3, close_video=False) as video:
            await asyncio.gather(*(video.rooms.create(f"r{i}") for i in range(12)))
            return video.workers

    assert run(scenario()) == 3
    threads = vars(counted.backend)["threads"]
    assert threads and all(name.startswith("anyvideo-aio") for name in threads)
    assert len(threads) <= 3


def test_the_default_pool_is_the_thread_pools_default() -> None:
    import os

    assert anyvideo.aio.default_workers() == min(32, (os.cpu_count() or 1) + 4)
    with pytest.raises(InvalidRequest):
        anyvideo.aio.connect("local", environ={}, workers=0)


def test_the_same_errors_and_follow_ups_as_the_sync_facade(video: anyvideo.Video) -> None:
    async def scenario() -> None:
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            room = await aio.rooms.create("weekly")
            ended = await aio.rooms.end(room)
            assert (await aio.rooms.end(room)).ended_at == ended.ended_at  # ending twice is harmless
            with pytest.raises(Conflict):
                await aio.tokens.create(room, "late")

    run(scenario())


def test_a_listing_takes_a_page_of_items_per_hop(counted: anyvideo.Video) -> None:
    for i in range(PAGE + 5):
        counted.rooms.create(f"r{i}")
    hops: list[str] = []

    async def scenario() -> list[str]:
        async with anyvideo.aio.Video(counted, close_video=False) as video:
            taken = video._runner.in_pool

            def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
                hops.append(getattr(function, "__name__", "?"))
                return taken(function, *args, **kwargs)

            video._runner.in_pool = counting  # type: ignore[method-assign]
            return [room.name async for room in video.rooms.list(status=RoomStatus.OPEN)]

    names = run(scenario())
    assert len(names) == PAGE + 5
    assert hops.count("_take") == 3  # a full page, the rest, and the empty end


def test_a_wait_is_woken_at_once_by_an_event_dispatched_from_another_thread(video: anyvideo.Video, browser) -> None:
    room = video.rooms.create("weekly")
    browser.join(video.tokens.create(room, "ann")).publish()
    recording = video.recordings.start(room)
    sleeps: list[float] = []

    async def scenario() -> RecordingStatus:
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            waiting = asyncio.ensure_future(
                aio.recordings.wait(
                    recording, until=RecordingStatus.PROCESSING, interval=60, max_interval=60, progress=sleeps.append
                )
            )
            while not sleeps:  # the wait has looked once and sleeps for a minute
                await asyncio.sleep(0)
            stopped = await asyncio.to_thread(video.recordings.stop, recording)
            await asyncio.to_thread(video._waits.notify, _event_of(stopped))  # as a webhook handled in a thread
            return (await waiting).status

    assert run(scenario()) is RecordingStatus.PROCESSING
    assert len(sleeps) == 1


def _event_of(recording: Any) -> Any:
    class Seen:
        subject = recording
        room_id = recording.room_id

    return Seen()


def test_async_hooks_are_awaited_in_order_with_sync_ones(offline_twilio: anyvideo.Video) -> None:
    seen: list[str] = []

    class Hooks:
        @anyvideo.hookimpl
        async def anyvideo_event(self, event: Event, video: Any) -> None:
            await asyncio.sleep(0)
            assert isinstance(video, anyvideo.aio.Video)
            seen.append(f"async {event.type}")

    class SyncHooks:
        @anyvideo.hookimpl
        def anyvideo_event(self, event: Event) -> None:
            assert threading.current_thread() is not threading.main_thread()  # not in the loop
            seen.append(f"sync {event.type}")

    offline_twilio.plugins.manager.register(Hooks())
    offline_twilio.plugins.manager.register(SyncHooks())
    url = "https://hooks.example.com/twilio"
    headers, body = twilio_signed(TWILIO_TOKEN, url, room_created())

    async def scenario() -> int:
        async with anyvideo.aio.Video(offline_twilio, close_video=False) as video:
            events = await video.webhooks.handle("POST", url, headers, body)
            again = await video.webhooks.handle("POST", url, headers, body)  # a redelivery: not dispatched again
            return len(events) + len(again)

    assert run(scenario()) == 2
    assert seen == ["sync room.started", "async room.started"]  # the last registered runs first, as in pluggy


def test_an_unsupported_feature_is_refused_before_any_request(counted: anyvideo.Video) -> None:
    class Without(Counting):
        features = frozenset()

    backend = Without.from_settings({}, {})
    sync = anyvideo.Video(backend)

    async def scenario() -> None:
        async with anyvideo.aio.Video(sync) as video:
            room = await video.rooms.create("r")
            vars(backend).pop("calls", None)
            with pytest.raises(UnsupportedFeature):
                await video.recordings.start(room)
            with pytest.raises(UnsupportedFeature):
                video.recordings.list()

    run(scenario())
    assert not vars(backend).get("calls")


class Native:
    """Native async calls of a test backend: only create_room."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.closed = False
        self.loop_thread = threading.current_thread()
        self.created: list[str] = []

    async def create_room(self, spec: RoomSpec) -> Any:
        assert threading.current_thread() is self.loop_thread  # awaited in the loop, not in the pool
        self.created.append(spec.name or "")
        return LocalBackend.create_room(self.backend, spec)

    async def aclose(self) -> None:
        self.closed = True


class WithNative(LocalBackend):
    name = "local"

    def native_async(self) -> Native:
        self.native_calls = Native(self)
        return self.native_calls


def test_a_backends_native_async_calls_are_used_when_present() -> None:
    backend = WithNative.from_settings({}, {})

    async def scenario() -> None:
        async with anyvideo.aio.Video(anyvideo.Video(backend)) as video:
            room = await video.rooms.create("native")
            assert (await video.rooms.get(room)).name == "native"  # get_room: in the pool

    run(scenario())
    assert backend.native_calls.created == ["native"]
    assert backend.native_calls.closed


def test_the_extensions_namespace_is_the_sync_one_awaited(video: anyvideo.Video) -> None:
    async def scenario() -> None:
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            assert list(aio.ext) == list(video.ext)
            with pytest.raises(anyvideo.UnsupportedExtension):
                aio.ext.dial_sip  # noqa: B018

    run(scenario())


def test_participants_listed_by_status(video: anyvideo.Video, browser) -> None:
    room = video.rooms.create("weekly")
    browser.join(video.tokens.create(room, "ann"))

    async def scenario() -> list[str]:
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            return [p.identity async for p in aio.participants.list(room, status=ParticipantStatus.CONNECTED)]

    assert run(scenario()) == ["ann"]


def test_a_files_bytes_are_the_sync_facades(video: anyvideo.Video, browser, clock: ManualClock) -> None:
    room = video.rooms.create("weekly")
    browser.join(video.tokens.create(room, "ann")).publish()
    recording = video.recordings.start(room)
    clock.advance(5)
    video.recordings.stop(recording)
    clock.advance(2)

    async def scenario() -> bytes:
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            return b"".join([chunk async for chunk in aio.recordings.iter_bytes(recording)])

    assert run(scenario()) == b"".join(video.recordings.iter_bytes(recording))


class Requestless(Counting):
    """The counting local backend, declaring its tokens requestless."""

    requestless = frozenset({"create_token"})


def test_a_requestless_call_runs_in_the_loop_and_the_others_in_the_pool(clock: ManualClock) -> None:
    backend = Requestless.from_settings({"clock": clock}, {})

    async def scenario() -> str:
        async with anyvideo.aio.Video(anyvideo.Video(backend)) as video:
            room = await video.rooms.create("inline")
            vars(backend)["threads"].clear()
            await asyncio.gather(*(video.tokens.create(room, f"p{i}") for i in range(5)))
            with pytest.raises(InvalidRequest):
                await video.tokens.create(room, "ann", ttl=-1)  # refused before the backend, as ever
            await video.rooms.end(room)
            with pytest.raises(Conflict):  # the backend's own refusal comes back as raised
                await video.tokens.create(room, "late")
            return threading.current_thread().name

    loop_thread = run(scenario())
    calls = vars(backend)["calls"]
    assert calls.count("create_token") == 6
    assert loop_thread in vars(backend)["threads"]
    assert all(name == loop_thread or name.startswith("anyvideo-aio") for name in vars(backend)["threads"])


def test_the_providers_tokens_are_requestless_where_they_send_no_request() -> None:
    from anyvideo_twilio.backend import TwilioBackend
    from anyvideo_vonage.backend import VonageBackend

    # A token for a session anyvideo did not make asks Vonage whether the session exists.
    assert "create_token" not in VonageBackend.requestless
    assert "create_token" not in LocalBackend.requestless
    account = {"account_sid": TWILIO_ACCOUNT, "auth_token": TWILIO_TOKEN}
    assert "create_token" in TwilioBackend.from_settings(account, {}).requestless
    enforcing = TwilioBackend.from_settings({**account, "enforce_roles": True}, {})
    assert "create_token" not in enforcing.requestless  # a subscriber's room is asked for its callback
    called_back = TwilioBackend.from_settings(
        {**account, "enforce_roles": True, "status_callback": "https://hooks.example.com/video"}, {}
    )
    assert "create_token" in called_back.requestless
