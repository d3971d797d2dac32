"""Where the simulated platform keeps its state: SQLite, in memory or in a file.

One implementation serves both: ``:memory:`` by default, a file when state
must outlive the process (``ANYVIDEO_LOCAL_DB``), so separate CLI invocations
see the same rooms. Records are stored as JSON with the columns the world
queries by (room, name, status, due time) beside them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import cattrs

from anyvideo.sim.records import RECORD_TYPES, Record, RoomRecord, SimEvent

__all__ = ["Store"]

R = TypeVar("R", bound=Record)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    room_id TEXT,
    name TEXT,
    status TEXT,
    due_at TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS records_by_room ON records (kind, room_id, seq);
CREATE INDEX IF NOT EXISTS records_by_seq ON records (kind, seq);
CREATE INDEX IF NOT EXISTS records_seq ON records (seq);
CREATE INDEX IF NOT EXISTS records_due ON records (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _make_codec() -> cattrs.Converter:
    codec = cattrs.Converter()
    codec.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
    codec.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    return codec


_CODEC = _make_codec()


def unstructure(record: Any) -> Any:
    """A record as plain JSON-able data (also what the ``local`` backend shows as ``raw``)."""
    return _CODEC.unstructure(record)


def _sortable(moment: datetime | None) -> str | None:
    # "%Y-%m-%dT%H:%M:%S.%f", by the faster isoformat: the world reads the time on every change
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")[:26]


class Store:
    """SQLite-backed record storage; thread-safe, and safe across processes for a file."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self._db = sqlite3.connect(self.path or ":memory:", timeout=30, isolation_level=None, check_same_thread=False)
        if self.path:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0
        #: In memory, nothing is due before this (None: nothing is due at all) while the
        #: connection's count of changed rows is the one noted with it.
        self._quiet: tuple[int, str | None] | None = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._quiet = None  # noted inside the transaction, of rows now back as they were
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    # --- records ------------------------------------------------------------

    def put(self, record: Record) -> None:
        """Insert or replace ``record``; a replaced record keeps its place in listings."""
        room_id = record.id if isinstance(record, RoomRecord) else record.room_id
        with self.transaction():
            self._db.execute(
                "INSERT INTO records (kind, id, seq, room_id, name, status, due_at, body)"
                " VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET room_id = excluded.room_id, name = excluded.name,"
                " status = excluded.status, due_at = excluded.due_at, body = excluded.body",
                (
                    record.KIND,
                    record.id,
                    room_id,
                    getattr(record, "name", None),
                    str(getattr(record, "status", "")) or None,
                    _sortable(getattr(record, "due_at", None)),
                    json.dumps(unstructure(record)),
                ),
            )

    def get(self, cls: type[R], record_id: str) -> R | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE kind = ? AND id = ?", (cls.KIND, record_id)
            ).fetchone()
        return None if row is None else _CODEC.structure(json.loads(row[0]), cls)

    def select(
        self,
        cls: type[R],
        *,
        room_id: str | None = None,
        name: str | None = None,
        status: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[tuple[int, R]]:
        """Records of one kind matching every given filter, in creation order."""
        where, params = ["kind = ?", "seq > ?"], [cls.KIND, after_seq]
        for column, value in (("room_id", room_id), ("name", name), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        query = f"SELECT seq, body FROM records WHERE {' AND '.join(where)} ORDER BY seq"
        if newest_first:
            query += " DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [(seq, _CODEC.structure(json.loads(body), cls)) for seq, body in rows]

    def due(self, now: datetime) -> list[Record]:
        """Records whose current state ends by itself at or before ``now``, earliest first.

        The world asks before every change. An in-memory store remembers when the
        next record is due, until any row changes, and answers until then without a query."""
        moment = _sortable(now)
        assert moment is not None
        with self._lock:
            changes = self._db.total_changes
            if self.path is None:
                if self._quiet is None or self._quiet[0] != changes:
                    (first,) = self._db.execute("SELECT MIN(due_at) FROM records WHERE due_at IS NOT NULL").fetchone()
                    self._quiet = (changes, first)
                first = self._quiet[1]
                if first is None or moment < first:
                    return []
            rows = self._db.execute(
                "SELECT kind, body FROM records WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq",
                (moment,),
            ).fetchall()
        return [_CODEC.structure(json.loads(body), RECORD_TYPES[kind]) for kind, body in rows]

    # --- events and metadata -----------------------------------------------

    def add_event(
        self, event_id: str, type: str, occurred_at: datetime, room_id: str | None, subject: Record
    ) -> SimEvent:
        body = {
            "type": type,
            "occurred_at": occurred_at.isoformat(),
            "room_id": room_id,
            "kind": subject.KIND,
            "subject": unstructure(subject),
        }
        with self.transaction():
            cursor = self._db.execute("INSERT INTO events (id, body) VALUES (?, ?)", (event_id, json.dumps(body)))
        return SimEvent(event_id, cursor.lastrowid or 0, type, occurred_at, room_id, subject)

    def events(self, after_seq: int = 0, limit: int = 1000) -> list[SimEvent]:
        """Events in the order they happened, after ``after_seq``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
            ).fetchall()
        events = []
        for seq, event_id, body in rows:
            data = json.loads(body)
            subject = _CODEC.structure(data["subject"], RECORD_TYPES[data["kind"]])
            occurred_at = datetime.fromisoformat(data["occurred_at"])
            events.append(SimEvent(event_id, seq, data["type"], occurred_at, data["room_id"], subject))
        return events

    def meta(self, key: str, default: Callable[[], str]) -> str:
        """The stored value of ``key``, storing ``default()`` the first time."""
        with self.transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return str(row[0])
            value = default()
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value
