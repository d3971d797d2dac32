"""Listing an account's track recordings page by page costs about a page each:
the emulator must not read every recording of the account to answer one page
(it did: paging through a large account was quadratic)."""

from __future__ import annotations

from typing import Any

from anyvideo.models import RecordingMode, RecordingStatus, StreamKind
from anyvideo.sim.records import RecordingRecord
from anyvideo_twilio.emulator import sids
from anyvideo_twilio.emulator.state import RecordingExtra


class CountingStore:
    """The world's store, counting the records it decodes for a listing."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.records_read = 0

    def get(self, cls: Any, record_id: str) -> Any:
        self.records_read += 1
        return self._store.get(cls, record_id)

    def select(self, *args: Any, **kwargs: Any) -> Any:
        rows = self._store.select(*args, **kwargs)
        self.records_read += len(rows)
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def seed(server: Any, room_sid: str, track_sid: str, count: int) -> list[str]:
    """``count`` completed track recordings of one track, straight into the emulator's state."""
    made = []
    with server.world.store.transaction():
        for _ in range(count):
            sid = sids.new_sid("RT")
            server.world.store.put(
                RecordingRecord(
                    id=sid,
                    room_id=room_sid,
                    mode=RecordingMode.INDIVIDUAL,
                    status=RecordingStatus.AVAILABLE,
                    started_at=server.clock.now(),
                    stopped_at=server.clock.now(),
                    has_video=False,
                    stream_ids=(track_sid,),
                )
            )
            server.state.recordings[sid] = RecordingExtra(settings=server.state.settings["recording"])
            made.append(sid)
    return made


def test_a_page_of_recordings_reads_about_a_page_of_records(twilio_server, twilio_video, twilio_join):
    room = twilio_video.rooms.create(unique_name="big")
    track = twilio_join("big", "ann").publish(StreamKind.AUDIO)
    made = seed(twilio_server, room.sid, track, 2000)
    counting = CountingStore(twilio_server.world.store)
    twilio_server.world.store = counting

    page = twilio_video.recordings.page(page_size=50)
    for _ in range(20):  # well into the account
        page = page.next_page()
    counting.records_read = 0
    page = page.next_page()

    assert [r.sid for r in page] == made[1050:1100]
    assert counting.records_read < 300  # the page's 50, their tracks and rooms; not the account's 2000


def test_paging_forward_and_back_with_filters_sees_every_recording_once(twilio_server, twilio_video, twilio_join):
    room = twilio_video.rooms.create(unique_name="big")
    track = twilio_join("big", "ann").publish(StreamKind.AUDIO)
    made = seed(twilio_server, room.sid, track, 230)
    twilio_video.recordings(made[5]).delete()

    seen = [r.sid for r in twilio_video.recordings.stream(grouping_sid=[room.sid], page_size=100)]
    assert seen == made[:5] + made[6:]
    last = twilio_video.recordings.page(page_size=100).next_page().next_page()
    assert [r.sid for r in last] == made[201:]
    assert last.next_page() is None
    assert [r.sid for r in last.previous_page()] == made[101:201]
    assert [r.sid for r in twilio_video.recordings.list(status="deleted")] == [made[5]]
