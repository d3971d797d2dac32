"""What a Twilio video track shows, from its name (Twilio's API does not say): the rule as
data, the emulator's devices naming tracks as an application following the docs would, and
the source reaching streams and stream events end to end."""

from __future__ import annotations

import pytest

from anyvideo import EventType, StreamKind, VideoSource
from anyvideo_twilio.emulator.devices import SOURCE_NAMES
from anyvideo_twilio.translate import VIDEO_SOURCE_WORDS, video_source

HOOK = "http://127.0.0.1:9/twilio/status"  # nobody listens: the emulator records what it sent

#: (kind, track name) -> the video source the backend reports.
RULE = [
    (StreamKind.VIDEO, "screen", VideoSource.SCREEN),
    (StreamKind.VIDEO, "Screen-Share", VideoSource.SCREEN),
    (StreamKind.VIDEO, "ann-screen", VideoSource.SCREEN),
    (StreamKind.VIDEO, "share-slides", VideoSource.SCREEN),
    (StreamKind.VIDEO, "custom-canvas", VideoSource.CUSTOM),
    (StreamKind.VIDEO, "camera", VideoSource.CAMERA),
    (StreamKind.VIDEO, "ann-cam", VideoSource.CAMERA),
    (StreamKind.VIDEO, "", VideoSource.CAMERA),
    (StreamKind.VIDEO, None, VideoSource.CAMERA),
    (StreamKind.VIDEO, "MT" + "a" * 32, VideoSource.CAMERA),  # a track without a name goes by its SID
    (StreamKind.AUDIO, "screen-audio", None),
    (StreamKind.AUDIO, "mic", None),
    (StreamKind.DATA, "screen", None),
]


@pytest.mark.parametrize(("kind", "name", "expected"), RULE)
def test_the_source_of_a_track_by_its_kind_and_name(kind, name, expected) -> None:
    assert video_source(kind, name) is expected


def test_every_word_of_the_rule_names_a_source_other_than_the_camera() -> None:
    assert set(VIDEO_SOURCE_WORDS.values()) == {VideoSource.SCREEN, VideoSource.CUSTOM}
    # what the emulator's devices put in a name is read back as that source
    assert {video_source(StreamKind.VIDEO, word) for word in SOURCE_NAMES.values()} == set(SOURCE_NAMES)


#: (kind, name and source asked of a device) -> (video track's name, its source as listed).
PUBLISHED = [
    (StreamKind.VIDEO, None, None, None, VideoSource.CAMERA),
    (StreamKind.VIDEO, "cam", VideoSource.CAMERA, "cam", VideoSource.CAMERA),
    (StreamKind.VIDEO, None, VideoSource.SCREEN, "screen", VideoSource.SCREEN),
    (StreamKind.VIDEO, "slides", VideoSource.SCREEN, "screen-slides", VideoSource.SCREEN),
    (StreamKind.VIDEO, "my-screen", VideoSource.SCREEN, "my-screen", VideoSource.SCREEN),
    (StreamKind.VIDEO, "canvas", VideoSource.CUSTOM, "custom-canvas", VideoSource.CUSTOM),
    (StreamKind.AUDIO_VIDEO, "deck", VideoSource.SCREEN, "screen-deck", VideoSource.SCREEN),
]


@pytest.mark.parametrize(("kind", "name", "source", "track_name", "listed"), PUBLISHED)
def test_a_published_video_track_is_listed_with_its_source(
    video, room, join, kind, name, source, track_name, listed
) -> None:
    stream_id = join(room, "ann").publish(kind, name=name, video_source=source)
    streams = {s.id: s for s in video.streams.list(room)}
    assert streams[stream_id].video_source is listed
    if track_name is not None:
        assert streams[stream_id].name == track_name
    assert all(s.video_source is None for s in streams.values() if s.kind is StreamKind.AUDIO)
    assert all(s.video_source is not None for s in streams.values() if s.kind is StreamKind.VIDEO)


def test_the_screen_share_is_found_from_the_stream_events(video, join, control) -> None:
    room = video.rooms.create("presenting", provider_options={"status_callback": HOOK})
    ann = join(room, "ann")
    ann.publish(StreamKind.AUDIO_VIDEO, name="cam")
    screen = ann.publish(StreamKind.VIDEO, video_source=VideoSource.SCREEN)
    events = [
        event
        for delivery in control.callbacks()
        if delivery["url"] == HOOK
        for event in video.webhooks.parse(delivery["method"], delivery["url"], delivery["headers"], delivery["body"])
        if event.type == EventType.STREAM_PUBLISHED
    ]
    assert [(e.subject.kind, e.subject.video_source) for e in events] == [
        (StreamKind.AUDIO, None),
        (StreamKind.VIDEO, VideoSource.CAMERA),
        (StreamKind.VIDEO, VideoSource.SCREEN),
    ]
    [shared] = [e.subject for e in events if e.subject.video_source is VideoSource.SCREEN]
    assert shared.id == screen and video.streams.get(room, screen).video_source is VideoSource.SCREEN
