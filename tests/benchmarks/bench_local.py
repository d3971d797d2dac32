"""What the embedded ``local`` backend costs over the simulated platform it wraps.

Run on demand (the default test run does not collect it):

    PYTHONPATH=core:backends:tests python -m pytest tests/benchmarks/bench_local.py -s -p no:randomly

One meeting = create a room, mint a token, join, publish, record, stop,
leave, end. Three contenders, interleaved round by round with the order
rotating (``Contest``), each on a clock of its own that only moves when told:

- the meeting on a bare ``World`` in memory (no facade, no translation);
- the same meeting through ``anyvideo.connect("local")`` in memory;
- the same through ``local`` on a SQLite file.

It prints medians with their spread and the paired ratios (facade over bare
world, SQLite file over memory). No goal of the performance issue sets a
target for the local backend, so it adds no row to ``docs/performance.md``:
it is there to show what an application's test suite pays for going through
the facade, and to catch a regression in it. Each side's world must hold the
same rooms and recordings at the end: they did the same work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import Contest, per_op, ratio

import anyvideo
from anyvideo.models import Role, RoomStatus
from anyvideo.sim import Grant, ManualClock, World

START = datetime(2026, 1, 1, tzinfo=UTC)


def _bare_world_meeting(world: World) -> Callable[[int], None]:
    def meeting(i: int) -> None:
        room = world.create_room(f"bench-{i}")
        grant = Grant(room.id, "ann", Role.PUBLISHER, START + timedelta(days=1))
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


def test_local_backend_overhead(tmp_path: Path) -> None:
    world = World(clock=ManualClock(START))
    memory = anyvideo.connect("local", environ={}, clock=ManualClock(START))
    on_disk = anyvideo.connect("local", environ={}, clock=ManualClock(START), db=tmp_path / "bench.db")
    with memory, on_disk:
        contest = Contest(rounds=9, per_round=30)
        contest.add("bare World, memory", _bare_world_meeting(world))
        contest.add("local, memory", _facade_meeting(memory))
        contest.add("local, SQLite file", _facade_meeting(on_disk))
        results = contest.run()
        # The same work on each side: as many rooms, all ended, each with its one recording.
        meetings = (contest.warmup + contest.rounds) * contest.per_round
        for video in (memory, on_disk):
            rooms = list(video.rooms.list())
            assert len(rooms) == meetings and {r.status for r in rooms} == {RoomStatus.ENDED}
            assert len(list(video.recordings.list())) == meetings
        assert len(list(world.recordings())) == meetings

    print(f"\nlocal backend, one meeting (median of {contest.rounds} rounds of {contest.per_round}):")
    for name, result in results.items():
        print(f"  {name:20s} {per_op(result)}")
    print(f"  local in memory / bare World:  {ratio(results, 'local, memory', 'bare World, memory'):.2f}")
    print(f"  SQLite file / memory:          {ratio(results, 'local, SQLite file', 'local, memory'):.2f}")
