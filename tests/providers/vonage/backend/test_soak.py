"""Soak: 2,000 mixed operations through anyvideo against the Vonage emulator while 10% of
requests are answered 429, 500 or 503, or dropped, and some creates lose their answer.

Every operation must succeed or raise an anyvideo error; afterwards the emulator's world
must hold every session, archive and broadcast an operation acknowledged (none lost) and
none twice (no duplicates). Everything logged at DEBUG, and every error message raised,
must be free of keys, tokens and secrets. The figures are printed (``pytest -s``).

A lost answer is modelled with the emulator's latency: the request is carried out once
the latency has passed, after the client's read timeout. The soak's retries wait past
that point (``AFTER_TIMEOUT``), as on the real platform, which acts on a request when it
arrives. A request a platform carried out *after* the client's repeat succeeded and after
the repeat's archive was stopped would start a second archive: no client can rule that out
without an idempotency key, which Vonage does not offer.
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

from anyvideo import AnyVideoError, Layout, Video
from anyvideo.retry import RetryEvent, RetryPolicy
from anyvideo.testing import Emulator

OPERATIONS = 2000
WORKERS = 4
SEED = 2026
#: 10% of every request the backend sends; the first matching rule decides, so creates get their own
#: 10%, part of it a lost answer: the platform acts (0.3 s in) after the client stopped waiting (0.2 s).
READ_TIMEOUT = 0.2
LOST_ANSWER = {"latency": 0.3}
#: After a timeout the soak waits at least this long before the next try, so a lost answer models
#: "the platform did it, the answer never came back" (the emulator acts after its latency, never
#: drops an answer it made); see the module docstring.
AFTER_TIMEOUT = 0.5
FAULTS = [{"status": 429, "retry_after": 0}, {"status": 500}, {"status": 503}, {"drop": True}]
SIGNATURE_SECRET = "soak-signature-secret-0123456789abcdef"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


@attrs.define
class RoomState:
    id: str
    streams: list[str] = attrs.Factory(list)
    participants: list[str] = attrs.Factory(list)
    archive: str | None = None
    broadcast: str | None = None
    ended: bool = False


@attrs.define
class Tally:
    """What the workers did, shared under a lock."""

    lock: threading.Lock = attrs.Factory(threading.Lock)
    done: collections.Counter[str] = attrs.Factory(collections.Counter)
    errors: collections.Counter[str] = attrs.Factory(collections.Counter)
    foreign: list[BaseException] = attrs.Factory(list)  # anything that is not an anyvideo error
    messages: list[str] = attrs.Factory(list)
    acknowledged: dict[str, set[str]] = attrs.Factory(lambda: {"room": set(), "archive": set(), "broadcast": set()})
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


def _unaccounted(made: set[str], acknowledged: set[str], room_of: Callable[[str], str], failed) -> tuple[int, int]:
    """``(orphans, duplicates)`` among what the world holds and no operation acknowledged: an orphan
    can be the work of a create that raised (in that room); anything beyond that is a duplicate."""
    extra = collections.Counter(room_of(i) for i in made - acknowledged)
    orphans = sum(min(n, failed(room)) for room, n in extra.items())
    return orphans, sum(extra.values()) - orphans


def test_soak(connect_vonage, vonage_emulator, caplog) -> None:
    tally = Tally()

    after_timeout = threading.local()

    def on_retry(event: RetryEvent) -> None:
        with tally.lock:
            tally.retries.append(event)
        after_timeout.wait = "timed out" in str(event.error)

    def sleep(seconds: float) -> None:
        time.sleep(max(seconds, AFTER_TIMEOUT) if getattr(after_timeout, "wait", False) else seconds)

    video = connect_vonage(
        retries=RetryPolicy(attempts=4, initial=0.001, maximum=0.005, on_retry=on_retry, sleep=sleep),
        timeout=(5, READ_TIMEOUT),
        signature_secret=SIGNATURE_SECRET,
    )
    vonage_emulator.faults.configure(
        {
            "seed": SEED,
            "rules": [
                {"path": r"/(archive|broadcast)$", "method": "POST", "rate": 0.1, "choices": [*FAULTS, LOST_ANSWER]},
                {"path": "", "rate": 0.1, "choices": FAULTS},
            ],
        }
    )
    caplog.set_level(logging.DEBUG)
    workers = [Worker(i, video, vonage_emulator, tally) for i in range(WORKERS)]
    threads = [threading.Thread(target=w.run, args=(OPERATIONS // WORKERS,)) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    vonage_emulator.faults.clear()
    time.sleep(LOST_ANSWER["latency"])  # the last lost answers land

    world = vonage_emulator.world
    sessions = {r.id for r in world.rooms()}
    archives = {r.id: r.room_id for r in world.recordings()}
    broadcasts = {c.id: c.room_id for c in world.compositions()}
    ack = tally.acknowledged
    lost = {
        "rooms": len(ack["room"] - sessions),
        "archives": len(ack["archive"] - set(archives)),
        "broadcasts": len(ack["broadcast"] - set(broadcasts)),
    }
    unaccounted = {
        "rooms": _unaccounted(sessions, ack["room"], lambda i: "", lambda r: tally.failed_creates[("room", r)]),
        "archives": _unaccounted(
            set(archives), ack["archive"], archives.__getitem__, lambda r: tally.failed_creates[("archive", r)]
        ),
        "broadcasts": _unaccounted(
            set(broadcasts), ack["broadcast"], broadcasts.__getitem__, lambda r: tally.failed_creates[("broadcast", r)]
        ),
    }
    injected = collections.Counter(
        "lost answer" if f.latency else ("drop" if f.drop else str(f.status))
        for _, _, f in vonage_emulator.faults.injected
    )
    retried = collections.Counter(type(e.error).__name__ for e in tally.retries)
    # requests answered (urllib3 logs each answer it read), plus those that never got one
    answered = sum(1 for r in caplog.records if _provider_answer(r))
    requests = answered + injected["drop"] + injected["lost answer"]
    print(
        f"\nVonage soak: {sum(tally.done.values())} operations by {WORKERS} threads in {elapsed:.1f} s, "
        f"{requests} requests to the provider",
        f"\n  faults injected: {sum(injected.values())} ({sum(injected.values()) / requests:.1%}) "
        f"{dict(sorted(injected.items()))}",
        f"\n  retries: {len(tally.retries)} {dict(sorted(retried.items()))}; creates adopted after a lost answer: "
        f"{sum(1 for r in caplog.records if r.name == 'anyvideo.retry' and 'adopting' in r.getMessage())}",
        f"\n  errors raised: {sum(tally.errors.values())} {dict(sorted(tally.errors.items()))}; other exceptions: "
        f"{len(tally.foreign)}",
        f"\n  acknowledged: rooms {len(ack['room'])}, archives {len(ack['archive'])}, "
        f"broadcasts {len(ack['broadcast'])}",
        f"\n  lost: {lost}",
        f"\n  duplicates: { {k: v[1] for k, v in unaccounted.items()} }",
        f"\n  orphans of creates that raised: { {k: v[0] for k, v in unaccounted.items()} }",
        f"\n  operations: {dict(sorted(tally.done.items()))}",
    )

    assert not tally.foreign, tally.foreign[:3]
    assert sum(tally.done.values()) == OPERATIONS
    assert 0.08 <= sum(injected.values()) / requests <= 0.12
    assert lost == {"rooms": 0, "archives": 0, "broadcasts": 0}
    assert {k: v[1] for k, v in unaccounted.items()} == {"rooms": 0, "archives": 0, "broadcasts": 0}
    assert injected["lost answer"] > 0 and tally.retries

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
