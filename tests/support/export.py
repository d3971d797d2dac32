"""Helpers of the export tests: seeding a local account, reading back what an export stored."""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyvideo
from anyvideo import Room, Video
from anyvideo.migrate.destinations import Destination
from anyvideo.models import StreamKind
from anyvideo.sim import ManualClock

#: Seconds a stopped recording of the seeded account takes to process.
PROCESSING = 60


@dataclass
class Account:
    """What the seeding made: the refs expected in an export, and those it must skip (ref → why)."""

    db: Path
    clock: ManualClock
    copyable: set[str] = field(default_factory=set)
    uncopyable: dict[str, str] = field(default_factory=dict)
    room_ids: list[str] = field(default_factory=list)

    def connect(self) -> Video:
        return anyvideo.connect("local", db=self.db, clock=self.clock, processing_delay=PROCESSING, environ={})


def seed(account: Account, video: Video, *, rooms: int, seconds: float = 20, compose_every: int = 4) -> None:
    """``rooms`` meetings, each recorded once (every third individually, two streams), every
    ``compose_every``-th also composed; the clock then moves on so all of it is available."""
    browser = video.backend.browser()
    composed = []
    for i in range(rooms):
        room = video.rooms.create(f"meeting-{uuid.uuid4().hex[:8]}")
        account.room_ids.append(room.id)
        people = [browser.join(video.tokens.create(room, name)) for name in ("ann", "bob")]
        for person in people:
            person.publish()
        recording = video.recordings.start(room, mode="individual" if i % 3 == 0 else "composed")
        account.clock.advance(seconds + i % 7)
        video.recordings.stop(recording)
        account.copyable.add(f"recordings/{recording.ref}")
        for person in people:
            person.leave()
        video.rooms.end(room)
        if i % compose_every == 0:
            composed.append(room)
    account.clock.advance(PROCESSING + 1)
    for room in composed:
        account.copyable.add(f"compositions/{video.compositions.start(room).ref}")
    account.clock.advance(PROCESSING + 1)


def seed_uncopyable(account: Account, video: Video) -> None:
    """One asset of each kind the local platform cannot hand over: recording, processing,
    deleted, and an individual recording of nobody (available, with no file)."""
    browser = video.backend.browser()
    room = video.rooms.create("odd-cases")
    ann = browser.join(video.tokens.create(room, "ann"))
    gone = video.recordings.stop(video.recordings.start(room))
    empty = video.recordings.stop(video.recordings.start(room, mode="individual"))
    ann.publish()
    account.clock.advance(PROCESSING + 1)
    video.recordings.delete(gone)
    running = video.recordings.start(room, name="still running")
    processing = video.recordings.stop(video.recordings.start(room, mode="individual"))
    account.uncopyable.update(
        {
            f"recordings/{gone.ref}": "deleted",
            f"recordings/{empty.ref}": "no file",
            f"recordings/{running.ref}": "recording",
            f"recordings/{processing.ref}": "processing",
        }
    )


def contents(destination: Destination) -> dict[str, str]:
    """Every stored key but the journal, with the sha256 of its bytes."""
    found = {}
    for key in destination.keys():
        if key != "manifest.jsonl":
            digest = hashlib.sha256()
            for chunk in destination.read(key) or ():
                digest.update(chunk)
            found[key] = digest.hexdigest()
    return found


def asset_keys(destination: Destination) -> list[str]:
    """``<kind>/<provider>:<id>`` of every asset folder with an asset.json (a list: duplicates would show)."""
    keys = []
    for key in destination.keys():
        parts = key.split("/")
        if len(parts) == 4 and parts[3] == "asset.json":
            keys.append(f"{parts[0]}/{parts[1]}:{parts[2]}")
    return keys


def seed_vonage(video: Video, control: Any, archives: int, *, sessions: int = 8) -> set[str]:
    """``archives`` archives over ``sessions`` sessions, each with a publishing browser, made through
    anyvideo and the emulator's control API in parallel; then the clock moves so all are available."""
    browser = video.backend.browser()

    def session(index: int) -> list[str]:
        room = video.rooms.create(f"vonage-{index}-{uuid.uuid4().hex[:6]}")
        browser.join(video.tokens.create(room, "ann")).publish()
        count = archives // sessions + (index < archives % sessions)
        return [f"recordings/{video.recordings.stop(video.recordings.start(room)).ref}" for _ in range(count)]

    with ThreadPoolExecutor(sessions) as pool:
        made = {key for keys in pool.map(session, range(sessions)) for key in keys}
    control.advance(60)
    return made


def seed_twilio(video: Video, control: Any, recordings: int, compositions: int, *, rooms: int = 10) -> set[str]:
    """``recordings`` track recordings (a browser publishes and unpublishes an audio track in rooms
    that record everyone) and ``compositions`` file compositions of those rooms, all available."""
    browser = video.backend.browser()

    def room(index: int) -> Room:
        name = f"twilio-{index}-{uuid.uuid4().hex[:6]}"
        made = video.rooms.create(name, provider_options={"record_participants_on_connect": True})
        ann = browser.join(video.tokens.create(made, "ann"))
        for _ in range(recordings // rooms + (index < recordings % rooms)):
            ann.unpublish(ann.publish(StreamKind.AUDIO))
        ann.leave()
        video.rooms.end(made)
        return made

    with ThreadPoolExecutor(8) as pool:
        ended = list(pool.map(room, range(rooms)))
    control.advance(60)
    made = {f"recordings/{r.ref}" for r in video.recordings.list()}
    assert len(made) == recordings
    made |= {f"compositions/{video.compositions.start(ended[i % rooms]).ref}" for i in range(compositions)}
    control.advance(60)
    return made
