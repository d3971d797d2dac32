"""Access tokens: AccessToken + VideoGrant(room), identity, ttl; no roles, no data."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt
import pytest
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant

from anyvideo import Feature, Role
from anyvideo.errors import Conflict, InvalidRequest, NotFound, UnsupportedFeature
from anyvideo.testing import WebhookServer
from anyvideo_twilio import tokens


def claims(token: str, secret: str) -> dict:
    return jwt.decode(token, secret, algorithms=["HS256"])


def test_a_token_lets_a_browser_join_its_room(video, room, browser, twilio_emulator):
    token = video.tokens.create(room, "ann", ttl=600)
    assert (token.identity, token.room_id, token.role, token.provider) == ("ann", room.id, Role.PUBLISHER, "twilio")
    assert 590 <= (token.expires_at - datetime.now(UTC)).total_seconds() <= 601
    body = claims(token.token, twilio_emulator.credentials["api_key_secret"])
    assert body["grants"] == {"identity": "ann", "video": {"room": room.id}}
    assert body["iss"] == twilio_emulator.credentials["api_key_sid"]
    assert browser.join(token).identity == "ann"
    assert "token=" not in repr(token)


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.MODERATOR, Role.PUBLISHER_ONLY])
def test_a_role_other_than_the_default_is_refused_never_ignored(video, room, role):
    assert not video.supports(Feature.TOKEN_ROLES)
    with pytest.raises(UnsupportedFeature) as caught:
        video.tokens.create(room, "ann", role=role)
    assert caught.value.feature is Feature.TOKEN_ROLES and "no role" in str(caught.value)


def test_a_role_is_refused_by_the_backend_itself_too(backend, room):
    from anyvideo.specs import TokenSpec

    with pytest.raises(UnsupportedFeature):
        backend.create_token(room.id, TokenSpec("ann", Role.SUBSCRIBER))


def test_token_data_is_refused(video, room):
    with pytest.raises(UnsupportedFeature):
        video.tokens.create(room, "ann", data="seat 4")


def test_tokens_live_at_most_a_day(video, room):
    video.tokens.create(room, "ann", ttl=24 * 3600)
    with pytest.raises(InvalidRequest, match="86400"):
        video.tokens.create(room, "ann", ttl=24 * 3600 + 1)


def test_tokens_minted_in_the_same_second_are_distinct(video, room, twilio_emulator):
    # The SDK's jti is "<key>-<second>": two tokens for one identity in one second would be identical.
    secret = twilio_emulator.credentials["api_key_secret"]
    while time.time() % 1 > 0.5:  # leave the rest of a second for both
        time.sleep(0.05)
    first, second = (video.tokens.create(room, "ann", ttl=60) for _ in range(2))
    one, two = claims(first.token, secret), claims(second.token, secret)
    assert one["iat" if "iat" in one else "nbf"] == two["iat" if "iat" in two else "nbf"]
    assert first.token != second.token
    assert one["jti"] != two["jti"]
    assert one["jti"].startswith(f"{twilio_emulator.credentials['api_key_sid']}-{one['nbf']}-")


def test_a_token_is_minted_without_any_request(video, room, received):
    token = video.tokens.create(room, "ann")
    assert received == [] and token.room_id == room.id


def test_a_token_for_a_room_twilio_does_not_know_is_refused_at_the_door(video, browser, received):
    # anyvideo does not ask Twilio before minting: Twilio refuses the join.
    token = video.tokens.create("RM" + "0" * 32, "ann")
    assert received == []
    with pytest.raises(NotFound):
        browser.join(token)


def test_a_room_anyvideo_ended_refuses_tokens_without_a_request(video, room, received):
    video.rooms.end(room)
    del received[:]
    with pytest.raises(Conflict, match="has ended"):
        video.tokens.create(room, "late")
    assert received == []


def test_a_room_ended_in_another_process_refuses_tokens(connect_twilio, tmp_path, received):
    registry = str(tmp_path / "registry.sqlite")
    ending, minting = connect_twilio(registry=registry), connect_twilio(registry=registry)
    room = ending.rooms.create("shared")
    ending.rooms.end(room)
    with pytest.raises(Conflict):
        minting.tokens.create(room, "late")


def test_a_room_a_callback_said_ended_refuses_tokens(connect_twilio, tmp_path):
    registry = str(tmp_path / "registry.sqlite")
    receiver = connect_twilio(registry=registry)
    with WebhookServer(receiver) as server:
        app = connect_twilio(registry=registry)
        room = app.native.video.v1.rooms.create(unique_name="elsewhere", status_callback=server.url)
        app.native.video.v1.rooms(room.sid).update(status="completed")  # ended without anyvideo
        app.backend.browser().callbacks()  # room-ended reaches the receiver
    with pytest.raises(Conflict):
        app.tokens.create(room.sid, "late")


def test_a_room_that_ended_unheard_of_gets_a_token_twilio_refuses(video, room, browser):
    video.native.video.v1.rooms(room.id).update(status="completed")  # no callback, not through anyvideo
    token = video.tokens.create(room, "late")
    with pytest.raises(Conflict, match="has ended"):
        browser.join(token)


class _FixedToken(AccessToken):
    """The SDK's token with a fixed ``jti`` (its own is the current second), to compare strings."""

    def _generate_payload(self):
        payload = super()._generate_payload()
        payload["jti"] = "SK-fixed"
        return payload


@pytest.mark.parametrize("secret", ["a-secret-of-32-bytes-or-more-....", "another secret, of 33 bytes or so"])
def test_a_token_is_signed_to_the_byte_as_the_sdk_signs_it(secret):
    token = _FixedToken("AC" + "a" * 32, "SK" + "b" * 32, secret, identity="ann", nbf=1000, valid_until=5000)
    token.add_grant(VideoGrant(room="RM" + "c" * 32))
    assert tokens.signed(token) == token.to_jwt()
    assert tokens.signed(token) == token.to_jwt()  # the secret checked once is still the one signing


def test_a_secret_pyjwt_refuses_is_refused_every_time():
    pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
    token = _FixedToken("AC" + "a" * 32, "SK" + "b" * 32, pem, identity="ann", nbf=1000, valid_until=5000)
    for _ in range(2):
        with pytest.raises(jwt.exceptions.InvalidKeyError):
            tokens.signed(token)
