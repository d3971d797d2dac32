"""Vonage emulator: the legacy project credentials (API key + secret), as the OpenTok
server SDKs use them.

Requests are shaped as those SDKs send them: REST calls carry an
``X-OPENTOK-AUTH`` HS256 JWT (``iss`` = API key, ``ist`` = "project"); client
tokens are HS256 JWTs signed with the project secret, or the older ``T1==``
form (base64 of ``partner_id=…&sig=<HMAC-SHA1>:<form-encoded data>``). The
same operations with application credentials (the official ``vonage`` SDK)
keep the application id.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from support.vonage_requests import OpenTokProject
from vonage_video.models import InitiateSipRequest, SessionOptions, SipOptions, TokenOptions

from anyvideo.errors import AuthenticationError
from anyvideo_vonage.emulator import ids

#: The published sample session id of a legacy project (API key 27086612), cut after its project.
PUBLISHED_LEGACY_ID = "1_MX4yNzA4NjYxMn5-"


@pytest.fixture
def project(vonage_server) -> OpenTokProject:
    credentials = vonage_server.credentials
    return OpenTokProject(vonage_server.base_url, credentials["api_key"], credentials["api_secret"])


def decoded(session_id: str) -> str:
    encoded = session_id[2:]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


# --- session ids and the project fields --------------------------------------------------


def test_a_session_made_with_the_api_key_embeds_it_and_answers_it(project):
    answer = project.create_session()
    assert answer.status_code == 200
    [session] = answer.json()
    assert decoded(session["session_id"]).startswith(f"1~{project.api_key}~~")
    assert session["project_id"] == session["partner_id"] == project.api_key
    # the check an OpenTok SDK makes before it mints a token for the session
    assert project.api_key in decoded(session["session_id"]).split("~")
    assert ids.parse_session_id(session["session_id"]).project_id == project.api_key


def test_a_session_id_of_an_api_key_begins_as_the_published_one(vonage_server):
    assert ids.session_id("27086612", vonage_server.clock.now()).startswith(PUBLISHED_LEGACY_ID)


def test_a_session_made_with_application_credentials_keeps_the_application(vonage_server, vonage_client):
    session_id = vonage_client.video.create_session(SessionOptions(media_mode="routed")).session_id
    [session] = vonage_client.http_client.last_response.json()
    application_id = vonage_server.credentials["application_id"]
    assert decoded(session_id).startswith(f"1~{application_id}~~")
    assert session["project_id"] == session["partner_id"] == application_id


def test_both_kinds_of_session_id_pass_the_backends_id_check(project, vonage_client):
    from anyvideo_vonage.ids import FORMATS

    legacy = project.session_id()
    application = vonage_client.video.create_session(SessionOptions(media_mode="routed")).session_id
    assert FORMATS["room"].fullmatch(legacy) and FORMATS["room"].fullmatch(application)


def test_session_monitoring_of_a_legacy_session_names_the_api_key(vonage_server, vonage_receiver, project):
    vonage_server.callback_settings.configure({"session": vonage_receiver.url("/session")})
    session_id = project.session_id()
    vonage_server.control.join(project.jwt_token(session_id))
    vonage_server.control.callbacks()
    assert {body["projectId"] for body in vonage_receiver.bodies("/session")} == {project.api_key}


# --- client tokens signed with the project secret -----------------------------------------


@pytest.mark.parametrize("form", ["jwt", "t1"])
def test_a_project_token_joins_with_its_role_and_connection_data(vonage_server, project, form):
    session_id = project.session_id()
    data = json.dumps({"identity": "ann"})
    mint = project.jwt_token if form == "jwt" else project.t1_token
    token = mint(session_id, role="moderator", connection_data=data, initial_layout_class_list="focus wide")
    grant = vonage_server.verify_client_token(token)
    assert (grant.room_id, grant.identity, grant.role.value, grant.data) == (session_id, "ann", "moderator", data)
    ann = vonage_server.control.join(token)
    stream_id = ann.publish()
    answer = project.get(f"/v2/project/{project.api_key}/session/{session_id}/stream/{stream_id}")
    assert answer.status_code == 200 and answer.json()["layoutClassList"] == ["focus", "wide"]


@pytest.mark.parametrize("form", ["jwt", "t1"])
def test_a_project_token_dials_sip(vonage_server, project, form):
    session_id = project.session_id()
    vonage_server.control.join(project.jwt_token(session_id)).publish()
    token = (project.jwt_token if form == "jwt" else project.t1_token)(session_id)
    body = {"sessionId": session_id, "token": token, "sip": {"uri": "sip:user@sip.example.com"}}
    answer = project.post_json(f"/v2/project/{project.api_key}/dial", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["projectId"] == project.api_key


WRONG_SECRET = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("form", "change"),
    [
        ("jwt", {"secret": WRONG_SECRET}),
        ("jwt", {"iss": "12345678"}),
        ("jwt", {"ist": "account"}),
        ("jwt", {"scope": "session.create"}),
        ("t1", {"secret": WRONG_SECRET}),
    ],
    ids=["jwt wrong secret", "jwt other project", "jwt not a project token", "jwt wrong scope", "t1 wrong secret"],
)
def test_a_badly_signed_project_token_neither_joins_nor_dials(vonage_server, project, form, change):
    session_id = project.session_id()
    token = (project.jwt_token if form == "jwt" else project.t1_token)(session_id, **change)
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(token)
    body = {"sessionId": session_id, "token": token, "sip": {"uri": "sip:user@sip.example.com"}}
    answer = project.post_json(f"/v2/project/{project.api_key}/dial", body)
    assert answer.status_code == 403 and answer.json()["code"] == 10002


def test_a_t1_token_for_another_api_key_is_refused(vonage_server, project):
    session_id = project.session_id()
    token = project.t1_token(session_id)
    signed, _, data = base64.b64decode(token[4:]).decode().partition(":")
    other = "T1==" + base64.b64encode(f"{signed.replace(project.api_key, '12345678')}:{data}".encode()).decode()
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(other)


@pytest.mark.parametrize("form", ["jwt", "t1"])
def test_an_expired_project_token_is_refused(vonage_server, project, form):
    session_id = project.session_id()
    expiry = int(time.time()) + 60
    token = (
        project.jwt_token(session_id, exp=expiry) if form == "jwt" else project.t1_token(session_id, expire_time=expiry)
    )
    vonage_server.control.advance(120)
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(token)
    body = {"sessionId": session_id, "token": token, "sip": {"uri": "sip:user@sip.example.com"}}
    answer = project.post_json(f"/v2/project/{project.api_key}/dial", body)
    assert answer.status_code == 403 and answer.json()["code"] == 10012


def test_a_token_is_good_only_for_sessions_of_its_own_project(vonage_server, vonage_video, vonage_session, project):
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(project.jwt_token(vonage_session))
    legacy = project.session_id()
    application_token = vonage_video.generate_client_token(TokenOptions(session_id=legacy)).decode()
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(application_token)


def test_application_tokens_still_dial_application_sessions(vonage_server, vonage_video, vonage_session, vonage_join):
    vonage_join(vonage_session).publish()
    token = vonage_video.generate_client_token(TokenOptions(session_id=vonage_session)).decode()
    sip = SipOptions(uri="sip:user@sip.example.com")
    call = vonage_video.initiate_sip_call(InitiateSipRequest(session_id=vonage_session, token=token, sip=sip))
    assert call.project_id == vonage_server.credentials["application_id"]


def test_an_unsigned_token_is_refused(vonage_server, project):
    session_id = project.session_id()
    claims = {"session_id": session_id, "scope": "session.connect", "iss": project.api_key, "ist": "project"}
    token = jwt.encode({**claims, "exp": int(time.time()) + 60, "jti": str(uuid.uuid4())}, None, algorithm="none")
    with pytest.raises(AuthenticationError):
        vonage_server.control.join(token)
