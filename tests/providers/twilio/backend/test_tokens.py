"""Access tokens: AccessToken + VideoGrant(room), identity, ttl; no roles, no data."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt
import pytest

from anyvideo import Feature, Role
from anyvideo.errors import InvalidRequest, UnsupportedFeature


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


def test_a_token_for_an_unknown_room_is_not_minted(video):
    from anyvideo.errors import NotFound

    with pytest.raises(NotFound):
        video.tokens.create("RM" + "0" * 32, "ann")
