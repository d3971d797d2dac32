"""Soak: 2,000 mixed operations through anyvideo against the Vonage emulator, while a fixed
schedule of faults hits 10% of the requests: 429, 500, 503, dropped connections, lost answers
(the provider did the work, the answer never came) and late landings (the provider does the
work only after the client gave up and sent its repeat), on every kind of create (sessions,
archives, broadcasts, Experience Composers) and on everything else.

The schedule faults the same request numbers on every run, so the fault mix is asserted exactly.
Retries do not wait for the provider: nothing but anyvideo's reconciling keeps a late landing
from leaving a second archive, broadcast or render running. Afterwards the emulator's world must
hold every object an operation acknowledged (none lost) and nothing running that none did (no
duplicates). Everything logged at DEBUG, and every error message raised, must be free of keys,
tokens and secrets. The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import collections
import logging
import random
import re
import threading
import time
from collections.abc import Callable

import attrs

from anyvideo import AnyVideoError, CompositionStatus, Layout, RecordingStatus, Video
from anyvideo.retry import RetryEvent, RetryPolicy
from anyvideo.testing import Emulator
from anyvideo.testing.faults import Fault
from anyvideo_vonage.extensions import RenderSpec

OPERATIONS = 2000
WORKERS = 4
SEED = 2026
#: Only a late landing waits this long (the emulator holds its answer); everything else answers at once.
READ_TIMEOUT = 0.25
SIGNATURE_SECRET = "soak-signature-secret-0123456789abcdef"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

#: Late landings: before the repeat is handled (it finds the work done), or after it was answered.
LATE, LATER, LOST = Fault(late=1), Fault(late=2), Fault(lost=True)
LIMITED, E500, E503, DROP = Fault(status=429, retry_after=0), Fault(status=500), Fault(status=503), Fault(drop=True)
#: Per path: how many of its first ``over`` requests get each fault. The first rule a request matches
#: decides; each ``over`` is below what a run sends there, so every scheduled fault is injected.
SCHEDULE = [
    (r"/session/create$", "POST", 120, {LATE: 10, LOST: 10, LIMITED: 3, E500: 2, E503: 2, DROP: 2}),
    (r"/archive$", "POST", 100, {LATE: 5, LATER: 5, LOST: 10, LIMITED: 2, E500: 2, E503: 2, DROP: 2}),
    (r"/broadcast$", "POST", 70, {LATE: 4, LATER: 4, LOST: 8, LIMITED: 2, E500: 2, E503: 2, DROP: 2}),
    (r"/render$", "POST", 40, {LATE: 3, LATER: 2, LOST: 5, LIMITED: 1, E500: 1, E503: 1, DROP: 1}),
    ("", None, 1500, {LATE: 25, LOST: 25, LIMITED: 30, E500: 25, E503: 25, DROP: 25}),
]
EXPECTED = collections.Counter[str]()
for *_, _counts in SCHEDULE:
    for _fault, _count in _counts.items():
        EXPECTED[_fault.kind] += _count


@attrs.define
class RoomState:
    id: str
    streams: list[str] = attrs.Factory(list)
    participants: list[str] = attrs.Factory(list)
    archive: str | None = None
    broadcast: str | None = None
    render: str | None = None
    ended: bool = False


@attrs.define
class Tally:
    """What the workers did, shared under a lock."""

    lock: threading.Lock = attrs.Factory(threading.Lock)
    done: collections.Counter[str] = attrs.Factory(collections.Counter)
    errors: collections.Counter[str] = attrs.Factory(collections.Counter)
    foreign: list[BaseException] = attrs.Factory(list)  # anything that is not an anyvideo error
    messages: list[str] = attrs.Factory(list)
    acknowledged: dict[str, set[str]] = attrs.Factory(
        lambda: {"room": set(), "archive": set(), "broadcast": set(), "render": set()}
    )
    failed_creates: collections.Counter[tuple[str, str]] = attrs.Factory(collections.Counter)
    tokens: list[str] = attrs.Factory(list)
    retries: list[RetryEvent] = attrs.Factory(list)


class Worker:
    """One thread's share of the operations, on rooms of its own."""

    def __init__(self, index: int, video: Video, emulator: Emulator, tally: Tally) -> None:
        self.random = random.Random(SEED + index)
        self.video, self.emulator, self.tally = video, emulator, tally
        self.browser = video.backend.browser()
        self.rooms: list[RoomState] = []
        self.index = index
        self.operations: list[tuple[int, Callable[[], bool]]] = [
            (8, self.create_room),
            (8, self.join),
            (10, self.list_streams),
            (5, self.get_room),
            (7, self.list_participants),
            (2, self.list_rooms),
            (8, self.start_recording),
            (6, self.stop_recording),
            (5, self.get_recording),
            (3, self.list_recordings),
            (3, self.change_recording_layout),
            (5, self.start_composition),
            (4, self.stop_composition),
            (4, self.get_composition),
            (3, self.start_render),
            (2, self.stop_render),
            (5, self.signal),
            (4, self.mute),
            (3, self.disconnect),
            (2, self.end_room),
        ]

    def run(self, count: int) -> None:
        weights = [w for w, _ in self.operations]
        done = 0
        while done < count:
            (_, operation), *_ = self.random.choices(self.operations, weights)
            try:
                ran = operation()
            except AnyVideoError as exc:
                ran = True
                with self.tally.lock:
                    self.tally.errors[f"{operation.__name__}: {type(exc).__name__}"] += 1
                    self.tally.messages.append(str(exc))
            except Exception as exc:  # the point of the soak: there must be none
                ran = True
                with self.tally.lock:
                    self.tally.foreign.append(exc)
            if ran:
                done += 1
                with self.tally.lock:
                    self.tally.done[operation.__name__] += 1

    # --- helpers -------------------------------------------------------------

    def _room(self, *, live: bool = False) -> RoomState | None:
        rooms = [r for r in self.rooms if not r.ended and (r.streams or not live)]
        return self.random.choice(rooms) if rooms else None

    def _create(self, kind: str, room_id: str, make: Callable[[], str]) -> str:
        try:
            made = make()
        except AnyVideoError:
            with self.tally.lock:
                self.tally.failed_creates[(kind, room_id)] += 1
            raise
        with self.tally.lock:
            self.tally.acknowledged[kind].add(made)
        return made

    # --- the operations (False: nothing to do it on yet) ------------------------

    def create_room(self) -> bool:
        name = f"w{self.index}-{len(self.rooms)}" if self.random.random() < 0.5 else None
        try:
            room = self.video.rooms.create(name)
        except AnyVideoError:
            with self.tally.lock:
                self.tally.failed_creates[("room", "")] += 1
            raise
        with self.tally.lock:
            self.tally.acknowledged["room"].add(room.id)
        self.rooms.append(RoomState(room.id))
        return True

    def join(self) -> bool:
        room = self._room()
        if room is None:
            return False
        token = self.video.tokens.create(room.id, f"user-{len(room.participants)}", role="moderator")
        with self.tally.lock:
            self.tally.tokens.append(token.token)
        client = self.browser.join(token)  # the control API: never faulted
        room.participants.append(client.participant_id)
        room.streams.append(client.publish())
        return True

    def list_streams(self) -> bool:
        room = self._room()
        if room is None:
            return False
        list(self.video.streams.list(room.id))
        return True

    def get_room(self) -> bool:
        room = self._room()
        if room is None:
            return False
        self.video.rooms.get(room.id)
        return True

    def list_participants(self) -> bool:
        room = self._room()
        if room is None:
            return False
        list(self.video.participants.list(room.id))
        return True

    def list_rooms(self) -> bool:
        list(self.video.rooms.list())
        return True

    def start_recording(self) -> bool:
        room = self._room(live=True)
        if room is None or room.archive is not None:
            return False
        room.archive = self._create("archive", room.id, lambda: self.video.recordings.start(room.id).id)
        return True

    def stop_recording(self) -> bool:
        room = next((r for r in self.rooms if r.archive), None)
        if room is None:
            return False
        archive, room.archive = room.archive, None
        self.video.recordings.stop(archive)
        return True

    def get_recording(self) -> bool:
        if not self.tally.acknowledged["archive"]:
            return False
        with self.tally.lock:
            archive = self.random.choice(sorted(self.tally.acknowledged["archive"]))
        self.video.recordings.get(archive)
        return True

    def list_recordings(self) -> bool:
        room = self._room()
        if room is None:
            return False
        list(self.video.recordings.list(room=room.id))
        return True

    def change_recording_layout(self) -> bool:
        room = next((r for r in self.rooms if r.archive), None)
        if room is None:
            return False
        self.video.ext.change_recording_layout(room.archive, Layout.pip())
        return True

    def start_composition(self) -> bool:
        room = self._room(live=True)
        if room is None or room.broadcast is not None:
            return False
        start = lambda: self.video.compositions.start(room.id, output="live", hls=True).id  # noqa: E731
        room.broadcast = self._create("broadcast", room.id, start)
        return True

    def stop_composition(self) -> bool:
        room = next((r for r in self.rooms if r.broadcast), None)
        if room is None:
            return False
        broadcast, room.broadcast = room.broadcast, None
        self.video.compositions.stop(broadcast)
        return True

    def get_composition(self) -> bool:
        if not self.tally.acknowledged["broadcast"]:
            return False
        with self.tally.lock:
            broadcast = self.random.choice(sorted(self.tally.acknowledged["broadcast"]))
        self.video.compositions.get(broadcast)
        return True

    def start_render(self) -> bool:
        room = self._room()
        if room is None or room.render is not None:
            return False
        spec = RenderSpec(url=f"https://example.com/{room.id[-8:]}")
        room.render = self._create("render", room.id, lambda: self.video.ext.start_render(room.id, spec).id)
        return True

    def stop_render(self) -> bool:
        room = next((r for r in self.rooms if r.render), None)
        if room is None:
            return False
        render, room.render = room.render, None
        self.video.ext.stop_render(render)
        return True

    def signal(self) -> bool:
        room = self._room(live=True)
        if room is None:
            return False
        self.video.signals.send(room.id, "chat", "hello")
        return True

    def mute(self) -> bool:
        room = self._room(live=True)
        if room is None:
            return False
        self.video.streams.mute(room.id, self.random.choice(room.streams))
        return True

    def disconnect(self) -> bool:
        room = self._room(live=True)
        if room is None or len(room.participants) < 2:
            return False
        participant = room.participants.pop(0)
        room.streams.pop(0)
        self.video.participants.disconnect(room.id, participant)
        return True

    def end_room(self) -> bool:
        room = self._room()
        if room is None or len(self.rooms) < 4:
            return False
        room.ended = True  # whatever the answer: the worker leaves it alone from now on
        self.video.rooms.end(room.id)
        return True


