"""Vonage emulator: live streaming broadcasts through the official SDK."""

from __future__ import annotations

import pytest
import requests
from vonage_http_client.errors import HttpRequestError, NotFoundError
from vonage_video.errors import InvalidBroadcastStateError
from vonage_video.models import (
    AddStreamRequest,
    BroadcastHls,
    BroadcastOutputSettings,
    BroadcastRtmp,
    ComposedLayout,
    CreateBroadcastRequest,
    ListBroadcastsFilter,
    SessionOptions,
)

RTMP = BroadcastRtmp(id="yt", server_url="rtmp://a.rtmp.youtube.com/live2", stream_name="stream-key")


@pytest.fixture
def live(vonage_session, vonage_join):
    """A routed session with ann connected and publishing: (session id, ann, her stream id)."""
    ann = vonage_join(vonage_session)
    return vonage_session, ann, ann.publish()


def start(video, session_id, hls=None, rtmp=None, **options):
    outputs = BroadcastOutputSettings(hls=hls, rtmp=rtmp)
    return video.start_broadcast(CreateBroadcastRequest(session_id=session_id, outputs=outputs, **options))


def test_an_hls_broadcast_starts_with_its_settings(vonage_video, live):
    broadcast = start(
        vonage_video,
        live[0],
        hls=BroadcastHls(dvr=True),
        resolution="1280x720",
        max_duration=3600,
        max_bitrate=1_000_000,
    )
    assert broadcast.status == "started" and broadcast.session_id == live[0]
    assert broadcast.broadcast_urls.hls.endswith("playlist.m3u8?DVR")
    assert (broadcast.settings.hls.dvr, broadcast.settings.hls.low_latency) == (True, False)
    assert (broadcast.resolution.value, broadcast.max_duration, broadcast.max_bitrate) == ("1280x720", 3600, 1_000_000)


def test_the_hls_playlist_is_served_while_live(vonage_video, live):
    broadcast = start(vonage_video, live[0], hls=BroadcastHls(low_latency=True))
    playlist = requests.get(broadcast.broadcast_urls.hls, timeout=10)
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    vonage_video.stop_broadcast(broadcast.id)
    assert requests.get(broadcast.broadcast_urls.hls, timeout=10).status_code == 404


def test_rtmp_targets_connect_then_go_live(vonage_video, live):
    broadcast = start(vonage_video, live[0], rtmp=[RTMP])
    [target] = broadcast.broadcast_urls.rtmp
    assert (target.id, target.server_url, target.stream_name, target.status) == (
        "yt",
        RTMP.server_url,
        "stream-key",
        "connecting",
    )
    assert vonage_video.get_broadcast(broadcast.id).broadcast_urls.rtmp[0].status == "live"


def test_a_stopped_broadcast_has_no_urls(vonage_video, live):
    broadcast = start(vonage_video, live[0], hls=BroadcastHls(), rtmp=[RTMP])
    stopped = vonage_video.stop_broadcast(broadcast.id)
    assert (stopped.status, stopped.broadcast_urls) == ("stopped", None)
    assert vonage_video.get_broadcast(broadcast.id).status == "stopped"


def test_a_stopped_broadcast_cannot_be_stopped(vonage_video, live):
    broadcast = start(vonage_video, live[0], hls=BroadcastHls())
    vonage_video.stop_broadcast(broadcast.id)
    with pytest.raises(NotFoundError):
        vonage_video.stop_broadcast(broadcast.id)


def test_a_broadcast_stops_at_its_maximum_duration(vonage_server, vonage_video, live):
    broadcast = start(vonage_video, live[0], hls=BroadcastHls(), max_duration=60)
    vonage_server.control.advance(60)
    assert vonage_video.get_broadcast(broadcast.id).status == "stopped"


def test_a_second_broadcast_of_a_session_is_a_conflict(vonage_video, live):
    start(vonage_video, live[0], hls=BroadcastHls())
    with pytest.raises(InvalidBroadcastStateError):
        start(vonage_video, live[0], rtmp=[RTMP])


