"""Where an export fsyncs, and what a crash of the system (not only of the process) leaves behind.

A process killed at once loses nothing written (test_resume kills the command
for real). A crash of the system loses what was not fsynced: the export
fsyncs at commit points, in batches, and trusts nothing on the next run
without rereading it, so what such a crash could leave (a file short or
empty at its final name, journal lines gone) is copied again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.export import Account, contents

from anyvideo import InvalidRequest
from anyvideo.migrate.destinations import FolderDestination
from anyvideo.migrate.export import COMMIT_EVERY, export_assets, verify_export
from anyvideo.migrate.manifest import Journal, read_entries


@pytest.fixture
def fsynced(monkeypatch) -> list[tuple[int, int]]:
    """Every fsync from now on, as the ``(device, inode)`` of what was fsynced, in order."""
    done: list[tuple[int, int]] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        status = os.fstat(fd)
        real(fd)
        done.append((status.st_dev, status.st_ino))

    monkeypatch.setattr(os, "fsync", fsync)
    return done


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino


def test_a_journal_line_is_readable_at_once_and_durable_after_sync(tmp_path, fsynced):
    path = tmp_path / "journal" / "manifest.jsonl"
    with Journal(path) as journal:
        journal.append("started", key="recordings/local:rec_1")
        journal.append("complete", key="recordings/local:rec_1")
        assert [e["event"] for e in read_entries(path)] == ["started", "complete"]  # a kill now loses nothing
        assert fsynced == []
        journal.sync()
        assert fsynced == [_identity(path), _identity(path.parent)]  # a new journal: its folder names it
        journal.sync()
    assert fsynced[2:] == [_identity(path)]


def test_an_export_fsyncs_every_file_and_folder_then_the_journal_in_batches(video, account, tmp_path, fsynced):
    root = tmp_path / "export"
    report = export_assets(video, FolderDestination(root), workers=4)
    assert report.exported
    journal = root / "manifest.jsonl"
    files = [p for p in root.rglob("*") if p.is_file() and p != journal]
    folders = {p.parent for p in files} | {p.parent.parent for p in files} | {p.parent.parent.parent for p in files}
    assert {_identity(p) for p in files} | {_identity(p) for p in folders} <= set(fsynced)
    # Batched: far fewer journal fsyncs than lines (three or more per asset), the last one last of all.
    lines = sum(1 for _ in read_entries(journal))
    journal_syncs = fsynced.count(_identity(journal))
    assert journal_syncs <= len(report.outcomes) // COMMIT_EVERY + 1 < lines
    last_journal_sync = max(i for i, done in enumerate(fsynced) if done == _identity(journal))
    assert all(fsynced.index(_identity(p)) < last_journal_sync for p in files)
    # Each file was written once, and fsynced once.
    assert sorted(fsynced.count(_identity(p)) for p in files) == [1] * len(files)


def test_what_a_crash_of_the_system_could_leave_is_copied_again(video, account: Account, tmp_path):
    """Files short or empty at their final name (written, renamed, never fsynced) and the
    journal's last lines gone: the next run finds each and copies it again."""
    reference = FolderDestination(tmp_path / "reference")
    export_assets(video, reference, workers=4)
    root = tmp_path / "crashed"
    export_assets(video, FolderDestination(root), workers=4)

    media = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".json", ".jsonl"))
    damaged = {
        media[0]: b"",  # renamed, its bytes never written
        media[1]: media[1].read_bytes()[:100],
        next(root.rglob("raw.json")): b"",
        sorted(root.rglob("asset.json"))[-1]: b'{"format": 1, "ki',
    }
    for path, data in damaged.items():
        path.write_bytes(data)
    journal = root / "manifest.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-5]) + b"\0\0\0\0")  # the last lines lost, the file's end unwritten

    again = export_assets(video, FolderDestination(root), workers=4)
    kind_provider_id = [path.relative_to(root).parts[:3] for path in damaged]
    assert {f"{kind}/{provider}:{object_id}" for kind, provider, object_id in kind_provider_id} <= {
        o.key for o in again.exported
    }
    assert again.failed == []
    assert contents(FolderDestination(root)) == contents(reference)
    assert verify_export(FolderDestination(root)) == []


def test_a_commit_that_fails_fails_the_run(video, account, tmp_path, monkeypatch):
    def broken(self) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(FolderDestination, "sync", broken)
    with pytest.raises(OSError, match="Input/output error"):
        export_assets(video, FolderDestination(tmp_path / "export"), workers=2)


def test_a_destination_without_sync_is_refused_before_anything_is_asked(video, tmp_path):
    class Old(FolderDestination):  # the protocol as it was: no sync
        sync = None  # type: ignore[assignment]

    with pytest.raises(InvalidRequest) as caught:
        export_assets(video, Old(tmp_path / "export"))
    assert caught.value.field == "destination" and not (tmp_path / "export").exists()
