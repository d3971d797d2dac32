"""``download(obj, path)``: one rule for files and folders, and the folder of an individual
recording with its manifest (on the local backend; the conformance suite runs the same on
the emulators)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from anyvideo import InvalidRequest, ProviderError, RecordingMode, StreamKind, VideoSource
from anyvideo.client import MANIFEST


@pytest.fixture
def composed(video, browser, room, clock):
    """An available composed recording of one publisher."""
    browser.join(video.tokens.create(room, "ann")).publish()
    recording = video.recordings.start(room)
    clock.advance(10)
    video.recordings.stop(recording)
    clock.advance(2)
    return video.recordings.get(recording)


@pytest.fixture
def individual(video, browser, room, clock):
    """An available individual recording: ann's camera all along, bob's screen from 4 s in."""
    browser.join(video.tokens.create(room, "ann")).publish(name="ann-cam")
    recording = video.recordings.start(room, mode=RecordingMode.INDIVIDUAL)
    clock.advance(4)
    bob = browser.join(video.tokens.create(room, "bob"))
    bob.publish(StreamKind.VIDEO, name="bob-screen", video_source=VideoSource.SCREEN)
    clock.advance(6)
    video.recordings.stop(recording)
    clock.advance(2)
    return video.recordings.get(recording)


def test_a_path_ending_in_a_separator_is_a_folder_made_if_missing(video, composed, tmp_path):
    saved = video.recordings.download(composed, f"{tmp_path}{os.sep}new{os.sep}recordings{os.sep}")
    assert saved == tmp_path / "new" / "recordings" / composed.files[0].name and saved.is_file()


def test_an_existing_folder_without_a_separator_is_a_folder(video, composed, tmp_path):
    assert video.recordings.download(composed, tmp_path) == tmp_path / composed.files[0].name


def test_any_other_path_is_the_file_to_write(video, composed, tmp_path):
    saved = video.recordings.download(composed, tmp_path / "standup.sim")
    assert saved == tmp_path / "standup.sim" and saved.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["standup.sim"]


def test_a_file_path_whose_folder_is_missing_is_refused_before_any_request(video, tmp_path):
    # The path alone tells: no recording is even looked up (this id does not exist).
    with pytest.raises(InvalidRequest, match="does not exist") as caught:
        video.recordings.download("rec_unknown", tmp_path / "missing" / "x.sim")
    assert caught.value.field == "destination"
    assert not (tmp_path / "missing").exists()


def test_a_file_path_under_a_file_is_refused(video, composed, tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    with pytest.raises(InvalidRequest, match="is a file") as caught:
        video.recordings.download(composed, tmp_path / "plain" / "x.sim")
    assert caught.value.field == "destination"


def test_a_folder_path_through_a_file_is_refused(video, composed, tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    for folder in (f"{tmp_path}/plain/", f"{tmp_path}/plain/sub/"):
        with pytest.raises(InvalidRequest, match="is a file") as caught:
            video.recordings.download(composed, folder)
        assert caught.value.field == "destination"
    assert (tmp_path / "plain").read_text() == "not a folder"


def test_an_individual_recording_downloads_as_a_folder_with_a_manifest(video, individual, tmp_path):
    folder = video.recordings.download(individual, f"{tmp_path}/standup/")
    assert folder == tmp_path / "standup"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["recording"]["id"] == individual.id and manifest["recording"]["mode"] == "individual"
    entries = {entry["identity"]: entry for entry in manifest["files"]}
    assert entries.keys() == {"ann", "bob"}
    ann, bob = entries["ann"], entries["bob"]
    assert (ann["kind"], ann["video_source"], ann["offset"], ann["duration"]) == ("audio_video", "camera", 0.0, 10.0)
    assert (bob["kind"], bob["video_source"], bob["offset"], bob["duration"]) == ("video", "screen", 4.0, 6.0)
    for file in individual.files:
        entry = entries["ann" if file.stream_id == ann["stream_id"] else "bob"]
        body = (folder / file.name).read_bytes()
        assert entry["file"] == file.name and entry["participant_id"] == file.participant_id
        assert (
            (entry["size"], entry["sha256"])
            == (len(body), hashlib.sha256(body).hexdigest())
            == (
                file.size,
                file.sha256,
            )
        )
    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST, *(f.name for f in individual.files)])


def test_an_individual_recording_refuses_a_file_path_unless_one_file_is_named(video, individual, tmp_path):
    with pytest.raises(InvalidRequest, match="downloads into a folder") as caught:
        video.recordings.download(individual, tmp_path / "standup")
    assert caught.value.field == "destination" and list(tmp_path.iterdir()) == []
    one = individual.files[1]
    saved = video.recordings.download(individual, tmp_path / "bob.sim", file_name=one.name)
    assert saved == tmp_path / "bob.sim" and hashlib.sha256(saved.read_bytes()).hexdigest() == one.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bob.sim"]  # no manifest for one file


def test_a_provider_file_name_that_is_a_path_is_never_written(video, composed, tmp_path, monkeypatch):
    import attrs

    hostile = attrs.evolve(composed, files=(attrs.evolve(composed.files[0], name="../escaped.sim"),))
    monkeypatch.setattr(video.backend, "get_recording", lambda recording_id: hostile)
    for given in (composed.id, hostile):  # fetched, or described by the object handed over
        with pytest.raises(ProviderError, match="will not write"):
            video.recordings.download(given, f"{tmp_path}/inside/")
    assert not (tmp_path / "escaped.sim").exists()


def test_a_composition_follows_the_same_rule(video, individual, clock, tmp_path):
    video.rooms.end(individual.room_id)
    composition = video.compositions.start(individual.room_id)
    clock.advance(2)
    composition = video.compositions.wait(composition, timeout=0)
    assert video.compositions.download(composition, f"{tmp_path}/out/") == tmp_path / "out" / composition.files[0].name
    with pytest.raises(InvalidRequest) as caught:
        video.compositions.download(composition, tmp_path / "nowhere" / "mix.sim")
    assert caught.value.field == "destination"
    assert Path(video.compositions.download(composition, tmp_path / "mix.sim")).name == "mix.sim"
