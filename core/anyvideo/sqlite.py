"""Opening a SQLite file that other threads and processes open too."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

__all__ = ["while_locked"]

#: How long opening a shared file waits for the others opening it.
OPEN_TIMEOUT = 30.0


def while_locked(statement: Callable[[], object], timeout: float = OPEN_TIMEOUT) -> None:
    """Run ``statement``, again while the file is locked, for up to ``timeout`` seconds.

    Connections opening one new file race to switch it to WAL, and SQLite answers the
    losers "database is locked" at once, without its busy timeout: that wait is here.
    After ``timeout`` the last ``sqlite3.OperationalError`` propagates.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
