"""Soak: 2,000 mixed operations through anyvideo against the Twilio emulator
while a fixed schedule of faults hits 10% of the requests: 429, 500, 503,
dropped connections, lost answers (Twilio did the work, the answer never came)
and late landings (Twilio does the work only after the client gave up and sent
its repeat), on every kind of create (rooms, compositions, composition hooks)
and on everything else. The schedule faults the same request numbers on every
run, so the fault mix is asserted exactly; retries do not wait for Twilio.
Every operation succeeds or raises an anyvideo error; the emulator ends with no
room, composition or hook made twice and none acknowledged but missing;
nothing logged at DEBUG, and no error message, holds a secret.

Run with ``-s`` to see the figures."""

from __future__ import annotations

import base64
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from anyvideo import RoomStatus, StreamKind
from anyvideo.errors import AnyVideoError
from anyvideo.retry import RetryEvent, RetryPolicy
from anyvideo.testing.faults import Fault

OPERATIONS = 2_000
COMPOSABLE_ROOMS = 40
SEED = 8
#: Only a late landing waits this long (the emulator holds its answer); everything else answers at once.
READ_TIMEOUT = 0.1

#: Late landings: before the repeat is handled (it finds the work done), or after it was answered.
LATE, LATER, LOST = Fault(late=1), Fault(late=2), Fault(lost=True)
LIMITED, E500, E503, DROP = Fault(status=429, retry_after=0), Fault(status=500), Fault(status=503), Fault(drop=True)
#: Per path: how many of its first ``over`` requests get each fault. The first rule a request matches
#: decides; each ``over`` is below what a run sends there, so every scheduled fault is injected.
SCHEDULE = [
    (r"^/v1/Rooms$", "POST", 250, {LATE: 8, LATER: 7, LOST: 15, LIMITED: 4, E500: 3, E503: 3, DROP: 3}),
    (r"^/v1/Compositions$", "POST", 35, {LATE: 3, LATER: 2, LOST: 5, LIMITED: 1, E500: 1, E503: 1, DROP: 1}),
    (r"^/v1/CompositionHooks$", "POST", 80, {LATE: 4, LATER: 4, LOST: 8, LIMITED: 2, E500: 2, E503: 2, DROP: 2}),
    ("^/v1/", None, 1600, {LATE: 45, LOST: 45, LIMITED: 40, E500: 30, E503: 30, DROP: 30}),
]
EXPECTED = Counter[str]()
for *_, _counts in SCHEDULE:
    for _fault, _count in _counts.items():
        EXPECTED[_fault.kind] += _count


