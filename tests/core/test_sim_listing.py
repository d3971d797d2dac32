"""The world's listings read only the window asked for, and seeding makes finished
recordings in bulk that are what running a room would have left."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from anyvideo.models import RecordingMode, RecordingStatus, Role, StreamKind
from anyvideo.sim import Grant, ManualClock, Store, World
from anyvideo.sim.records import RecordingRecord

DELETED = RecordingStatus.DELETED.value


@pytest.fixture
def world(clock: ManualClock) -> Iterator[World]:
    world = World(clock=clock, processing_delay=2)
    yield world
    world.close()


def ids(world: World, **filters: object) -> list[str]:
    return [record.id for _, record in world.store.select(RecordingRecord, **filters)]  # type: ignore[arg-type]


def test_a_window_decodes_its_records_alone_however_many_there_are(world: World) -> None:
    room = world.create_room("big")
    spent = []
    for count in (100, 1900):
        world.seed_recordings(room.id, count)
        for offset in (0, 50, world.count(RecordingRecord) - 60):
            before = world.store.decoded
            rows = world.scan(RecordingRecord, room_id=room.id, not_status=DELETED, offset=offset, limit=50)
            assert len(rows) == 50
            spent.append(world.store.decoded - before)
        before = world.store.decoded
        assert world.count(RecordingRecord, room_id=room.id, not_status=DELETED) == world.count(RecordingRecord)
        spent.append(world.store.decoded - before)
    assert spent == [50, 50, 50, 0] * 2


def test_windows_at_any_offset_match_the_whole_listing(world: World) -> None:
    """Offsets walk from the last window read when nothing changed: every window,
    in any order, with changes between some, is still the listing's slice."""
    chance = random.Random(7)
    rooms = [world.create_room(name) for name in ("a", "b")]
    for room in rooms:
        world.seed_recordings(room.id, 150)
    for record in chance.sample([r for _, r in world.store.select(RecordingRecord)], 40):
        world.store.put(attrs.evolve(record, status=RecordingStatus.DELETED))
    for step in range(250):
        if step % 61 == 0:  # a change: the hints are stale
            world.seed_recordings(rooms[step % 2].id, 3)
        room_id = chance.choice([None, rooms[0].id])
        newest_first = chance.random() < 0.5
        whole = ids(world, room_id=room_id, not_status=DELETED, newest_first=newest_first)
        offset, limit = chance.randrange(0, len(whole) + 5), chance.randrange(1, 60)
        window = ids(world, room_id=room_id, not_status=DELETED, newest_first=newest_first, offset=offset, limit=limit)
        assert window == whole[offset : offset + limit], (step, offset, limit)
        assert world.count(RecordingRecord, room_id=room_id, not_status=DELETED) == len(whole)


def test_a_client_paging_backwards_reads_each_window_once(world: World) -> None:
    """The way a newest-first listing is read oldest first: from its end backwards."""
    room = world.create_room("big")
    world.seed_recordings(room.id, 500)
    whole = ids(world, newest_first=True)
    world.scan(RecordingRecord, limit=50, newest_first=True)  # the newest page, for the total
    for offset in range(450, -1, -50):
        before = world.store.decoded
        rows = world.scan(RecordingRecord, offset=offset, limit=50, newest_first=True)
        assert [r.id for _, r in rows] == whole[offset : offset + 50] and world.store.decoded - before == 50


def test_counts_follow_every_change_and_are_rebuilt_for_an_older_file(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "state.db"
    world = World(Store(path), clock=clock, processing_delay=2)
    room = world.create_room("r")
    world.seed_recordings(room.id, 10)
    recording = world.store.select(RecordingRecord, limit=1)[0][1]
    world.delete_recording(recording.id)
    assert world.count(RecordingRecord, room_id=room.id, not_status=DELETED) == 9
    assert world.count(RecordingRecord, statuses=[DELETED]) == 1
    world.store._db.execute("DELETE FROM counts")  # a file written before counts existed
    world.store._db.execute("DELETE FROM meta WHERE key = 'counted'")
    world.close()
    reopened = World(Store(path), clock=clock, processing_delay=2)
    assert reopened.count(RecordingRecord, room_id=room.id, not_status=DELETED) == 9
    assert reopened.count(RecordingRecord) == 10
    reopened.close()


@pytest.mark.parametrize("mode", list(RecordingMode))
def test_seeded_recordings_are_what_recording_the_room_leaves(world: World, clock: ManualClock, mode) -> None:
    room = world.create_room("r")
    ann = world.join(room.id, Grant(room.id, "ann", Role.PUBLISHER, clock.now() + timedelta(hours=1)))
    world.publish(ann.id, StreamKind.AUDIO_VIDEO)
    run = world.start_recording(room.id, mode=mode)
    clock.advance(1)
    world.stop_recording(run.id)
    clock.advance(2)
    run = world.get_recording(run.id)
    seeded = world.seed_recordings(room.id, 3, mode=mode)
    made = world.get_recording(seeded.first_id or "")

    assert made.status is RecordingStatus.AVAILABLE and made.stopped_at == clock.now() - timedelta(seconds=4)
    differs = {"id", "started_at", "stopped_at", "sources", "files"}
    assert {k: v for k, v in attrs.asdict(made).items() if k not in differs} == {
        k: v for k, v in attrs.asdict(run).items() if k not in differs
    }
    [file] = made.files
    assert file.size == len(world.media("recording", made.id, file.name)) and file.size == run.files[0].size
    stream = world.get_stream(seeded.stream_id)
    assert stream.published_at == made.started_at and not stream.published
    if mode is RecordingMode.INDIVIDUAL:
        assert (file.stream_id, file.participant_id, file.offset, file.duration) == (
            seeded.stream_id,
            seeded.participant_id,
            0.0,
            1.0,
        )
    assert [r.id for r in world.recordings(room_id=room.id)][1::2] == [seeded.first_id, seeded.last_id]
    assert world.events()[-1].type != "recording.available" or world.events()[-1].subject.id == run.id


def test_seeding_writes_in_chunks_and_refuses_nonsense(world: World) -> None:
    room = world.create_room("r")
    assert world.seed_recordings(room.id, 0).first_id is None
    world.seed_recordings(room.id, 2500, chunk=1000)
    assert world.count(RecordingRecord, room_id=room.id) == 2500
    with pytest.raises(ValueError):
        world.seed_recordings(room.id, 1, seconds=0)