def test_soak(connect_vonage, vonage_emulator, caplog) -> None:
    tally = Tally()

    def on_retry(event: RetryEvent) -> None:
        with tally.lock:
            tally.retries.append(event)

    video = connect_vonage(
        retries=RetryPolicy(attempts=5, initial=0.001, maximum=0.005, on_retry=on_retry),
        timeout=(5, READ_TIMEOUT),
        signature_secret=SIGNATURE_SECRET,
    )
    for path, method, over, counts in SCHEDULE:
        vonage_emulator.faults.schedule(counts, over=over, path=path, method=method, seed=SEED)
    caplog.set_level(logging.DEBUG)
    workers = [Worker(i, video, vonage_emulator, tally) for i in range(WORKERS)]
    threads = [threading.Thread(target=w.run, args=(OPERATIONS // WORKERS,)) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    schedule = vonage_emulator.faults.describe()
    vonage_emulator.faults.clear()
    vonage_emulator.faults.land()  # what is still held lands now: a duplicate it makes is left, and counted

    world = vonage_emulator.world
    running = {
        "archive": {r.id for r in world.recordings() if r.status is RecordingStatus.RECORDING},
        "broadcast": {c.id for c in world.compositions() if c.status is CompositionStatus.LIVE},
        "render": {r.id for r in vonage_emulator.state.renders.values() if r.status == "started"},
    }
    made = {
        "room": {r.id for r in world.rooms()},
        "archive": {r.id for r in world.recordings()},
        "broadcast": {c.id for c in world.compositions()},
        "render": set(vonage_emulator.state.renders),
    }
    ack = tally.acknowledged
    missing = {kind: len(ack[kind] - made[kind]) for kind in ack}
    duplicates_left = {kind: len(ids - ack[kind]) for kind, ids in running.items()}
    unused_sessions = len(made["room"] - ack["room"])
    injected = collections.Counter(f.kind for _, _, f in vonage_emulator.faults.injected)
    retried = collections.Counter(type(e.error).__name__ for e in tally.retries)
    retry_lines = [r.getMessage() for r in caplog.records if r.name == "anyvideo.retry"]
    removed = [line for line in retry_lines if "duplicate" in line]
    # requests answered (urllib3 logs each answer it read), plus those that never got one
    answered = sum(1 for r in caplog.records if _provider_answer(r))
    unanswered = injected["drop"] + injected["lost answer"] + injected["late landing"]
    requests = answered + unanswered
    print(
        f"\nVonage soak: {sum(tally.done.values())} operations by {WORKERS} threads in {elapsed:.1f} s, "
        f"{requests} requests to the provider",
        f"\n  faults injected: {sum(injected.values())} ({sum(injected.values()) / requests:.1%}) "
        f"{dict(sorted(injected.items()))}",
        f"\n  lost answers {injected['lost answer'] / requests:.1%}, late landings "
        f"{injected['late landing'] / requests:.1%} of requests",
        f"\n  retries: {len(tally.retries)} {dict(sorted(retried.items()))}; creates adopted after a lost answer: "
        f"{sum(1 for line in retry_lines if 'adopting' in line)}",
        f"\n  duplicates found and removed: {len(removed)}",
        f"\n  errors raised: {sum(tally.errors.values())} {dict(sorted(tally.errors.items()))}; other exceptions: "
        f"{len(tally.foreign)}",
        f"\n  acknowledged: { {kind: len(ids) for kind, ids in ack.items()} }",
        f"\n  acknowledged but missing: {missing}",
        f"\n  duplicates left running: {duplicates_left}",
        f"\n  sessions no operation acknowledged (never joined, nothing running in them): {unused_sessions}",
        f"\n  operations: {dict(sorted(tally.done.items()))}",
    )

    assert not tally.foreign, tally.foreign[:3]
    assert sum(tally.done.values()) == OPERATIONS
    assert all(rule["seen"] >= rule["over"] for rule in schedule["rules"]), schedule  # every fault was injected
    assert injected == EXPECTED
    assert injected["lost answer"] >= 0.02 * requests and injected["late landing"] >= 0.02 * requests
    assert 0.08 <= sum(injected.values()) / requests <= 0.12
    assert missing == {"room": 0, "archive": 0, "broadcast": 0, "render": 0}
    assert duplicates_left == {"archive": 0, "broadcast": 0, "render": 0}

    _assert_nothing_secret(
        [r.getMessage() for r in caplog.records] + tally.messages,
        key=vonage_emulator.credentials["private_key"],
        tokens=tally.tokens + [video.backend.transport.jwt.token().decode()],
    )


def _provider_answer(record: logging.LogRecord) -> bool:
    """urllib3's line for an answer it read (``'%s://%s:%s "%s %s %s" %s %s'``), from the provider
    (not the control API)."""
    args = record.args if isinstance(record.args, tuple) else ()
    return (
        record.name == "urllib3.connectionpool"
        and str(record.msg).startswith('%s://%s:%s "%s %s')
        and len(args) > 4
        and not str(args[4]).startswith("/_emulator")
    )


def _assert_nothing_secret(lines: list[str], *, key: str, tokens: list[str]) -> None:
    key_lines = [line for line in key.splitlines() if "-----" not in line]
    assert len(lines) > OPERATIONS  # the SDK logs each request at DEBUG
    secrets = set(tokens) | {SIGNATURE_SECRET}
    for line in lines:
        assert not _JWT.search(line), line[:200]
        assert not any(part in line for part in key_lines), line[:200]
        assert not any(secret in line for secret in secrets), line[:200]
