"""The in-memory store answers "is anything due?" (asked before every change of the world)
without a query until a write may have made something due: what a write-heavy emulator
would otherwise pay once per request."""

from __future__ import annotations

from datetime import timedelta

from anyvideo.models import RecordingStatus, Role
from anyvideo.sim import Grant, ManualClock, World


def test_only_a_due_time_written_or_reached_makes_the_store_look_for_due_records() -> None:
    clock = ManualClock()
    world = World(clock=clock, processing_delay=2)
    statements: list[str] = []
    world.store._db.set_trace_callback(statements.append)

    def looks() -> int:
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT") and "due_at" in s)

    room = world.create_room("standup")
    world.create_room("retro")
    world.get_room(room.id)
    assert looks() == 1  # the first change learns that nothing is due; rooms have no due time

    ann = world.join(room.id, Grant(room.id, "ann", Role.PUBLISHER, clock.now() + timedelta(hours=1)))
    world.publish(ann.id)
    recording = world.start_recording(room.id, max_duration=60)
    assert recording.due_at == clock.now() + timedelta(seconds=60)
    for _ in range(3):
        world.get_room(room.id)
    assert looks() == 1  # due in a minute: the write lowered the bound, nothing is due yet

    clock.advance(61)
    assert world.get_recording(recording.id).status is RecordingStatus.PROCESSING  # stopped by itself
    clock.advance(2)
    assert world.get_recording(recording.id).status is RecordingStatus.AVAILABLE  # then processed
    world.close()


def test_a_due_time_written_inside_a_transaction_that_rolls_back_leaves_nothing_due() -> None:
    clock = ManualClock()
    world = World(clock=clock, processing_delay=2)
    room = world.create_room("standup")
    ann = world.join(room.id, Grant(room.id, "ann", Role.PUBLISHER, clock.now() + timedelta(hours=1)))
    world.publish(ann.id)
    try:
        with world.store.transaction():
            world.start_recording(room.id, max_duration=60)
            raise RuntimeError("abandoned")
    except RuntimeError:
        pass
    clock.advance(120)
    assert world.store.due(clock.now()) == []
    assert [r.status for r in world.recordings(room_id=room.id)] == []
    world.close()
