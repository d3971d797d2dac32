"""Files that threads and processes open together: the registry, the local platform's store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from anyvideo.registry import Registry
from anyvideo.sim.store import Store

OPENERS: dict[str, Callable[[Path], object]] = {
    "registry": lambda path: Registry(path, namespace="ns").close(),
    "store": lambda path: Store(path).close(),
}


@pytest.mark.parametrize("opener", list(OPENERS))
def test_threads_opening_one_new_file_together_all_open_it(tmp_path: Path, opener: str) -> None:
    """Connections opening a new file race to switch it to WAL, and SQLite answers the losers
    "database is locked" without waiting: opening waits for them. (Before, about one round
    in twelve of these failed; the rounds make that near certain to show.)"""
    failures: list[BaseException] = []

    def open_it(path: Path) -> None:
        try:
            OPENERS[opener](path)
        except BaseException as exc:
            failures.append(exc)

    for round_ in range(100):
        path = tmp_path / f"{round_}.sqlite"
        threads = [threading.Thread(target=open_it, args=(path,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
