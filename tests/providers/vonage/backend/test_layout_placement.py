"""Custom layouts on Vonage, end to end through the official SDK: anyvideo gives each stream the
layout class of its region (and keeps doing so as streams join, with session-monitoring callbacks),
and the composed archive the emulator renders from Vonage's own stylesheet and classes shows each
stream in the region the layout asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.webhooks import NOWHERE, VONAGE_SECRET, deliveries, vonage_callbacks

from anyvideo import InvalidRequest, Layout, ProviderError, RecordingStatus, Region, VideoSource
from anyvideo.testing import SettledDevices, placements, regions_shown
from anyvideo.testing.faults import Fault
from anyvideo_vonage import layouts

CAMERA, SCREEN = VideoSource.CAMERA, VideoSource.SCREEN

WEBINAR = Layout.custom(
    [
        Region("screen", 0.7, 0, 0.3, 0.5, sources=["source:screen"]),
        Region("main", 0, 0, 0.7, 1, sources=["identity:host,source:camera"]),
        Region("viewers", 0.7, 0.5, 0.3, 0.5, z=1, sources=["role:publisher"]),
    ]
)
#: Another layout, with a region for every stream no other selector picks.
STAGE = Layout.custom([Region("slides", 0, 0, 1, 0.8, sources=["name:slides"]), Region("strip", 0, 0.8, 1, 0.2)])


@pytest.fixture
def wired(connect_vonage, vonage_emulator):
    """A Video receiving the emulator's signed callbacks, and devices that wait for them."""
    video = connect_vonage(signature_secret=VONAGE_SECRET)
    with vonage_callbacks(video, vonage_emulator):
        yield video, SettledDevices(vonage_emulator.control)


@pytest.fixture
def webinar(wired):
    """A host sharing camera and screen, two viewers on camera, one who only watches."""
    video, devices = wired
    room = video.rooms.create("webinar")
    host = devices.join(video.tokens.create(room, "host", role="moderator"))
    streams = {"camera": host.publish(name="camera", video_source=CAMERA)}
    streams["screen"] = host.publish(name="slides", video_source=SCREEN)
    for viewer in ("ann", "bob"):
        streams[viewer] = devices.join(video.tokens.create(room, viewer)).publish(video_source=CAMERA)
    devices.join(video.tokens.create(room, "carol", role="subscriber"))
    return room, streams


def recorded(video, vonage_emulator, recording, tmp_path: Path, layout: Layout) -> dict[str, set[str]]:
    """Stop ``recording``, let it process, download it: which streams each region showed."""
    vonage_emulator.control.advance(10)
    video.recordings.stop(recording)
    vonage_emulator.control.advance(5)
    assert video.recordings.get(recording).status is RecordingStatus.AVAILABLE
    return regions_shown(layout, placements(video.recordings.download(recording, tmp_path)))


def classes_of(vonage_emulator, stream_id: str) -> list[str]:
    return vonage_emulator.state.layout_classes[stream_id]


def test_a_webinar_archive_shows_each_stream_in_its_region(wired, webinar, vonage_emulator, tmp_path) -> None:
    video, _ = wired
    room, streams = webinar
    recording = video.recordings.start(room, layout=WEBINAR)
    assert recorded(video, vonage_emulator, recording, tmp_path, WEBINAR) == {
        "screen": {streams["screen"]},
        "main": {streams["camera"]},
        "viewers": {streams["ann"], streams["bob"]},
    }


def test_a_stream_that_joins_while_recording_is_placed_when_its_callback_arrives(
    wired, webinar, vonage_emulator, tmp_path
) -> None:
    video, devices = wired
    room, streams = webinar
    recording = video.recordings.start(room, layout=WEBINAR)
    dave = devices.join(video.tokens.create(room, "dave")).publish(video_source=CAMERA)
    assert classes_of(vonage_emulator, dave) == [layouts.region_classes(WEBINAR)["viewers"]]
    shown = recorded(video, vonage_emulator, recording, tmp_path, WEBINAR)
    assert shown["viewers"] == {streams["ann"], streams["bob"], dave}


