"""How much the facade and the SQLite file cost over the bare simulated platform.

Run on demand (the default test run does not collect it):

    pytest tests/benchmarks/bench_local.py -s

One meeting = create a room, mint a token, join, publish, record, stop,
leave, end. The baseline is the same meeting on the bare ``World`` in memory,
measured in the same run, so the printed ratios hold on any machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyvideo
from anyvideo.models import Role
from anyvideo.sim import Grant, ManualClock, World

MEETINGS = 300


def _bare_world_meeting(world: World) -> Callable[[int], None]:
    def meeting(i: int) -> None:
        room = world.create_room(f"bench-{i}")
        grant = Grant(room.id, "ann", Role.PUBLISHER, datetime.now(UTC) + timedelta(hours=1))
        participant = world.join(room.id, grant)
        world.publish(participant.id)
        recording = world.start_recording(room.id)
        world.stop_recording(recording.id)
        world.leave(participant.id)
        world.end_room(room.id)

    return meeting


def _facade_meeting(video: anyvideo.Video) -> Callable[[int], None]:
    browser = video.backend.browser()

    def meeting(i: int) -> None:
        room = video.rooms.create(f"bench-{i}")
        ann = browser.join(video.tokens.create(room, "ann"))
        ann.publish()
        recording = video.recordings.start(room)
        video.recordings.stop(recording)
        ann.leave()
        video.rooms.end(room)

    return meeting


def _rate(meeting: Callable[[int], None]) -> float:
    meeting(-1)  # warm up imports and caches
    started = time.perf_counter()
    for i in range(MEETINGS):
        meeting(i)
    return MEETINGS / (time.perf_counter() - started)


def test_local_backend_overhead(tmp_path: Path) -> None:
    world = World(clock=ManualClock(datetime.now(UTC)))
    baseline = _rate(_bare_world_meeting(world))
    with anyvideo.connect("local", environ={}) as memory:
        in_memory = _rate(_facade_meeting(memory))
    with anyvideo.connect("local", environ={}, db=tmp_path / "bench.db") as on_disk:
        sqlite_file = _rate(_facade_meeting(on_disk))
    print(f"\n{MEETINGS} meetings each")
    print(f"  bare World, memory      {baseline:8.1f} meetings/s  1.00x")
    print(f"  facade, memory          {in_memory:8.1f} meetings/s  {in_memory / baseline:.2f}x")
    print(f"  facade, SQLite file     {sqlite_file:8.1f} meetings/s  {sqlite_file / baseline:.2f}x")
