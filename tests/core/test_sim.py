"""The simulated platform's rules, driven on the World directly."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from anyvideo.errors import AuthenticationError, Conflict, Forbidden, NotFound
from anyvideo.models import (
    CompositionOutput,
    CompositionStatus,
    ParticipantStatus,
    RecordingMode,
    RecordingStatus,
    Role,
    RoomStatus,
    StreamKind,
)
from anyvideo.sim import Grant, ManualClock, SimEvent, Store, World
from anyvideo.sim.records import ParticipantRecord, RoomRecord


@pytest.fixture
def world(clock: ManualClock) -> Iterator[World]:
    world = World(clock=clock, processing_delay=2)
    yield world
    world.close()


def grant(world: World, room_id: str, identity: str = "ann", role: Role = Role.PUBLISHER, ttl: float = 3600) -> Grant:
    return Grant(room_id, identity, role, world.clock.now() + timedelta(seconds=ttl))


def join(world: World, room_id: str, identity: str = "ann", role: Role = Role.PUBLISHER) -> ParticipantRecord:
    return world.join(room_id, grant(world, room_id, identity, role))


def counting_ids() -> Callable[[str], str]:
    """Ids that are the same in every world built with a fresh factory."""
    counter = itertools.count(1)
    return lambda kind: f"{kind}-{next(counter)}"


def recorded_room(world: World, *, mode: RecordingMode = RecordingMode.COMPOSED, seconds: float = 30):
    """A room where ann publishes one stream and a recording runs for ``seconds``, then stops."""
    room = world.create_room("recorded")
    ann = join(world, room.id)
    stream = world.publish(ann.id)
    recording = world.start_recording(room.id, mode=mode)
    world.clock.advance(seconds)
    return room, stream, world.stop_recording(recording.id)


def available(world: World, recording_id: str):
    world.clock.advance(world.processing_delay.total_seconds())
    recording = world.get_recording(recording_id)
    assert recording.status is RecordingStatus.AVAILABLE
    return recording


# --- rooms -------------------------------------------------------------------


def test_a_new_room_is_open_from_now(world, clock):
    room = world.create_room("standup")
    assert (room.status, room.created_at, room.ended_at) == (RoomStatus.OPEN, clock.now(), None)
    assert world.get_room(room.id) == room


def test_a_second_open_room_with_the_same_name_is_a_conflict(world):
    world.create_room("standup")
    with pytest.raises(Conflict):
        world.create_room("standup")


def test_a_name_is_free_again_once_its_room_has_ended(world):
    first = world.create_room("standup")
    world.end_room(first.id)
    second = world.create_room("standup")
    assert second.id != first.id and second.status is RoomStatus.OPEN


def test_rooms_without_a_name_never_conflict(world):
    assert world.create_room().id != world.create_room().id


def test_find_room_prefers_the_open_room_over_an_ended_one(world):
    ended = world.create_room("standup")
    world.end_room(ended.id)
    current = world.create_room("standup")
    assert world.find_room("standup").id == current.id


def test_find_room_gives_the_newest_ended_room_when_none_is_open(world):
    for _ in range(2):
        last = world.end_room(world.create_room("standup").id)
    assert world.find_room("standup") == last


def test_find_room_for_a_name_never_used_is_not_found(world):
    world.create_room("standup")
    with pytest.raises(NotFound):
        world.find_room("retro")


def test_an_ended_room_cannot_be_ended_again(world):
    room = world.create_room()
    world.end_room(room.id)
    with pytest.raises(Conflict):
        world.end_room(room.id)


# --- joining -----------------------------------------------------------------


def test_a_grant_cannot_join_once_its_expiry_time_is_reached(world, clock):
    room = world.create_room()
    expiring = grant(world, room.id, ttl=60)
    clock.advance(60)
    with pytest.raises(AuthenticationError):
        world.join(room.id, expiring)


def test_a_grant_joins_until_just_before_its_expiry(world, clock):
    room = world.create_room()
    expiring = grant(world, room.id, ttl=60)
    clock.advance(59.999)
    assert world.join(room.id, expiring).status is ParticipantStatus.CONNECTED


def test_a_grant_for_another_room_is_forbidden(world):
    room, other = world.create_room(), world.create_room()
    with pytest.raises(Forbidden):
        world.join(room.id, grant(world, other.id))


def test_an_ended_room_cannot_be_joined(world):
    room = world.create_room()
    early = grant(world, room.id)
    world.end_room(room.id)
    with pytest.raises(Conflict):
        world.join(room.id, early)


def test_a_full_room_refuses_one_more_participant(world):
    room = world.create_room(max_participants=2)
    join(world, room.id, "ann")
    join(world, room.id, "bob")
    with pytest.raises(Conflict):
        join(world, room.id, "cat")
    assert [p.identity for p in world.participants(room.id)] == ["ann", "bob"]


def test_a_full_room_admits_again_once_someone_leaves(world):
    room = world.create_room(max_participants=1)
    world.leave(join(world, room.id, "ann").id)
    assert join(world, room.id, "bob").status is ParticipantStatus.CONNECTED


# --- publishing --------------------------------------------------------------


def test_a_subscriber_cannot_publish(world):
    room = world.create_room()
    viewer = join(world, room.id, role=Role.SUBSCRIBER)
    with pytest.raises(Forbidden):
        world.publish(viewer.id)
    assert list(world.streams(room.id)) == []


def test_a_publisheronly_participant_can_publish(world):
    room = world.create_room()
    camera = join(world, room.id, role=Role.PUBLISHER_ONLY)
    stream = world.publish(camera.id)
    assert [s.id for s in world.streams(room.id)] == [stream.id]


def test_a_participant_who_left_cannot_publish(world):
    room = world.create_room()
    ann = join(world, room.id)
    world.leave(ann.id)
    with pytest.raises(Conflict):
        world.publish(ann.id)


def test_leaving_unpublishes_only_the_leavers_streams(world):
    room = world.create_room()
    ann, bob = join(world, room.id, "ann"), join(world, room.id, "bob")
    world.publish(ann.id)
    world.publish(ann.id, StreamKind.AUDIO)
    kept = world.publish(bob.id)
    world.leave(ann.id)
    assert [s.id for s in world.streams(room.id)] == [kept.id]
    assert all(s.unpublished_at is not None for s in world.streams(room.id, published_only=False) if s.id != kept.id)


# --- ending a room -----------------------------------------------------------


def test_ending_a_room_disconnects_everyone(world):
    room = world.create_room()
    for identity in ("ann", "bob"):
        world.publish(join(world, room.id, identity).id)
    world.end_room(room.id)
    assert {p.status for p in world.participants(room.id)} == {ParticipantStatus.DISCONNECTED}
    assert list(world.streams(room.id)) == []


def test_ending_a_room_stops_its_recordings_into_processing(world, clock):
    room = world.create_room()
    world.publish(join(world, room.id).id)
    recording = world.start_recording(room.id)
    clock.advance(10)
    world.end_room(room.id)
    stopped = world.get_recording(recording.id)
    assert (stopped.status, stopped.stopped_at) == (RecordingStatus.PROCESSING, clock.now())


def test_ending_a_room_stops_its_live_compositions(world, clock):
    room = world.create_room()
    live = world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True)
    clock.advance(10)
    world.end_room(room.id)
    stopped = world.get_composition(live.id)
    assert (stopped.status, stopped.ended_at) == (CompositionStatus.STOPPED, clock.now())


def test_ending_a_room_emits_room_ended_after_everything_it_stopped(world):
    room = world.create_room()
    world.publish(join(world, room.id).id)
    world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True)
    seen: list[SimEvent] = []
    world.subscribe(seen.append)
    world.end_room(room.id)
    assert [e.type for e in seen] == ["stream.unpublished", "participant.left", "composition.ended", "room.ended"]
    assert seen[-1].subject.status is RoomStatus.ENDED


# --- recordings --------------------------------------------------------------


def test_a_stopped_recording_keeps_processing_until_the_clock_reaches_the_delay(world, clock):
    _, _, recording = recorded_room(world)
    assert recording.status is RecordingStatus.PROCESSING
    world.get_recording(recording.id)  # touching the world does not move time
    clock.advance(1.999)
    assert world.get_recording(recording.id).status is RecordingStatus.PROCESSING


def test_a_stopped_recording_is_available_exactly_at_the_delay(world, clock):
    _, _, recording = recorded_room(world)
    clock.advance(2)
    ready = world.get_recording(recording.id)
    assert (ready.status, ready.due_at) == (RecordingStatus.AVAILABLE, None)
    assert len(ready.files) == 1


def test_a_recording_is_available_when_listed_after_the_delay(world, clock):
    room, _, recording = recorded_room(world)
    clock.advance(2)
    assert [r.id for r in world.recordings(room_id=room.id, status=RecordingStatus.AVAILABLE)] == [recording.id]


def test_a_recording_cannot_start_in_an_ended_room(world):
    room = world.create_room()
    world.end_room(room.id)
    with pytest.raises(Conflict):
        world.start_recording(room.id)
    assert list(world.recordings()) == []


def test_stopping_a_recording_twice_is_a_conflict(world):
    _, _, recording = recorded_room(world)
    with pytest.raises(Conflict):
        world.stop_recording(recording.id)


def test_max_duration_stops_a_recording_at_its_due_time_even_when_observed_later(world, clock):
    room = world.create_room()
    world.publish(join(world, room.id).id)
    started = world.start_recording(room.id, max_duration=30)
    clock.advance(29)
    assert world.get_recording(started.id).status is RecordingStatus.RECORDING
    clock.advance(100)
    stopped = world.get_recording(started.id)
    assert stopped.stopped_at == started.started_at + timedelta(seconds=30)
    assert [seconds for _, seconds in stopped.sources] == [30.0]
    assert stopped.status is RecordingStatus.AVAILABLE  # processing ended 2 s after the auto-stop


def test_a_recording_past_its_max_duration_misses_streams_published_after_it(world, clock):
    room = world.create_room()
    early = world.publish(join(world, room.id, "ann").id)
    recording = world.start_recording(room.id, max_duration=30)
    clock.advance(60)
    world.publish(join(world, room.id, "bob").id)
    assert [sid for sid, _ in world.get_recording(recording.id).sources] == [early.id]


def test_an_individual_recording_has_one_file_per_captured_stream(world, clock):
    room = world.create_room()
    streams = [world.publish(join(world, room.id, who).id) for who in ("ann", "bob", "cat")]
    recording = world.start_recording(room.id, mode=RecordingMode.INDIVIDUAL)
    clock.advance(20)
    world.stop_recording(recording.id)
    ready = available(world, recording.id)
    assert [f.name for f in ready.files] == [f"{s.id}.sim" for s in streams]


def test_a_composed_recording_has_one_file(world, clock):
    room = world.create_room()
    for who in ("ann", "bob", "cat"):
        world.publish(join(world, room.id, who).id)
    recording = world.start_recording(room.id)
    clock.advance(20)
    world.stop_recording(recording.id)
    assert [f.name for f in available(world, recording.id).files] == [f"{recording.id}.sim"]


def test_streams_published_outside_the_window_are_not_captured(world, clock):
    room = world.create_room()
    ann = join(world, room.id)
    before = world.publish(ann.id)
    clock.advance(5)
    world.unpublish(before.id)
    inside = world.publish(ann.id)
    recording = world.start_recording(room.id, mode=RecordingMode.INDIVIDUAL)
    clock.advance(10)
    world.stop_recording(recording.id)
    world.publish(ann.id)  # after the window
    clock.advance(10)
    ready = available(world, recording.id)
    assert [sid for sid, _ in ready.sources] == [inside.id]
    assert [f.name for f in ready.files] == [f"{inside.id}.sim"]


def test_a_stream_joining_mid_window_is_captured_only_for_its_part(world, clock):
    room = world.create_room()
    world.publish(join(world, room.id, "ann").id)
    recording = world.start_recording(room.id, mode=RecordingMode.INDIVIDUAL)
    clock.advance(10)
    late = world.publish(join(world, room.id, "bob").id)
    clock.advance(20)
    sources = dict(world.stop_recording(recording.id).sources)
    assert sources[late.id] == 20.0 and len(sources) == 2


def test_an_audio_only_recording_ignores_video_only_streams(world, clock):
    room = world.create_room()
    ann = join(world, room.id)
    voice = world.publish(ann.id, StreamKind.AUDIO)
    world.publish(ann.id, StreamKind.VIDEO)
    world.publish(ann.id, StreamKind.DATA)
    recording = world.start_recording(room.id, has_video=False)
    clock.advance(10)
    assert [sid for sid, _ in world.stop_recording(recording.id).sources] == [voice.id]


# --- media -------------------------------------------------------------------


def test_media_bytes_hash_to_the_files_reported_sha256_and_size(world):
    _, _, recording = recorded_room(world, mode=RecordingMode.INDIVIDUAL)
    (file,) = available(world, recording.id).files
    data = world.media("recording", recording.id, file.name)
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (file.sha256, file.size)


def test_the_same_recording_made_in_two_worlds_has_the_same_bytes():
    def make() -> tuple[str, bytes]:
        world = World(clock=ManualClock(), ids=counting_ids(), processing_delay=2)
        try:
            _, _, recording = recorded_room(world)
            (file,) = available(world, recording.id).files
            return file.sha256, world.media("recording", recording.id, file.name)
        finally:
            world.close()

    first, second = make(), make()
    assert first == second


def test_a_longer_recording_has_a_larger_different_file():
    def file_of(seconds: float):
        world = World(clock=ManualClock(), ids=counting_ids(), processing_delay=0)
        try:
            _, _, recording = recorded_room(world, seconds=seconds)
            return available(world, recording.id).files[0]
        finally:
            world.close()

    short, long = file_of(10), file_of(20)
    assert short.sha256 != long.sha256 and long.size > short.size


def test_media_of_a_recording_still_processing_is_a_conflict(world):
    _, _, recording = recorded_room(world)
    with pytest.raises(Conflict):
        world.media("recording", recording.id, f"{recording.id}.sim")


def test_media_of_a_file_the_recording_does_not_have_is_not_found(world):
    _, _, recording = recorded_room(world)
    available(world, recording.id)
    with pytest.raises(NotFound):
        world.media("recording", recording.id, "other.sim")


# --- deleting recordings -----------------------------------------------------


def test_a_recording_cannot_be_deleted_while_recording(world):
    room = world.create_room()
    recording = world.start_recording(room.id)
    with pytest.raises(Conflict):
        world.delete_recording(recording.id)
    assert world.get_recording(recording.id).status is RecordingStatus.RECORDING


def test_a_deleted_recording_has_no_files_and_no_media(world):
    _, _, recording = recorded_room(world)
    name = available(world, recording.id).files[0].name
    deleted = world.delete_recording(recording.id)
    assert (deleted.status, deleted.files) == (RecordingStatus.DELETED, ())
    with pytest.raises(Conflict):
        world.media("recording", recording.id, name)


def test_a_recording_deleted_while_processing_never_becomes_available(world, clock):
    _, _, recording = recorded_room(world)
    world.delete_recording(recording.id)
    clock.advance(60)
    assert world.get_recording(recording.id).status is RecordingStatus.DELETED


def test_deleting_a_deleted_recording_is_not_found(world):
    _, _, recording = recorded_room(world)
    world.delete_recording(recording.id)
    with pytest.raises(NotFound):
        world.delete_recording(recording.id)


# --- compositions ------------------------------------------------------------


def test_a_file_composition_needs_an_available_recording(world):
    room, _, _ = recorded_room(world)  # still processing
    with pytest.raises(Conflict):
        world.start_composition(room.id, output=CompositionOutput.FILE)
    assert list(world.compositions()) == []


def test_a_file_composition_of_a_processing_recording_is_a_conflict(world):
    room, _, recording = recorded_room(world)
    with pytest.raises(Conflict):
        world.start_composition(room.id, output=CompositionOutput.FILE, recording_ids=[recording.id])


def test_a_file_composition_of_another_rooms_recording_is_a_conflict(world):
    _, _, recording = recorded_room(world)
    available(world, recording.id)
    other = world.create_room()
    with pytest.raises(Conflict):
        world.start_composition(other.id, output=CompositionOutput.FILE, recording_ids=[recording.id])


def test_a_file_composition_processes_until_the_delay(world, clock):
    room, _, recording = recorded_room(world)
    available(world, recording.id)
    composition = world.start_composition(room.id, output=CompositionOutput.FILE)
    clock.advance(1.999)
    assert world.get_composition(composition.id).status is CompositionStatus.PROCESSING
    assert composition.recording_ids == (recording.id,)


def test_a_file_composition_is_available_after_the_delay_with_one_file(world, clock):
    room, _, recording = recorded_room(world)
    available(world, recording.id)
    composition = world.start_composition(room.id, output=CompositionOutput.FILE)
    clock.advance(2)
    ready = world.get_composition(composition.id)
    assert ready.status is CompositionStatus.AVAILABLE
    (file,) = ready.files
    data = world.media("composition", composition.id, file.name)
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (file.sha256, file.size)


def test_a_file_composition_mixes_only_the_chosen_streams(world, clock):
    room = world.create_room()
    chosen, _ = (world.publish(join(world, room.id, who).id) for who in ("ann", "bob"))
    recording = world.start_recording(room.id)
    clock.advance(10)
    world.stop_recording(recording.id)
    available(world, recording.id)
    composition = world.start_composition(room.id, output=CompositionOutput.FILE, stream_ids=[chosen.id])
    assert [sid for sid, _ in composition.sources] == [chosen.id]


def test_a_file_composition_can_be_made_after_the_room_ended(world, clock):
    room, _, recording = recorded_room(world)
    world.end_room(room.id)
    available(world, recording.id)
    composition = world.start_composition(room.id, output=CompositionOutput.FILE)
    clock.advance(2)
    assert world.get_composition(composition.id).status is CompositionStatus.AVAILABLE


def test_a_file_composition_cannot_be_stopped(world):
    room, _, recording = recorded_room(world)
    available(world, recording.id)
    composition = world.start_composition(room.id, output=CompositionOutput.FILE)
    with pytest.raises(Conflict):
        world.stop_composition(composition.id)


def test_a_live_composition_is_live_until_stopped(world, clock):
    room = world.create_room()
    live = world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True)
    clock.advance(600)
    assert world.get_composition(live.id).status is CompositionStatus.LIVE
    stopped = world.stop_composition(live.id)
    assert (stopped.status, stopped.ended_at) == (CompositionStatus.STOPPED, clock.now())


def test_a_stopped_live_composition_cannot_be_stopped_again(world):
    room = world.create_room()
    live = world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True)
    world.stop_composition(live.id)
    with pytest.raises(Conflict):
        world.stop_composition(live.id)


def test_a_live_composition_stops_at_its_max_duration(world, clock):
    room = world.create_room()
    live = world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True, max_duration=60)
    clock.advance(500)
    stopped = world.get_composition(live.id)
    assert (stopped.status, stopped.ended_at) == (CompositionStatus.STOPPED, live.started_at + timedelta(seconds=60))


def test_a_live_composition_cannot_start_in_an_ended_room(world):
    room = world.create_room()
    world.end_room(room.id)
    with pytest.raises(Conflict):
        world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True)


def test_a_live_composition_cannot_be_deleted_while_live(world):
    room = world.create_room()
    live = world.start_composition(room.id, output=CompositionOutput.LIVE, hls=True)
    with pytest.raises(Conflict):
        world.delete_composition(live.id)


# --- signals -----------------------------------------------------------------


def test_a_signal_reaches_the_connected_participants_only(world):
    room = world.create_room()
    ann, bob, gone = (join(world, room.id, who) for who in ("ann", "bob", "gone"))
    world.leave(gone.id)
    signal = world.send_signal(room.id, "chat", "hello")
    assert set(signal.recipients) == {ann.id, bob.id}
    assert [s.data for s in world.signals_for(bob.id)] == ["hello"]
    assert world.signals_for(gone.id) == []


def test_a_signal_to_one_participant_reaches_only_them(world):
    room = world.create_room()
    ann, bob = join(world, room.id, "ann"), join(world, room.id, "bob")
    world.send_signal(room.id, "nudge", "psst", to=bob.id)
    assert ([s.data for s in world.signals_for(bob.id)], world.signals_for(ann.id)) == (["psst"], [])


def test_a_signal_to_a_participant_who_left_is_not_found(world):
    room = world.create_room()
    join(world, room.id, "ann")
    gone = join(world, room.id, "gone")
    world.leave(gone.id)
    with pytest.raises(NotFound):
        world.send_signal(room.id, "nudge", "psst", to=gone.id)


def test_a_signal_to_a_participant_of_another_room_is_not_found(world):
    room, other = world.create_room(), world.create_room()
    stranger = join(world, other.id)
    with pytest.raises(NotFound):
        world.send_signal(room.id, "nudge", "psst", to=stranger.id)


def test_a_signal_to_an_ended_room_is_a_conflict(world):
    room = world.create_room()
    world.end_room(room.id)
    with pytest.raises(Conflict):
        world.send_signal(room.id, "chat", "late")


# --- events ------------------------------------------------------------------


def test_events_come_in_the_order_things_happened_with_snapshots(world):
    seen: list[SimEvent] = []
    world.subscribe(seen.append)
    room = world.create_room()
    ann = join(world, room.id)
    stream = world.publish(ann.id)
    world.leave(ann.id)
    assert [e.type for e in seen] == [
        "room.started",
        "participant.joined",
        "stream.published",
        "stream.unpublished",
        "participant.left",
    ]
    assert [e.seq for e in seen] == sorted({e.seq for e in seen})
    joined, published, unpublished, left = seen[1:]
    assert (joined.subject.status, left.subject.status) == (ParticipantStatus.CONNECTED, ParticipantStatus.DISCONNECTED)
    assert published.subject.unpublished_at is None and unpublished.subject.unpublished_at is not None
    assert published.subject.id == unpublished.subject.id == stream.id


def test_listeners_hear_exactly_what_the_event_log_keeps(world):
    seen: list[SimEvent] = []
    world.subscribe(seen.append)
    _, _, recording = recorded_room(world)
    available(world, recording.id)
    assert seen == world.events()
    assert seen[-1].type == "recording.available"


def test_a_timed_event_carries_the_time_it_was_due_not_the_time_observed(world, clock):
    _, _, recording = recorded_room(world)
    clock.advance(100)
    (event,) = [e for e in world.events() if e.type == "recording.available"]
    assert event.occurred_at == recording.stopped_at + timedelta(seconds=2)


def test_a_listener_hears_of_a_change_only_once_it_is_committed(tmp_path: Path, clock):
    path = tmp_path / "world.db"
    world = World(Store(path), clock=clock, processing_delay=2)
    reader = sqlite3.connect(path)
    committed: list[tuple[str, str | None]] = []

    def listener(event: SimEvent) -> None:
        row = reader.execute(
            "SELECT status FROM records WHERE kind = ? AND id = ?", (event.subject.KIND, event.subject.id)
        ).fetchone()
        committed.append((str(event.subject.status), row and row[0]))

    world.subscribe(listener)
    try:
        room = world.create_room("standup")
        world.end_room(room.id)
    finally:
        world.close()
        reader.close()
    assert committed == [("open", "open"), ("ended", "ended")]


def test_an_operation_that_raises_delivers_no_events(world, clock):
    world.create_room("standup")
    _, _, recording = recorded_room(world)
    clock.advance(2)  # the recording is now due to become available
    seen: list[SimEvent] = []
    world.subscribe(seen.append)
    with pytest.raises(Conflict):
        world.create_room("standup")
    assert seen == []


def test_a_timed_change_rolled_back_with_a_failed_operation_happens_once_later(world, clock):
    world.create_room("standup")
    _, _, recording = recorded_room(world)
    clock.advance(2)
    with pytest.raises(Conflict):
        world.create_room("standup")
    seen: list[SimEvent] = []
    world.subscribe(seen.append)
    assert world.get_recording(recording.id).status is RecordingStatus.AVAILABLE
    assert [e.type for e in seen] == ["recording.available"]
    assert [e.type for e in world.events()].count("recording.available") == 1


def test_the_event_log_returns_every_event_not_only_the_first_thousand(world):
    for _ in range(1001):
        world.create_room()
    assert len(world.events()) == 1001


# --- listing -----------------------------------------------------------------


def test_listing_spans_pages_in_creation_order(world):
    created = [world.create_room(f"room-{n}").id for n in range(250)]
    assert [r.id for r in world.rooms()] == created


def test_listing_is_lazy_and_sees_rooms_created_while_iterating(world):
    created = [world.create_room().id for _ in range(150)]
    rooms = world.rooms()
    first = next(rooms)
    created.append(world.create_room().id)  # lands on the second page, not yet fetched
    assert [first.id, *(r.id for r in rooms)] == created


def test_an_ended_room_keeps_its_place_in_listings(world):
    created = [world.create_room().id for _ in range(3)]
    world.end_room(created[0])
    assert [r.id for r in world.rooms()] == created


def test_listing_filters_by_status(world):
    rooms = [world.create_room() for _ in range(3)]
    world.end_room(rooms[1].id)
    assert [r.id for r in world.rooms(status=RoomStatus.OPEN)] == [rooms[0].id, rooms[2].id]
    assert [r.id for r in world.rooms(status=RoomStatus.ENDED)] == [rooms[1].id]


def test_listing_participants_of_an_unknown_room_is_not_found(world):
    with pytest.raises(NotFound):
        world.participants("rm_nope")


def test_records_survive_in_the_store_as_equal_snapshots(world):
    room = world.create_room("standup", max_participants=3, options={"region": "eu"})
    assert world.store.get(RoomRecord, room.id) == room


def test_a_failing_listener_does_not_keep_events_from_the_others(world):
    def failing(event: SimEvent) -> None:
        raise RuntimeError(f"listener broke on {event.type}")

    seen: list[SimEvent] = []
    world.subscribe(failing)
    world.subscribe(seen.append)
    with pytest.raises(RuntimeError, match="room.started"):
        room = world.create_room("standup")
    room = world.find_room("standup")
    assert room.status is RoomStatus.OPEN
    assert [e.type for e in seen] == ["room.started"]


def test_every_listener_failure_of_one_change_is_raised_together(world):
    room = world.create_room("standup")
    join(world, room.id)
    failures: list[str] = []

    def failing(event: SimEvent) -> None:
        failures.append(event.type)
        raise RuntimeError(event.type)

    world.subscribe(failing)
    with pytest.raises(ExceptionGroup) as caught:
        world.end_room(room.id)
    assert [str(e) for e in caught.value.exceptions] == failures == ["participant.left", "room.ended"]


def test_the_store_settles_what_became_due_without_looking_while_nothing_changes(clock):
    store = Store()
    world = World(store, clock=clock, processing_delay=2)
    _, _, recording = recorded_room(world)  # stopped: due to become available in 2 s
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        assert store.due(clock.now()) == []
        looked = len(statements)
        assert store.due(clock.now()) == [] and len(statements) == looked  # no change since: no query
        clock.advance(2)
        assert [r.id for r in store.due(clock.now())] == [recording.id]  # its due time came
        world.create_room("another")  # a change settles what is due first
        assert world.get_recording(recording.id).status is RecordingStatus.AVAILABLE
        statements.clear()
        assert store.due(clock.now()) == [] and not statements  # nothing it wrote is due: no query
    finally:
        world.close()
    assert recording.due_at == recording.stopped_at + timedelta(seconds=2)


def test_a_record_saved_due_in_the_past_is_due_at_once(clock, world):
    _, _, recording = recorded_room(world)
    world.store.due(clock.now())  # nothing due yet, noted
    overdue = attrs.evolve(recording, due_at=clock.now() - timedelta(seconds=1))
    with world.store.transaction():
        world.store.put(overdue)
    assert [r.id for r in world.store.due(clock.now())] == [recording.id]