def test_simultaneous_broadcasts_need_distinct_tags(vonage_video, live):
    start(vonage_video, live[0], hls=BroadcastHls(), multi_broadcast_tag="one")
    assert start(vonage_video, live[0], rtmp=[RTMP], multi_broadcast_tag="two").multi_broadcast_tag == "two"
    with pytest.raises(InvalidBroadcastStateError) as caught:
        start(vonage_video, live[0], rtmp=[RTMP], multi_broadcast_tag="two")
    assert "Session is already composed for given tag" in str(caught.value)


def test_a_broadcast_needs_a_connected_client(vonage_video, vonage_session):
    with pytest.raises(HttpRequestError) as caught:
        start(vonage_video, vonage_session, hls=BroadcastHls())
    assert caught.value.response.status_code == 400


def test_a_relayed_session_cannot_be_broadcast(vonage_video, vonage_join):
    session_id = vonage_video.create_session(SessionOptions(media_mode="relayed")).session_id
    vonage_join(session_id)
    with pytest.raises(HttpRequestError) as caught:
        start(vonage_video, session_id, hls=BroadcastHls())
    assert caught.value.response.status_code == 400


def test_at_most_five_rtmp_targets(vonage_video, live):
    with pytest.raises(HttpRequestError) as caught:
        start(vonage_video, live[0], rtmp=[RTMP] * 6)
    assert caught.value.response.status_code == 400


def test_the_layout_of_a_broadcast_changes(vonage_server, vonage_video, live):
    broadcast = start(vonage_video, live[0], hls=BroadcastHls(), layout=ComposedLayout(type="pip"))
    vonage_video.change_broadcast_layout(
        broadcast.id, ComposedLayout(type="bestFit", screenshare_type="horizontalPresentation")
    )
    assert vonage_server.state.broadcasts[broadcast.id].layout == {
        "type": "bestFit",
        "screenshareType": "horizontalPresentation",
    }


def test_streams_are_chosen_in_manual_mode(vonage_video, live):
    session_id, _, stream_id = live
    broadcast = start(vonage_video, session_id, hls=BroadcastHls(), stream_mode="manual")
    vonage_video.add_stream_to_broadcast(broadcast.id, AddStreamRequest(stream_id=stream_id, has_audio=False))
    [included] = vonage_video.get_broadcast(broadcast.id).streams
    assert (included.stream_id, included.has_audio, included.has_video) == (stream_id, False, True)
    vonage_video.remove_stream_from_broadcast(broadcast.id, stream_id)
    assert vonage_video.get_broadcast(broadcast.id).streams is None


def test_streams_cannot_be_chosen_in_auto_mode(vonage_video, live):
    broadcast = start(vonage_video, live[0], hls=BroadcastHls())
    with pytest.raises(HttpRequestError) as caught:
        vonage_video.add_stream_to_broadcast(broadcast.id, AddStreamRequest(stream_id=live[2]))
    assert caught.value.response.status_code == 400


def test_broadcasts_are_listed_newest_first(vonage_video, live):
    first = start(vonage_video, live[0], hls=BroadcastHls(), multi_broadcast_tag="a")
    second = start(vonage_video, live[0], rtmp=[RTMP], multi_broadcast_tag="b")
    broadcasts, count, _ = vonage_video.list_broadcasts(ListBroadcastsFilter())
    assert count == 2 and [b.id for b in broadcasts] == [second.id, first.id]
    page, count, _ = vonage_video.list_broadcasts(ListBroadcastsFilter(offset=1, page_size=1))
    assert count == 2 and [b.id for b in page] == [first.id]


def test_an_unknown_broadcast_is_not_found(vonage_video):
    with pytest.raises(NotFoundError):
        vonage_video.get_broadcast("f03fad17-4591-4422-8bd3-00a4df1e616a")