class Soak:
    """The operations, what each acknowledged, and what went wrong."""

    def __init__(self, video: Any, composable: list[Any], seed: int = 8) -> None:
        self.video = video
        self.random = random.Random(seed)
        self.composable = composable
        self.rooms: dict[str, str] = {}  # acknowledged: name -> SID
        self.open_rooms: list[str] = []
        self.hooks: dict[str, str] = {}  # acknowledged and not deleted: SID -> name
        self.hooks_asked: set[str] = set()
        self.hooks_deleted: set[str] = set()
        self.compositions: dict[str, str] = {}  # acknowledged: SID -> room SID
        self.composed_rooms: set[str] = set()
        self.tokens: list[str] = []
        self.errors: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.messages: list[str] = []
        self.strays: list[BaseException] = []
        self.done: Counter[str] = Counter()
        self.serial = 0

    def pick(self, items: Any) -> Any:
        return self.random.choice(list(items)) if items else None

    def run(self, count: int) -> None:
        table: list[tuple[Callable[[], Any], int]] = [
            (self.create_room, 15),
            (self.get_room, 10),
            (self.find_room, 8),
            (self.list_rooms, 4),
            (self.end_room, 6),
            (self.mint_token, 6),
            (self.list_participants, 3),
            (self.create_hook, 5),
            (self.get_hook, 4),
            (self.list_hooks, 3),
            (self.update_hook, 3),
            (self.delete_hook, 3),
            (self.get_rules, 4),
            (self.set_rules, 3),
            (self.compose, 4),
            (self.get_composition, 4),
            (self.list_compositions, 3),
            (self.get_settings, 2),
        ]
        operations = [op for op, _ in table]
        weights = [weight for _, weight in table]
        for _ in range(count):
            operation = self.random.choices(operations, weights)[0]
            self.serial += 1
            try:
                operation()
                self.done[operation.__name__] += 1
            except AnyVideoError as exc:
                self.errors[type(exc).__name__] += 1
                self.failed[f"{operation.__name__}: {type(exc).__name__}: {exc}"[:140]] += 1
                self.messages += [str(exc), repr(exc)]
            except Exception as exc:  # what the soak exists to catch
                self.strays.append(exc)

    # --- rooms ---

    def create_room(self) -> None:
        name = f"soak-{self.serial}"
        room = self.video.rooms.create(name)
        self.rooms[name] = room.id
        self.open_rooms.append(room.id)

    def get_room(self) -> None:
        self.video.rooms.get(self.pick(self.rooms.values()) or self.composable[0].id)

    def find_room(self) -> None:
        self.video.rooms.get(name=self.pick(self.rooms) or self.composable[0].name)

    def list_rooms(self) -> None:
        list(self.video.rooms.list(name=self.pick(self.rooms) or "none"))

    def end_room(self) -> None:
        if self.open_rooms:
            room_id = self.pick(self.open_rooms)
            self.open_rooms.remove(room_id)
            self.video.rooms.end(room_id)

    def mint_token(self) -> None:
        if self.open_rooms:
            self.tokens.append(self.video.tokens.create(self.pick(self.open_rooms), f"user-{self.serial}").token)

    def list_participants(self) -> None:
        list(self.video.participants.list(self.pick(self.composable).id))

    def get_rules(self) -> None:
        if self.open_rooms:
            self.video.ext.get_recording_rules(self.pick(self.open_rooms))

    def set_rules(self) -> None:
        if self.open_rooms:
            self.video.ext.set_recording_rules(self.pick(self.open_rooms), [{"type": "exclude", "all": True}])

    # --- hooks ---

    def create_hook(self) -> None:
        name = f"hook-{self.serial}"
        self.hooks_asked.add(name)
        hook = self.video.ext.create_composition_hook(name, enabled=False, audio_sources=("*",), layout={})
        self.hooks[hook.id] = name

    def get_hook(self) -> None:
        if self.hooks:
            self.video.ext.get_composition_hook(self.pick(self.hooks))

    def list_hooks(self) -> None:
        list(self.video.ext.list_composition_hooks())

    def update_hook(self) -> None:
        if self.hooks:
            sid = self.pick(self.hooks)
            self.video.ext.update_composition_hook(sid, self.hooks[sid], enabled=False, layout={}, format="webm")

    def delete_hook(self) -> None:
        if self.hooks:
            sid = self.pick(self.hooks)
            self.hooks_deleted.add(sid)  # asked: whether it is gone or not, it no longer counts as lost
            self.video.ext.delete_composition_hook(sid)
            del self.hooks[sid]

    # --- compositions ---

    def compose(self) -> None:
        waiting = [room for room in self.composable if room.id not in self.composed_rooms]
        if not waiting:
            return self.get_composition()
        room = self.pick(waiting)
        self.composed_rooms.add(room.id)  # one request per room: a second composition would be a duplicate
        composition = self.video.compositions.start(room, resolution="320x240")
        self.compositions[composition.id] = room.id

    def get_composition(self) -> None:
        if self.compositions:
            self.video.compositions.get(self.pick(self.compositions))

    def list_compositions(self) -> None:
        list(self.video.compositions.list(room=self.pick(self.composable).id))

    def get_settings(self) -> None:
        self.video.ext.get_composition_settings()


def prepare(video: Any, control: Any) -> list[Any]:
    """Ended rooms whose audio was recorded and processed: ready to compose."""
    browser = video.backend.browser()
    rooms = []
    for index in range(COMPOSABLE_ROOMS):
        room = video.rooms.create(f"recorded-{index}")
        browser.join(video.tokens.create(room, "ann")).publish(StreamKind.AUDIO)
        video.recordings.stop(video.recordings.start(room, mode="individual"))
        rooms.append(video.rooms.end(room))
    control.advance(3)
    return rooms


def secrets_of(credentials: dict[str, str]) -> list[str]:
    """Every form in which a credential could leak: as is, and inside a Basic authorization header."""
    pairs = [(credentials["api_key_sid"], credentials["api_key_secret"])]
    pairs.append((credentials["account_sid"], credentials["auth_token"]))
    basic = [base64.b64encode(f"{user}:{password}".encode()).decode() for user, password in pairs]
    return [credentials["api_key_secret"], credentials["auth_token"], *basic]


