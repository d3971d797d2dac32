"""Killed with SIGKILL at several points and rerun, an export ends exactly as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.export import Account, asset_keys, contents, seed, seed_uncopyable

from anyvideo.migrate.commands import EXIT_SKIPPED
from anyvideo.migrate.destinations import FolderDestination, S3Destination, is_partial
from anyvideo.migrate.export import export_assets, verify_export
from anyvideo.migrate.manifest import last_states, read_entries
from anyvideo.sim import ManualClock

#: Journal lines (counted over all runs so far) after which each run is killed.
KILL_AFTER_LINES = (2, 9, 30, 64, 100)


@pytest.fixture
def big_account(tmp_path: Path) -> Account:
    """30 meetings with media of about 300 kB each, so a kill often lands mid-file."""
    made = Account(tmp_path / "account.db", ManualClock(datetime.now(UTC) + timedelta(days=1)))
    with made.connect() as video:
        seed(made, video, rooms=30, seconds=300, compose_every=3)
        seed_uncopyable(made, video)
    return made


def _start(account: Account, destination: Path) -> subprocess.Popen[bytes]:
    # Throttled, so that each run lasts long enough to be killed where the test wants.
    command = [sys.executable, "-m", "anyvideo.migrate.commands", str(destination), "--workers", "4", "--rate", "60"]
    environment = {
        **os.environ,
        "ANYVIDEO_BACKEND": "local",
        "ANYVIDEO_LOCAL_DB": str(account.db),
        "ANYVIDEO_LOCAL_PROCESSING_DELAY": "60",
    }
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _lines(journal: Path) -> int:
    try:
        return journal.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _kill_after(process: subprocess.Popen[bytes], journal: Path, lines: int) -> None:
    deadline = time.monotonic() + 30
    while _lines(journal) < lines:
        if process.poll() is not None:
            raise AssertionError(f"the export ended before line {lines}: {process.communicate()}")
        assert time.monotonic() < deadline, "the export made no progress"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL


def test_an_export_killed_at_several_points_resumes_to_the_same_result(big_account: Account, tmp_path: Path):
    reference = FolderDestination(tmp_path / "uninterrupted")
    with big_account.connect() as video:
        export_assets(video, reference, workers=4)

    target = tmp_path / "killed"
    journal = target / "manifest.jsonl"
    expected = contents(reference)
    interrupted = 0
    for lines in KILL_AFTER_LINES:
        _kill_after(_start(big_account, target), journal, lines)
        states = last_states(read_entries(journal))
        interrupted += sum(state["event"] in ("started", "file") for state in states.values())
        # Whatever is at a final name is whole: the bytes an uninterrupted export stores there.
        left = {k: v for k, v in contents(FolderDestination(target)).items() if not is_partial(k)}
        assert left == {k: expected[k] for k in left}
    assert interrupted > 0, "no kill landed in the middle of an asset"
    final = _start(big_account, target)
    out, err = final.communicate(timeout=60)
    assert final.returncode == EXIT_SKIPPED, err.decode()

    resumed = FolderDestination(target)
    assert contents(resumed) == contents(reference)  # same files, same bytes: media, asset.json, raw.json
    keys = asset_keys(resumed)
    assert len(keys) == len(set(keys)) and set(keys) == big_account.copyable  # nothing lost, nothing twice
    assert verify_export(resumed) == []
    runs = [e for e in read_entries(journal) if e["event"] == "run"]
    assert len(runs) == len(KILL_AFTER_LINES) + 1
    assert f"{len(big_account.uncopyable)} skipped" in out.decode()


class _Interrupted(Exception):
    pass


def test_an_s3_export_interrupted_resumes_from_the_uploaded_journal(account, s3_client, bucket, tmp_path):
    """Stopped mid-way, then resumed on another machine (no local journal): the uploaded journal
    and the objects themselves tell what is done; the end result is the uninterrupted one."""

    def stop_after_five(progress) -> None:
        if progress.done == 5:
            raise _Interrupted

    with account.connect() as video:
        reference = S3Destination(bucket, "reference", client=s3_client, journal=tmp_path / "reference.jsonl")
        export_assets(video, reference, workers=2)
        first = S3Destination(bucket, "resumed", client=s3_client, journal=tmp_path / "here.jsonl")
        with pytest.raises(_Interrupted):
            export_assets(video, first, workers=2, progress=stop_after_five)
        assert "manifest.jsonl" in set(first.keys())  # uploaded even though the run stopped
        elsewhere = S3Destination(bucket, "resumed", client=s3_client, journal=tmp_path / "elsewhere" / "j.jsonl")
        report = export_assets(video, elsewhere, workers=2)
    assert len(report.kept) >= 5
    assert {o.key for o in report.exported + report.kept} == account.copyable
    assert contents(elsewhere) == contents(reference)
    assert verify_export(elsewhere) == []