def test_a_callback_whose_placing_failed_is_left_for_the_providers_retry(
    connect_vonage, browser, vonage_emulator
) -> None:
    video = connect_vonage(signature_secret=VONAGE_SECRET)
    settings = {kind: NOWHERE for kind in ("session", "archive", "broadcast", "render")}
    vonage_emulator.control.call("PUT", "/vonage/callbacks", settings | {"signature_secret": VONAGE_SECRET})
    room = video.rooms.create("stage")
    speaker = browser.join(video.tokens.create(room, "speaker"))
    video.recordings.start(room, layout=STAGE)
    slides = speaker.publish(name="slides", video_source=SCREEN)
    [created] = [d for d in deliveries(vonage_emulator.control, NOWHERE) if '"streamCreated"' in d["body"]]
    delivery = ("POST", NOWHERE, created["headers"], created["body"])
    vonage_emulator.faults.add(Fault(status=400), path="/stream$", method="PUT")
    with pytest.raises(ProviderError):
        video.webhooks.handle(*delivery)
    vonage_emulator.faults.clear()
    [event] = video.webhooks.handle(*delivery)  # the same signed request again: not refused as a replay
    assert event.type == "stream.published"
    assert classes_of(vonage_emulator, slides) == [layouts.region_classes(STAGE)["slides"]]


def test_without_callbacks_a_stream_that_joins_shows_where_the_catch_all_region_is(
    video, browser, vonage_emulator, tmp_path
) -> None:
    room = video.rooms.create("stage")
    speaker = browser.join(video.tokens.create(room, "speaker"))
    slides = speaker.publish(name="slides", video_source=SCREEN)
    recording = video.recordings.start(room, layout=STAGE)
    late = speaker.publish(name="slides", video_source=SCREEN)  # "name:slides" would pick it, once placed
    assert classes_of(vonage_emulator, late) == []
    assert recorded(video, vonage_emulator, recording, tmp_path, STAGE) == {"slides": {slides}, "strip": {late}}


def test_without_a_catch_all_region_an_unplaced_stream_is_not_shown(video, browser, vonage_emulator, tmp_path) -> None:
    only_screens = Layout.custom([Region("screen", 0, 0, 1, 1, sources=["source:screen"])])
    room = video.rooms.create("screens")
    ann = browser.join(video.tokens.create(room, "ann"))
    screen, camera = ann.publish(video_source=SCREEN), ann.publish(video_source=CAMERA)
    recording = video.recordings.start(room, layout=only_screens)
    assert recorded(video, vonage_emulator, recording, tmp_path, only_screens) == {"screen": {screen}}
    assert classes_of(vonage_emulator, camera) == []


def test_two_archives_with_different_layouts_each_show_their_own(wired, webinar, vonage_emulator, tmp_path) -> None:
    video, _ = wired
    room, streams = webinar
    stage = Layout.custom([Region("big", 0, 0, 1, 0.75, sources=["source:screen"]), Region("row", 0, 0.75, 1, 0.25)])
    first = video.recordings.start(room, layout=WEBINAR, provider_options={"multi_archive_tag": "webinar"})
    second = video.recordings.start(room, layout=stage, provider_options={"multi_archive_tag": "stage"})
    assert classes_of(vonage_emulator, streams["screen"]) == [
        layouts.region_classes(WEBINAR)["screen"],
        layouts.region_classes(stage)["big"],
    ]
    assert recorded(video, vonage_emulator, first, tmp_path / "first", WEBINAR)["main"] == {streams["camera"]}
    assert classes_of(vonage_emulator, streams["screen"]) == [layouts.region_classes(stage)["big"]]
    assert recorded(video, vonage_emulator, second, tmp_path / "second", stage) == {
        "big": {streams["screen"]},
        "row": {streams["camera"], streams["ann"], streams["bob"]},
    }
    assert classes_of(vonage_emulator, streams["screen"]) == []


def test_a_layout_change_moves_the_streams_to_the_new_layout(wired, webinar, vonage_emulator, tmp_path) -> None:
    video, _ = wired
    room, streams = webinar
    recording = video.recordings.start(room, layout=WEBINAR)
    video.ext.change_recording_layout(recording, STAGE)
    assert classes_of(vonage_emulator, streams["screen"]) == [layouts.region_classes(STAGE)["slides"]]
    assert recorded(video, vonage_emulator, recording, tmp_path, STAGE) == {
        "slides": {streams["screen"]},
        "strip": {streams["camera"], streams["ann"], streams["bob"]},
    }


