"""Bearer tokens checked by the shared secret or by an identity provider's keys (a JWKS URL,
served here on loopback with keys made in the test), and the third party's signed webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from support.meetings import SECRET, WEBHOOK_SECRET, Api, bearer, local_service, signed
from support.serving import ServedInBackground, closed_port

from anyvideo import Video
from anyvideo.cli import cli
from anyvideo.meetings.auth import (
    MAX_SUBJECT,
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE,
    Verifier,
    mint_token,
    sign_webhook,
    verify_webhook,
)
from anyvideo.meetings.db import Meeting
from anyvideo.meetings.settings import Settings
from anyvideo.sim import ManualClock

ISSUER = "https://idp.example.test/"
AUDIENCE = "meetings-api"


class Key:
    """A signing key of the identity provider, made for the test."""

    def __init__(self, kid: str, algorithm: str) -> None:
        self.kid = kid
        self.algorithm = algorithm
        if algorithm == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            public = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = public | {"kid": kid, "alg": algorithm, "use": "sig"}

    def token(self, permissions: list[str], *, ttl: int = 600, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"sub": "idp-user", "permissions": permissions, "iat": now, "exp": now + ttl}
        body |= {"iss": ISSUER, "aud": AUDIENCE} | claims
        return jwt.encode(body, self.private, algorithm=self.algorithm, headers={"kid": kid or self.kid})


class Jwks(ServedInBackground):
    """The identity provider's JWKS URL on loopback: serves ``keys``, counts its reads."""

    def __init__(self, keys: list[Key]) -> None:
        self.keys = keys
        self.reads = 0
        jwks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the handler's name for a GET
                jwks.reads += 1
                body = json.dumps({"keys": [key.jwk for key in jwks.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        self._serve(server)


@pytest.fixture
def rsa_key() -> Key:
    return Key("rsa-1", "RS256")


@pytest.fixture
def jwks(rsa_key: Key) -> Iterator[Jwks]:
    with Jwks([rsa_key, Key("ec-1", "ES256")]) as served:
        yield served


@pytest.fixture
def idp(tmp_path: Path, local_video: Video, clock: ManualClock, jwks: Jwks) -> Iterator[Api]:
    """The service taking the identity provider's tokens (keys refetched at once for an unknown key id)."""
    options = {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwks_cooldown_seconds": 0}
    with local_service(str(tmp_path / "m.db"), local_video, clock, jwks_url=jwks.url, **options) as (_, client):
        yield Api(client, clock=clock)


def status(api: Api, token: str, permission: str = "CreateMeetingSession") -> tuple[int, str]:
    """What ``POST /session`` answers ``token`` (the permission it needs is ``CreateMeetingSession``)."""
    answer = api.client.post("/session", json={}, headers={"Authorization": f"Bearer {token}"})
    detail = answer.json()["detail"] if answer.status_code >= 400 else ""
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
    return answer.status_code, detail


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_a_token_of_the_identity_provider_is_taken(idp: Api, jwks: Jwks, rsa_key: Key, kid: str) -> None:
    key = rsa_key if kid == "rsa-1" else Key("ec-1", "ES256")
    if kid == "ec-1":
        jwks.keys[1] = key
    assert status(idp, key.token(["CreateMeetingSession"]))[0] == 200
    assert status(idp, key.token(["CreateMeetingSession"]))[0] == 200
    assert jwks.reads == 1  # the keys are cached
    assert status(idp, key.token(["GetMeetingArchives"])) == (403, "the token does not grant CreateMeetingSession")


def test_the_shared_secret_still_signs_tokens_beside_the_identity_provider(idp: Api, jwks: Jwks) -> None:
    assert idp.client.post("/session", json={}, headers=bearer(["CreateMeetingSession"])).status_code == 200
    assert jwks.reads == 0


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"ttl": -60}, "the token has expired"),
        ({"aud": "another-api"}, "not for this service"),
        ({"iss": "https://elsewhere.example.test/"}, "not from the configured issuer"),
        ({"sub": None}, "not valid"),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "no-subject"],
)
def test_a_token_of_the_identity_provider_is_refused(idp: Api, rsa_key: Key, claims: dict, reason: str) -> None:
    ttl = claims.pop("ttl", 600)
    if claims.get("sub", "") is None:
        token = jwt.encode(
            {"permissions": ["CreateMeetingSession"], "exp": int(time.time()) + 600, "iss": ISSUER, "aud": AUDIENCE},
            rsa_key.private,
            algorithm="RS256",
            headers={"kid": rsa_key.kid},
        )
    else:
        token = rsa_key.token(["CreateMeetingSession"], ttl=ttl, **claims)
    code, detail = status(idp, token)
    assert code == 401 and reason in detail, detail


