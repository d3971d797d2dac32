"""The export's journal: ``manifest.jsonl``, one JSON object per line, one line per state change.

Lines are appended and flushed to the system one at a time, so a process killed
at any moment (``kill -9``) loses at most the line it was writing. That torn last
line is cut off when the journal is opened again, before anything is appended
after it, and tolerated by :func:`read_entries` in the meantime. A crash of the
system itself can lose what was not yet fsynced: :meth:`Journal.sync` makes the
lines so far durable, and the export calls it at its commit points (see
``anyvideo.migrate.export``).

Each line has ``event`` and ``at`` (UTC, ISO 8601); asset lines also have
``key`` (``"<kind>/<ref>"``), ``kind`` and ``ref``:

- ``run``: an export started (backend, filters, workers, rate);
- ``listed``: its listing ended (``count``: assets listed; the copy starts before);
- ``started``: an asset is being copied;
- ``file``: one of its media files is stored whole and verified (``name``, ``size``, ``sha256``);
- ``complete``: every file, ``raw.json`` and ``asset.json`` are stored (``files``: name, size, sha256
  of each media file; ``documents``: the same of ``raw.json`` and ``asset.json``);
- ``skipped``: the asset cannot be copied (``reason``); a later run tries again;
- ``failed``: copying it failed after retries (``error``); a later run tries again.

The last line of an asset is its state.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from anyvideo.errors import ConfigurationError
from anyvideo.migrate.destinations import fsync_folder

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["ASSET_EVENTS", "Journal", "last_states", "read_entries"]

#: Events that change an asset's state, in the order a copy goes through them.
ASSET_EVENTS = ("started", "file", "complete", "skipped", "failed")


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """Every well-formed line of the journal at ``path``, in order (none if it does not exist).

    A line that is not a JSON object (a torn last line) is passed over.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            if not line.endswith(b"\n"):
                return  # torn by a kill while it was being written
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("event"), str):
                yield entry


def last_states(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each asset's state: its last asset line, with its latest ``file`` line per file name.

    The ``file`` lines are kept under ``"stored"`` (name → line), so a resumed
    run knows the checksum of each file an interrupted copy had already stored.
    """
    states: dict[str, dict[str, Any]] = {}
    stored: dict[str, dict[str, Mapping[str, Any]]] = {}
    for entry in entries:
        key = entry.get("key")
        if entry["event"] not in ASSET_EVENTS or not isinstance(key, str):
            continue
        if entry["event"] == "file" and isinstance(entry.get("name"), str):
            stored.setdefault(key, {})[entry["name"]] = entry
        states[key] = {**entry, "stored": stored.get(key, {})}
    return states


class Journal:
    """The append side of ``manifest.jsonl``; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        #: A new journal's name is durable only once its folder is fsynced too (at the first sync).
        self._new = not path.exists()
        self._handle = path.open("ab")
        try:
            _lock_exclusively(self._handle, path)
            _cut_torn_tail(path)  # only once the lock says no other run is appending
        except BaseException:
            self._handle.close()
            raise
        self._lock = threading.Lock()

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one line and hand it to the system before returning it: it survives this
        process being killed from then on, and a crash of the system once :meth:`sync` ran."""
        entry = {"event": event, "at": datetime.now(UTC).isoformat(), **fields}
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode() + b"\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
        return entry

    def sync(self) -> None:
        """Make every line appended so far durable (fsync), and a new journal's name with it."""
        with self._lock:
            os.fsync(self._handle.fileno())
            if self._new:
                fsync_folder(self.path.parent)
                self._new = False

    def close(self) -> None:
        with self._lock:
            self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _lock_exclusively(handle: IO[bytes], path: Path) -> None:
    """One run per journal: a second export into the same destination would race the first.

    An advisory ``flock``, released by the system when the process ends, even by ``kill -9``.
    """
    if fcntl is None:  # not POSIX: no lock, as before
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        message = f"another export is running into this destination (its journal {path} is locked)"
        raise ConfigurationError(message) from None


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line without its newline, so the next line is not glued onto it."""
    try:
        with path.open("rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            # Walk back to the last newline; journals are small next to the media they describe.
            position = size
            while position > 0:
                step = min(64 * 1024, position)
                handle.seek(position - step)
                block = handle.read(step)
                newline = block.rfind(b"\n")
                if newline >= 0:
                    handle.truncate(position - step + newline + 1)
                    return
                position -= step
            handle.truncate(0)
    except FileNotFoundError:
        return
