"""Live compositions are broadcasts: HLS (DVR, low latency), RTMP, layout, stream selection."""

from __future__ import annotations

import pytest
from support.ids import requests_to

from anyvideo import (
    CompositionOutput,
    CompositionStatus,
    Conflict,
    Feature,
    InvalidRequest,
    Layout,
    NotFound,
    RtmpTarget,
    UnsupportedFeature,
)


@pytest.fixture
def live_room(video, browser, room):
    ann = browser.join(video.tokens.create(room, "ann"))
    ann.publish(name="ann-camera")
    return room


def test_hls_with_dvr(video, live_room, vonage_emulator) -> None:
    live = video.compositions.start(live_room, output="live", hls=True, provider_options={"dvr": True})
    assert live.output is CompositionOutput.LIVE and live.status is CompositionStatus.LIVE
    assert live.hls_url and live.hls_url.endswith("?DVR")
    assert vonage_emulator.state.broadcasts[live.id].hls == {"lowLatency": False, "dvr": True}


def test_hls_low_latency(video, live_room, vonage_emulator) -> None:
    live = video.compositions.start(live_room, output="live", hls=True, provider_options={"low_latency": True})
    assert vonage_emulator.state.broadcasts[live.id].hls == {"lowLatency": True, "dvr": False}


def test_rtmp_targets_layout_resolution_duration(video, live_room, vonage_emulator) -> None:
    targets = [RtmpTarget("rtmps://live.example.com/app", "secret-key", id="yt")]
    live = video.compositions.start(
        live_room,
        output="live",
        rtmp=targets,
        layout=Layout.presentation(vertical=False),
        resolution="1920x1080",
        max_duration=600,
    )
    assert [(t.url, t.stream_name, t.id) for t in live.rtmp] == [("rtmps://live.example.com/app", "secret-key", "yt")]
    assert "secret-key" not in repr(live)
    assert live.hls_url is None and str(live.resolution) == "1920x1080"
    assert live.layout == Layout.presentation(vertical=False)
    state = vonage_emulator.state.broadcasts[live.id]
    assert state.layout == {"type": "horizontalPresentation"} and state.max_duration == 600


def test_stop_get_list(video, live_room) -> None:
    live = video.compositions.start(live_room, output="live", hls=True)
    stopped = video.compositions.stop(live)
    assert stopped.status is CompositionStatus.STOPPED and stopped.ended_at is not None
    assert video.compositions.get(live).status is CompositionStatus.STOPPED
    assert [c.id for c in video.compositions.list(room=live_room)] == [live.id]
    assert list(video.compositions.list(status="live")) == []
    with pytest.raises(Conflict, match="stopped"):
        video.compositions.stop(live)


def test_a_second_broadcast_conflicts_unless_tagged(video, live_room) -> None:
    video.compositions.start(live_room, output="live", hls=True)
    with pytest.raises(Conflict, match="already composed"):
        video.compositions.start(live_room, output="live", hls=True)
    tagged = video.compositions.start(
        live_room, output="live", hls=True, provider_options={"multi_broadcast_tag": "second"}
    )
    assert tagged.raw["multiBroadcastTag"] == "second"


def test_stream_selection(video, live_room, vonage_emulator) -> None:
    stream_id = next(iter(video.streams.list(live_room))).id
    live = video.compositions.start(live_room, output="live", hls=True, streams=[stream_id])
    assert live.stream_ids == (stream_id,)
    video.ext.remove_composition_stream(live.id, stream_id)
    assert vonage_emulator.state.broadcasts[live.id].streams == {}


def test_layout_change(video, live_room, vonage_emulator) -> None:
    live = video.compositions.start(live_room, output="live", hls=True)
    changed = video.ext.change_composition_layout(live.id, Layout(kind="grid", screenshare="pip"))
    assert changed.layout.screenshare is not None
    assert vonage_emulator.state.broadcasts[live.id].layout == {"type": "bestFit", "screenshareType": "pip"}


def test_unknown_broadcast_is_not_found(video) -> None:
    with pytest.raises(NotFound):
        video.compositions.get("00000000-0000-0000-0000-000000000000")


def test_options_are_checked_first(video, live_room) -> None:
    with pytest.raises(InvalidRequest, match="low-latency"):
        video.compositions.start(live_room, output="live", hls=True, provider_options={"dvr": 1, "low_latency": 1})
    with pytest.raises(InvalidRequest, match="hls=True"):
        video.compositions.start(
            live_room, output="live", rtmp=[RtmpTarget("rtmp://x/y", "k")], provider_options={"dvr": True}
        )
    with pytest.raises(InvalidRequest, match="10 hours"):
        video.compositions.start(live_room, output="live", hls=True, max_duration=11 * 3600)
    with pytest.raises(InvalidRequest, match="screen-share"):
        video.compositions.start(live_room, output="live", hls=True, layout=Layout(kind="pip", screenshare="grid"))


def test_file_compositions_are_not_a_vonage_thing(video, live_room) -> None:
    with pytest.raises(UnsupportedFeature, match="composes while recording"):
        video.compositions.start(live_room)


def test_a_broadcast_cannot_be_deleted_and_nothing_is_asked(video, live_room, vonage_emulator) -> None:
    live = video.compositions.stop(video.compositions.start(live_room, output="live", hls=True))
    with requests_to(vonage_emulator) as sent, pytest.raises(UnsupportedFeature) as refused:
        video.compositions.delete(live)
    assert refused.value.feature is Feature.POST_HOC_COMPOSITION and not video.supports(refused.value.feature)
    assert "no file to download or delete" in str(refused.value) and sent == []
    assert video.compositions.get(live).status is CompositionStatus.STOPPED
