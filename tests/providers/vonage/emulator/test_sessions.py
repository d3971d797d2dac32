"""Vonage emulator: sessions, connections, streams, moderation, signals and
migration, driven through the official ``vonage`` SDK."""

from __future__ import annotations

import base64
import string

import pytest
from vonage_http_client.errors import HttpRequestError, NotFoundError
from vonage_video.models import SessionOptions, SignalData, StreamLayout, StreamLayoutOptions

from anyvideo.models import ParticipantStatus, StreamKind, VideoSource
from anyvideo_vonage.emulator.ids import RELAYED_FLAG, parse_session_id, session_id


def test_a_session_id_encodes_the_application_and_creation_time(vonage_server, vonage_video):
    before = vonage_server.clock.now()
    session_id = vonage_video.create_session(SessionOptions(media_mode="routed")).session_id
    parts = parse_session_id(session_id)
    assert session_id.startswith("1_") and "=" not in session_id
    assert parts.project_id == vonage_server.credentials["application_id"]
    assert abs(parts.created_ms - before.timestamp() * 1000) < 5000
    assert parts.flags == ""


def test_the_random_part_of_session_ids_spreads_over_letters_and_digits(vonage_server):
    made = [session_id("app", vonage_server.clock.now()) for _ in range(1000)]
    randoms = [base64.urlsafe_b64decode(s[2:] + "=" * (-len(s[2:]) % 4)).decode().split("~")[4] for s in made]
    assert {len(r) for r in randoms} == {24} and len(set(randoms)) == 1000
    assert set("".join(randoms)) == set(string.ascii_letters + string.digits)


def test_a_relayed_session_is_flagged_in_its_id(vonage_video):
    session_id = vonage_video.create_session(SessionOptions(media_mode="relayed")).session_id
    assert parse_session_id(session_id).flags == RELAYED_FLAG


def test_session_create_answers_a_json_array(vonage_client, vonage_video):
    vonage_video.create_session(SessionOptions(location="10.1.2.3", e2ee=True))
    answer = vonage_client.http_client.last_response
    assert answer.headers["Content-Type"] == "application/json"
    [session] = answer.json()
    assert session["project_id"] == session["partner_id"] == vonage_client.http_client.auth.application_id


def test_session_create_reads_a_form_whatever_the_content_type(vonage_client, vonage_video, vonage_server):
    # a JSON request leaves "Content-Type: application/json" in the SDK's headers
    vonage_video.disable_mute_all_streams(vonage_video.create_session().session_id)
    session_id = vonage_video.create_session(SessionOptions(archive_mode="always")).session_id
    assert vonage_client.http_client.last_request.headers["Content-Type"] == "application/json"
    assert vonage_server.world.get_room(session_id).options["archiveMode"] == "always"


def test_session_create_refuses_a_bad_location(vonage_video):
    with pytest.raises(HttpRequestError) as caught:
        vonage_video.create_session(SessionOptions(location="not-an-ip"))
    assert caught.value.response.status_code == 400


def test_connections_lists_who_is_connected(vonage_client, vonage_server, vonage_session, vonage_join):
    ann = vonage_join(vonage_session, "ann")
    vonage_join(vonage_session, "bob").leave()
    path = f"/v2/project/{vonage_server.credentials['application_id']}/session/{vonage_session}/connection"
    # the SDK has no method for this operation: its documented HTTP client makes the call
    listing = vonage_client.http_client.get(vonage_client.http_client.video_host, path)
    assert listing["count"] == 1 and listing["sessionId"] == vonage_session
    assert listing["items"][0]["connectionId"] == ann.participant_id
    assert listing["items"][0]["connectionState"] == "Connected"


def test_force_disconnect_ends_the_connection(vonage_server, vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session)
    vonage_video.disconnect_client(vonage_session, ann.participant_id)
    assert vonage_server.world.get_participant(ann.participant_id).status is ParticipantStatus.DISCONNECTED
    with pytest.raises(NotFoundError):
        vonage_video.disconnect_client(vonage_session, ann.participant_id)


def test_streams_are_listed_and_read(vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session)
    camera = ann.publish(name="camera")
    screen = ann.publish(name="slides", video_source=VideoSource.SCREEN)
    listed = {s.id: s for s in vonage_video.list_streams(vonage_session)}
    assert listed[camera].video_type == "camera" and listed[screen].video_type == "screen"
    assert vonage_video.get_stream(vonage_session, screen).name == "slides"


def test_an_unpublished_stream_is_not_found(vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session)
    stream_id = ann.publish()
    ann.unpublish(stream_id)
    with pytest.raises(NotFoundError):
        vonage_video.get_stream(vonage_session, stream_id)


