"""``verify_export`` and ``anyvideo export --verify``: every file rechecked against asset.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from anyvideo.migrate.commands import export as export_command
from anyvideo.migrate.destinations import FolderDestination, S3Destination
from anyvideo.migrate.export import export_assets, verify_export


@pytest.fixture
def exported(video, tmp_path: Path) -> FolderDestination:
    destination = FolderDestination(tmp_path / "export")
    export_assets(video, destination)
    assert verify_export(destination) == []
    return destination


def _a_media_file(root: Path) -> Path:
    return next(p for p in sorted(root.rglob("*.sim")))


def test_a_corrupted_file_is_caught(exported):
    planted = _a_media_file(exported.root)
    data = bytearray(planted.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one bit pattern changed
    planted.write_bytes(bytes(data))
    (difference,) = verify_export(exported)
    assert difference.key == planted.relative_to(exported.root).as_posix()
    assert "sha256" in difference.problem and "bytes" not in difference.problem


def test_a_truncated_file_is_caught_against_the_providers_size(exported):
    planted = _a_media_file(exported.root)
    planted.write_bytes(planted.read_bytes()[:-10])
    (difference,) = verify_export(exported)
    assert "bytes, asset.json says" in difference.problem and "sha256" in difference.problem


def test_missing_stray_and_half_written_files_are_listed(exported):
    media = _a_media_file(exported.root)
    media.unlink()
    folder = next(p for p in (exported.root / "recordings" / "local").iterdir() if p != media.parent)
    (folder / "notes.txt").write_text("not from the provider")
    (folder / ".x.sim.abc.part").write_bytes(b"half")
    torn = exported.root / "recordings" / "local" / "rec_interrupted"
    torn.mkdir()
    (torn / "rec_interrupted.sim").write_bytes(b"x")
    problems = {d.key: d.problem for d in verify_export(exported)}
    root = exported.root
    assert problems == {
        media.relative_to(root).as_posix(): "missing",
        (folder / "notes.txt").relative_to(root).as_posix(): "not listed in asset.json",
        (folder / ".x.sim.abc.part").relative_to(root).as_posix(): "temporary file of an interrupted write",
        "recordings/local/rec_interrupted/": "incomplete asset: no asset.json (rerun the export)",
    }


def test_an_asset_recorded_complete_but_gone_is_listed(exported):
    asset_json = next(exported.root.rglob("asset.json"))
    folder = asset_json.parent
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    (difference,) = verify_export(exported)
    assert difference.problem == "recorded complete, but missing"
    assert difference.key == folder.relative_to(exported.root).as_posix() + "/"


def test_an_unreadable_asset_json_is_listed(exported):
    next(exported.root.rglob("asset.json")).write_text("{not json")
    (difference,) = verify_export(exported)
    assert difference.key.endswith("asset.json") and "unreadable" in difference.problem


def test_a_corrupted_object_in_s3_is_caught(video, s3_client, bucket, tmp_path):
    destination = S3Destination(bucket, "x", client=s3_client, journal=tmp_path / "journal.jsonl")
    export_assets(video, destination)
    key = next(k for k in destination.keys() if k.endswith(".sim"))
    s3_client.put_object(Bucket=bucket, Key=f"x/{key}", Body=b"tampered")
    (difference,) = verify_export(destination)
    assert difference.key == key


def test_the_command_verifies_and_exits_1_listing_the_difference(exported):
    runner = CliRunner()
    clean = runner.invoke(export_command, [str(exported.root), "--verify"])
    assert clean.exit_code == 0, clean.output
    assert "verifies" in clean.output
    planted = _a_media_file(exported.root)
    planted.write_bytes(b"corrupted by the test")
    caught = runner.invoke(export_command, [str(exported.root), "--verify"])
    assert caught.exit_code == 1
    assert planted.relative_to(exported.root).as_posix() in caught.output
    assert "1 differences" in caught.output


def test_asset_json_records_core_metadata_and_both_checksums(exported):
    document = json.loads(next(exported.root.rglob("asset.json")).read_text())
    assert set(document) == {"format", "kind", "ref", "provider", "id", "metadata", "files"}
    assert all(f["sha256"] == f["provider_sha256"] and f["size"] == f["provider_size"] for f in document["files"])
