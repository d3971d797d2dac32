"""Client tokens: minted from the loaded key, verified by the emulator, roles enforced on join and publish."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from vonage_video.models import TokenOptions

from anyvideo import AnyVideoError, Forbidden, InvalidRequest, Role


@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.MODERATOR, Role.PUBLISHER_ONLY])
def test_roles_that_publish(video, browser, room, role) -> None:
    token = video.tokens.create(room, "ann", role=role)
    assert token.role is role
    ann = browser.join(token)
    assert ann.publish() in {s.id for s in video.streams.list(room)}


def test_a_subscriber_joins_but_cannot_publish(video, browser, room) -> None:
    carol = browser.join(video.tokens.create(room, "carol", role="subscriber"))
    assert carol.identity == "carol"
    with pytest.raises(Forbidden):
        carol.publish()
    assert list(video.streams.list(room)) == []


def test_identity_and_data_travel_in_the_connection_data(video, browser, room, vonage_emulator) -> None:
    token = video.tokens.create(room, "ann", data='{"seat": 4}')
    ann = browser.join(token)
    assert ann.identity == "ann"
    joined = vonage_emulator.world.get_participant(ann.participant_id)
    assert json.loads(joined.data) == {"identity": "ann", "role": "publisher", "data": '{"seat": 4}'}
    assert token.data == '{"seat": 4}'


def test_the_claims_are_the_sdks(video, room, vonage_emulator) -> None:
    """Same claim set as ``generate_client_token``; signed RS256 with the application's key."""
    ours = video.tokens.create(room, "ann", role="moderator", ttl=600).token
    sdks = video.native.video.generate_client_token(TokenOptions(session_id=room.id, role="moderator")).decode()
    public = vonage_emulator.application.public_key
    mine = jwt.decode(ours, public, algorithms=["RS256"], options={"verify_exp": False})
    theirs = jwt.decode(sdks, public, algorithms=["RS256"], options={"verify_exp": False})
    assert set(mine) - {"connection_data"} == set(theirs)
    assert {k: mine[k] for k in ("scope", "subject", "acl", "role", "session_id", "application_id")} == {
        k: theirs[k] for k in ("scope", "subject", "acl", "role", "session_id", "application_id")
    }
    assert jwt.get_unverified_header(ours)["alg"] == "RS256"


def test_expiry(video, browser, room, vonage_emulator) -> None:
    token = video.tokens.create(room, "ann", ttl=60)
    assert abs(token.expires_at.timestamp() - (time.time() + 60)) < 2
    vonage_emulator.control.advance(120)
    with pytest.raises(AnyVideoError):
        browser.join(token)


def test_a_token_is_for_its_room_only(video, browser, room) -> None:
    other = video.rooms.create("other")
    token = video.tokens.create(room, "ann")
    with pytest.raises(AnyVideoError):
        browser.join(token, room_id=other.id)


def test_ttl_and_options_are_checked_before_anything(video, room) -> None:
    with pytest.raises(InvalidRequest, match="ttl"):
        video.tokens.create(room, "ann", ttl=31 * 24 * 3600)
    with pytest.raises(InvalidRequest, match="provider_options"):
        video.tokens.create(room, "ann", provider_options={"colour": "red"})
    with pytest.raises(InvalidRequest, match="layout_classes"):
        video.tokens.create(room, "ann", provider_options={"layout_classes": "focus"})


def test_minting_makes_no_request(video, room, vonage_emulator) -> None:
    from anyvideo.testing.faults import Fault

    vonage_emulator.faults.add(Fault(status=500))  # any request now fails
    assert video.tokens.create(room, "ann").token
