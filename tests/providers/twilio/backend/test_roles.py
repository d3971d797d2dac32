"""Roles on Twilio, whose tokens carry none: with ``enforce_roles`` a subscriber token is
accepted, its role kept in the registry, and a subscriber that publishes is disconnected
when Twilio's ``track-added`` callback arrives. Without it, roles are refused, naming it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.webhooks import Collector, no_refusals

import anyvideo
from anyvideo import Feature, ParticipantStatus, Role, StreamKind, Video
from anyvideo.errors import ConfigurationError, Conflict, InvalidRequest, UnsupportedFeature
from anyvideo.testing import WebhookServer
from anyvideo_twilio.webhooks import ROLE_ENFORCED

HOOK = "http://127.0.0.1:9/twilio/status"  # nobody listens: the emulator records what it sent


def test_without_the_setting_a_role_is_refused_naming_the_setting(video, room) -> None:
    assert not video.supports(Feature.TOKEN_ROLES)
    with pytest.raises(UnsupportedFeature, match="enforce_roles") as refused:
        video.tokens.create(room, "viewer", role=Role.SUBSCRIBER)
    assert refused.value.feature is Feature.TOKEN_ROLES


#: TWILIO_ENFORCE_ROLES as written in the environment -> the setting.
SWITCHES = [("true", True), ("1", True), ("Yes", True), ("on", True), ("false", False), ("0", False), ("off", False)]


@pytest.mark.parametrize(("written", "enforced"), SWITCHES)
def test_the_setting_is_read_from_the_environment(twilio_emulator, written: str, enforced: bool) -> None:
    environ = {"TWILIO_ENFORCE_ROLES": written}
    with anyvideo.connect("twilio", environ=environ, **twilio_emulator.backend_settings) as video:
        assert video.backend.settings.enforce_roles is enforced
        assert video.supports(Feature.TOKEN_ROLES) is enforced


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"enforce_roles": "maybe"}, "enforce_roles must be true or false"),
        ({"enforce_roles": True, "auth_token": None}, "set auth_token"),
    ],
)
def test_a_bad_or_unverifiable_setting_is_refused(connect_twilio, settings: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        connect_twilio(**settings)


@pytest.fixture
def enforcing(connect_twilio) -> Video:
    return connect_twilio(enforce_roles=True)


def test_with_the_setting_a_subscriber_token_is_minted_and_its_role_kept(enforcing) -> None:
    room = enforcing.rooms.create("webinar", provider_options={"status_callback": HOOK})
    assert enforcing.supports(Feature.TOKEN_ROLES)
    token = enforcing.tokens.create(room, "viewer", role=Role.SUBSCRIBER)
    assert token.role is Role.SUBSCRIBER
    assert enforcing.backend.roles.of(room.id, "viewer") is Role.SUBSCRIBER
    enforcing.tokens.create(room, "viewer")  # a later token for the same identity replaces it
    assert enforcing.backend.roles.of(room.id, "viewer") is Role.PUBLISHER
    assert enforcing.backend.roles.of(room.id, "nobody") is None


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PUBLISHER_ONLY])
def test_a_role_nothing_on_twilio_enforces_is_refused(enforcing, role: Role) -> None:
    room = enforcing.rooms.create("webinar", provider_options={"status_callback": HOOK})
    with pytest.raises(InvalidRequest) as refused:
        enforcing.tokens.create(room, "host", role=role)
    assert refused.value.field == "role"


def test_a_subscriber_token_needs_the_rooms_callbacks(enforcing) -> None:
    room = enforcing.rooms.create("unwatched")  # no status callback: nothing would tell of a publish
    with pytest.raises(Conflict, match="status callback"):
        enforcing.tokens.create(room, "viewer", role=Role.SUBSCRIBER)
    assert enforcing.tokens.create(room, "host").role is Role.PUBLISHER


@pytest.fixture
def deployed(connect_twilio, tmp_path: Path) -> Iterator[tuple[Video, Collector]]:
    """The application and, in its own ``Video`` sharing the registry file, the callback receiver."""
    registry = str(tmp_path / "registry.sqlite")
    receiver = connect_twilio(registry=registry, enforce_roles=True)
    collector = Collector()
    receiver.plugins.manager.register(collector)
    with WebhookServer(receiver) as server:
        app = connect_twilio(registry=registry, enforce_roles=True, status_callback=server.url)
        yield app, collector
        app.backend.browser().callbacks()  # nothing still on its way when the server stops


def test_a_subscriber_that_publishes_is_disconnected_when_the_callback_arrives(deployed) -> None:
    app, collector = deployed
    devices = app.backend.browser()
    room = app.rooms.create("webinar")
    host = devices.join(app.tokens.create(room, "host"))
    viewer = devices.join(app.tokens.create(room, "viewer", role=Role.SUBSCRIBER))
    host.publish(StreamKind.AUDIO, name="host-mic")
    devices.callbacks()
    assert not [e for e in collector.events if e.type == ROLE_ENFORCED]  # a publisher publishes
    viewer.publish(StreamKind.AUDIO, name="viewer-mic")  # Twilio lets it: its token has no role
    devices.callbacks()  # the track-added callback arrives, and what it caused
    assert no_refusals(devices) == []
    assert app.participants.get(room, viewer.participant_id).status is ParticipantStatus.DISCONNECTED
    assert app.participants.get(room, host.participant_id).status is ParticipantStatus.CONNECTED
    assert [s.name for s in app.streams.list(room)] == ["host-mic"]
    viewers = [
        (str(e.type), e.subject.identity if hasattr(e.subject, "identity") else e.subject.name)
        for e in collector.events
        if getattr(e.subject, "participant_id", None) == viewer.participant_id
        or getattr(e.subject, "id", None) == viewer.participant_id
    ]
    assert viewers == [
        ("participant.joined", "viewer"),
        ("stream.published", "viewer-mic"),
        (ROLE_ENFORCED, "viewer"),
        ("stream.unpublished", "viewer-mic"),
        ("participant.left", "viewer"),
    ]
    [enforced] = [e for e in collector.events if e.type == ROLE_ENFORCED]
    assert enforced.subject.role is Role.SUBSCRIBER and enforced.subject.status is ParticipantStatus.DISCONNECTED
    assert enforced.room_id == room.id and enforced.subject.id == viewer.participant_id


def test_a_redelivered_track_callback_enforces_and_announces_nothing_new(enforcing) -> None:
    room = enforcing.rooms.create("webinar", provider_options={"status_callback": HOOK})
    devices = enforcing.backend.browser()
    devices.join(enforcing.tokens.create(room, "viewer", role=Role.SUBSCRIBER)).publish(StreamKind.AUDIO)
    [added] = [d for d in devices.callbacks() if d["url"] == HOOK and "=track-added" in d["body"]]
    args = (added["method"], added["url"], added["headers"], added["body"])
    first, again = enforcing.webhooks.parse(*args), enforcing.webhooks.parse(*args)
    assert [e.type for e in first] == ["stream.published", ROLE_ENFORCED]
    assert [e.event_id for e in again] == [e.event_id for e in first]  # the participant had left: no error
    [viewer] = enforcing.participants.list(room, status=ParticipantStatus.DISCONNECTED)
    assert viewer.identity == "viewer"


def test_with_the_status_callback_setting_a_subscriber_token_needs_no_request(connect_twilio, received) -> None:
    video = connect_twilio(enforce_roles=True, status_callback=HOOK)  # every room it makes calls back there
    room = video.rooms.create("webinar")
    del received[:]
    assert video.tokens.create(room, "viewer", role=Role.SUBSCRIBER).role is Role.SUBSCRIBER
    assert received == []


def test_without_the_setting_a_subscriber_token_asks_for_the_room(enforcing, received) -> None:
    room = enforcing.rooms.create("webinar", provider_options={"status_callback": HOOK})
    del received[:]
    enforcing.tokens.create(room, "viewer", role=Role.SUBSCRIBER)
    assert received == [("GET", f"/v1/Rooms/{room.id}")]
    enforcing.tokens.create(room, "host")  # a publisher's token needs no callback: no request
    assert len(received) == 1