def test_soak(connect_twilio, emulator, control, caplog: pytest.LogCaptureFixture) -> None:
    retries: list[RetryEvent] = []
    policy = RetryPolicy(attempts=6, initial=0.001, maximum=0.005, max_time=10, on_retry=retries.append)
    video = connect_twilio(retries=policy, timeout=(2, READ_TIMEOUT))
    composable = prepare(video, control)
    for path, method, over, counts in SCHEDULE:
        emulator.faults.schedule(counts, over=over, path=path, method=method, seed=SEED)
    sent = video.backend.requests_sent
    soak = Soak(video, composable)
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    soak.run(OPERATIONS)
    elapsed = time.monotonic() - started
    schedule = emulator.faults.describe()
    emulator.faults.clear()
    emulator.faults.land()  # what is still held lands now: a duplicate it makes is left, and counted
    video.close()  # a connection's last look for duplicates

    # --- the emulator's state --------------------------------------------------------------------
    world_rooms = [room for room in emulator.world.rooms() if room.name and room.name.startswith("soak-")]
    acknowledged = set(soak.rooms.values())
    # a room cannot be deleted: a second one a late try made and anyvideo found is ended, not left open
    duplicate_rooms = sum(1 for room in world_rooms if room.status is RoomStatus.OPEN and room.id not in acknowledged)
    lost_rooms = [name for name, sid in soak.rooms.items() if sid not in {r.id for r in world_rooms}]
    compositions = list(emulator.state.compositions.values())
    by_room = Counter(entry.room_sid for entry in compositions)
    duplicate_compositions = sum(n - 1 for n in by_room.values() if n > 1)
    lost_compositions = [sid for sid in soak.compositions if sid not in emulator.state.compositions]
    hooks = list(emulator.state.hooks.values())
    # hook names are unique: a second hook a late try made exists once the first was deleted
    duplicate_hooks = len({h.sid for h in hooks} - set(soak.hooks) - soak.hooks_deleted)
    lost_hooks = [sid for sid in soak.hooks if sid not in emulator.state.hooks]
    strangers = [h.friendly_name for h in hooks if h.friendly_name not in soak.hooks_asked]
    made_unacknowledged = {
        "rooms": len({r.name for r in world_rooms} - set(soak.rooms)),
        "compositions": len(set(emulator.state.compositions) - set(soak.compositions)),
        "hooks": len({h.sid for h in hooks} - set(soak.hooks) - soak.hooks_deleted),
    }

    # --- secrets: nothing logged at DEBUG, no error message ---------------------------------------
    secrets = secrets_of(emulator.credentials) + soak.tokens
    logged = [record.getMessage() for record in caplog.records]
    logged += [caplog.text]
    leaks = [secret for secret in secrets if any(secret in text for text in logged + soak.messages)]

    injected = Counter(f.kind for _, _, f in emulator.faults.injected)
    removed = [r for r in caplog.records if r.name == "anyvideo.retry" and "is a duplicate" in r.getMessage()]
    figures = {
        "operations": OPERATIONS,
        "seconds": round(elapsed, 1),
        "requests sent (every try)": video.backend.requests_sent - sent,
        "faults injected": dict(injected),
        "faults injected, total": sum(injected.values()),
        "lost answers, late landings (share of requests)": (
            f"{injected['lost answer'] / (video.backend.requests_sent - sent):.1%}, "
            f"{injected['late landing'] / (video.backend.requests_sent - sent):.1%}"
        ),
        "retries": len(retries),
        "duplicates found and removed": len(removed),
        "operations done": sum(soak.done.values()),
        "errors by type": dict(soak.errors),
        "errors": dict(soak.failed),
        "other exceptions": len(soak.strays),
        "acknowledged creates": {
            "rooms": len(soak.rooms),
            "compositions": len(soak.compositions),
            "hooks": len(soak.hooks) + len(soak.hooks_deleted),
        },
        "duplicates left (rooms: open)": {
            "rooms": duplicate_rooms,
            "compositions": duplicate_compositions,
            "hooks": duplicate_hooks,
        },
        "lost": {"rooms": len(lost_rooms), "compositions": len(lost_compositions), "hooks": len(lost_hooks)},
        "made but not acknowledged (the create raised)": made_unacknowledged,
        "log records scanned": len(caplog.records),
        "error messages scanned": len(soak.messages),
        "secrets found": len(leaks),
    }
    caplog.set_level(logging.WARNING)
    print("\nTwilio soak:")
    for key, value in figures.items():
        print(f"  {key}: {value}")

    assert not soak.strays, soak.strays[:5]
    assert sum(soak.done.values()) + sum(soak.errors.values()) == OPERATIONS
    assert duplicate_rooms == duplicate_compositions == duplicate_hooks == 0
    assert lost_rooms == lost_compositions == lost_hooks == []
    assert strangers == []
    assert leaks == []
    requests = figures["requests sent (every try)"]
    assert all(rule["seen"] >= rule["over"] for rule in schedule["rules"]), schedule  # every fault was injected
    assert injected == EXPECTED
    assert injected["lost answer"] >= 0.02 * requests and injected["late landing"] >= 0.02 * requests
    assert 0.08 <= sum(injected.values()) / requests <= 0.12
    assert len(caplog.records) > OPERATIONS
