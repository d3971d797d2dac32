"""Vonage emulator: services that join a session with a client token — SIP
calls and DTMF, the audio connector, live captions, Experience Composer —
through the official SDK."""

from __future__ import annotations

import pytest
from vonage_http_client.errors import ForbiddenError, HttpRequestError, NotFoundError
from vonage_video.errors import RoutedSessionRequiredError
from vonage_video.models import (
    AudioConnectorOptions,
    AudioConnectorWebSocket,
    CaptionsData,
    CaptionsOptions,
    ExperienceComposerOptions,
    ExperienceComposerProperties,
    InitiateSipRequest,
    ListExperienceComposersFilter,
    SessionOptions,
    SipOptions,
    TokenOptions,
)

from anyvideo.models import ParticipantStatus


@pytest.fixture
def token(vonage_video):
    """``token(session_id, role="publisher", **options)``: a client token made by the SDK."""

    def make(session_id, role="publisher", **options):
        return vonage_video.generate_client_token(TokenOptions(session_id=session_id, role=role, **options)).decode()

    return make


# --- SIP and DTMF ---------------------------------------------------------------------


def dial(sdk, session_id, token, **sip):
    return sdk.initiate_sip_call(
        InitiateSipRequest(session_id=session_id, token=token, sip=SipOptions(uri="sip:user@sip.example.com", **sip))
    )


def test_a_sip_call_joins_as_a_connection_with_a_stream(vonage_server, vonage_video, vonage_session, token):
    call = dial(vonage_video, vonage_session, token(vonage_session, connection_data="phone"))
    assert vonage_server.world.get_participant(call.connection_id).identity == "phone"
    stream = vonage_server.world.get_stream(call.stream_id)
    assert stream.kind.value == "audio" and stream.room_id == vonage_session


def test_a_sip_call_with_video_publishes_video(vonage_server, vonage_video, vonage_session, token):
    call = dial(vonage_video, vonage_session, token(vonage_session), video=True)
    assert vonage_server.world.get_stream(call.stream_id).kind.value == "audio_video"


def test_a_sip_call_ends_by_force_disconnect(vonage_server, vonage_video, vonage_session, token):
    call = dial(vonage_video, vonage_session, token(vonage_session))
    vonage_video.disconnect_client(vonage_session, call.connection_id)
    assert vonage_server.world.get_participant(call.connection_id).status is ParticipantStatus.DISCONNECTED


def test_sip_needs_a_routed_session(vonage_video, token):
    session_id = vonage_video.create_session(SessionOptions(media_mode="relayed")).session_id
    with pytest.raises(RoutedSessionRequiredError):
        dial(vonage_video, session_id, token(session_id))


def test_sip_needs_a_token_for_the_session(vonage_video, vonage_session, token):
    other = vonage_video.create_session().session_id
    with pytest.raises(ForbiddenError) as caught:
        dial(vonage_video, vonage_session, token(other))
    assert caught.value.response.json()["code"] == 10007


def test_dtmf_plays_to_the_session_and_to_one_connection(vonage_video, vonage_session, token):
    call = dial(vonage_video, vonage_session, token(vonage_session))
    vonage_video.play_dtmf(vonage_session, "1713#p*")
    vonage_video.play_dtmf(vonage_session, "9", connection_id=call.connection_id)


def test_dtmf_is_also_served_under_the_specs_projects_path(vonage_client, vonage_server, vonage_session):
    http = vonage_client.http_client
    path = f"/v2/projects/{vonage_server.credentials['application_id']}/session/{vonage_session}/play-dtmf"
    http.post(http.video_host, path, {"digits": "42"})
    assert http.last_response.status_code == 200
    with pytest.raises(HttpRequestError) as caught:
        http.post(http.video_host, path, {"digits": "12x"})
    assert caught.value.response.status_code == 400


def test_dtmf_to_a_gone_connection_is_not_found(vonage_video, vonage_session, vonage_join):
    bob = vonage_join(vonage_session, "bob")
    bob.leave()
    with pytest.raises(NotFoundError):
        vonage_video.play_dtmf(vonage_session, "1", connection_id=bob.participant_id)


# --- audio connector ------------------------------------------------------------------


def test_the_audio_connector_joins_as_a_connection(vonage_server, vonage_video, vonage_session, token):
    connector = vonage_video.start_audio_connector(
        AudioConnectorOptions(
            session_id=vonage_session,
            token=token(vonage_session),
            websocket=AudioConnectorWebSocket(uri="wss://example.com/ws", audio_rate=16000),
        )
    )
    assert connector.id
    assert vonage_server.world.get_participant(connector.connection_id).status is ParticipantStatus.CONNECTED


