"""The webinar's tests. They name no provider: run them with
``ANYVIDEO_BACKEND`` and the provider's variables set, and they pass the same
on every backend (anyvideo's own test run does so on local, and on the
Vonage and Twilio emulators)."""

from __future__ import annotations

from pathlib import Path

import pytest
from webinar import Webinar

import anyvideo
from anyvideo import AnyVideoError, Feature, ParticipantStatus, StreamKind, VideoSource
from anyvideo.testing import placements, regions_shown

AUDIENCE = [f"viewer-{n:02}" for n in range(30)]
WAIT = 120  # seconds a provider may take to call back or to process


@pytest.fixture
def webinar(tmp_path: Path):
    with anyvideo.connect() as video:
        webinar = Webinar(video, "launch", "hana", tmp_path / "downloads")
        yield webinar
        webinar.close()


@pytest.fixture
def on_stage(webinar: Webinar):
    """The host on camera with slides shared, and the audience in their seats."""
    devices = webinar.video.backend.browser()
    host = devices.join(webinar.host_ticket())
    host.publish(name="camera")
    host.publish(StreamKind.VIDEO, name="slides", video_source=VideoSource.SCREEN)
    viewers = {viewer: devices.join(webinar.viewer_ticket(viewer)) for viewer in AUDIENCE}
    everyone = {webinar.host, *AUDIENCE}
    assert webinar.wait_until(lambda: webinar.present >= everyone and len(webinar.on_screen) == 2, timeout=WAIT)
    return host, viewers


def test_the_audience_watches_with_tokens_that_cannot_publish_where_tokens_say_so(webinar: Webinar, on_stage) -> None:
    _, viewers = on_stage
    connected = {p.identity for p in webinar.video.participants.list(webinar.room, status=ParticipantStatus.CONNECTED)}
    assert connected == {webinar.host, *AUDIENCE}
    if webinar.viewers_can_publish:
        pytest.skip(f"{webinar.video.backend_name} tokens carry no roles: a viewer could publish")
    with pytest.raises(AnyVideoError):
        viewers["viewer-00"].publish(name="camera")


def test_the_recording_shows_the_host_large_and_the_slides_beside(webinar: Webinar, on_stage) -> None:
    if not webinar.video.supports(Feature.RECORDING):
        pytest.skip(f"{webinar.video.backend_name} does not record")
    webinar.go_on_air()
    streams = webinar.host_streams()
    camera = next(s for s in streams if s.kind.has_video and s.video_source is VideoSource.CAMERA)
    slides = next(s for s in streams if s.video_source is VideoSource.SCREEN)
    recording = webinar.end()
    assert recording is not None

    file = webinar.download_recording(timeout=WAIT)

    assert file.is_file() and len(webinar.recording.files) == 1  # the one mixed file
    shown = regions_shown(webinar.layout, placements(file))
    assert shown == {"host": {camera.id}, "screen": {slides.id}}


def test_each_step_of_the_recording_is_one_event(webinar: Webinar, on_stage) -> None:
    if not webinar.video.supports(Feature.RECORDING):
        pytest.skip(f"{webinar.video.backend_name} does not record")
    webinar.go_on_air()
    recording = webinar.end()
    assert recording is not None
    webinar.download_recording(timeout=WAIT)
    assert webinar.wait_for("recording.available", recording.id, timeout=WAIT)
    assert webinar.seen[("recording.started", recording.id)] == 1
    assert webinar.seen[("recording.available", recording.id)] == 1


def test_the_webinar_goes_live_where_the_provider_broadcasts(webinar: Webinar, on_stage) -> None:
    webinar.go_on_air()
    if not webinar.video.supports(Feature.LIVE_STREAMING):
        assert webinar.broadcast is None
        pytest.skip(f"{webinar.video.backend_name} does not broadcast live")
    assert webinar.broadcast is not None and webinar.broadcast.hls_url
    webinar.end()


def test_the_chat_reaches_everyone_where_the_server_can_message_clients(webinar: Webinar, on_stage) -> None:
    _, viewers = on_stage
    if not webinar.chat("Welcome, everyone!"):
        pytest.skip(f"{webinar.video.backend_name} cannot message clients from the server")
    assert all(
        [(s.type, s.data) for s in viewer.signals()] == [("chat", "Welcome, everyone!")] for viewer in viewers.values()
    )


def test_a_removed_viewer_is_out(webinar: Webinar, on_stage) -> None:
    webinar.remove("viewer-13")
    connected = {p.identity for p in webinar.video.participants.list(webinar.room, status=ParticipantStatus.CONNECTED)}
    assert "viewer-13" not in connected and "viewer-14" in connected


def test_muting_the_audience_leaves_the_host_heard(webinar: Webinar, on_stage) -> None:
    if not webinar.mute_audience():
        pytest.skip(f"{webinar.video.backend_name} cannot mute from the server")
    host = {s.id for s in webinar.host_streams()}
    for stream in webinar.video.streams.list(webinar.room):
        if stream.kind.has_audio:
            assert stream.audio_muted is (stream.id not in host)


def test_the_host_is_announced_by_the_platform(webinar: Webinar, on_stage) -> None:
    host = webinar.attendee(webinar.host)
    assert webinar.wait_for("participant.joined", host.id, timeout=WAIT)
    assert webinar.host in webinar.present
