"""Recordings are archives: composed or individual, layout, resolution, the provider's conflicts,
delete, download with checksum, and listings paged lazily."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from anyvideo import Conflict, InvalidRequest, Layout, LayoutKind, RecordingMode, RecordingStatus, Region
from anyvideo.client import MANIFEST
from anyvideo.testing.faults import Fault
from anyvideo_vonage import layouts, rest


@pytest.fixture
def live_room(video, browser, room):
    """A room with one client publishing (Vonage archives need a connected client)."""
    ann = browser.join(video.tokens.create(room, "ann"))
    ann.publish(name="ann-camera")
    return room


def _available(video, vonage_emulator, recording):
    video.recordings.stop(recording)
    vonage_emulator.control.advance(5)
    return video.recordings.get(recording)


def test_composed_with_layout_and_resolution(video, live_room, vonage_emulator) -> None:
    recording = video.recordings.start(live_room, layout=Layout.pip(), resolution="1280x720", name="weekly")
    assert recording.status is RecordingStatus.RECORDING and recording.mode is RecordingMode.COMPOSED
    assert recording.layout == Layout.pip() and str(recording.resolution) == "1280x720" and recording.name == "weekly"
    assert vonage_emulator.state.archives[recording.id].layout == {"type": "pip"}
    stopped = video.recordings.stop(recording)
    assert stopped.status is RecordingStatus.PROCESSING and stopped.stopped_at is not None
    assert video.recordings.get(recording).layout == Layout.pip()  # kept by the registry


def test_individual_records_one_zip(video, live_room, vonage_emulator, tmp_path) -> None:
    recording = video.recordings.start(live_room, mode="individual")
    assert recording.mode is RecordingMode.INDIVIDUAL and recording.layout is None
    available = _available(video, vonage_emulator, recording)
    assert [f.name for f in available.files] == ["archive.zip"]
    saved = video.recordings.download(available, tmp_path, file_name="archive.zip")  # as the provider gives it
    assert zipfile.is_zipfile(saved)


def test_an_individual_archive_downloads_as_its_stream_files_and_a_manifest(
    video, live_room, vonage_emulator, tmp_path
) -> None:
    [stream] = video.streams.list(live_room)
    recording = video.recordings.start(live_room, mode="individual")
    vonage_emulator.control.advance(4)
    available = _available(video, vonage_emulator, recording)
    folder = video.recordings.download(available, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{stream.id}.sim", MANIFEST])
    [entry] = json.loads((folder / MANIFEST).read_text())["files"]
    body = (folder / entry["file"]).read_bytes()
    assert (entry["stream_id"], entry["offset"]) == (stream.id, 0.0)  # published before the archive started
    assert entry["duration"] >= 4  # the emulator's clock also runs on its own
    assert (entry["size"], entry["sha256"]) == (len(body), hashlib.sha256(body).hexdigest())


def test_audio_only(video, live_room) -> None:
    recording = video.recordings.start(live_room, has_video=False)
    assert not recording.has_video and recording.has_audio


def test_download_matches_the_providers_checksum(video, live_room, vonage_emulator, tmp_path) -> None:
    available = _available(video, vonage_emulator, video.recordings.start(live_room))
    assert available.status is RecordingStatus.AVAILABLE
    [file] = available.files
    saved = video.recordings.download(available, tmp_path)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == file.sha256 and saved.stat().st_size == file.size


def test_a_second_recording_of_the_room_conflicts(video, live_room) -> None:
    video.recordings.start(live_room)
    with pytest.raises(Conflict, match="already being recorded"):
        video.recordings.start(live_room)


def test_a_tagged_second_recording_runs_alongside(video, live_room) -> None:
    video.recordings.start(live_room)
    second = video.recordings.start(live_room, provider_options={"multi_archive_tag": "backup"})
    assert second.raw["multiArchiveTag"] == "backup"


def test_stopping_as_the_provider_answers(video, live_room, vonage_emulator) -> None:
    recording = video.recordings.start(live_room)
    video.recordings.stop(recording)
    # Vonage stops "started OR paused OR stopped" archives: a stopped one comes back as it is
    assert video.recordings.stop(recording).status is RecordingStatus.PROCESSING
    vonage_emulator.control.advance(5)
    with pytest.raises(Conflict, match="15002"):
        video.recordings.stop(recording)


def test_delete(video, live_room, vonage_emulator) -> None:
    recording = video.recordings.start(live_room)
    with pytest.raises(Conflict, match="available OR uploaded OR deleted"):
        video.recordings.delete(recording)
    _available(video, vonage_emulator, recording)
    video.recordings.delete(recording)
    assert video.recordings.get(recording).status is RecordingStatus.DELETED
    assert recording.id not in {r.id for r in video.recordings.list()}


def test_a_room_without_clients_cannot_be_recorded(video, room) -> None:
    from anyvideo import NotFound

    with pytest.raises(NotFound, match="no clients"):
        video.recordings.start(room)


def test_recording_options_are_checked_first(video, live_room, vonage_emulator) -> None:
    vonage_emulator.faults.add(Fault(status=500))  # nothing may reach the provider
    with pytest.raises(InvalidRequest, match="max_duration"):
        video.recordings.start(live_room, max_duration=600)
    with pytest.raises(InvalidRequest, match="provider_options"):
        video.recordings.start(live_room, provider_options={"bitrate": 1})
    with pytest.raises(InvalidRequest, match="max_bitrate"):
        video.recordings.start(live_room, mode="individual", provider_options={"max_bitrate": 200_000})
    with pytest.raises(InvalidRequest, match="resolution"):
        video.recordings.start(live_room, resolution="800x600")


def test_custom_and_focus_layouts_become_css(video, live_room, vonage_emulator) -> None:
    layout = Layout.custom(
        [Region("main", 0, 0, 1, 0.75, sources="name:ann-camera"), Region("strip", 0, 0.75, 1, 0.25)]
    )
    recording = video.recordings.start(live_room, layout=layout)
    sent = vonage_emulator.state.archives[recording.id].layout
    main = layouts.region_classes(layout)["main"]
    assert (
        sent == {"type": "custom", "stylesheet": layouts.stylesheet(layout)} and f"stream.{main} " in sent["stylesheet"]
    )
    [stream] = video.streams.list(live_room)
    assert vonage_emulator.state.layout_classes[stream.id] == [main]
    assert video.recordings.get(recording).layout.kind is LayoutKind.CUSTOM
    changed = video.ext.change_recording_layout(recording.id, Layout.focus())
    assert changed.layout == Layout.focus()
    assert "stream.focus" in vonage_emulator.state.archives[recording.id].layout["stylesheet"]
    assert vonage_emulator.state.layout_classes[stream.id] == []  # the custom layout's class went with it


def test_manual_stream_selection(video, browser, live_room, vonage_emulator) -> None:
    stream_id = next(iter(video.streams.list(live_room))).id
    recording = video.recordings.start(live_room, provider_options={"stream_mode": "manual"})
    video.ext.add_recording_stream(recording.id, stream_id, has_video=False)
    assert vonage_emulator.state.archives[recording.id].streams == {stream_id: (True, False)}
    video.ext.remove_recording_stream(recording.id, stream_id)
    assert vonage_emulator.state.archives[recording.id].streams == {}


def test_listing_pages_lazily_oldest_first(connect_vonage, browser, vonage_emulator) -> None:
    video = connect_vonage(page_size=4)
    room = video.rooms.create("busy")
    video.backend.browser().join(video.tokens.create(room, "ann")).publish()
    started = [video.recordings.start(room, provider_options={"multi_archive_tag": f"t{i}"}) for i in range(10)]
    vonage_emulator.faults.add(Fault(), path=r"/archive$", method="GET")  # counts the list requests
    listing = video.recordings.list(room=room)
    assert len(vonage_emulator.faults.injected) == 0  # nothing fetched before it is consumed
    assert next(listing).id == started[0].id
    assert len(vonage_emulator.faults.injected) == 2  # the first page (for the count), then the oldest
    assert [r.id for r in listing] == [r.id for r in started[1:]]
    assert len(vonage_emulator.faults.injected) == 3  # 10 items in pages of 4: 3 pages, the newest read once


def test_listing_filters_by_status(video, live_room, vonage_emulator) -> None:
    first = video.recordings.start(live_room)
    _available(video, vonage_emulator, first)
    second = video.recordings.start(live_room)
    assert [r.id for r in video.recordings.list(status="recording")] == [second.id]
    assert [r.id for r in video.recordings.list(status=RecordingStatus.AVAILABLE)] == [first.id]


def test_a_listing_neither_repeats_nor_skips_when_recordings_start_meanwhile(connect_vonage) -> None:
    video = connect_vonage(page_size=3)
    room = video.rooms.create("growing")
    video.backend.browser().join(video.tokens.create(room, "ann")).publish()

    def start(tag: str):
        return video.recordings.start(room, provider_options={"multi_archive_tag": tag})

    before = [start(f"a{i}") for i in range(8)]
    listing = video.recordings.list(room=room)
    seen = [next(listing).id]
    for i in range(4):
        start(f"b{i}")  # newer ones shift every offset of the newest-first pages
    seen += [r.id for r in listing]
    assert seen == [r.id for r in before]


def test_a_listing_neither_repeats_nor_skips_when_recordings_are_deleted_meanwhile(
    connect_vonage, vonage_emulator
) -> None:
    video = connect_vonage(page_size=3)
    room = video.rooms.create("shrinking")
    video.backend.browser().join(video.tokens.create(room, "ann")).publish()
    made = []
    for i in range(9):
        recording = video.recordings.start(room, provider_options={"multi_archive_tag": f"t{i}"})
        made.append(_available(video, vonage_emulator, recording))
    listing = video.recordings.list(room=room)
    seen = [next(listing).id, next(listing).id]  # the oldest page is read; the newer ones shift into it
    for gone in made[-4:-1]:
        video.recordings.delete(gone)
    seen += [r.id for r in listing]
    assert seen == [r.id for r in made[:-4]] + [made[-1].id]


@pytest.mark.parametrize(
    ("pages", "yielded"),
    [
        ([[("a", 1), ("b", 2)], [("c", 3)]], ["a", "b", "c"]),
        ([[("a", 1), ("b", 2)], [("a", 1), ("b", 2), ("c", 3)]], ["a", "b", "c"]),  # read again after a removal
        ([[("a", 5), ("b", 5)], [("b", 5), ("c", 5), ("d", 6)]], ["a", "b", "c", "d"]),  # one millisecond, three ids
        ([[("a", None), ("b", 1)], [("a", None), ("c", 2)]], ["a", "b", "c"]),  # no createdAt: known by id
    ],
)
def test_what_an_oldest_first_listing_yielded_is_not_yielded_again(pages, yielded) -> None:
    progress = rest._Progress()
    out = [item["id"] for page in pages for item in progress.unseen({"id": i, "createdAt": c} for i, c in page)]
    assert out == yielded
    assert len(progress.ids) <= 3  # only the ids of the newest moment are kept