def test_a_stream_starts_with_its_tokens_layout_classes(vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session, initial_layout_class_list=["full", "focus"])
    stream_id = ann.publish()
    assert vonage_video.get_stream(vonage_session, stream_id).layout_class_list == ["full", "focus"]


def test_layout_classes_change(vonage_video, vonage_session, vonage_join):
    stream_id = vonage_join(vonage_session).publish()
    changed = vonage_video.change_stream_layout(
        vonage_session, StreamLayoutOptions(items=[StreamLayout(id=stream_id, layout_class_list=["full"])])
    )
    assert [s.layout_class_list for s in changed] == [["full"]]
    assert vonage_video.get_stream(vonage_session, stream_id).layout_class_list == ["full"]


def test_layout_classes_of_an_unknown_stream_are_refused(vonage_video, vonage_session):
    with pytest.raises(HttpRequestError) as caught:
        vonage_video.change_stream_layout(
            vonage_session, StreamLayoutOptions(items=[StreamLayout(id="nope", layout_class_list=["full"])])
        )
    assert caught.value.response.status_code == 400


def test_mute_one_stream(vonage_server, vonage_video, vonage_session, vonage_join):
    stream_id = vonage_join(vonage_session).publish()
    vonage_video.mute_stream(vonage_session, stream_id)
    assert vonage_server.world.get_stream(stream_id).audio_muted


def test_mute_all_spares_the_excluded_streams(vonage_server, vonage_video, vonage_session, vonage_join):
    ann, bob = vonage_join(vonage_session, "ann"), vonage_join(vonage_session, "bob")
    host, guest = ann.publish(), bob.publish()
    vonage_video.mute_all_streams(vonage_session, excluded_stream_ids=[host])
    assert not vonage_server.world.get_stream(host).audio_muted
    assert vonage_server.world.get_stream(guest).audio_muted


def test_force_mute_applies_to_new_streams_until_disabled(vonage_server, vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session)
    vonage_video.mute_all_streams(vonage_session)
    assert vonage_server.world.get_stream(ann.publish()).audio_muted
    vonage_video.disable_mute_all_streams(vonage_session)
    assert not vonage_server.world.get_stream(ann.publish()).audio_muted


def test_mute_all_in_an_unknown_session_is_not_found(vonage_server, vonage_video):
    never_created = session_id(vonage_server.credentials["application_id"], vonage_server.clock.now())
    with pytest.raises(NotFoundError):
        vonage_video.mute_all_streams(never_created)


def test_a_signal_reaches_every_connection(vonage_video, vonage_session, vonage_join):
    ann, bob = vonage_join(vonage_session, "ann"), vonage_join(vonage_session, "bob")
    vonage_video.send_signal(vonage_session, SignalData(type="chat", data="hello"))
    assert [s.data for s in ann.signals()] == [s.data for s in bob.signals()] == ["hello"]


def test_a_signal_reaches_one_connection(vonage_video, vonage_session, vonage_join):
    ann, bob = vonage_join(vonage_session, "ann"), vonage_join(vonage_session, "bob")
    vonage_video.send_signal(vonage_session, SignalData(type="chat", data="psst"), connection_id=bob.participant_id)
    assert ann.signals() == [] and [s.type for s in bob.signals()] == ["chat"]


def test_a_signal_to_a_gone_connection_is_not_found(vonage_video, vonage_session, vonage_join):
    bob = vonage_join(vonage_session, "bob")
    bob.leave()
    with pytest.raises(NotFoundError):
        vonage_video.send_signal(vonage_session, SignalData(type="chat", data="hi"), connection_id=bob.participant_id)


def test_a_signal_too_large_is_413(vonage_client, vonage_server, vonage_session, vonage_join):
    vonage_join(vonage_session)
    path = f"/v2/project/{vonage_server.credentials['application_id']}/session/{vonage_session}/signal"
    with pytest.raises(HttpRequestError) as caught:  # the SDK's SignalData refuses this before sending
        vonage_client.http_client.post(vonage_client.http_client.video_host, path, {"type": "t", "data": "x" * 8193})
    assert caught.value.response.status_code == 413


def test_migrate_needs_a_connected_client(vonage_client, vonage_server, vonage_session, vonage_join):
    path = f"/v2/project/{vonage_server.credentials['application_id']}/session/{vonage_session}/migrate"
    http = vonage_client.http_client
    with pytest.raises(NotFoundError):
        http.post(http.video_host, path)
    vonage_join(vonage_session)
    assert http.post(http.video_host, path) == {"message": "Session migration initiated"}
    assert http.last_response.status_code == 202


def test_an_audio_only_stream_has_no_video_source(vonage_video, vonage_session, vonage_join):
    stream_id = vonage_join(vonage_session).publish(StreamKind.AUDIO)
    assert vonage_video.get_stream(vonage_session, stream_id).video_type == "camera"