def test_an_archive_that_stops_by_itself_gives_its_classes_up(wired, webinar, vonage_emulator) -> None:
    video, _ = wired
    room, streams = webinar
    recording = video.recordings.start(room, layout=WEBINAR)
    vonage_emulator.control.advance(4 * 3600 + 5)  # Vonage stops archives at 4 hours
    assert video.recordings.get(recording).status is RecordingStatus.AVAILABLE
    vonage_emulator.control.callbacks()  # its "stopped" callback
    assert classes_of(vonage_emulator, streams["camera"]) == []


def test_a_broadcast_places_streams_and_gives_its_classes_up_when_it_stops(wired, webinar, vonage_emulator) -> None:
    video, _ = wired
    room, streams = webinar
    live = video.compositions.start(room, output="live", hls=True, layout=WEBINAR)
    assert classes_of(vonage_emulator, streams["camera"]) == [layouts.region_classes(WEBINAR)["main"]]
    video.ext.change_composition_layout(live, STAGE)
    assert classes_of(vonage_emulator, streams["camera"]) == [layouts.region_classes(STAGE)["strip"]]
    video.compositions.stop(live)
    assert classes_of(vonage_emulator, streams["camera"]) == []


def test_the_applications_own_classes_are_kept(wired, vonage_emulator) -> None:
    video, devices = wired
    room = video.rooms.create("classes")
    ann = devices.join(video.tokens.create(room, "ann", provider_options={"layout_classes": ["vip"]}))
    stream = ann.publish(name="slides", video_source=SCREEN)
    recording = video.recordings.start(room, layout=STAGE)
    slides = layouts.region_classes(STAGE)["slides"]
    assert classes_of(vonage_emulator, stream) == ["vip", slides]
    [changed] = video.ext.set_layout_classes(room, {stream: ["full"]})
    assert changed.raw["layoutClassList"] == classes_of(vonage_emulator, stream) == ["full", slides]
    video.recordings.stop(recording)
    assert classes_of(vonage_emulator, stream) == ["full"]


def test_the_application_cannot_give_anyvideos_classes(video, room) -> None:
    with pytest.raises(InvalidRequest, match="anyvideo's"):
        video.tokens.create(room, "ann", provider_options={"layout_classes": ["anyvideo-1234abcd-0"]})
    with pytest.raises(InvalidRequest, match="anyvideo's"):
        video.ext.set_layout_classes(room, {"8b732909-0a06-46a2-8ea8-074e64d43422": ["anyvideo-x"]})


@pytest.mark.parametrize("selector", ["identity:host", "role:moderator", "identity:host,source:camera"])
def test_identity_and_role_without_verified_callbacks_are_refused_before_any_request(
    video, browser, room, vonage_emulator, selector
) -> None:
    browser.join(video.tokens.create(room, "host", role="moderator")).publish()
    vonage_emulator.faults.add(Fault(), path="^/v2/")  # counts what reaches the provider's API
    layout = Layout.custom([Region("main", 0, 0, 1, 1, sources=[selector])])
    with pytest.raises(InvalidRequest, match="session-monitoring callbacks") as refused:
        video.recordings.start(room, layout=layout)
    assert refused.value.field == "layout.regions.sources"
    with pytest.raises(InvalidRequest, match="session-monitoring callbacks"):
        video.compositions.start(room, output="live", hls=True, layout=layout)
    assert vonage_emulator.faults.injected == []


def test_stream_name_and_source_need_no_callbacks(video, browser, room, vonage_emulator, tmp_path) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    camera, screen = ann.publish(video_source=CAMERA), ann.publish(name="slides", video_source=SCREEN)
    layout = Layout.custom(
        [
            Region("one", 0, 0, 0.5, 1, sources=[f"stream:{camera}"]),
            Region("two", 0.5, 0, 0.5, 1, sources=["name:slides"]),
        ]
    )
    recording = video.recordings.start(room, layout=layout)
    assert recorded(video, vonage_emulator, recording, tmp_path, layout) == {"one": {camera}, "two": {screen}}


def test_a_session_no_stream_was_published_in_has_nothing_to_place(video, browser, room, vonage_emulator) -> None:
    browser.join(video.tokens.create(room, "ann"))  # connected, publishing nothing
    # the provider's answer for such a session: 404 "has not had any streams added to it yet"
    vonage_emulator.faults.script("/stream$", [Fault(status=404)], method="GET")
    recording = video.recordings.start(room, layout=STAGE)
    assert recording.layout == STAGE and vonage_emulator.faults.injected
