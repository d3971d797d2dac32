"""Conformance of recordings and compositions: started, processed, listed,
downloaded intact, deleted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from anyvideo.backend import Devices, Feature
from anyvideo.client import MANIFEST, Video
from anyvideo.errors import InvalidRequest, NotFound
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    Layout,
    Recording,
    RecordingMode,
    RecordingStatus,
    Room,
    RtmpTarget,
    StreamKind,
)
from anyvideo.testing.conformance.kit import ConformanceKit, Platform, needs, unique_name

__all__ = ["CompositionConformance", "RecordingConformance"]


def _on_air(video: Video, devices: Devices, room: Room) -> list[str]:
    """Two participants publishing camera streams; returns the stream ids."""
    return [
        devices.join(video.tokens.create(room, identity)).publish(StreamKind.AUDIO_VIDEO, name=f"{identity}-cam")
        for identity in ("ann", "bob")
    ]


def _recorded(platform: Platform, room: Room, *, mode: RecordingMode = RecordingMode.COMPOSED) -> Recording:
    """A recording of ``room`` made, stopped and processed until available. A composed one
    is mixed once its room has ended (some providers mix only ended rooms), so the room ends."""
    video = platform.video
    recording = video.recordings.start(room, mode=mode)
    platform.advance(10)
    video.recordings.stop(recording)
    if mode is RecordingMode.COMPOSED:
        video.rooms.end(room)
    return platform.settle(
        lambda: video.recordings.get(recording), lambda r: r.status is not RecordingStatus.PROCESSING
    )


def _check_download(video: Video, item: Recording | Composition, folder: Path) -> None:
    """Every file downloads whole, with the size and checksum the provider reported."""
    media = video.recordings if isinstance(item, Recording) else video.compositions
    assert item.files, f"{item.ref} has no files"
    for file in item.files:
        saved = media.download(item, folder, file_name=file.name)
        body = saved.read_bytes()
        assert body, f"{file.name} is empty"
        if file.size is not None:
            assert len(body) == file.size
        if file.sha256:
            assert hashlib.sha256(body).hexdigest() == file.sha256


class RecordingConformance(ConformanceKit):
    """Recordings capture a room from start to stop, then become available."""

    @needs(Feature.RECORDING)
    def test_a_started_recording_is_recording_the_room(self, video: Video, devices: Devices, room: Room) -> None:
        _on_air(video, devices, room)
        recording = video.recordings.start(room, name="weekly")
        assert (recording.status, recording.room_id, recording.mode) == (
            RecordingStatus.RECORDING,
            room.id,
            RecordingMode.COMPOSED,
        )
        assert video.recordings.get(recording).status is RecordingStatus.RECORDING
        assert recording.provider == room.provider
        assert recording.ref == f"{recording.provider}:{recording.id}"

    @needs(Feature.RECORDING)
    def test_a_stopped_recording_becomes_available_with_its_duration(
        self, platform: Platform, video: Video, devices: Devices, room: Room
    ) -> None:
        _on_air(video, devices, room)
        recording = video.recordings.start(room)
        platform.advance(10)
        stopped = video.recordings.stop(recording)
        assert stopped.status in (RecordingStatus.PROCESSING, RecordingStatus.AVAILABLE)
        video.rooms.end(room)
        available = platform.settle(lambda: video.recordings.get(recording), lambda r: r.status is not stopped.status)
        assert available.status is RecordingStatus.AVAILABLE
        assert available.duration is not None and available.duration >= 9
        assert available.started_at is not None

    @needs(Feature.RECORDING)
    def test_wait_returns_the_recording_once_available(
        self, platform: Platform, video: Video, devices: Devices, room: Room
    ) -> None:
        _on_air(video, devices, room)
        recording = video.recordings.start(room)
        platform.advance(10)
        video.recordings.stop(recording)
        video.rooms.end(room)
        # Each time the wait would sleep, the platform's clock moves on instead.
        available = video.recordings.wait(recording, interval=0.001, progress=lambda _: platform.advance(platform.step))
        assert available.status is RecordingStatus.AVAILABLE and available.id == recording.id

    @needs(Feature.RECORDING)
    def test_a_composed_recording_is_available_as_its_one_mixed_file(
        self, platform: Platform, video: Video, devices: Devices, room: Room, tmp_path: Path
    ) -> None:
        _on_air(video, devices, room)
        recording = _recorded(platform, room)
        assert recording.status is RecordingStatus.AVAILABLE
        (file,) = recording.files
        saved = video.recordings.download(recording, f"{tmp_path}/recordings/")
        assert saved == tmp_path / "recordings" / file.name and saved.is_file()

    @needs(Feature.RECORDING)
    def test_an_available_recording_downloads_intact(
        self, platform: Platform, video: Video, devices: Devices, room: Room, tmp_path: Path
    ) -> None:
        _on_air(video, devices, room)
        recording = _recorded(platform, room)
        assert recording.status is RecordingStatus.AVAILABLE
        _check_download(video, recording, tmp_path)

    @needs(Feature.INDIVIDUAL_RECORDING)
    def test_an_individual_recording_keeps_its_mode_and_downloads_intact(
        self, platform: Platform, video: Video, devices: Devices, room: Room, tmp_path: Path
    ) -> None:
        _on_air(video, devices, room)
        recording = _recorded(platform, room, mode=RecordingMode.INDIVIDUAL)
        assert (recording.mode, recording.status) == (RecordingMode.INDIVIDUAL, RecordingStatus.AVAILABLE)
        _check_download(video, recording, tmp_path)

    @needs(Feature.INDIVIDUAL_RECORDING)
    def test_an_individual_recording_downloads_as_a_folder_of_stream_files_and_a_manifest(
        self, platform: Platform, video: Video, devices: Devices, room: Room, tmp_path: Path
    ) -> None:
        published = _on_air(video, devices, room)
        recording = _recorded(platform, room, mode=RecordingMode.INDIVIDUAL)
        with pytest.raises(InvalidRequest) as refused:
            video.recordings.download(recording, tmp_path / "one-file")
        assert refused.value.field == "destination"

        folder = video.recordings.download(recording, f"{tmp_path}/streams/")
        assert folder == tmp_path / "streams"
        manifest = json.loads((folder / MANIFEST).read_text())
        assert manifest["recording"]["id"] == recording.id and manifest["recording"]["mode"] == "individual"
        entries = manifest["files"]
        assert {e["file"] for e in entries} == {p.name for p in folder.iterdir()} - {MANIFEST}
        for entry in entries:
            body = (folder / entry["file"]).read_bytes()
            assert (len(body), hashlib.sha256(body).hexdigest()) == (entry["size"], entry["sha256"])
            assert entry["kind"] in (None, "audio", "video", "audio_video")
            if entry["participant_id"] is not None and entry["identity"] is not None:
                assert entry["identity"] in ("ann", "bob")
        assert set(published) <= {e["stream_id"] for e in entries}

    @needs(Feature.RECORDING)
    def test_recordings_are_listed_by_room_and_status(
        self, platform: Platform, video: Video, devices: Devices, room: Room
    ) -> None:
        _on_air(video, devices, room)
        done = _recorded(platform, room)  # its room has ended: the next recording is in another
        other = video.rooms.create(unique_name())
        _on_air(video, devices, other)
        running = video.recordings.start(other)
        assert [r.id for r in video.recordings.list(room=room)] == [done.id]
        assert [r.id for r in video.recordings.list(room=room, status=RecordingStatus.AVAILABLE)] == [done.id]
        assert [r.id for r in video.recordings.list(room=other, status=RecordingStatus.RECORDING)] == [running.id]
        assert running.id in [r.id for r in video.recordings.list(status=RecordingStatus.RECORDING)]

    @needs(Feature.RECORDING)
    def test_a_deleted_recording_is_gone_or_deleted_without_files(
        self, platform: Platform, video: Video, devices: Devices, room: Room
    ) -> None:
        _on_air(video, devices, room)
        recording = _recorded(platform, room)
        video.recordings.delete(recording)
        try:
            after = video.recordings.get(recording)
        except NotFound:
            pass
        else:
            assert (after.status, after.files) == (RecordingStatus.DELETED, ())
        assert recording.id not in [r.id for r in video.recordings.list(room=room, status=RecordingStatus.AVAILABLE)]

    @needs(Feature.RECORDING)
    def test_a_recording_with_a_layout_and_resolution_keeps_them(
        self, video: Video, devices: Devices, room: Room
    ) -> None:
        offered = video.backend.resolutions
        # 1280x720, or the first size a backend with a fixed list offers when it is not on it.
        resolution = "1280x720" if offered is None or "1280x720" in offered else sorted(offered)[0]
        _on_air(video, devices, room)
        recording = video.recordings.start(room, layout=Layout.grid(), resolution=resolution)
        fetched = video.recordings.get(recording)
        assert str(fetched.resolution) == resolution
        assert fetched.layout is not None and fetched.layout.kind == Layout.grid().kind


class CompositionConformance(ConformanceKit):
    """Compositions mix a room into a file after the fact, or broadcast it live."""

    @needs(Feature.POST_HOC_COMPOSITION, Feature.RECORDING)
    def test_a_file_composition_of_an_ended_room_becomes_available_and_downloads(
        self, platform: Platform, video: Video, devices: Devices, room: Room, tmp_path: Path
    ) -> None:
        _on_air(video, devices, room)
        _recorded(platform, room, mode=RecordingMode.INDIVIDUAL)
        video.rooms.end(room)
        composition = video.compositions.start(room, output=CompositionOutput.FILE, layout=Layout.grid())
        assert composition.output is CompositionOutput.FILE
        done = platform.settle(
            lambda: video.compositions.get(composition),
            lambda c: c.status not in (CompositionStatus.QUEUED, CompositionStatus.PROCESSING),
        )
        assert done.status is CompositionStatus.AVAILABLE
        assert composition.id in [c.id for c in video.compositions.list(room=room)]
        _check_download(video, done, tmp_path)

    @needs(Feature.LIVE_STREAMING)
    def test_a_live_composition_broadcasts_to_hls_until_stopped(
        self, video: Video, devices: Devices, room: Room
    ) -> None:
        _on_air(video, devices, room)
        live = video.compositions.start(room, output=CompositionOutput.LIVE, hls=True, layout=Layout.grid())
        assert (live.status, live.output) == (CompositionStatus.LIVE, CompositionOutput.LIVE)
        assert live.hls_url
        assert live.id in [c.id for c in video.compositions.list(room=room, status=CompositionStatus.LIVE)]
        stopped = video.compositions.stop(live)
        assert stopped.status is CompositionStatus.STOPPED

    @needs(Feature.LIVE_STREAMING)
    def test_a_live_composition_pushes_to_rtmp_targets(self, video: Video, devices: Devices, room: Room) -> None:
        _on_air(video, devices, room)
        target = RtmpTarget("rtmp://live.example.com/app", stream_name="secret-key", id="main")
        live = video.compositions.start(room, output=CompositionOutput.LIVE, rtmp=[target])
        assert [t.url for t in video.compositions.get(live).rtmp] == ["rtmp://live.example.com/app"]
        assert "secret-key" not in repr(live)
        video.compositions.stop(live)