def test_a_token_signed_by_another_key_under_a_known_key_id_is_refused(idp: Api) -> None:
    impostor = Key("rsa-1", "RS256")  # the provider's key id, someone else's key
    assert status(idp, impostor.token(["CreateMeetingSession"])) == (401, "the token's signature does not verify")


def test_an_unknown_key_id_is_fetched_again_once_then_refused(idp: Api, jwks: Jwks, rsa_key: Key) -> None:
    assert status(idp, rsa_key.token(["CreateMeetingSession"]))[0] == 200
    code, detail = status(idp, Key("rsa-9", "RS256").token(["CreateMeetingSession"]))
    assert code == 401 and "key id" in detail
    assert jwks.reads == 2  # the first read, and one more for the unknown key id


def test_a_rotated_key_is_taken_without_a_restart(idp: Api, jwks: Jwks, rsa_key: Key) -> None:
    assert status(idp, rsa_key.token(["CreateMeetingSession"]))[0] == 200
    rotated = Key("rsa-2", "RS256")
    jwks.keys = [rotated]
    assert status(idp, rotated.token(["CreateMeetingSession"]))[0] == 200
    assert jwks.reads == 2


def test_the_key_ids_fetched_again_at_most_once_per_cooldown(
    tmp_path: Path, local_video: Video, jwks: Jwks, rsa_key: Key
) -> None:
    """Made-up key ids cannot make the service read the JWKS URL on every request."""
    with local_service(str(tmp_path / "m.db"), local_video, jwks_url=jwks.url, jwks_cooldown_seconds=3600) as (
        _,
        client,
    ):
        api = Api(client)
        assert status(api, rsa_key.token(["CreateMeetingSession"]))[0] == 200
        for n in range(3):
            assert status(api, Key(f"made-up-{n}", "RS256").token(["CreateMeetingSession"]))[0] == 401
        assert jwks.reads == 1


def test_an_unreachable_jwks_url_is_a_503_not_a_500(tmp_path: Path, local_video: Video, rsa_key: Key) -> None:
    url = f"http://127.0.0.1:{closed_port()}/jwks.json"
    with local_service(str(tmp_path / "m.db"), local_video, jwks_url=url) as (_, client):
        code, detail = status(Api(client), rsa_key.token(["CreateMeetingSession"]))
        assert code == 503 and "JWKS URL" in detail
        # a shared-secret token needs no keys
        assert client.post("/session", json={}, headers=bearer(["CreateMeetingSession"])).status_code == 200


def hs256_with(public_key: Any) -> str:
    """A token "signed" with HS256 and a public key as its secret (the algorithm-confusion attack)."""
    secret = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    claims = {"sub": "x", "permissions": ["CreateMeetingSession"], "exp": int(time.time()) + 600}
    encoded = b".".join(base64url(json.dumps(part).encode()) for part in (header, claims))
    return (encoded + b"." + base64url(hmac.new(secret, encoded, hashlib.sha256).digest())).decode()


def base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@pytest.mark.parametrize(
    "token",
    [
        lambda key: jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, None, algorithm="none"),
        # HS256 signed with the provider's public key, as if it were a shared secret
        lambda key: hs256_with(key.private.public_key()),
        lambda key: "not-a-jwt",
    ],
    ids=["alg-none", "hs256-with-the-public-key", "garbage"],
)
def test_a_token_that_only_looks_signed_is_refused(idp: Api, rsa_key: Key, token: Any) -> None:
    assert status(idp, token(rsa_key))[0] == 401


def test_without_a_jwks_url_only_the_shared_secret_signs(api: Api, rsa_key: Key) -> None:
    code, detail = status(api, rsa_key.token(["CreateMeetingSession"]))
    assert code == 401 and "this service takes HS256" in detail


@pytest.mark.parametrize("subject", ["x" * (MAX_SUBJECT + 1), "ann\x00"], ids=["too-long", "nul"])
def test_a_subject_the_audit_columns_cannot_hold_is_refused(api: Api, subject: str) -> None:
    """On both databases: a 401, never a 500 from PostgreSQL's varchar or text."""
    assert Meeting.__table__.c.created_by.type.length == MAX_SUBJECT
    code, detail = status(api, mint_token(SECRET, ["CreateMeetingSession"], subject=subject))
    assert code == 401 and "sub claim" in detail
    longest = mint_token(SECRET, ["CreateMeetingSession"], subject="x" * MAX_SUBJECT)
    assert api.client.post("/session", json={}, headers={"Authorization": f"Bearer {longest}"}).status_code == 200


