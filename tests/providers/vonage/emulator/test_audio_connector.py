"""Vonage emulator: the audio connector (``POST /v2/project/{id}/connect``) as the spec
types its body, driven by the official SDK and by ``requests`` shaped as the SDKs send it
(the Node SDK's ``connectToWebsocket`` sends ``audioRate: 24000``, which the Python
SDK's enum lacks), and the endpoints an SDK calls that the platform does not have."""

from __future__ import annotations

import pytest
import requests
from vonage_http_client.errors import HttpRequestError
from vonage_video.models import AudioConnectorOptions, AudioConnectorWebSocket, SessionOptions, TokenOptions

from anyvideo.models import ParticipantStatus, StreamKind


@pytest.fixture
def token(vonage_video):
    def make(session_id, role="publisher"):
        return vonage_video.generate_client_token(TokenOptions(session_id=session_id, role=role)).decode()

    return make


@pytest.fixture
def post(vonage_server, vonage_client):
    """``post(path, body)``: a JSON request as the SDKs send it, with the application's JWT."""

    def send(path, body=None):
        auth = vonage_client.http_client.auth.generate_application_jwt().decode()
        url = f"{vonage_server.base_url}/v2/project/{vonage_server.application.application_id}{path}"
        return requests.post(url, json=body, headers={"Authorization": f"Bearer {auth}"}, timeout=10)

    return send


def connect(sdk, session_id, token, **websocket):
    options = AudioConnectorOptions(
        session_id=session_id, token=token, websocket=AudioConnectorWebSocket(uri="wss://example.com/ws", **websocket)
    )
    return sdk.start_audio_connector(options)


def test_a_connector_subscribes_and_publishes_nothing(vonage_server, vonage_video, vonage_session, token):
    connector = connect(vonage_video, vonage_session, token(vonage_session), streams=[], audio_rate=8000)
    assert vonage_server.world.get_participant(connector.connection_id).status is ParticipantStatus.CONNECTED
    assert not list(vonage_server.world.streams(vonage_session))


def test_a_bidirectional_connector_publishes_an_audio_stream(vonage_server, vonage_video, vonage_session, token):
    connector = connect(vonage_video, vonage_session, token(vonage_session), bidirectional=True)
    (stream,) = vonage_server.world.streams(vonage_session)
    assert stream.kind is StreamKind.AUDIO and stream.participant_id == connector.connection_id


def test_a_bidirectional_connector_needs_a_token_that_publishes(vonage_server, vonage_video, vonage_session, token):
    with pytest.raises(HttpRequestError) as caught:
        connect(vonage_video, vonage_session, token(vonage_session, role="subscriber"), bidirectional=True)
    assert caught.value.response.status_code == 403
    assert not list(vonage_server.world.participants(vonage_session, status=ParticipantStatus.CONNECTED))


def test_force_disconnect_stops_a_connector(vonage_server, vonage_video, vonage_session, token):
    connector = connect(vonage_video, vonage_session, token(vonage_session), bidirectional=True)
    vonage_video.disconnect_client(vonage_session, connector.connection_id)
    assert vonage_server.world.get_participant(connector.connection_id).status is ParticipantStatus.DISCONNECTED
    assert not [s for s in vonage_server.world.streams(vonage_session) if s.published]


def test_the_24khz_rate_and_json_transport_the_spec_allows(post, vonage_session, token):
    websocket = {
        "uri": "wss://example.com/ws",
        "audioRate": 24000,
        "headers": {"X-Call": "42"},
        "audioTransport": {"transport": "json", "encoding": "base64", "static_fields": {"call": "42"}},
    }
    answer = post("/connect", {"sessionId": vonage_session, "token": token(vonage_session), "websocket": websocket})
    assert answer.status_code == 200 and set(answer.json()) == {"id", "connectionId"}


@pytest.mark.parametrize(
    "websocket",
    [
        {},
        {"uri": ""},
        {"uri": "wss://example.com/ws", "audioRate": 44100},
        {"uri": "wss://example.com/ws", "audioRate": True},
        {"uri": "wss://example.com/ws", "streams": "one"},
        {"uri": "wss://example.com/ws", "headers": {"X-Big": "x" * 600}},
        {"uri": "wss://example.com/ws", "headers": {"X-Number": 1}},
        {"uri": "wss://example.com/ws", "bidirectional": "yes"},
        {"uri": "wss://example.com/ws", "audioTransport": {"transport": "json"}},
        {"uri": "wss://example.com/ws", "audioTransport": {"transport": "text"}},
    ],
)
def test_a_body_the_spec_does_not_allow_is_refused(vonage_server, post, vonage_session, token, websocket):
    answer = post("/connect", {"sessionId": vonage_session, "token": token(vonage_session), "websocket": websocket})
    assert answer.status_code == 400
    assert not list(vonage_server.world.participants(vonage_session))


def test_a_relayed_session_has_no_connector(vonage_video, token):
    session_id = vonage_video.create_session(SessionOptions(media_mode="relayed")).session_id
    with pytest.raises(HttpRequestError) as caught:
        connect(vonage_video, session_id, token(session_id))
    assert caught.value.response.status_code == 409


@pytest.mark.parametrize("method, path", [("POST", "/connect/{connection}/stop"), ("GET", "/captions/{captions}")])
def test_calls_the_platform_does_not_have_are_not_found(
    vonage_server, vonage_client, vonage_video, vonage_session, token, method, path
):
    # Only the Node SDK sends these (disconnectWebsocket, getCaptionStatus), and its maintainers
    # deprecated both as calls the platform never implemented (vonage-node-sdk #1015, #1031):
    # the emulator answers them as any unknown path; force-disconnect stops a connector.
    connector = connect(vonage_video, vonage_session, token(vonage_session))
    path = path.format(connection=connector.connection_id, captions=connector.id)
    url = f"{vonage_server.base_url}/v2/project/{vonage_server.application.application_id}{path}"
    auth = vonage_client.http_client.auth.generate_application_jwt().decode()
    answer = requests.request(method, url, headers={"Authorization": f"Bearer {auth}"}, timeout=10)
    assert answer.status_code == 404
    assert vonage_server.world.get_participant(connector.connection_id).status is ParticipantStatus.CONNECTED
    # not operations of the spec, so not checked against it
    vonage_server.exchanges[:] = [(q, a) for q, a in vonage_server.exchanges if not q.path.endswith(path)]
