"""Listing 20,000 recordings through anyvideo, page by page: the iterator holds
one page at a time, so memory stays bounded whatever the account holds."""

from __future__ import annotations

import gc
import time
import tracemalloc

from twilio.rest.video.v1.recording import RecordingInstance
from twilio.rest.video.v1.room.room_recording import RoomRecordingInstance

from anyvideo import RecordingMode, RecordingStatus, StreamKind
from anyvideo.sim.records import RecordingRecord
from anyvideo_twilio.emulator import sids
from anyvideo_twilio.emulator.state import RecordingExtra

COUNT = 20_000
PAGE = 100  # Twilio's largest page of recordings


def seed(emulator, room_sid: str, track_sid: str, count: int) -> None:
    """Completed track recordings of one track, straight into the emulator's state (not through the SDK)."""
    now = emulator.clock.now()
    with emulator.world.store.transaction():
        for _ in range(count):
            sid = sids.new_sid("RT")
            emulator.world.store.put(
                RecordingRecord(
                    id=sid,
                    room_id=room_sid,
                    mode=RecordingMode.INDIVIDUAL,
                    status=RecordingStatus.AVAILABLE,
                    started_at=now,
                    stopped_at=now,
                    has_video=False,
                    stream_ids=(track_sid,),
                )
            )
            emulator.state.recordings[sid] = RecordingExtra(settings=emulator.state.settings["recording"])


def live(cls: type) -> int:
    """How many ``cls`` objects are alive in this process now."""
    gc.collect()
    return sum(1 for item in gc.get_objects() if type(item) is cls)


def test_twenty_thousand_recordings_are_listed_page_by_page_holding_one_page(video, room, join, emulator):
    track = join(room, "ann").publish(StreamKind.AUDIO)
    seed(emulator, room.id, track, COUNT)
    backend = video.backend
    sent, started = backend.requests_sent, time.perf_counter()

    listed, most_fetched_ahead, most_held = 0, 0, 0
    for recording in video.recordings.list():
        listed += 1
        assert recording.mode is RecordingMode.INDIVIDUAL and recording.status is RecordingStatus.AVAILABLE
        # Pages are fetched as the iteration reaches them, never ahead of it.
        pages = backend.requests_sent - sent
        most_fetched_ahead = max(most_fetched_ahead, pages - (listed - 1) // PAGE)
        if listed % 5_000 == 2_500:  # mid-page: the SDK made no instance of a record (its JSON is read)
            most_held = max(most_held, live(RecordingInstance), live(RoomRecordingInstance))
    elapsed = time.perf_counter() - started

    pages = backend.requests_sent - sent
    assert listed == COUNT
    assert pages == COUNT // PAGE
    assert most_fetched_ahead == 1
    assert most_held == 0  # what is held is the page's JSON: memory stays flat (the test below)
    print(f"listed {listed:,} recordings in {pages} pages in {elapsed:.1f}s; at most {most_held} held")


def test_a_slice_of_the_listing_keeps_memory_flat(video, room, join, emulator):
    """tracemalloc (slow, so over 3,000 of them): the peak after 30 pages is about the peak after 3."""
    track = join(room, "ann").publish(StreamKind.AUDIO)
    seed(emulator, room.id, track, 3_000)
    listing = video.recordings.list()
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            next(listing)
        early = tracemalloc.get_traced_memory()[1] - baseline
        for _ in listing:
            pass
        late = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    held = 3_000 * 1_000  # what 3,000 listed recordings held at once would take, at a kilobyte each (far more, really)
    print(f"tracemalloc peak after 300 recordings {early:,} bytes, after 3,000 {late:,} bytes")
    assert late < early * 1.5 + 200_000 and late < held, (early, late)
