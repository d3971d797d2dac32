"""Vonage emulator: callbacks — session monitoring, archive, broadcast and
Experience Composer status — delivered to the application, signed when it
set a signature secret."""

from __future__ import annotations

import hashlib
import json

import jwt
import pytest
from vonage_jwt import verify_signature
from vonage_video.models import (
    BroadcastHls,
    BroadcastOutputSettings,
    CreateArchiveRequest,
    CreateBroadcastRequest,
    ExperienceComposerOptions,
    TokenOptions,
)

from anyvideo.errors import InvalidRequest
from anyvideo_vonage.emulator import VonageEmulator

SECRET = "a-signature-secret-of-at-least-32-bytes"


@pytest.fixture
def receiver(vonage_server, vonage_receiver):
    """The receiver, set as every callback URL of the application (``/session``, ``/archive``, …)."""
    urls = {kind: vonage_receiver.url(f"/{kind}") for kind in ("session", "archive", "broadcast", "render")}
    vonage_server.control.call("PUT", "/vonage/callbacks", urls)
    return vonage_receiver


def delivered(server, receiver, kind):
    server.control.callbacks()  # waits for the queued callbacks
    return receiver.bodies(f"/{kind}")


def test_session_monitoring_follows_a_client(vonage_server, vonage_session, vonage_join, receiver):
    ann = vonage_join(vonage_session, "ann")
    stream_id = ann.publish(name="camera")
    ann.unpublish(stream_id)
    ann.leave()
    events = delivered(vonage_server, receiver, "session")
    assert [e["event"] for e in events] == [
        "sessionCreated",
        "connectionCreated",
        "streamCreated",
        "streamDestroyed",
        "connectionDestroyed",
        "sessionDestroyed",
    ]
    assert all(e["sessionId"] == vonage_session for e in events)
    assert all(e["projectId"] == vonage_server.credentials["application_id"] for e in events)
    assert all(list(e)[:4] == ["sessionId", "projectId", "event", "timestamp"] for e in events)
    created = events[1]["connection"]
    assert (created["id"], json.loads(created["data"])) == (ann.participant_id, {"identity": "ann"})
    stream = events[2]["stream"]
    assert (stream["id"], stream["name"], stream["videoType"]) == (stream_id, "camera", "camera")
    assert stream["connection"]["id"] == ann.participant_id
    assert events[3]["reason"] == "mediaStopped" and events[4]["reason"] == "clientDisconnected"


def test_a_forced_disconnect_says_so(vonage_server, vonage_video, vonage_session, vonage_join, receiver):
    ann = vonage_join(vonage_session)
    ann.publish()
    vonage_video.disconnect_client(vonage_session, ann.participant_id)
    reasons = {e["event"]: e.get("reason") for e in delivered(vonage_server, receiver, "session")}
    assert reasons["streamDestroyed"] == reasons["connectionDestroyed"] == "forceDisconnected"


def test_archive_status_callbacks_follow_the_lifecycle(
    vonage_server, vonage_video, vonage_session, vonage_join, receiver
):
    vonage_join(vonage_session).publish()
    archive = vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session))
    vonage_video.stop_archive(archive.id)
    vonage_server.control.advance(2)
    events = delivered(vonage_server, receiver, "archive")
    assert [(e["status"], e["event"], e["id"]) for e in events] == [
        ("started", "archive", archive.id),
        ("stopped", "archive", archive.id),
        ("available", "archive", archive.id),
    ]
    assert events[-1]["url"] and events[-1]["size"] > 0


def test_an_archive_stopped_at_four_hours_is_announced(
    vonage_server, vonage_video, vonage_session, vonage_join, receiver
):
    vonage_join(vonage_session).publish()
    vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session))
    vonage_server.control.advance(4 * 3600 + 2)
    events = delivered(vonage_server, receiver, "archive")
    assert [(e["status"], e["reason"]) for e in events] == [
        ("started", ""),
        ("stopped", "maximum duration exceeded"),
        ("available", "maximum duration exceeded"),
    ]


def test_broadcast_status_callbacks(vonage_server, vonage_video, vonage_session, vonage_join, receiver):
    vonage_join(vonage_session)
    outputs = BroadcastOutputSettings(hls=BroadcastHls())
    broadcast = vonage_video.start_broadcast(CreateBroadcastRequest(session_id=vonage_session, outputs=outputs))
    vonage_video.stop_broadcast(broadcast.id)
    events = delivered(vonage_server, receiver, "broadcast")
    assert [(e["status"], e["event"]) for e in events] == [("started", "broadcast"), ("stopped", "broadcast")]


def test_experience_composer_status_callbacks(vonage_server, vonage_video, vonage_session, receiver):
    token = vonage_video.generate_client_token(TokenOptions(session_id=vonage_session)).decode()
    render = vonage_video.start_experience_composer(
        ExperienceComposerOptions(session_id=vonage_session, token=token, url="https://example.com/stage")
    )
    assert render.callback_url == receiver.url("/render")
    vonage_video.stop_experience_composer(render.id)
    events = delivered(vonage_server, receiver, "render")
    assert [(e["status"], e.get("reason")) for e in events] == [("started", None), ("stopped", "Stop Requested")]


def test_callbacks_are_signed_with_the_signature_secret(vonage_server, vonage_session, vonage_join, vonage_receiver):
    vonage_server.control.call(
        "PUT", "/vonage/callbacks", {"session": vonage_receiver.url("/session"), "signature_secret": SECRET}
    )
    vonage_join(vonage_session)
    vonage_server.control.callbacks()
    [first, *_] = vonage_receiver.received
    scheme, token = first["headers"]["Authorization"].split(" ")
    assert scheme == "Bearer" and verify_signature(token, SECRET)  # the SDK's own check
    body = json.dumps(first["body"]).encode()
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["payload_hash"] == hashlib.sha256(body).hexdigest()
    assert not verify_signature(token, "another-secret-of-at-least-32-bytes!")


def test_unsigned_callbacks_carry_no_authorization(vonage_server, vonage_session, vonage_join, receiver):
    vonage_join(vonage_session)
    vonage_server.control.callbacks()
    assert all("Authorization" not in item["headers"] for item in receiver.received)


def test_callback_settings_are_shown_without_the_secret(vonage_server, vonage_receiver):
    url = vonage_receiver.url("/archive")
    shown = vonage_server.control.call("PUT", "/vonage/callbacks", {"archive": url, "signature_secret": SECRET})
    assert shown == {"session": None, "archive": url, "broadcast": None, "render": None, "signed": True}
    assert vonage_server.control.call("GET", "/vonage/callbacks") == shown


def test_an_unknown_callback_kind_is_refused(vonage_server):
    with pytest.raises(InvalidRequest):
        vonage_server.control.call("PUT", "/vonage/callbacks", {"sip": "http://127.0.0.1:1/sip"})


def test_callback_urls_can_be_given_to_the_constructor(vonage_receiver):
    emulator = VonageEmulator(callback_urls={"session": vonage_receiver.url("/s")}, signature_secret=SECRET)
    assert emulator.callback_settings.describe()["session"] == vonage_receiver.url("/s")
