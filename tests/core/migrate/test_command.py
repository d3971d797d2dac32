"""``anyvideo export DEST``: the command, its output and its exit status."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support.export import asset_keys

from anyvideo.migrate.commands import EXIT_SKIPPED
from anyvideo.migrate.commands import export as export_command
from anyvideo.migrate.destinations import FolderDestination, S3Destination


@pytest.fixture
def run(account, monkeypatch):
    """``run(*args)``: the command in this process, on the seeded account's SQLite file."""
    monkeypatch.setenv("ANYVIDEO_BACKEND", "local")
    monkeypatch.setenv("ANYVIDEO_LOCAL_DB", str(account.db))
    monkeypatch.setenv("ANYVIDEO_LOCAL_PROCESSING_DELAY", "60")
    runner = CliRunner()
    return lambda *args: runner.invoke(export_command, [str(a) for a in args])


def test_skipped_assets_are_listed_and_the_exit_status_says_so(run, account, tmp_path):
    result = run(tmp_path / "out", "--workers", 2)
    assert result.exit_code == EXIT_SKIPPED, result.output
    for key in account.uncopyable:
        assert f"skipped {key}: " in result.output
    assert f"{len(account.copyable)} exported" in result.output
    assert "could not be copied" in result.output
    assert sorted(asset_keys(FolderDestination(tmp_path / "out"))) == sorted(account.copyable)


def test_a_complete_export_exits_0(run, account, tmp_path):
    result = run(tmp_path / "out", "--kind", "compositions", "--rate", 500)
    assert result.exit_code == 0, result.output
    compositions = {k for k in account.copyable if k.startswith("compositions/")}
    assert set(asset_keys(FolderDestination(tmp_path / "out"))) == compositions


def test_room_by_name_and_time_range(run, account, tmp_path):
    with account.connect() as video:
        room = video.rooms.get(account.room_ids[0])
        expected = {f"recordings/{r.ref}" for r in video.recordings.list(room=room)}
        expected |= {f"compositions/{c.ref}" for c in video.compositions.list(room=room)}
        start = min(r.started_at for r in video.recordings.list(room=room))
    result = run(tmp_path / "out", "--room", room.name, "--since", start.isoformat())
    assert result.exit_code == 0, result.output
    assert set(asset_keys(FolderDestination(tmp_path / "out"))) == expected


@pytest.mark.parametrize("endpoint_from", ["option", "AWS_ENDPOINT_URL"])
def test_to_s3_with_an_endpoint_url(run, account, s3_endpoint, bucket, s3_client, tmp_path, monkeypatch, endpoint_from):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    journal = tmp_path / "journal.jsonl"
    endpoint = ["--s3-endpoint-url", s3_endpoint]
    if endpoint_from == "AWS_ENDPOINT_URL":
        monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)  # boto3 reads it itself
        endpoint = []
    result = run(f"s3://{bucket}/2026", *endpoint, "--journal", journal)
    assert result.exit_code == EXIT_SKIPPED, result.output
    stored = S3Destination(bucket, "2026", client=s3_client, journal=journal)
    assert sorted(asset_keys(stored)) == sorted(account.copyable)
    assert "manifest.jsonl" in set(stored.keys())


def test_bad_input_is_a_clear_error(run, tmp_path):
    assert "is not an ISO 8601" in run(tmp_path, "--since", "last week").output
    result = run("ftp://example.com/x")
    assert result.exit_code == 1 and "s3://bucket/prefix" in result.output
