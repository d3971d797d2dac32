"""The audio connector through video.ext: started with a token anyvideo mints, checked
before any request, never repeated after a 5xx, stopped by forcing its connection out."""

from __future__ import annotations

import pytest

from anyvideo import InvalidRequest, ParticipantStatus, ProviderError
from anyvideo.models import StreamKind
from anyvideo.testing.faults import Fault
from anyvideo_vonage import AudioConnection, AudioConnector


def test_start_and_stop(video, room, vonage_emulator) -> None:
    connection = video.ext.start_audio_connector(
        room.id, AudioConnector("wss://ai.example.com/socket", audio_rate=24000, headers={"X-Call": "7"})
    )
    assert isinstance(connection, AudioConnection) and connection.room_id == room.id and connection.id
    joined = vonage_emulator.world.get_participant(connection.connection_id)
    assert joined.identity == "audio-connector" and joined.status is ParticipantStatus.CONNECTED
    video.ext.stop_audio_connector(connection)
    assert vonage_emulator.world.get_participant(connection.connection_id).status is ParticipantStatus.DISCONNECTED
    video.ext.stop_audio_connector(connection)  # gone already: stopped, as asked


def test_a_bidirectional_connector_publishes_until_stopped(video, room, vonage_emulator) -> None:
    connection = video.ext.start_audio_connector(room.id, AudioConnector("wss://ai.example.com/s", bidirectional=True))
    (stream,) = video.streams.list(room)
    assert vonage_emulator.world.get_stream(stream.id).kind is StreamKind.AUDIO
    video.ext.stop_audio_connector(connection)
    assert list(video.streams.list(room)) == []


def test_the_request_is_the_spec_body(video, room, vonage_emulator) -> None:
    stream_id = "11111111-2222-3333-4444-555555555555"
    connector = AudioConnector("wss://ai.example.com/s", streams=[stream_id], audio_rate=8000, identity="bot")
    assert connector.websocket() == {"uri": "wss://ai.example.com/s", "streams": [stream_id], "audioRate": 8000}
    assert "bidirectional" not in AudioConnector("wss://x.example.com").websocket()
    assert AudioConnector("wss://x.example.com", bidirectional=True).websocket()["bidirectional"] is True


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"uri": "https://ai.example.com/socket"}, "connector.uri"),
        ({"uri": None}, "connector.uri"),
        ({"uri": "wss://a.example.com", "streams": "one"}, "connector.streams"),
        ({"uri": "wss://a.example.com", "streams": ["../archive"]}, "connector.streams"),
        ({"uri": "wss://a.example.com", "headers": {"X-Big": "x" * 600}}, "connector.headers"),
        ({"uri": "wss://a.example.com", "headers": {"X-Number": 1}}, "connector.headers"),
        ({"uri": "wss://a.example.com", "audio_rate": 44100}, "connector.audio_rate"),
        ({"uri": "wss://a.example.com", "audio_rate": True}, "connector.audio_rate"),
        ({"uri": "wss://a.example.com", "bidirectional": "yes"}, "connector.bidirectional"),
        ({"uri": "wss://a.example.com", "identity": ""}, "connector.identity"),
    ],
)
def test_a_bad_connector_is_refused_before_any_request(fields, field) -> None:
    with pytest.raises(InvalidRequest) as caught:
        AudioConnector(**fields)
    assert caught.value.field == field


def test_bad_arguments_fail_before_any_request(video, room, vonage_emulator) -> None:
    vonage_emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest, match="AudioConnector"):
        video.ext.start_audio_connector(room.id, {"uri": "wss://a.example.com"})
    with pytest.raises(InvalidRequest, match="room_id"):
        video.ext.start_audio_connector("not-a-session", AudioConnector("wss://a.example.com"))
    with pytest.raises(InvalidRequest, match="AudioConnection"):
        video.ext.stop_audio_connector("1bf530df-97f4-4437-b6c9-2a66200200c8")


def test_a_start_that_may_have_connected_is_not_repeated(video, room, vonage_emulator) -> None:
    vonage_emulator.faults.add(Fault(lost=True), path="/connect$")  # connected, then the answer is lost
    with pytest.raises(ProviderError):
        video.ext.start_audio_connector(room.id, AudioConnector("wss://ai.example.com/socket"))
    assert len(list(vonage_emulator.world.participants(room.id))) == 1  # one connector, not one per try
