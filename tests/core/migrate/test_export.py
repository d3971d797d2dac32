"""Exporting the local backend's recordings and compositions to a folder and to an S3 server."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from support.export import Account, asset_keys, contents

from anyvideo import ConfigurationError, InvalidRequest, Video
from anyvideo.migrate import export as export_module
from anyvideo.migrate.destinations import FolderDestination, S3Destination, destination_from_url
from anyvideo.migrate.export import ExportProgress, export_assets, verify_export
from anyvideo.migrate.manifest import last_states, read_entries
from anyvideo.ratelimit import RateLimiter


@pytest.fixture(params=["folder", "s3"])
def destination(request, tmp_path: Path):
    if request.param == "folder":
        return FolderDestination(tmp_path / "export")
    client = request.getfixturevalue("s3_client")
    bucket = request.getfixturevalue("bucket")
    return S3Destination(bucket, "exports/2026", client=client, journal=tmp_path / "journal" / "manifest.jsonl")


def test_every_copyable_asset_is_exported_with_media_metadata_and_raw_payload(video, account, destination):
    report = export_assets(video, destination, workers=4)
    assert {o.key for o in report.exported} == account.copyable
    assert sorted(asset_keys(destination)) == sorted(account.copyable)
    recording = next(r for r in video.recordings.list(status="available") if r.mode == "composed")
    folder = f"recordings/local/{recording.id}/"
    document = json.loads(b"".join(destination.read(folder + "asset.json")))
    assert document["metadata"]["status"] == "available"
    assert document["metadata"]["started_at"] == recording.started_at.isoformat()
    (media,) = recording.files
    assert document["files"] == [
        {
            "name": media.name,
            "content_type": media.content_type,
            "size": media.size,
            "sha256": media.sha256,
            "provider_size": media.size,
            "provider_sha256": media.sha256,
        }
    ]
    assert b"".join(destination.read(folder + media.name)) == b"".join(video.recordings.iter_bytes(recording))
    assert json.loads(b"".join(destination.read(folder + "raw.json")))["id"] == recording.id
    assert verify_export(destination) == []


def test_what_cannot_be_copied_is_skipped_with_its_reason_and_recorded(video, account, destination):
    report = export_assets(video, destination)
    assert not report.complete
    reasons = {o.key: o.reason for o in report.skipped}
    assert reasons.keys() == account.uncopyable.keys()
    for key, word in account.uncopyable.items():
        assert word in reasons[key]
    states = last_states(read_entries(destination.journal_path()))
    assert {k for k, s in states.items() if s["event"] == "skipped"} == set(account.uncopyable)
    assert len(report.outcomes) == len(account.copyable) + len(account.uncopyable)


def test_a_second_run_keeps_what_is_there_and_copies_nothing(video, account, destination):
    export_assets(video, destination)
    before = contents(destination)
    again = export_assets(video, destination)
    assert {o.key for o in again.kept} == account.copyable
    assert again.exported == [] and again.bytes == 0
    assert contents(destination) == before


def test_an_asset_that_became_available_is_copied_by_the_next_run(video, account, tmp_path):
    destination = FolderDestination(tmp_path / "export")
    first = export_assets(video, destination)
    late = next(k for k, why in account.uncopyable.items() if why == "processing")
    assert late in {o.key for o in first.skipped}
    account.clock.advance(120)
    second = export_assets(video, destination)
    assert [o.key for o in second.exported] == [late]
    assert late in asset_keys(destination)


def test_filters_by_room_and_by_time(video, account, tmp_path):
    room = account.room_ids[4]
    by_room = export_assets(video, FolderDestination(tmp_path / "room"), room=room)
    assert {o.ref for o in by_room.outcomes} == {r.ref for r in video.recordings.list(room=room)} | {
        c.ref for c in video.compositions.list(room=room)
    }
    starts = sorted(r.started_at for r in video.recordings.list(status="available"))
    since, until = starts[3], starts[7]
    by_time = export_assets(video, FolderDestination(tmp_path / "time"), since=since, until=until, kinds=["recordings"])
    assert len(by_time.outcomes) == 4
    assert all(since <= video.recordings.get(o.ref).started_at < until for o in by_time.outcomes)


def test_progress_counts_every_asset_and_the_bytes(video, account, tmp_path):
    seen: list[ExportProgress] = []
    report = export_assets(video, FolderDestination(tmp_path / "export"), workers=3, progress=seen.append)
    assert [p.done for p in seen] == list(range(1, len(report.outcomes) + 1))
    assert {p.total for p in seen if not p.listing} == {len(report.outcomes)}
    assert [p.total for p in seen] == sorted(p.total for p in seen) and all(p.done <= p.total for p in seen)
    assert seen[-1].bytes == report.bytes > 0


def test_the_copy_starts_while_the_listing_goes_on(video, account, tmp_path):
    seen: list[ExportProgress] = []
    report = export_assets(video, FolderDestination(tmp_path / "export"), workers=1, progress=seen.append)
    # One worker, two assets queued: the first is copied when two have been listed, of 20.
    assert (seen[0].listing, seen[0].total) == (True, 2)
    assert len(report.outcomes) == len(account.copyable) + len(account.uncopyable) > 2


def test_the_rate_limit_counts_one_request_per_media_file(video, account, tmp_path, monkeypatch):
    taken: list[int] = []

    class Counting(RateLimiter):
        def acquire(self, requests: float = 1.0, *, within: float | None = None) -> float | None:
            taken.append(int(requests))
            return super().acquire(requests, within=within)

    monkeypatch.setattr(export_module, "RateLimiter", Counting)
    report = export_assets(video, FolderDestination(tmp_path / "export"), workers=4, rate=200)
    # The listed asset says what to ask for: a file costs the one request for its bytes.
    assert sum(taken) == sum(o.files for o in report.exported) > 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"workers": 0}, "workers"),
        ({"rate": 0}, "rate"),
        ({"kinds": ["rooms"]}, "kinds"),
        ({"since": "yesterday"}, "since"),
        ({"until": "tomorrow"}, "until"),
    ],
)
def test_bad_arguments_fail_before_anything_is_written(video, tmp_path, arguments, field):
    target = tmp_path / "export"
    with pytest.raises(InvalidRequest) as caught:
        export_assets(video, FolderDestination(target), **arguments)
    assert caught.value.field == field
    assert not target.exists()


def test_since_must_come_before_until(video: Video, account: Account, tmp_path):
    moment = account.clock.now()
    with pytest.raises(InvalidRequest, match="until"):
        export_assets(video, FolderDestination(tmp_path), since=moment, until=moment - timedelta(seconds=1))


def test_destination_from_url():
    assert isinstance(destination_from_url("./exports/2026"), FolderDestination)
    s3 = destination_from_url("s3://media-archive/vonage/2026", s3_client=object())
    assert isinstance(s3, S3Destination)
    assert (s3.bucket, s3.prefix, s3.url) == ("media-archive", "vonage/2026", "s3://media-archive/vonage/2026")
    with pytest.raises(InvalidRequest):
        destination_from_url("ftp://host/folder")


def test_a_copy_made_earlier_is_kept_when_the_provider_deletes_the_asset(video, account, tmp_path):
    destination = FolderDestination(tmp_path / "export")
    export_assets(video, destination)
    deleted = next(r for r in video.recordings.list(status="available"))
    video.recordings.delete(deleted)
    again = export_assets(video, destination)
    assert f"recordings/{deleted.ref}" in {o.key for o in again.kept}
    assert f"recordings/{deleted.ref}" in asset_keys(destination)


def test_assets_exported_earlier_but_not_listed_now_are_reported(video, account, tmp_path):
    destination = FolderDestination(tmp_path / "export")
    export_assets(video, destination)
    room = account.room_ids[0]
    narrow = export_assets(video, destination, room=room)
    in_room = {o.key for o in narrow.outcomes}
    assert set(narrow.not_listed) == account.copyable - in_room
    assert set(asset_keys(destination)) == account.copyable


def test_the_run_line_records_the_selection(video, account, tmp_path):
    destination = FolderDestination(tmp_path / "export")
    since = account.clock.now() - timedelta(days=3)
    export_assets(video, destination, since=since, workers=2, rate=50)
    (run,) = [e for e in read_entries(destination.journal_path()) if e["event"] == "run"]
    assert run["since"] == since.isoformat() and run["until"] is None
    assert (run["backend"], run["workers"], run["rate"]) == ("local", 2, 50)
    (listed,) = [e for e in read_entries(destination.journal_path()) if e["event"] == "listed"]
    assert listed["count"] == len(account.copyable) + len(account.uncopyable)


def test_a_missing_bucket_is_a_clear_error_before_anything_is_listed(video, s3_client, tmp_path):
    destination = S3Destination("no-such-bucket-here", client=s3_client, journal=tmp_path / "journal.jsonl")
    with pytest.raises(ConfigurationError, match="cannot read s3://no-such-bucket-here: NoSuchBucket"):
        export_assets(video, destination)
