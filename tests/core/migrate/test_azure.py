"""The export into an Azure Blob Storage container (:class:`AzureBlobDestination`), against
Azurite, Microsoft's emulator (npm ``azurite``; ``.ci/run`` installs it): the same export as
into a folder or S3, verified; a damaged transfer stores nothing; a rerun keeps what is there.
Without Azurite, outside CI, these skip, saying how to install it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from support.export import Account
from support.storage import azurite_connection_string

from anyvideo import Video
from anyvideo.migrate.destinations import AzureBlobDestination, DamagedTransfer, hash_chunks
from anyvideo.migrate.export import export_assets, verify_export


@pytest.fixture
def container(azurite: str, tmp_path: Path) -> AzureBlobDestination:
    name = f"export-{uuid.uuid4().hex[:12]}"
    destination = AzureBlobDestination.from_connection_string(
        azurite_connection_string(azurite), name, "exports/2026", journal=tmp_path / "journal" / "manifest.jsonl"
    )
    destination.client.create_container()
    return destination


def test_an_export_into_a_container_is_whole_and_verifies(video: Video, account: Account, container) -> None:
    report = export_assets(video, container, workers=4)
    assert {o.key for o in report.exported} == account.copyable
    assert verify_export(container) == []
    recording = next(r for r in video.recordings.list(status="available") if r.files)
    media = recording.files[0]
    stored = b"".join(container.read(f"recordings/local/{recording.id}/{media.name}"))
    assert stored == b"".join(video.recordings.iter_bytes(recording, file_name=media.name))
    assert b"".join(container.read("manifest.jsonl"))  # the journal, published beside the assets
    again = export_assets(video, container, workers=4)
    assert {o.key for o in again.kept} == account.copyable and again.exported == []


def test_a_damaged_transfer_stores_nothing(container: AzureBlobDestination) -> None:
    with pytest.raises(DamagedTransfer):
        container.write("a/b.bin", [b"some bytes"], size=10, sha256="0" * 64)
    assert container.read("a/b.bin") is None and list(container.keys("a/")) == []
    written = container.write("a/b.bin", [b"some ", b"bytes"], content_type="video/mp4")
    assert written == hash_chunks([b"some bytes"]) and list(container.keys("a/")) == ["a/b.bin"]
    properties = container.client.get_blob_client("exports/2026/a/b.bin").get_blob_properties()
    assert properties.metadata == {"sha256": written.sha256}
    assert properties.content_settings.content_type == "video/mp4"


def test_its_repr_names_the_container_only(azurite: str) -> None:
    destination = AzureBlobDestination.from_connection_string(azurite_connection_string(azurite), "c-1", "p")
    assert repr(destination) == "AzureBlobDestination('azure://c-1/p')"
