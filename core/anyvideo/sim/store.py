"""Where the simulated platform keeps its state: SQLite, in memory or in a file.

One implementation serves both: ``:memory:`` by default, a file when state
must outlive the process (``ANYVIDEO_LOCAL_DB``), so separate CLI invocations
see the same rooms. Records are stored as JSON with the columns the world
queries by (room, name, status, due time) beside them; ``counts`` keeps how
many there are of each kind, room and status (kept by triggers), so a listing's
total costs no scan, and a listing read at an offset starts from where the last
read of the same listing ended when nothing changed in between.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs

from anyvideo.sim.records import RECORD_TYPES, Record, RoomRecord, SimEvent
from anyvideo.sqlite import while_locked

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
CREATE INDEX IF NOT EXISTS records_listed_by_room ON records (kind, room_id, seq, status);
CREATE INDEX IF NOT EXISTS records_listed ON records (kind, seq, status);
CREATE INDEX IF NOT EXISTS records_seq ON records (seq);
CREATE INDEX IF NOT EXISTS records_due ON records (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS counts (
    kind TEXT NOT NULL,
    room_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, room_id, status)
);
CREATE TRIGGER IF NOT EXISTS records_counted AFTER INSERT ON records BEGIN
    INSERT INTO counts VALUES (new.kind, COALESCE(new.room_id, ''), COALESCE(new.status, ''), 1)
        ON CONFLICT (kind, room_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS records_recounted AFTER UPDATE OF room_id, status ON records BEGIN
    UPDATE counts SET n = n - 1
        WHERE kind = old.kind AND room_id = COALESCE(old.room_id, '') AND status = COALESCE(old.status, '');
    INSERT INTO counts VALUES (new.kind, COALESCE(new.room_id, ''), COALESCE(new.status, ''), 1)
        ON CONFLICT (kind, room_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS records_uncounted AFTER DELETE ON records BEGIN
    UPDATE counts SET n = n - 1
        WHERE kind = old.kind AND room_id = COALESCE(old.room_id, '') AND status = COALESCE(old.status, '');
END;
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

#: How many listings' offset hints are kept (all are dropped when more come).
_HINTS = 64


def unstructure(record: Any) -> Any:
    """A record as plain JSON-able data (also what the ``local`` backend shows as ``raw``)."""
    return _CODEC.unstructure(record)


def _sortable(moment: datetime | None) -> str | None:
    # "%Y-%m-%dT%H:%M:%S.%f", by the faster isoformat: the world reads the time on every change
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")[:26]


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
    kind: str,
    room_id: str | None,
    name: str | None,
    status: str | None,
    statuses: Sequence[str] | None,
) -> tuple[list[str], list[Any]]:
    """The conditions (and their parameters) of a listing's filters, for ``records`` or ``counts``."""
    where, params = ["kind = ?"], [kind]
    for column, value in (("room_id", room_id), ("name", name), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if statuses is not None:
        where.append(f"status IN ({', '.join('?' * len(statuses))})" if statuses else "0")
        params.extend(statuses)
    return where, params


@attrs.frozen
class _Listing:
    """A listing's filters (``where`` with its ``params``), its bounds on ``seq``
    (exclusive; ``None``: none) and its order. The bounds stay one of each kind, so
    SQLite starts its index walk at the tighter one rather than filtering up to it."""

    conditions: str
    params: list[Any]
    after: int | None
    before: int | None
    newest_first: bool

    def where(self) -> tuple[str, list[Any]]:
        where, params = [self.conditions], list(self.params)
        for condition, bound in (("seq > ?", self.after), ("seq < ?", self.before)):
            if bound is not None:
                where.append(condition)
                params.append(bound)
        return " AND ".join(where), params

    def key(self) -> tuple[Any, ...]:
        return (self.conditions, *self.params, self.after, self.before, self.newest_first)

    def beyond(self, seq: int, *, inclusive: bool = False) -> _Listing:
        """The rows after ``seq`` in listing order (and it, when ``inclusive``)."""
        if self.newest_first:
            bound = seq + 1 if inclusive else seq
            return attrs.evolve(self, before=bound if self.before is None else min(self.before, bound))
        bound = seq - 1 if inclusive else seq
        return attrs.evolve(self, after=bound if self.after is None else max(self.after, bound))

    def short_of(self, seq: int) -> _Listing:
        """The rows before ``seq`` in listing order."""
        return attrs.evolve(self, newest_first=not self.newest_first).beyond(seq).reversed()

    def reversed(self) -> _Listing:
        return attrs.evolve(self, newest_first=not self.newest_first)


class _Transaction:
    """:meth:`Store.transaction`: the store's lock held, and the outermost use's
    ``BEGIN`` … ``COMMIT`` (``ROLLBACK`` on an exception). One per store, since the
    store counts how deep the uses nest: a class, not a generator, because every
    change of the world enters it several times."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        if store._depth:
            store._depth += 1
            return
        try:
            store._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            store._lock.release()
            raise
        store._depth = 1

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        store = self._store
        try:
            if store._depth > 1:
                return
            if exc_type is None:
                store._db.execute("COMMIT")
            else:
                store._db.execute("ROLLBACK")
                store._first_due_known = False  # perhaps learnt inside it, of rows now back as they were
        finally:
            store._depth -= 1
            store._lock.release()


class Store:
    """SQLite-backed record storage; thread-safe, and safe across processes for a file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, page_size: int | None = None) -> None:
        """``page_size`` (bytes, a power of two from 512 to 65536) applies to a new database only."""
        self.path = None if path is None else os.fspath(path)
        self._db = sqlite3.connect(self.path or ":memory:", timeout=30, isolation_level=None, check_same_thread=False)
        if page_size is not None:
            self._db.execute(f"PRAGMA page_size = {int(page_size)}")
        if self.path:
            while_locked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
        while_locked(lambda: self._db.executescript(_SCHEMA))
        self._lock = threading.RLock()
        self._depth = 0
        self._transaction = _Transaction(self)
        #: How many records were decoded from their stored JSON (what a read costs, by count).
        self.decoded = 0
        #: Bumped by every write: an offset hint is good only while it is unchanged.
        self._version = 0
        #: Per listing (filters, order): ``(version, position, seq)``, a row's place in it.
        self._hints: dict[tuple[Any, ...], tuple[int, int, int]] = {}
        #: In memory, when known: nothing is due before this (``None``: nothing is due at all).
        #: A lower bound: a write lowers it if it must (a record saved with an earlier due time),
        #: a later or removed due time leaves it early (which costs a query), a rollback forgets it.
        self._first_due: str | None = None
        self._first_due_known = False
        #: The record :meth:`put` stored last, and its JSON (what an event about it embeds).
        self._saved: tuple[Record | None, str] = (None, "")
        self._count_existing()

    def _count_existing(self) -> None:
        """Fill ``counts`` once for a file written before it existed (its triggers count from then on)."""
        with self.transaction():
            if self._db.execute("SELECT 1 FROM meta WHERE key = 'counted'").fetchone() is None:
                self._db.execute("DELETE FROM counts")
                self._db.execute(
                    "INSERT INTO counts SELECT kind, COALESCE(room_id, ''), COALESCE(status, ''), COUNT(*)"
                    " FROM records GROUP BY 1, 2, 3"
                )
                self._db.execute("INSERT INTO meta (key, value) VALUES ('counted', '1')")

    def size(self) -> int:
        """How many bytes the database takes (in memory, for ``:memory:``)."""
        with self._lock:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
        return int(pages) * int(page_size)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def transaction(self) -> _Transaction:
        """One atomic unit of work (a context manager); nested uses join the outer one."""
        return self._transaction

    # --- records ------------------------------------------------------------

    def put(self, record: Record) -> None:
        """Insert or replace ``record``; a replaced record keeps its place in listings."""
        row = _row(record)
        with self.transaction():
            self._db.execute(
                "INSERT INTO records (kind, id, seq, room_id, name, status, due_at, body)"
                " VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET room_id = excluded.room_id, name = excluded.name,"
                " status = excluded.status, due_at = excluded.due_at, body = excluded.body",
                row,
            )
            self._version += 1
            self._saved = (record, row[-1])
            self._due_by(row[5])

    def get(self, cls: type[R], record_id: str) -> R | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE kind = ? AND id = ?", (cls.KIND, record_id)
            ).fetchone()
        return None if row is None else self._decode(row[0], cls)

    def seq_of(self, cls: type[R], record_id: str) -> int | None:
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
        conditions, params = _where(cls.KIND, room_id, name, status, statuses)
        if not_status is not None:
            conditions.append("status IS NOT ?")
            params.append(not_status)
        # The listing indexes hold every column read here, in listing order: counting,
        # and skipping to an offset, read no record.
        listing = _Listing(" AND ".join(conditions), params, after_seq, before_seq, newest_first)
        with self._lock:
            if offset and limit is not None:
                rows = self._at_offset(listing, offset, limit)
            else:
                rows = self._rows(listing, offset, limit)
        return [(seq, self._decode(body, cls)) for seq, body in rows]

    def _rows(self, listing: _Listing, offset: int, limit: int | None) -> list[tuple[int, str]]:
        """The rows of a listing's window. The rows skipped are found in the listing
        index alone (the subquery), so only the window's bodies are read."""
        where, params = listing.where()
        order = "DESC" if listing.newest_first else ""
        window = f"LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
        query = f"SELECT seq, body FROM records WHERE {where} ORDER BY seq {order}"
        if offset:
            query = (
                f"SELECT seq, body FROM records WHERE rowid IN"
                f" (SELECT rowid FROM records WHERE {where} ORDER BY seq {order} {window}) ORDER BY seq {order}"
            )
        elif limit is not None:
            query += f" {window}"
        return [(int(seq), body) for seq, body in self._db.execute(query, params).fetchall()]

    def _at_offset(self, listing: _Listing, offset: int, limit: int) -> list[tuple[int, str]]:
        """A window at ``offset``, walking from the last window read of the same listing
        when that is nearer than the start (a client paging through a listing reads
        each window next to the last, so each costs its size, not its offset)."""
        key = listing.key()
        hint = self._hints.get(key)
        rows: list[tuple[int, str]]
        if hint is None or hint[0] != self._version or abs(offset - hint[1]) >= offset:
            rows = self._rows(listing, offset, limit)
        else:
            _, position, seq = hint
            if offset > position:  # further along: skip from the hinted row on
                rows = self._rows(listing.beyond(seq), offset - position - 1, limit)
            else:  # before it: the rows between, walked backwards, then the hinted row onwards
                rows = self._rows(listing.short_of(seq).reversed(), 0, position - offset)[::-1][:limit]
                if len(rows) < limit:
                    rows += self._rows(listing.beyond(seq, inclusive=True), 0, limit - len(rows))
        if rows:
            if len(self._hints) >= _HINTS:
                self._hints.clear()
            self._hints[key] = (self._version, offset, rows[0][0])
        return rows

    def count(
        self,
        cls: type[R],
        *,
        room_id: str | None = None,
        name: str | None = None,
        status: str | None = None,
        statuses: Sequence[str] | None = None,
        not_status: str | None = None,
    ) -> int:
        """How many records :meth:`select` would find with these filters (none decoded):
        read from ``counts``, whatever the size of the table, unless ``name`` is given."""
        conditions, params = _where(cls.KIND, room_id, name, status, statuses)
        if not_status is not None:  # counts has '' for no status
            conditions.append("status IS NOT ?" if name is not None else "status != ?")
            params.append(not_status)
        table = "records" if name is not None else "counts"
        total = "COUNT(*)" if name is not None else "COALESCE(SUM(n), 0)"
        query = f"SELECT {total} FROM {table} WHERE {' AND '.join(conditions)}"
        with self._lock:
            row = self._db.execute(query, params).fetchone()
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

    def _due_by(self, due_at: str | None) -> None:
        """Note that a record just written is due at ``due_at`` (for :meth:`due`)."""
        if due_at is not None and self._first_due_known and (self._first_due is None or due_at < self._first_due):
            self._first_due = due_at

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        self._version += 1
        for row in rows:
            self._due_by(row[5])
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
        """Records whose current state ends by itself at or before ``now``, earliest first.

        The world asks before every change. An in-memory store keeps a bound before which
        nothing is due, lowered by the writes that need it, and answers before it without
        a query; a file's store is written by other processes too, and always looks."""
        moment = _sortable(now)
        assert moment is not None
        with self._lock:
            if self.path is None:
                if not self._first_due_known:
                    (self._first_due,) = self._db.execute(
                        "SELECT MIN(due_at) FROM records WHERE due_at IS NOT NULL"
                    ).fetchone()
                    self._first_due_known = True
                if self._first_due is None or moment < self._first_due:
                    return []
                self._first_due_known = False  # what is due now is settled next: look again after
            rows = self._db.execute(
                "SELECT kind, body FROM records WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq",
                (moment,),
            ).fetchall()
        return [self._decode(body, RECORD_TYPES[kind]) for kind, body in rows]

    # --- events and metadata -----------------------------------------------

    def add_event(
        self, event_id: str, type: str, occurred_at: datetime, room_id: str | None, subject: Record
    ) -> SimEvent:
        head = {"type": type, "occurred_at": occurred_at.isoformat(), "room_id": room_id, "kind": subject.KIND}
        with self.transaction():
            # The world files an event about the record it has just saved: its JSON is at hand.
            saved, text = self._saved
            if saved is not subject:
                text = json.dumps(unstructure(subject))
            body = f'{json.dumps(head)[:-1]}, "subject": {text}}}'
            cursor = self._db.execute("INSERT INTO events (id, body) VALUES (?, ?)", (event_id, body))
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
