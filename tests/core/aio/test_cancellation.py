"""Cancelling creates through anyvideo.aio leaves nothing behind on the provider.

Tasks create rooms and start recordings concurrently on each emulator, with lost
answers injected into those creates (the backend reconciles each: it adopts what
the lost try made), and each task is cancelled at a seeded point, after a number of
event-loop iterations drawn from ``random.Random(seed)``. Whatever the cancel hit
(validation, a call in the pool, its reconcile, the undo), afterwards every open
room and running recording on the emulator is one the application holds.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import anyvideo.aio
from anyvideo import Recording, RecordingStatus, Room, RoomStatus, Video
from anyvideo.retry import RetryPolicy
from anyvideo.testing import Emulator
from anyvideo.testing.faults import Fault

#: Each provider's create paths: the room create, the recording start.
CREATES = {
    "vonage": (r"/session/create$", r"/archive$"),
    "twilio": (r"/v1/Rooms$", r"/RecordingRules$"),
}

ROOMS, RECORDINGS = 10, 4


async def cancelled_after(work: Awaitable[Any], iterations: int) -> Any:
    """``work`` as a task, cancelled once the loop has gone round ``iterations`` times (unless done)."""
    task = asyncio.ensure_future(work)
    for _ in range(iterations):
        if task.done():
            break
        await asyncio.sleep(0)
    task.cancel()
    try:
        return await task
    except asyncio.CancelledError:
        return None


def open_rooms(sync: Video, emulator: Emulator) -> set[str]:
    """The rooms open on the provider. A Vonage session never ends (an anyvideo room ends by
    policy, in the registry), so there the open rooms are those anyvideo lists as open."""
    if sync.backend_name == "vonage":
        return {r.id for r in sync.rooms.list(status=RoomStatus.OPEN)}
    return {r.id for r in emulator.world.rooms(status=RoomStatus.OPEN)}  # type: ignore[attr-defined]


def running_recordings(emulator: Emulator) -> set[str]:
    return {r.id for r in emulator.world.recordings(status=RecordingStatus.RECORDING)}  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("provider", ["vonage", "twilio"])
def test_cancelled_creates_under_lost_answers_leave_no_orphans(
    anyvideo_emulator: Callable[..., Emulator], provider: str, seed: int
) -> None:
    emulator = anyvideo_emulator(provider)
    sync = emulator.connect(timeout=(5, 0.3), retries=RetryPolicy(initial=0.01, maximum=0.05))
    browser = sync.backend.browser()
    stages = [sync.rooms.create(f"stage-{i}") for i in range(RECORDINGS)]
    for stage in stages:
        browser.join(sync.tokens.create(stage, "host")).publish()
    room_path, recording_path = CREATES[provider]
    emulator.faults.schedule({Fault(lost=True): 4}, over=ROOMS, path=room_path, method="POST", seed=seed)  # type: ignore[attr-defined]
    emulator.faults.schedule({Fault(lost=True): 2}, over=RECORDINGS, path=recording_path, method="POST", seed=seed)  # type: ignore[attr-defined]
    draw = random.Random(seed)

    async def scenario() -> tuple[list[Room], list[Recording]]:
        async with anyvideo.aio.Video(sync, workers=4, close_video=False) as video:
            rooms = [
                cancelled_after(video.rooms.create(f"room-{seed}-{i}"), draw.randrange(0, 40)) for i in range(ROOMS)
            ]
            recordings = [cancelled_after(video.recordings.start(stage), draw.randrange(0, 40)) for stage in stages]
            made = await asyncio.gather(*rooms, *recordings)
        return [r for r in made[:ROOMS] if r is not None], [r for r in made[ROOMS:] if r is not None]

    held_rooms, held_recordings = asyncio.run(scenario())
    assert emulator.faults.injected  # type: ignore[attr-defined]  # the lost answers happened
    assert open_rooms(sync, emulator) - {r.id for r in held_rooms} - {s.id for s in stages} == set()
    assert running_recordings(emulator) - {r.id for r in held_recordings} == set()
    sync.close()


def test_a_cancelled_create_is_finished_then_undone(video: Video) -> None:
    """On the local platform, step by step: the create under way finishes, the room it made
    is ended, and the task sees its cancellation."""
    started = asyncio.Event()

    class Slow:
        """Holds create_room in its worker until the test lets it go."""

        def __init__(self) -> None:
            import threading

            self.gate = threading.Event()

        def create_room(self, spec: Any) -> Room:
            loop.call_soon_threadsafe(started.set)
            self.gate.wait(10)
            return original(spec)

    slow = Slow()
    original = video.backend.create_room
    video.backend.create_room = slow.create_room  # type: ignore[method-assign]

    async def scenario() -> None:
        nonlocal loop
        loop = asyncio.get_running_loop()
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            task = asyncio.ensure_future(aio.rooms.create("held-up"))
            await started.wait()
            task.cancel()
            await asyncio.sleep(0)
            assert not task.done()  # the create is still under way: it is not abandoned
            slow.gate.set()
            with pytest.raises(asyncio.CancelledError):
                await task

    loop: asyncio.AbstractEventLoop
    asyncio.run(scenario())
    [room] = video.rooms.list(name="held-up")
    assert room.status is RoomStatus.ENDED


def test_a_cancelled_download_stops_and_leaves_no_partial_file(video: Video, browser, clock, tmp_path) -> None:
    room = video.rooms.create("weekly")
    browser.join(video.tokens.create(room, "ann")).publish()
    recording = video.recordings.start(room)
    clock.advance(5)
    video.recordings.stop(recording)
    clock.advance(2)
    import threading

    first_chunk_out, go_on = threading.Event(), threading.Event()
    original = video.backend.download_recording

    def held(recording_id: str, file_name: str) -> Any:
        for chunk in original(recording_id, file_name):
            yield chunk[:1]
            first_chunk_out.set()
            go_on.wait(10)
            yield chunk[1:]

    video.backend.download_recording = held  # type: ignore[method-assign]

    async def scenario() -> None:
        async with anyvideo.aio.Video(video, close_video=False) as aio:
            task = asyncio.ensure_future(aio.recordings.download(recording, tmp_path / "kept.sim"))
            await asyncio.to_thread(first_chunk_out.wait, 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            go_on.set()  # the worker goes on to its next chunk, and stops there

    asyncio.run(scenario())  # aclose waits for the worker
    assert list(tmp_path.iterdir()) == []
