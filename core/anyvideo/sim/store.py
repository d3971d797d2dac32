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
from collections.abc import Callable, Iterable, Iterator, Sequence
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
CREATE INDEX IF NOT EXISTS records_by_status ON records (kind, room_id, status);
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
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _row(record: Record) -> tuple[Any, ...]:
    """The ``records`` columns after ``seq`` for ``record``: kind, id, then room_id … body."""
    room_id = record.id if isinstance(record, RoomRecord) else record.room_id
    return (
        record.KIND,
        record.id,
        room_id,
        getattr(record, "name", None),
        str(getattr(record, "status", "")) or None,
        _sortable(getattr(record, "due_at", None)),
        json.dumps(unstructure(record)),
    )


def _where(
    cls: type[Record],
    room_id: str | None,
    name: str | None,
    status: str | None,
    statuses: Sequence[str] | None,
    not_status: str | None,
    after_seq: int,
    before_seq: int | None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of a listing; every column it reads is indexed with ``kind``."""
    where, params = ["kind = ?", "seq > ?"], [cls.KIND, after_seq]
    for column, value in (("room_id", room_id), ("name", name), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if statuses is not None:
        where.append(f"status IN ({', '.join('?' * len(statuses))})" if statuses else "0")
        params.extend(statuses)
    if not_status is not None:
        where.append("status IS NOT ?")
        params.append(not_status)
    if before_seq is not None:
        where.append("seq < ?")
        params.append(before_seq)
    return " AND ".join(where), params


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
        #: How many records were decoded from their stored JSON (what a read costs, by count).
        self.decoded = 0

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
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    # --- records ------------------------------------------------------------

    def put(self, record: Record) -> None:
        """Insert or replace ``record``; a replaced record keeps its place in listings."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO records (kind, id, seq, room_id, name, status, due_at, body)"
                " VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET room_id = excluded.room_id, name = excluded.name,"
                " status = excluded.status, due_at = excluded.due_at, body = excluded.body",
                _row(record),
            )

    def get(self, cls: type[R], record_id: str) -> R | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE kind = ? AND id = ?", (cls.KIND, record_id)
            ).fetchone()
        return None if row is None else self._decode(row[0], cls)

    def seq_of(self, cls: type[Record], record_id: str) -> int | None:
        """Where a record stands in creation order (its listing key), without decoding it."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq FROM records WHERE kind = ? AND id = ?", (cls.KIND, record_id)
            ).fetchone()
        return None if row is None else int(row[0])

    def select(
        self,
        cls: type[R],
        *,
        room_id: str | None = None,
        name: str | None = None,
        status: str | None = None,
        statuses: Sequence[str] | None = None,
        not_status: str | None = None,
        after_seq: int = 0,
        before_seq: int | None = None,
        offset: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[tuple[int, R]]:
        """Records of one kind matching every given filter, in creation order
        (``newest_first``: the reverse), after ``offset`` of them; only the rows
        returned are decoded, so a page costs its size whatever the table holds."""
        where, params = _where(cls, room_id, name, status, statuses, not_status, after_seq, before_seq)
        query = f"SELECT seq, body FROM records WHERE {where} ORDER BY seq"
        if newest_first:
            query += " DESC"
        if limit is not None or offset:
            query += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [(seq, self._decode(body, cls)) for seq, body in rows]

    def count(
        self,
        cls: type[Record],
        *,
        room_id: str | None = None,
        name: str | None = None,
        status: str | None = None,
        statuses: Sequence[str] | None = None,
        not_status: str | None = None,
    ) -> int:
        """How many records :meth:`select` would find with these filters (none decoded)."""
        where, params = _where(cls, room_id, name, status, statuses, not_status, 0, None)
        with self._lock:
            row = self._db.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()
        return int(row[0])

    def put_many(self, records: Iterable[Record], *, chunk: int = 1000) -> int:
        """Insert new records (ids not stored yet) in creation order, ``chunk`` rows per
        statement, holding no more than one chunk; returns how many were stored."""
        stored = 0
        batch: list[tuple[Any, ...]] = []
        with self.transaction():
            for record in records:
                batch.append(_row(record))
                if len(batch) == chunk:
                    stored += self._insert(batch)
                    batch = []
            if batch:
                stored += self._insert(batch)
        return stored

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        self._db.executemany(
            "INSERT INTO records (kind, id, seq, room_id, name, status, due_at, body)"
            " VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def _decode(self, body: str, cls: type[R]) -> R:
        self.decoded += 1
        return _CODEC.structure(json.loads(body), cls)

    def due(self, now: datetime) -> list[Record]:
        """Records whose current state ends by itself at or before ``now``, earliest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, body FROM records WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq",
                (_sortable(now),),
            ).fetchall()
        return [self._decode(body, RECORD_TYPES[kind]) for kind, body in rows]

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
