"""500 assets from each provider's emulator, through the real backends and SDKs, to a folder and to S3."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.export import asset_keys, seed_twilio, seed_vonage

import anyvideo
from anyvideo import Video
from anyvideo.migrate.destinations import FolderDestination, S3Destination
from anyvideo.migrate.export import export_assets, verify_export
from anyvideo.testing.faults import Fault

ASSETS = 500


def _export_both_ways(video: Video, expected: set[str], tmp_path: Path, s3_client, bucket: str) -> None:
    """Export to a folder and to S3: every asset once, the folder verified in full, and the S3 copy
    holding the same keys, with a sample of 50 assets byte for byte as in the folder (moto answers
    about 150 requests a second here, so rereading all 1,500 objects would double the test's time;
    test_verify rereads a whole S3 export)."""
    folder = FolderDestination(tmp_path / "export")
    s3 = S3Destination(bucket, video.backend_name, client=s3_client, journal=tmp_path / "s3-journal.jsonl")
    # Both at once: the folder export keeps this process busy while the S3 export mostly waits on moto.
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda destination: export_assets(video, destination, workers=8), (folder, s3)))
    for destination, report in zip((folder, s3), reports, strict=True):
        assert report.failed == [] and report.skipped == []
        assert {o.key for o in report.exported} == expected
        keys = asset_keys(destination)
        assert len(keys) == len(set(keys)) == ASSETS and set(keys) == expected
    assert verify_export(folder) == []
    assert set(s3.keys()) == set(folder.keys())
    for key in random.Random(7).sample(sorted(folder.keys()), 150):
        # Even raw.json: a media URL the provider signs anew each time is stored without its signature.
        assert b"".join(s3.read(key)) == b"".join(folder.read(key)), key
    documents = [b"".join(folder.read(key)).lower() for key in folder.keys() if key.endswith(".json")]
    assert documents and not [d for d in documents if b"signature=" in d]


def test_500_assets_from_the_vonage_emulator(vonage_emulator, tmp_path, s3_client, bucket):
    pytest.importorskip("anyvideo_vonage")
    credentials = vonage_emulator.credentials
    with anyvideo.connect(
        "vonage",
        environ={},
        application_id=credentials["application_id"],
        private_key=credentials["private_key"],
        video_host=urlsplit(vonage_emulator.base_url).netloc,
    ) as video:
        expected = seed_vonage(video, vonage_emulator.control, ASSETS)
        _export_both_ways(video, expected, tmp_path, s3_client, bucket)


def test_500_assets_from_the_twilio_emulator(twilio_emulator, tmp_path, s3_client, bucket):
    pytest.importorskip("anyvideo_twilio")
    settings = {**twilio_emulator.credentials, "base_url": twilio_emulator.base_url}
    with anyvideo.connect("twilio", environ={}, **settings) as video:
        expected = seed_twilio(video, twilio_emulator.control, ASSETS - 50, 50)
        _export_both_ways(video, expected, tmp_path, s3_client, bucket)


def test_an_export_through_a_flaky_provider_retries_until_everything_is_there(twilio_emulator, tmp_path):
    """One request in five answered 429, 500 or 503, or dropped: the export retries and misses nothing."""
    pytest.importorskip("anyvideo_twilio")
    settings = {**twilio_emulator.credentials, "base_url": twilio_emulator.base_url}
    with anyvideo.connect("twilio", environ={}, **settings) as video:
        expected = seed_twilio(video, twilio_emulator.control, 40, 4, rooms=4)
        twilio_emulator.faults.add(
            rate=0.2,
            choices=[Fault(status=429, retry_after=0), Fault(status=500), Fault(status=503), Fault(drop=True)],
            path=r"^/v1/(Recordings|Compositions)/",
        )
        destination = FolderDestination(tmp_path / "export")
        report = export_assets(video, destination, workers=4, retries=8, backoff=0.01)
        assert twilio_emulator.faults.injected  # the faults did happen
        assert report.failed == [] and {o.key for o in report.exported} == expected
        assert verify_export(destination) == []
