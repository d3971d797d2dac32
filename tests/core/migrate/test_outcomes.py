"""What an export does with each status, and with a provider that misbehaves: every asset is accounted for.

The backend here is a plugin-style :class:`Backend` that serves a fixed
catalogue, so every status of the core model can be shown, including those the
simulated platform never reaches (failed, expired, uploaded to the customer's bucket).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from anyvideo import Video
from anyvideo.backend import Feature
from anyvideo.errors import NotFound, ProviderError, RateLimited
from anyvideo.local import LocalBackend
from anyvideo.migrate.destinations import FolderDestination
from anyvideo.migrate.export import export_assets, verify_export
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    MediaFile,
    Recording,
    RecordingMode,
    RecordingStatus,
)
from anyvideo.sim import World

STARTED = datetime(2026, 3, 1, tzinfo=UTC)
DATA = b"media bytes " * 1000


def _file(name: str = "a.mp4", data: bytes = DATA) -> MediaFile:
    return MediaFile(name, "video/mp4", len(data), hashlib.sha256(data).hexdigest())


def recording(status: RecordingStatus, files=None, raw=None, n: int = 1) -> Recording:
    return Recording(
        id=f"rec_{status}_{n}",
        provider="catalogue",
        room_id="rm_1",
        mode=RecordingMode.COMPOSED,
        status=status,
        started_at=STARTED + timedelta(minutes=n),
        files=[_file()] if files is None else files,
        raw=raw or {"status": str(status)},
    )


def composition(status: CompositionStatus, output=CompositionOutput.FILE, n: int = 1) -> Composition:
    return Composition(
        id=f"cmp_{status}_{output}_{n}",
        provider="catalogue",
        room_id="rm_1",
        output=output,
        status=status,
        started_at=STARTED,
        files=[_file()] if output is CompositionOutput.FILE else [],
    )


class CatalogueBackend(LocalBackend):
    """A backend plugin over a fixed list of assets; ``faults[asset id]`` lists what the next downloads do."""

    name = "catalogue"

    def __init__(self, recordings=(), compositions=(), faults=None) -> None:
        super().__init__(World(), owns_world=True)
        self.recordings = {r.id: r for r in recordings}
        self.compositions = {c.id: c for c in compositions}
        self.faults: dict[str, list] = faults or {}
        self.downloads = 0

    def get_recording(self, recording_id: str) -> Recording:
        return self.recordings[recording_id]

    def list_recordings(self, *, room_id=None, status=None) -> Iterator[Recording]:
        return iter(self.recordings.values())

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        return self._download(recording_id)

    def get_composition(self, composition_id: str) -> Composition:
        return self.compositions[composition_id]

    def list_compositions(self, *, room_id=None, status=None) -> Iterator[Composition]:
        return iter(self.compositions.values())

    def download_composition(self, composition_id: str, file_name: str) -> Iterator[bytes]:
        return self._download(composition_id)

    def _download(self, asset_id: str) -> Iterator[bytes]:
        self.downloads += 1
        planned = self.faults.get(asset_id) or [None]
        fault = planned.pop(0) if len(planned) > 1 else planned[0]
        if isinstance(fault, Exception):
            raise fault
        if fault == "damaged":
            return iter([DATA[:-1] + b"?"])
        return iter([DATA[:5000], DATA[5000:]])


class ExternalStorageBackend(CatalogueBackend):
    name = "catalogue"
    features = LocalBackend.features | {Feature.EXTERNAL_STORAGE}


class RecordingsOnlyBackend(CatalogueBackend):
    features = frozenset({Feature.RECORDING})


def _export(backend, tmp_path, **options):
    return export_assets(Video(backend), FolderDestination(tmp_path / "export"), backoff=0, **options)


@pytest.mark.parametrize("status", [s for s in RecordingStatus if s is not RecordingStatus.AVAILABLE])
def test_a_recording_in_any_other_status_than_available_is_skipped_with_it(status, tmp_path):
    report = _export(CatalogueBackend([recording(status)]), tmp_path)
    (outcome,) = report.skipped
    assert outcome.reason.startswith(f"{status}: ")


@pytest.mark.parametrize("status", [s for s in CompositionStatus if s is not CompositionStatus.AVAILABLE])
def test_a_composition_in_any_other_status_than_available_is_skipped_with_it(status, tmp_path):
    report = _export(CatalogueBackend(compositions=[composition(status)]), tmp_path)
    (outcome,) = report.skipped
    assert str(status) in outcome.reason or "broadcast" in outcome.reason


def test_a_live_broadcast_is_skipped_as_having_no_file(tmp_path):
    broadcast = composition(CompositionStatus.STOPPED, CompositionOutput.LIVE)
    report = _export(CatalogueBackend(compositions=[broadcast]), tmp_path)
    assert report.skipped[0].reason == "a live broadcast leaves no file to copy"


def test_media_in_the_customers_own_bucket_is_skipped_and_says_where_it_is(tmp_path):
    uploaded = recording(RecordingStatus.AVAILABLE, files=[], raw={"status": "uploaded"})
    report = _export(ExternalStorageBackend([uploaded]), tmp_path)
    (outcome,) = report.skipped
    assert "'uploaded'" in outcome.reason and "own storage" in outcome.reason


def test_an_available_asset_without_files_is_skipped(tmp_path):
    empty = recording(RecordingStatus.AVAILABLE, files=[], raw={"status": "available"})
    report = _export(CatalogueBackend([empty]), tmp_path)
    assert report.skipped[0].reason == "available, but the provider offers no file to download"


def test_transient_errors_and_a_damaged_transfer_are_retried(tmp_path):
    assets = [recording(RecordingStatus.AVAILABLE, n=n) for n in range(3)]
    faults = {
        assets[0].id: [RateLimited("slow down", retry_after=0), None],
        assets[1].id: [ProviderError("bad gateway", provider="catalogue", status=502), None],
        assets[2].id: ["damaged", None],
    }
    backend = CatalogueBackend(assets, faults=faults)
    report = _export(backend, tmp_path, workers=1)
    assert len(report.exported) == 3 and backend.downloads == 6
    assert verify_export(FolderDestination(tmp_path / "export")) == []


def test_a_transfer_that_stays_damaged_fails_and_leaves_nothing_behind(tmp_path):
    asset = recording(RecordingStatus.AVAILABLE)
    backend = CatalogueBackend([asset], faults={asset.id: ["damaged"]})
    report = _export(backend, tmp_path, retries=2)
    (outcome,) = report.failed
    assert outcome.reason.startswith("DamagedTransfer: ") and backend.downloads == 3
    assert not (tmp_path / "export" / "recordings" / "catalogue" / asset.id / "a.mp4").exists()
    assert [p.name for p in (tmp_path / "export" / "recordings" / "catalogue" / asset.id).iterdir()] == []


def test_an_asset_deleted_after_the_listing_is_skipped_not_failed(tmp_path):
    asset = recording(RecordingStatus.AVAILABLE)
    report = _export(CatalogueBackend([asset], faults={asset.id: [NotFound("no such archive")]}), tmp_path)
    assert "refused its media" in report.skipped[0].reason


def test_a_file_name_that_would_leave_the_folder_fails_the_asset(tmp_path):
    asset = recording(RecordingStatus.AVAILABLE, files=[_file("../../evil.mp4")])
    report = _export(CatalogueBackend([asset]), tmp_path)
    assert "cannot store a file named" in report.failed[0].reason
    assert not (tmp_path / "evil.mp4").exists()


def test_a_backend_without_compositions_exports_its_recordings_and_says_so(tmp_path):
    report = _export(RecordingsOnlyBackend([recording(RecordingStatus.AVAILABLE)]), tmp_path)
    assert len(report.exported) == 1
    (note,) = report.unsupported
    assert note.startswith("compositions: ")


def test_an_asset_without_a_start_time_is_listed_when_a_time_range_is_asked(tmp_path):
    undated = Recording(
        id="rec_undated", provider="catalogue", room_id="rm_1", mode="composed", status="available", files=[_file()]
    )
    report = _export(CatalogueBackend([undated, recording(RecordingStatus.AVAILABLE)]), tmp_path, since=STARTED)
    assert [o.ref for o in report.exported] == ["catalogue:rec_available_1"]
    assert "no start time" in report.skipped[0].reason
