"""What a provider does not store, kept by anyvideo: room names and status where
a provider keeps none, recording windows over a provider's per-track recordings,
and the like.

Entries are small JSON documents filed under a *kind* (``"room"``,
``"recording"``) and a key (the provider's id), inside a *namespace* that
keeps one provider account's entries apart from another's in a shared file.
The store is SQLite: in memory by default, or a file (``ANYVIDEO_REGISTRY``)
that several processes of one application share. SQLite serialises writers,
and every read-modify-write here is one transaction, so concurrent processes
and threads never lose an update. A write of one statement (put, add, delete,
sweep) is a transaction by itself: SQLite takes the write lock as such a
statement starts, before it reads, so it needs no ``BEGIN`` of its own.

A file is kept in WAL mode with ``synchronous=NORMAL``: a commit is in the
file once it returns, for every other process and across a crash of this one,
but is not flushed to the disk each time (an fsync costs ten times the write
itself, and a callback files two or three entries). A power loss or a crash of
the operating system may undo the last commits before a checkpoint, never
corrupt the file.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from anyvideo.errors import ConfigurationError, NotFound
from anyvideo.models import RoomStatus
from anyvideo.sqlite import while_locked

__all__ = ["EndedRooms", "Registry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    namespace TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (namespace, kind, key)
);
CREATE INDEX IF NOT EXISTS entries_by_seq ON entries (namespace, kind, seq);
CREATE TABLE IF NOT EXISTS claims (
    namespace TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (namespace, kind, key)
) WITHOUT ROWID;
"""

#: How many keys :meth:`Registry.get_many` asks for in one statement (well below SQLite's limit on parameters).
_KEYS_PER_STATEMENT = 500

#: Fields :meth:`Registry.find` can filter on are plain JSON values.
_Scalar = str | int | float | bool | None


