"""What an export asks the provider: its listing, then each file's bytes, nothing more per asset.

Requests are counted by the emulator itself: a fault rule of no fault lets
every request through and records it (``faults.injected``). The Vonage
emulator's archive downloads are served outside the provider's API, where no
fault rule looks, so on Vonage what is counted is the API requests.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from support.export import asset_keys, seed_twilio, seed_vonage

import anyvideo
from anyvideo.migrate.destinations import FolderDestination
from anyvideo.migrate.export import export_assets, verify_export
from anyvideo.testing.faults import Fault


def _counting(emulator) -> list[str]:
    """Start recording the emulator's requests; the list of ``"METHOD path"`` fills as they come."""
    emulator.faults.clear()
    emulator.faults.add(Fault())  # nothing happens to the request: it is only recorded
    emulator.faults.injected.clear()
    return emulator.faults.injected


def _said(injected) -> list[str]:
    return [f"{method} {path}" for method, path, _ in injected]


@pytest.fixture
def vonage(vonage_emulator):
    pytest.importorskip("anyvideo_vonage")
    credentials = vonage_emulator.credentials
    with anyvideo.connect(
        "vonage",
        environ={},
        application_id=credentials["application_id"],
        private_key=credentials["private_key"],
        video_host=urlsplit(vonage_emulator.base_url).netloc,
    ) as video:
        yield video


def test_a_vonage_export_asks_for_the_listing_and_no_archive_again(vonage, vonage_emulator, tmp_path):
    expected = seed_vonage(vonage, vonage_emulator.control, 12, sessions=3)
    injected = _counting(vonage_emulator)
    destination = FolderDestination(tmp_path / "export")
    report = export_assets(vonage, destination, workers=4, kinds=("recordings",))
    assert {o.key for o in report.exported} == expected and verify_export(destination) == []
    said = _said(injected)
    # The listing only: each archive's signed URL came with it, and the media was downloaded from there.
    assert said and all(re.fullmatch(r"GET /v2/project/[^/]+/archive", s) for s in said), said


def test_a_vonage_url_expired_since_the_listing_is_asked_for_again_once(vonage, vonage_emulator, tmp_path):
    expected = seed_vonage(vonage, vonage_emulator.control, 4, sessions=2)
    listed = list(vonage.recordings.list())
    vonage_emulator.control.advance(601)  # a listed URL lasts 10 minutes
    injected = _counting(vonage_emulator)
    for recording in listed:
        assert b"".join(vonage.recordings.iter_bytes(recording))
    said = _said(injected)
    assert all(s.startswith("GET /v2/project/") for s in said)
    assert sorted(s.rpartition("/archive/")[2] for s in said) == sorted(r.id for r in listed)
    assert {f"recordings/{r.ref}" for r in listed} == expected


def test_vonage_media_of_a_listed_archive_costs_no_request_for_the_archive(vonage, vonage_emulator):
    seed_vonage(vonage, vonage_emulator.control, 1, sessions=1)
    (recording,) = vonage.recordings.list()
    injected = _counting(vonage_emulator)
    data = b"".join(vonage.recordings.iter_bytes(recording))
    assert _said(injected) == []  # from the URL the listing gave
    by_id = b"".join(vonage.recordings.iter_bytes(recording.id))
    assert data == by_id and len(_said(injected)) == 1  # an id is fetched first, once


def test_a_twilio_export_asks_for_the_listing_and_each_files_media_once(twilio_emulator, tmp_path):
    pytest.importorskip("anyvideo_twilio")
    settings = {**twilio_emulator.credentials, "base_url": twilio_emulator.base_url}
    with anyvideo.connect("twilio", environ={}, **settings) as video:
        expected = seed_twilio(video, twilio_emulator.control, 8, 2, rooms=2)
        injected = _counting(twilio_emulator)
        destination = FolderDestination(tmp_path / "export")
        report = export_assets(video, destination, workers=4)
    assert {o.key for o in report.exported} == expected and verify_export(destination) == []
    said = _said(injected)
    media = [s for s in said if s.endswith("/Media")]
    signed = [s for s in said if s.startswith("GET /media/")]
    listings = [s for s in said if s in ("GET /v1/Recordings", "GET /v1/Compositions")]
    assert sorted(media) == sorted(
        f"GET /v1/{key.split('/')[0].title()}/{key.partition(':')[2]}/Media" for key in asset_keys(destination)
    )
    assert len(signed) == len(media) and len(listings) == 2
    assert len(said) == len(media) + len(signed) + len(listings), said  # no asset fetched again
