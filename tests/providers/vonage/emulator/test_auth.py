"""Vonage emulator: authentication as the provider does it — application JWTs,
the legacy project header, and client tokens made by the official SDK."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
import requests
from vonage_http_client.errors import ForbiddenError
from vonage_video.models import TokenOptions

from anyvideo.errors import AuthenticationError, Forbidden
from anyvideo.models import Role
from anyvideo.testing import emulator
from anyvideo_vonage.emulator import VonageEmulator
from anyvideo_vonage.emulator.auth import ApplicationCredentials


@pytest.fixture(scope="module")
def stranger() -> ApplicationCredentials:
    """Another application: its key is not registered with the emulator."""
    return ApplicationCredentials()


def archives_url(server, project=None) -> str:
    return f"{server.base_url}/v2/project/{project or server.credentials['application_id']}/archive"


def test_the_registry_constructs_the_vonage_emulator():
    assert isinstance(emulator("vonage"), VonageEmulator)


def test_credentials_hold_a_pkcs8_application_key_and_the_legacy_project_key():
    credentials = emulator("vonage").credentials
    assert set(credentials) == {"application_id", "private_key", "api_key", "api_secret"}
    assert uuid.UUID(credentials["application_id"])
    assert credentials["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert credentials["private_key"] not in repr(emulator("vonage"))


def test_a_jwt_signed_with_another_key_is_refused(vonage_server, vonage_sdk, stranger):
    sdk = vonage_sdk(application_id=vonage_server.credentials["application_id"], private_key=stranger.private_key)
    with pytest.raises(ForbiddenError) as caught:
        sdk.video.create_session()
    assert caught.value.response.json()["code"] == 10002


def test_a_jwt_for_another_application_is_refused(vonage_server, vonage_sdk, stranger):
    sdk = vonage_sdk(application_id=stranger.application_id, private_key=vonage_server.credentials["private_key"])
    with pytest.raises(ForbiddenError):
        sdk.video.create_session()


def test_a_request_without_credentials_is_refused(vonage_server):
    answer = requests.get(archives_url(vonage_server), timeout=10)
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"code": -1, "message": "Invalid token format", "description": "Invalid token format"}


def test_a_malformed_bearer_token_is_refused(vonage_server):
    answer = requests.get(archives_url(vonage_server), headers={"Authorization": "Bearer not.a.jwt"}, timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (403, -1)


def test_an_expired_jwt_is_refused(vonage_server, vonage_client):
    now = int(time.time())
    expired = vonage_client.http_client.auth.generate_application_jwt({"iat": now - 3600, "exp": now - 60})
    answer = requests.get(
        archives_url(vonage_server), headers={"Authorization": "Bearer " + expired.decode()}, timeout=10
    )
    assert (answer.status_code, answer.json()["code"], answer.json()["message"]) == (403, 10012, "Expired token.")


def test_the_project_in_the_url_must_be_the_tokens(vonage_server, vonage_client, stranger):
    token = vonage_client.http_client.auth.generate_application_jwt()
    answer = requests.get(
        archives_url(vonage_server, stranger.application_id),
        headers={"Authorization": "Bearer " + token.decode()},
        timeout=10,
    )
    assert answer.status_code == 403
    assert answer.json()["message"] == "Id in the token does not match the id provided in the url"


def legacy_token(api_key: str, secret: str, **claims) -> str:
    now = int(time.time())
    body = {"iss": api_key, "ist": "project", "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(body, secret, algorithm="HS256")


def test_the_legacy_project_header_is_accepted(vonage_server):
    credentials = vonage_server.credentials
    token = legacy_token(credentials["api_key"], credentials["api_secret"])
    answer = requests.get(
        archives_url(vonage_server, credentials["api_key"]), headers={"X-OPENTOK-AUTH": token}, timeout=10
    )
    assert answer.status_code == 200 and answer.json() == {"count": 0, "items": []}


@pytest.mark.parametrize(
    "change",
    [{"secret": "a-different-secret-of-forty-characters-x"}, {"ist": "account"}, {"iss": "12345678"}],
    ids=["wrong secret", "not a project token", "another project"],
)
def test_a_bad_legacy_header_is_refused(vonage_server, change):
    credentials = vonage_server.credentials
    secret = change.pop("secret", credentials["api_secret"])
    token = legacy_token(credentials["api_key"], secret, **change)
    answer = requests.get(
        archives_url(vonage_server, credentials["api_key"]), headers={"X-OPENTOK-AUTH": token}, timeout=10
    )
    assert answer.status_code == 403


# --- client tokens ---------------------------------------------------------------------


def client_token(video, session_id, **options) -> str:
    return video.generate_client_token(TokenOptions(session_id=session_id, **options)).decode()


def test_a_client_token_grants_its_session_role_and_expiry(vonage_server, vonage_video, vonage_session):
    exp = int(time.time()) + 600
    data = json.dumps({"identity": "ann", "seat": 4})
    token = client_token(vonage_video, vonage_session, role="moderator", connection_data=data, exp=exp)
    grant = vonage_server.verify_client_token(token)
    assert (grant.room_id, grant.identity, grant.role, grant.data) == (vonage_session, "ann", Role.MODERATOR, data)
    assert int(grant.expires_at.timestamp()) == exp


def test_plain_connection_data_is_the_identity(vonage_server, vonage_video, vonage_session):
    token = client_token(vonage_video, vonage_session, connection_data="name=Johnny")
    assert vonage_server.verify_client_token(token).identity == "name=Johnny"


def test_a_token_without_connection_data_is_identified_by_its_id(vonage_server, vonage_video, vonage_session):
    token = client_token(vonage_video, vonage_session, jti="token-1")
    assert vonage_server.verify_client_token(token).identity == "token-1"


def test_a_client_token_signed_by_another_application_is_refused(vonage_server, vonage_session, stranger):
    foreign = stranger.private_key
    claims = {"application_id": vonage_server.credentials["application_id"], "session_id": vonage_session}
    token = jwt.encode({**claims, "scope": "session.connect", "exp": int(time.time()) + 60}, foreign, "RS256")
    with pytest.raises(AuthenticationError):
        vonage_server.verify_client_token(token)
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(token)


def test_an_expired_client_token_cannot_join(vonage_server, vonage_video, vonage_session):
    token = client_token(vonage_video, vonage_session, exp=int(time.time()) + 60)
    vonage_server.control.advance(61)
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(token)


def test_a_subscriber_cannot_publish(vonage_server, vonage_video, vonage_session):
    viewer = vonage_server.control.join(client_token(vonage_video, vonage_session, role="subscriber"))
    with pytest.raises(Forbidden):
        viewer.publish()


def test_an_application_jwt_is_refused_once_it_expires_though_it_was_accepted_before(vonage_server, vonage_client):
    now = int(time.time())
    token = vonage_client.http_client.auth.generate_application_jwt({"iat": now, "exp": now + 600}).decode()
    headers = {"Authorization": "Bearer " + token}
    assert requests.get(archives_url(vonage_server), headers=headers, timeout=10).status_code == 200
    vonage_server.application.now = lambda: now + 601.0  # the signature was verified once; the expiry every time
    answer = requests.get(archives_url(vonage_server), headers=headers, timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (403, 10012)
