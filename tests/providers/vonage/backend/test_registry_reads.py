"""What the Vonage backend reads from its registry per operation: a listing reads what it knows of
its items in one statement (per page), not one per item."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from anyvideo import Layout, Region, Video


@contextmanager
def selects(video: Video) -> Iterator[list[str]]:
    """The SELECT statements the backend's registry runs inside the block."""
    statements: list[str] = []
    db = video.backend.registry._db
    db.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        db.set_trace_callback(None)
    statements[:] = [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_listing_streams_reads_the_registry_once_however_many_streams(video, browser, room) -> None:
    publishers = [browser.join(video.tokens.create(room, name)) for name in ("ann", "bob", "cy")]
    stream_ids = {client.publish(name=f"cam-{i}") for i, client in enumerate(publishers)}
    video.streams.mute(room, sorted(stream_ids)[0])
    with selects(video) as read:
        streams = list(video.streams.list(room))
    assert {s.id for s in streams} == stream_ids and len(read) == 1
    assert [s.audio_muted for s in streams].count(True) == 1  # what the registry knows still comes back


def test_listing_participants_reads_the_registry_once_however_many_participants(video, browser, room) -> None:
    for name in ("ann", "bob", "cy", "di"):
        browser.join(video.tokens.create(room, name))
    with selects(video) as first:
        listed = [p.id for p in video.participants.list(room)]
    assert len(listed) == 4 and len(first) == 2  # the room's filed connections, then again once the new are filed
    with selects(video) as read:
        assert [p.id for p in video.participants.list(room)] == listed
    assert len(read) == 1  # the room's connections, in the order first seen: each listed one filed as it is


def test_making_a_room_without_a_name_writes_one_statement(video) -> None:
    statements: list[str] = []
    db = video.backend.registry._db
    db.set_trace_callback(statements.append)
    try:
        video.rooms.create()
    finally:
        db.set_trace_callback(None)
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and "INSERT" in writes[0].upper()  # no transaction of its own: nothing to check


def test_listing_recordings_reads_their_layouts_once_per_page(connect_vonage, browser) -> None:
    video = connect_vonage(page_size=2)
    room = video.rooms.create("listed")
    browser.join(video.tokens.create(room, "cam")).publish()
    custom = Layout.custom([Region("all", 0, 0, 1, 1)])
    made = [video.recordings.stop(video.recordings.start(room, layout=layout)) for layout in (custom, None, None)]
    with selects(video) as read:
        listed = list(video.recordings.list(room=room))
    assert [r.id for r in listed] == [r.id for r in made] and [r.layout for r in listed] == [r.layout for r in made]
    assert len(read) == 2  # two pages (2 + 1), one read each


def test_a_recording_whose_layout_places_no_stream_is_filed_once_and_read_once_to_stop(video, browser, room) -> None:
    browser.join(video.tokens.create(room, "cam")).publish()
    statements: list[str] = []
    db = video.backend.registry._db
    db.set_trace_callback(statements.append)
    try:
        video.recordings.stop(video.recordings.start(room))
    finally:
        db.set_trace_callback(None)
    writes = [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN")]
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1  # the archive's layout; no placing to file or forget
    assert len(reads) <= 2  # whether the room ended (once the registry changed); the layout, to stop
