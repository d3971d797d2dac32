"""Twilio authentication: HTTP Basic on the REST API (account SID + auth token,
or API key + secret) and access tokens for clients."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import jwt
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant

from anyvideo.errors import AuthenticationError, Conflict, Forbidden, NotFound
from anyvideo.models import Role
from anyvideo.testing import emulator
from anyvideo_twilio.emulator import TwilioEmulator
from anyvideo_twilio.emulator.auth import Credentials

# --- the REST API ---------------------------------------------------------------


def test_emulator_makes_a_twilio_emulator():
    assert isinstance(emulator("twilio"), TwilioEmulator)


def test_credentials_are_twilio_shaped_and_secrets_stay_out_of_reprs(twilio_server):
    creds = twilio_server.credentials
    assert set(creds) == {"account_sid", "auth_token", "api_key_sid", "api_key_secret"}
    assert (creds["account_sid"][:2], creds["api_key_sid"][:2], len(creds["account_sid"])) == ("AC", "SK", 34)
    shown = repr(twilio_server) + repr(twilio_server.creds)
    assert creds["account_sid"] in shown
    assert creds["auth_token"] not in shown and creds["api_key_secret"] not in shown


def test_credentials_can_be_given():
    given = {"account_sid": "AC" + "1" * 32, "auth_token": "t0ken", "api_key_sid": "SK" + "2" * 32}
    assert {k: TwilioEmulator(**given).credentials[k] for k in given} == given


def test_the_api_key_and_secret_authenticate(twilio_video):
    assert twilio_video.rooms.create().status == "in-progress"


def test_the_account_sid_and_auth_token_authenticate(twilio_server, twilio_sdk):
    creds = twilio_server.credentials
    client = twilio_sdk(creds["account_sid"], creds["auth_token"])
    assert client.video.v1.rooms.create().account_sid == creds["account_sid"]


@pytest.mark.parametrize("who", ["api_key_sid", "account_sid"])
def test_a_wrong_secret_is_a_401_with_code_20003(twilio_server, twilio_sdk, who):
    client = twilio_sdk(twilio_server.credentials[who], "wrong")
    with pytest.raises(TwilioRestException) as caught:
        client.video.v1.rooms.create()
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_a_request_without_credentials_gets_twilios_401_body(twilio_server):
    answer = requests.get(f"{twilio_server.base_url}/v1/Rooms", timeout=10)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_mixing_one_pairs_user_with_the_others_secret_fails(twilio_server):
    creds = twilio_server.credentials
    for user, secret in [("account_sid", "api_key_secret"), ("api_key_sid", "auth_token")]:
        answer = requests.get(f"{twilio_server.base_url}/v1/Rooms", auth=(creds[user], creds[secret]), timeout=10)
        assert answer.status_code == 401
    garbled = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe").decode()}
    assert requests.get(f"{twilio_server.base_url}/v1/Rooms", headers=garbled, timeout=10).status_code == 401


def _basic(user: str, secret: str, scheme: str = "Basic") -> str:
    return f"{scheme} " + base64.b64encode(f"{user}:{secret}".encode()).decode()


CREDS = Credentials.generate()
AUTHORIZATIONS = {
    "api key, as clients write it": (_basic(CREDS.api_key_sid, CREDS.api_key_secret), True),
    "account, as clients write it": (_basic(CREDS.account_sid, CREDS.auth_token), True),
    "scheme in lower case": (_basic(CREDS.api_key_sid, CREDS.api_key_secret, "basic"), True),
    "wrong secret": (_basic(CREDS.api_key_sid, "wrong"), False),
    "the other pair's secret": (_basic(CREDS.account_sid, CREDS.api_key_secret), False),
    "a secret with more after it": (_basic(CREDS.api_key_sid, CREDS.api_key_secret + "x"), False),
    "bearer": ("Bearer " + CREDS.api_key_secret, False),
    "empty": ("", False),
    "none": (None, False),
}


@pytest.mark.parametrize(("authorization", "accepted"), AUTHORIZATIONS.values(), ids=AUTHORIZATIONS.keys())
def test_basic_credentials_are_checked_the_same_however_they_are_written(authorization, accepted):
    assert CREDS.accepts(authorization) is accepted


def test_every_answer_carries_a_request_id(twilio_server):
    answer = requests.get(f"{twilio_server.base_url}/v1/Rooms", timeout=10)
    assert answer.headers["Twilio-Request-Id"].startswith("RQ")


# --- access tokens ------------------------------------------------------------------


@pytest.fixture
def room(twilio_video):
    return twilio_video.rooms.create(unique_name="standup")


def test_an_access_token_grants_its_room_by_name_or_sid(twilio_server, twilio_token, room):
    grant = twilio_server.verify_client_token(twilio_token("ann", "standup", ttl=600))
    assert (grant.room_id, grant.identity, grant.role) == (room.sid, "ann", Role.PUBLISHER)
    assert abs((grant.expires_at - datetime.now(UTC)).total_seconds() - 600) < 5
    assert twilio_server.verify_client_token(twilio_token("bob", room.sid)).room_id == room.sid


def test_a_browser_joins_with_an_sdk_made_token(twilio_server, twilio_token, twilio_video, room):
    ann = twilio_server.control.join(twilio_token("ann", "standup"))
    assert twilio_video.rooms(room.sid).participants(ann.participant_id).fetch().identity == "ann"


def _token(creds, *, account=None, key=None, secret=None, identity="ann", grants=None):
    token = AccessToken(
        account or creds["account_sid"],
        key or creds["api_key_sid"],
        secret or creds["api_key_secret"],
        identity=identity,
    )
    for grant in [VideoGrant(room="standup")] if grants is None else grants:
        token.add_grant(grant)
    return token.to_jwt()


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "a-secret-of-the-right-length-but-wrong"},
        {"key": "SK" + "0" * 32},
        {"account": "AC" + "0" * 32},
        {"identity": None},
        {"grants": ()},
    ],
)
def test_a_token_not_made_for_this_account_and_key_is_refused(twilio_server, room, change):
    with pytest.raises(AuthenticationError):
        twilio_server.verify_client_token(_token(twilio_server.credentials, **change))


def test_a_jwt_that_is_not_an_access_token_is_refused(twilio_server, room):
    creds = twilio_server.credentials
    claims = {"iss": creds["api_key_sid"], "sub": creds["account_sid"], "exp": 2**31, "grants": {"identity": "a"}}
    with pytest.raises(AuthenticationError):
        twilio_server.verify_client_token(jwt.encode(claims, creds["api_key_secret"], algorithm="HS256"))


def test_an_expired_token_cannot_join(twilio_server, twilio_token, twilio_clock, room):
    token = twilio_token("ann", "standup", ttl=60)
    twilio_clock.advance(61)
    with pytest.raises(AuthenticationError):
        twilio_server.control.join(token)


def test_a_token_must_name_a_room_that_is_in_progress(twilio_server, twilio_token, twilio_video, room):
    with pytest.raises(Forbidden):
        twilio_server.control.join(twilio_token("ann", None))
    with pytest.raises(NotFound):
        twilio_server.control.join(twilio_token("ann", "nowhere"))
    room.update(status="completed")
    with pytest.raises(Conflict):
        twilio_server.control.join(twilio_token("ann", room.sid))


def test_an_access_token_is_hs256_signed_by_the_api_key(twilio_server, twilio_token):
    token = twilio_token("ann", "standup")
    header = jwt.get_unverified_header(token)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert (header["alg"], header["cty"], payload["iss"]) == (
        "HS256",
        "twilio-fpa;v=1",
        twilio_server.creds.api_key_sid,
    )


def test_the_installed_pytest_plugin_serves_this_emulator(twilio_emulator):
    assert isinstance(twilio_emulator, TwilioEmulator)
    assert twilio_emulator.base_url.startswith("http://127.0.0.1:")