class Registry:
    """A namespaced store of JSON entries; see the module docstring.

    ``path`` is a SQLite file (created if missing) or ``None`` for memory.
    One ``Registry`` may be shared by threads.
    """

    def __init__(self, path: str | Path | None = None, *, namespace: str) -> None:
        if not namespace:
            raise ValueError("a registry needs a namespace")
        self.namespace = namespace
        self.path = None if path in (None, "", ":memory:") else Path(path)
        try:
            self._db = sqlite3.connect(
                self.path or ":memory:", check_same_thread=False, isolation_level=None, timeout=30
            )
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the registry {str(path)!r}: {exc}") from exc
        self._lock = threading.RLock()
        with self._lock:
            try:
                if self.path is not None:
                    while_locked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
                    # Per connection: a commit is written to the WAL but not fsynced (the checkpoint is).
                    self._db.execute("PRAGMA synchronous=NORMAL")
                while_locked(lambda: self._db.executescript(_SCHEMA))
            except sqlite3.Error as exc:
                raise ConfigurationError(f"cannot open the registry {str(path)!r}: {exc}") from exc
        #: The fields :meth:`find` has an index on (made the first time it filters on one).
        self._indexed: set[str] = set()

    def __repr__(self) -> str:
        return f"Registry({str(self.path or ':memory:')!r}, namespace={self.namespace!r})"

    @classmethod
    def from_settings(cls, setting: str | Path | None, environ: Mapping[str, str], *, namespace: str) -> Registry:
        """The registry a backend's ``registry`` setting names, else ``ANYVIDEO_REGISTRY``, else memory."""
        return cls(setting or environ.get("ANYVIDEO_REGISTRY") or None, namespace=namespace)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- reading ------------------------------------------------------------

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The entry filed under ``kind``/``key``, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM entries WHERE namespace = ? AND kind = ? AND key = ?", (self.namespace, kind, key)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The entries filed under ``kind`` and any of ``keys``, by key (a key with none is left out):
        one statement for a page of keys, where :meth:`get` is one each."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), _KEYS_PER_STATEMENT):
            chunk = wanted[start : start + _KEYS_PER_STATEMENT]
            marks = ", ".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key, body FROM entries WHERE namespace = ? AND kind = ? AND key IN ({marks})",
                    (self.namespace, kind, *chunk),
                ).fetchall()
            found.update((key, json.loads(body)) for key, body in rows)
        return found

    def get_linked(self, kind: str, key: str, field: str, target: str) -> tuple[str, dict[str, Any]] | None:
        """The ``target`` entry whose key the top-level ``field`` of the ``kind``/``key`` entry
        holds, as ``(its key, entry)``; ``None`` when either is missing. One statement: the
        entry that links is not read into Python."""
        with self._lock:
            row = self._db.execute(
                "SELECT linked.key, linked.body FROM entries AS link JOIN entries AS linked"
                " ON linked.namespace = link.namespace AND linked.kind = ?"
                f" AND linked.key = json_extract(link.body, '$.{_field(field)}')"
                " WHERE link.namespace = ? AND link.kind = ? AND link.key = ?",
                (target, self.namespace, kind, key),
            ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def has(self, kind: str, key: str, **equal: _Scalar) -> bool:
        """Whether an entry is filed under ``kind``/``key`` with top-level fields equal to ``equal``
        (compared by SQLite: no entry is decoded, which makes this the cheapest read)."""
        query = _has_query(tuple(equal))
        with self._lock:
            row = self._db.execute(query, (self.namespace, kind, key, *map(_sql, equal.values()))).fetchone()
        return row is not None

    def require(self, kind: str, key: str) -> dict[str, Any]:
        """The entry filed under ``kind``/``key``; :class:`NotFound` when there is none."""
        entry = self.get(kind, key)
        if entry is None:
            raise NotFound(f"no {kind} {key!r}")
        return entry

    def find(self, kind: str, **equal: _Scalar) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(key, entry)`` of every ``kind`` entry whose top-level fields equal ``equal``, oldest first.

        Rows are read in pages, so a long listing never sits in memory whole.
        """
        where = "".join(f" AND json_extract(body, '$.{_field(name)}') IS ?" for name in equal)
        args = [_sql(value) for value in equal.values()]
        if equal:
            self._index(next(iter(equal)))
        last = -1
        while True:
            with self._lock:
                page = self._db.execute(
                    f"SELECT seq, key, body FROM entries WHERE namespace = ? AND kind = ? AND seq > ?{where}"
                    " ORDER BY seq LIMIT 200",
                    (self.namespace, kind, last, *args),
                ).fetchall()
            for last, key, body in page:  # noqa: B007 - ``last`` is where the next page starts
                yield key, json.loads(body)
            if len(page) < 200:
                return

    def _index(self, name: str) -> None:
        """An index on the field ``name`` and ``seq``: a filtered :meth:`find` then reads only the
        entries it answers, in order, however many others of the kind there are (without it,
        SQLite walks every entry of the kind by ``seq`` and decodes each one's JSON to compare)."""
        if name in self._indexed:
            return
        with self._lock:
            self._db.execute(
                f"CREATE INDEX IF NOT EXISTS entries_by_{name} "
                f"ON entries (namespace, kind, json_extract(body, '$.{name}'), seq)"
            )
            self._indexed.add(name)

    # --- writing ------------------------------------------------------------

    def put(self, kind: str, key: str, entry: Mapping[str, Any]) -> None:
        """File ``entry`` under ``kind``/``key``, replacing what was there."""
        body = json.dumps(entry, separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._db.execute(
                "INSERT INTO entries (namespace, kind, key, seq, body) VALUES (?, ?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM entries WHERE namespace = ? AND kind = ?), ?) "
                "ON CONFLICT (namespace, kind, key) DO UPDATE SET body = excluded.body",
                (self.namespace, kind, key, self.namespace, kind, body),
            )

    def add(self, kind: str, key: str, entry: Mapping[str, Any]) -> bool:
        """File ``entry`` under ``kind``/``key`` unless an entry is there; whether it was filed.

        One statement, so of two processes adding the same key at once exactly one wins.
        """
        body = json.dumps(entry, separators=(",", ":"), sort_keys=True)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO entries (namespace, kind, key, seq, body) VALUES (?, ?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM entries WHERE namespace = ? AND kind = ?), ?) "
                "ON CONFLICT (namespace, kind, key) DO NOTHING",
                (self.namespace, kind, key, self.namespace, kind, body),
            )
        return cursor.rowcount == 1

    def add_or_get(self, kind: str, key: str, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        """File ``entry`` under ``kind``/``key`` unless an entry is there: ``None`` when it was
        filed, else the entry that is there (a compare-and-set that returns the old value).

        The entry is read first, so when one is there nothing is written (no write lock taken);
        else :meth:`add` files it, and of two processes adding at once one files and the other
        gets the winner's entry.
        """
        with self._lock:
            while True:
                held = self.get(kind, key)
                if held is not None:
                    return held
                if self.add(kind, key, entry):
                    return None
                # another process filed it in between: read what it filed (unless it is gone again)

    def update(self, kind: str, key: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """Replace the entry with ``change(entry)`` in one transaction; returns the new entry.

        ``change`` may modify the entry in place and return ``None``. It may
        also raise (for example :class:`~anyvideo.errors.Conflict`) to leave
        the entry as it was. :class:`NotFound` when there is no entry.
        """
        with self.transaction():
            row = self._db.execute(
                "SELECT body FROM entries WHERE namespace = ? AND kind = ? AND key = ?", (self.namespace, kind, key)
            ).fetchone()
            if row is None:
                raise NotFound(f"no {kind} {key!r}")
            entry = json.loads(row[0])
            entry = change(entry) or entry
            self._db.execute(
                "UPDATE entries SET body = ? WHERE namespace = ? AND kind = ? AND key = ?",
                (json.dumps(entry, separators=(",", ":"), sort_keys=True), self.namespace, kind, key),
            )
        return entry

    def set_fields(
        self,
        kind: str,
        key: str,
        fields: Mapping[str, _Scalar],
        *,
        filed: Mapping[str, Any] | None = None,
        unless: tuple[str, _Scalar] | None = None,
    ) -> dict[str, Any] | None:
        """Set top-level ``fields`` of the entry filed under ``kind``/``key``, in one statement
        (no entry is read first). Where there is none, ``{**filed, **fields}`` is filed;
        ``unless=(field, value)`` leaves an entry whose ``field`` has that value as it was.
        Returns the entry as filed, or ``None`` when ``unless`` left it as it was."""
        body = json.dumps({**(filed or {}), **fields}, separators=(",", ":"), sort_keys=True)
        paths = ", ".join(f"'$.{_field(name)}', ?" for name in fields)
        keep = "" if unless is None else f" WHERE json_extract(body, '$.{_field(unless[0])}') IS NOT ?"
        with self._lock:
            row = self._db.execute(
                "INSERT INTO entries (namespace, kind, key, seq, body) VALUES (?, ?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM entries WHERE namespace = ? AND kind = ?), ?) "
                f"ON CONFLICT (namespace, kind, key) DO UPDATE SET body = json_set(body, {paths}){keep} "
                "RETURNING body",
                (
                    self.namespace,
                    kind,
                    key,
                    self.namespace,
                    kind,
                    body,
                    *map(_sql, fields.values()),
                    *(() if unless is None else (_sql(unless[1]),)),
                ),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def delete(self, kind: str, key: str) -> None:
        """Forget the entry (no error when there is none)."""
        with self._lock:
            self._db.execute(
                "DELETE FROM entries WHERE namespace = ? AND kind = ? AND key = ?", (self.namespace, kind, key)
            )

    def sweep(self, kind: str, field: str, below: float) -> int:
        """Forget every ``kind`` entry whose top-level number ``field`` is below ``below`` (an entry
        without it counts as 0); how many went. One statement: no entry is read into Python."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM entries WHERE namespace = ? AND kind = ?"
                f" AND COALESCE(json_extract(body, '$.{_field(field)}'), 0) < ?",
                (self.namespace, kind, below),
            )
        return cursor.rowcount

    # --- claims -------------------------------------------------------------

    def claim(self, kind: str, key: str, at: float) -> bool:
        """Claim the one-time ``key`` of ``kind`` at the time ``at`` (seconds since the epoch);
        whether this was its first claim (``False``: claimed before, as a replayed signature is).

        Claims are what replay protection needs, and no more: a key and a time, in a table of
        their own (no JSON, no order, none of the entries' indexes), so a claim writes one page
        of a registry file where an entry writes four or more. One statement, so of two processes
        claiming the same key at once exactly one wins.
        """
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO claims (namespace, kind, key, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (self.namespace, kind, key, at),
            )
        return cursor.rowcount == 1

    def unclaim(self, kind: str, key: str) -> None:
        """Forget a claim (no error when there is none): the key may be claimed again."""
        with self._lock:
            self._db.execute(
                "DELETE FROM claims WHERE namespace = ? AND kind = ? AND key = ?", (self.namespace, kind, key)
            )

    def claims(self, kind: str) -> dict[str, float]:
        """Every claim of ``kind``: its time, by key."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, at FROM claims WHERE namespace = ? AND kind = ?", (self.namespace, kind)
            ).fetchall()
        return dict(rows)

    def sweep_claims(self, kind: str, below: float) -> int:
        """Forget every claim of ``kind`` made at a time below ``below``; how many went."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM claims WHERE namespace = ? AND kind = ? AND at < ?", (self.namespace, kind, below)
            )
        return cursor.rowcount

    def claims_from_entries(self, kind: str, field: str) -> int:
        """Claims that an earlier version filed as ``kind`` entries (their time in ``field``) made
        claims, in one transaction, so a key claimed before an upgrade stays claimed; how many.
        Nothing is written when there are none (the usual case: one read)."""
        with self._lock:
            if not self._db.execute(
                "SELECT 1 FROM entries WHERE namespace = ? AND kind = ? LIMIT 1", (self.namespace, kind)
            ).fetchone():
                return 0
            with self.transaction():
                cursor = self._db.execute(
                    "INSERT INTO claims (namespace, kind, key, at) SELECT namespace, kind, key,"
                    f" COALESCE(json_extract(body, '$.{_field(field)}'), 0) FROM entries"
                    " WHERE namespace = ? AND kind = ? ON CONFLICT DO NOTHING",
                    (self.namespace, kind),
                )
                self._db.execute("DELETE FROM entries WHERE namespace = ? AND kind = ?", (self.namespace, kind))
        return cursor.rowcount

    def transaction(self) -> AbstractContextManager[None]:
        """Every read and write inside, in this thread, as one transaction: all filed or, when the
        block raises, none. It takes the write lock as it begins (``BEGIN IMMEDIATE``), so what it
        reads no other process changes before it writes, and it commits once: a block filing
        several entries costs one write to a registry file, not one each. Another thread using
        this registry waits for the block to end. A transaction inside another is part of it: when
        the inner block raises, what it did is undone, and the outer one goes on.
        """
        return _Transaction(self)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` when the block raises, under the registry's
    lock; inside another (same thread: the lock is re-entrant), a savepoint of it."""

    __slots__ = ("_registry", "_outermost")

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._outermost = False

    def __enter__(self) -> None:
        registry = self._registry
        registry._lock.acquire()
        try:
            self._outermost = not registry._db.in_transaction
            registry._db.execute("BEGIN IMMEDIATE" if self._outermost else "SAVEPOINT inner")
        except BaseException:
            registry._lock.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        registry = self._registry
        try:
            if self._outermost:
                registry._db.execute("COMMIT" if kind is None else "ROLLBACK")
            else:
                if kind is not None:
                    registry._db.execute("ROLLBACK TO inner")
                registry._db.execute("RELEASE inner")
        finally:
            registry._lock.release()


class EndedRooms:
    """Which rooms anyvideo knows have ended, in a registry: the ``status`` of a
    ``room`` entry (kind ``room``, keyed by the room's id), shared by every process
    that shares the registry.

    A backend marks a room ended when anyvideo ends it, or when a callback it parsed
    says so, and then refuses new tokens for it without asking the provider.

    A registry in memory is this process's alone, and only this class marks a room
    ended: for one, the rooms it holds ended are also kept in a set (one per registry),
    so the check reads nothing. A registry file is read (one ``SELECT``), since
    another process may have ended the room.
    """

    KIND = "room"

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._in_memory: set[str] | None = None
        if registry.path is None:
            known = _ENDED_IN_MEMORY.get(registry)
            if known is None:  # the first over this registry: what it holds ended already
                ended = {key for key, _ in registry.find(self.KIND, status=RoomStatus.ENDED.value)}
                known = _ENDED_IN_MEMORY.setdefault(registry, ended)
            self._in_memory = known

    def has_ended(self, room_id: str) -> bool:
        """Whether the room is known to have ended (no request; a registry file is read)."""
        if self._in_memory is not None:
            return room_id in self._in_memory
        return self._registry.has(self.KIND, room_id, status=RoomStatus.ENDED.value)

    def end(self, room_id: str, at: datetime | None, filed: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """Mark the room ended at ``at`` (an ended room keeps its first end); a room with no
        entry is filed with ``filed``'s fields. One statement, however many processes end it.
        Returns the room's entry as this ended it; ``None`` when it had ended already."""
        ended = RoomStatus.ENDED.value
        entry = self._registry.set_fields(
            self.KIND,
            room_id,
            {"status": ended, "ended_at": None if at is None else at.isoformat()},
            filed=filed,
            unless=("status", ended),
        )
        if self._in_memory is not None:
            self._in_memory.add(room_id)
        return entry


#: The rooms each registry in memory holds ended (see :class:`EndedRooms`).
_ENDED_IN_MEMORY: weakref.WeakKeyDictionary[Registry, set[str]] = weakref.WeakKeyDictionary()


@functools.cache
def _has_query(names: tuple[str, ...]) -> str:
    """:meth:`Registry.has`'s statement comparing the fields ``names`` (made once per set of names)."""
    where = "".join(f" AND json_extract(body, '$.{_field(name)}') IS ?" for name in names)
    return f"SELECT 1 FROM entries WHERE namespace = ? AND kind = ? AND key = ?{where}"


def _field(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a field name")
    return name


def _sql(value: _Scalar) -> _Scalar:
    # json_extract gives SQLite's 1/0 for JSON true/false.
    return int(value) if isinstance(value, bool) else value