def test_the_settings_come_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET,
        "ANYVIDEO_MEETINGS_JWKS_URL": "https://idp.example.test/jwks.json",
        "ANYVIDEO_MEETINGS_JWT_ISSUER": ISSUER,
        "ANYVIDEO_MEETINGS_JWT_AUDIENCE": AUDIENCE,
        "ANYVIDEO_MEETINGS_JWKS_CACHE_SECONDS": "60",
        "ANYVIDEO_MEETINGS_JWKS_COOLDOWN_SECONDS": "5",
        "ANYVIDEO_MEETINGS_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    settings = Settings.from_env(environ)
    assert (settings.jwks_url, settings.jwt_issuer, settings.jwt_audience) == (
        environ["ANYVIDEO_MEETINGS_JWKS_URL"],
        ISSUER,
        AUDIENCE,
    )
    assert (settings.jwks_cache_seconds, settings.jwks_cooldown_seconds) == (60, 5)
    assert settings.webhook_secret == WEBHOOK_SECRET and WEBHOOK_SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("ANYVIDEO_MEETINGS_JWKS_URL", "file:///etc/jwks.json", "https://"),
        ("ANYVIDEO_MEETINGS_JWKS_COOLDOWN_SECONDS", "soon", "not a number"),
        ("ANYVIDEO_MEETINGS_WEBHOOK_SECRET", "short", "at least 32"),
    ],
)
def test_bad_auth_settings_are_refused_naming_the_variable(variable: str, value: str, reason: str) -> None:
    with pytest.raises(Exception, match=variable) as refused:
        Settings.from_env({"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, variable: value})
    assert reason in str(refused.value)


def test_anyvideo_serve_token_signs_with_the_shared_secret(tmp_path: Path) -> None:
    environ = {"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, "ANYVIDEO_MEETINGS_JWKS_URL": "https://idp.example.test/j"}
    printed = CliRunner().invoke(cli, ["serve", "token", "-p", "StopMeeting"], env=environ)
    assert printed.exit_code == 0, printed.output
    principal = Verifier((SECRET,)).verify(printed.output.strip())
    assert principal.permissions == {"StopMeeting"}


# --- the third party's webhook: signed with the webhook secret ---------------------------


def test_a_signed_webhook_is_taken(api: Api) -> None:
    link = api.create()
    assert api.webhook({"meetingLinkId": link, "attendee": "dial-in", "event": "joined"}).status_code == 204
    assert api.who(link) == ["dial-in"]


def refused(answer: Any, reason: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json" and reason in answer.json()["detail"]


def test_an_unsigned_or_badly_signed_webhook_is_refused(api: Api, clock: ManualClock) -> None:
    link = api.create()
    body = {"meetingLinkId": link, "attendee": "intruder", "event": "joined"}
    refused(api.client.post("/webhooks/session", json=body), f"the {SIGNATURE_HEADER} header is required")
    refused(api.client.post("/webhooks/session", json=body, headers=api.headers), "header is required")
    wrong = signed(body, clock.now(), secret="another-secret-of-at-least-32-characters")
    refused(api.client.post("/webhooks/session", **wrong), "does not match the body")
    tampered = signed(body, clock.now())
    tampered["content"] = tampered["content"].replace(b"intruder", b"mallory!")
    refused(api.client.post("/webhooks/session", **tampered), "does not match the body")
    stale = signed(body, clock.now() - timedelta(seconds=SIGNATURE_TOLERANCE + 1))
    refused(api.client.post("/webhooks/session", **stale), "more than")
    garbled = signed(body, clock.now())
    garbled["headers"][SIGNATURE_HEADER] = "sha256=abc"
    refused(api.client.post("/webhooks/session", **garbled), "t=<unix time>,v1=")
    assert api.who(link) == []


def test_without_a_webhook_secret_the_webhook_is_refused(
    tmp_path: Path, local_video: Video, clock: ManualClock
) -> None:
    with local_service(str(tmp_path / "m.db"), local_video, clock, webhook_secret=None) as (_, client):
        link = Api(client).create()
        body = {"meetingLinkId": link, "attendee": "dial-in", "event": "joined"}
        refused(client.post("/webhooks/session", **signed(body, clock.now())), "has no webhook secret configured")


def test_a_signature_is_checked_against_the_exact_bytes(clock: ManualClock) -> None:
    body = b'{"meetingLinkId": "abc", "attendee": "ann", "event": "joined"}'
    header = sign_webhook(WEBHOOK_SECRET, body, clock.now())
    verify_webhook(WEBHOOK_SECRET, header, body, clock.now() + timedelta(seconds=SIGNATURE_TOLERANCE))
    with pytest.raises(Exception, match="does not match"):
        verify_webhook(WEBHOOK_SECRET, header, body + b" ", clock.now())
    with pytest.raises(Exception, match="does not match"):
        verify_webhook(WEBHOOK_SECRET, header.replace("v1=", "v1=é"), body, clock.now())
