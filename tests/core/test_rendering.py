"""The local backend lays composed files out as the layout's selectors say, and
writes where each stream went into the file, where a test can read it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from anyvideo import Layout, RecordingMode, RecordingStatus, Region, StreamKind, Video
from anyvideo.sim import ManualClock
from anyvideo.testing import placements, regions_shown

WEBINAR = Layout.custom(
    [
        Region("screen", 0.7, 0, 0.3, 0.5, sources=["source:screen"]),
        Region("main", 0, 0, 0.7, 1, sources=["identity:host,source:camera"]),
        Region("viewers", 0.7, 0.5, 0.3, 0.5, sources=["role:publisher"]),
    ]
)


@pytest.fixture
def webinar(video: Video, browser, room):
    host = browser.join(video.tokens.create(room, "host", role="moderator"))
    viewer = browser.join(video.tokens.create(room, "viewer", role="publisher"))
    return {
        "camera": host.publish(name="camera"),
        "screen": host.publish(name="slides", video_source="screen"),
        "viewer": viewer.publish(),
        "voice": viewer.publish(kind=StreamKind.AUDIO),
    }


def test_a_composed_recording_shows_each_stream_where_its_selector_says(
    video: Video, room, webinar, clock: ManualClock, tmp_path: Path
) -> None:
    recording = video.recordings.start(room, layout=WEBINAR)
    clock.advance(10)
    video.recordings.stop(recording)
    clock.advance(2)
    assert video.recordings.get(recording).status is RecordingStatus.AVAILABLE
    shown = regions_shown(WEBINAR, placements(video.recordings.download(recording, tmp_path)))
    assert shown == {"screen": {webinar["screen"]}, "main": {webinar["camera"]}, "viewers": {webinar["viewer"]}}


def test_a_composition_shows_each_stream_where_its_selector_says(
    video: Video, room, webinar, clock: ManualClock, tmp_path: Path
) -> None:
    recording = video.recordings.start(room, mode=RecordingMode.INDIVIDUAL)
    clock.advance(10)
    video.recordings.stop(recording)
    clock.advance(2)
    layout = Layout.custom([Region("big", 0, 0, 1, 0.75, sources=["name:slides"]), Region("strip", 0, 0.75, 1, 0.25)])
    composition = video.compositions.start(room, layout=layout)
    clock.advance(2)
    shown = regions_shown(layout, placements(video.compositions.download(composition, tmp_path)))
    assert shown == {"big": {webinar["screen"]}, "strip": {webinar["camera"], webinar["viewer"]}}


def test_a_preset_layout_records_no_placements(video: Video, room, webinar, clock: ManualClock, tmp_path) -> None:
    recording = video.recordings.start(room, layout=Layout.grid())
    clock.advance(10)
    video.recordings.stop(recording)
    clock.advance(2)
    assert placements(video.recordings.download(recording, tmp_path)) == {}