# --- captions -----------------------------------------------------------------------


def captions_for(video, session_id, token):
    return video.start_captions(
        CaptionsOptions(session_id=session_id, token=token, language_code="en-GB", max_duration=300)
    )


def test_captions_start_and_stop(vonage_client, vonage_video, vonage_session, token):
    captions = captions_for(vonage_video, vonage_session, token(vonage_session, role="moderator"))
    assert vonage_client.http_client.last_response.status_code == 202 and captions.captions_id
    vonage_video.stop_captions(captions)
    assert vonage_client.http_client.last_response.status_code == 202
    with pytest.raises(NotFoundError):
        vonage_video.stop_captions(captions)


def test_captions_run_once_per_session(vonage_video, vonage_session, token):
    moderator = token(vonage_session, role="moderator")
    captions_for(vonage_video, vonage_session, moderator)
    with pytest.raises(HttpRequestError) as caught:
        captions_for(vonage_video, vonage_session, moderator)
    assert caught.value.response.status_code == 409
    assert caught.value.response.json()["code"] == 60003


def test_captions_end_at_their_maximum_duration(vonage_server, vonage_video, vonage_session, token):
    moderator = token(vonage_session, role="moderator")
    first = captions_for(vonage_video, vonage_session, moderator)
    vonage_server.control.advance(300)
    assert captions_for(vonage_video, vonage_session, moderator).captions_id != first.captions_id
    with pytest.raises(NotFoundError):
        vonage_video.stop_captions(first)


def test_captions_need_a_moderator_token(vonage_video, vonage_session, token):
    with pytest.raises(ForbiddenError):
        captions_for(vonage_video, vonage_session, token(vonage_session, role="publisher"))


def test_unknown_captions_are_not_found(vonage_video):
    with pytest.raises(NotFoundError):
        vonage_video.stop_captions(CaptionsData(captions_id="bc01a6b7-0e8e-4aa0-bb4e-2390f7cb18a1"))


# --- Experience Composer ----------------------------------------------------------------


def compose(video, session_id, token, **options):
    return video.start_experience_composer(
        ExperienceComposerOptions(session_id=session_id, token=token, url="https://example.com/stage", **options)
    )


def test_an_experience_composer_publishes_a_stream(vonage_client, vonage_video, vonage_session, token):
    render = compose(
        vonage_video,
        vonage_session,
        token(vonage_session),
        properties=ExperienceComposerProperties(name="Stage"),
        resolution="1920x1080",
    )
    assert vonage_client.http_client.last_response.status_code == 202
    assert (render.status.value, render.name, render.resolution.value) == ("starting", "Stage", "1920x1080")
    started = vonage_video.get_experience_composer(render.id)
    assert started.status.value == "started"
    stream = vonage_video.get_stream(vonage_session, started.stream_id)
    assert (stream.name, stream.video_type) == ("Stage", "custom")


def test_an_experience_composer_stops_on_request(vonage_video, vonage_session, token):
    render = compose(vonage_video, vonage_session, token(vonage_session))
    vonage_video.stop_experience_composer(render.id)
    stopped = vonage_video.get_experience_composer(render.id)
    assert (stopped.status.value, stopped.reason) == ("stopped", "Stop Requested")
    assert vonage_video.list_streams(vonage_session) == []
    with pytest.raises(NotFoundError):
        vonage_video.stop_experience_composer(render.id)


def test_an_experience_composer_stops_at_its_maximum_duration(vonage_server, vonage_video, vonage_session, token):
    render = compose(vonage_video, vonage_session, token(vonage_session), max_duration=60)
    vonage_server.control.advance(60)
    stopped = vonage_video.get_experience_composer(render.id)
    assert (stopped.status.value, stopped.reason) == ("stopped", "Max duration exceeded")


def test_experience_composers_are_listed_newest_first(vonage_video, vonage_session, token):
    first = compose(vonage_video, vonage_session, token(vonage_session))
    second = compose(vonage_video, vonage_session, token(vonage_session))
    renders, count, _ = vonage_video.list_experience_composers(ListExperienceComposersFilter())
    assert count == 2 and [r.id for r in renders] == [second.id, first.id]


def test_a_subscriber_token_cannot_compose(vonage_video, vonage_session, token):
    with pytest.raises(ForbiddenError):
        compose(vonage_video, vonage_session, token(vonage_session, role="subscriber"))


def test_an_unknown_experience_composer_is_not_found(vonage_video):
    with pytest.raises(NotFoundError):
        vonage_video.get_experience_composer("be7712a4-3a63-4ed7-a2c6-7ffaebefd4a6")
