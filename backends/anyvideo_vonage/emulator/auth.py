"""Authentication as Vonage Video does it.

REST calls carry either an application JWT (``Authorization: Bearer``,
RS256, signed with the application's private key and checked against its
registered public key, ``application_id`` claim, expiry) or the legacy
project header ``X-OPENTOK-AUTH`` (HS256 with the project's API secret,
``iss`` = API key, ``ist`` = "project"). Client tokens come in the three
forms the server SDKs mint, all carrying ``session_id``, ``role``, an expiry
and optionally ``connection_data`` and ``initial_layout_class_list``:

- what the ``vonage`` SDK's ``generate_client_token`` makes: an RS256 JWT
  signed with the application's private key (``application_id``, ``scope``
  "session.connect");
- what the OpenTok SDKs make with an API key and secret: an HS256 JWT signed
  with the project secret (``iss`` = API key, ``ist`` = "project", ``scope``
  "session.connect", ``nonce``);
- the older OpenTok form: ``"T1=="`` + base64 of
  ``partner_id=<API key>&sig=<hex HMAC-SHA1 of the data with the secret>:<data>``,
  the data a form-encoded ``session_id``, ``create_time``, ``expire_time``,
  ``role``, ``nonce``, ``initial_layout_class_list`` and ``connection_data``.

A client token is good only for a session of its own project: the session id
names the project (application id or API key) that created it.

REST credentials expire by the machine's clock: SDKs mint a fresh JWT for
every request from the real time, so judging them by an emulator clock a test
has moved forward would refuse every call. Client tokens expire by the
world's clock instead (the world checks that when a client joins).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from anyvideo.errors import AuthenticationError
from anyvideo.models import Role
from anyvideo.sim import Grant
from anyvideo.testing.server import Request
from anyvideo_vonage.emulator import errors
from anyvideo_vonage.emulator.ids import new_uuid, parse_session_id

if TYPE_CHECKING:
    from jwt.algorithms import AllowedPublicKeys
    from jwt.types import Options

__all__ = ["ApplicationCredentials", "ClientToken", "identity_of", "new_private_key"]

_LEGACY_HEADER = "X-OPENTOK-AUTH"
#: How the older OpenTok client tokens begin.
_T1_SENTINEL = "T1=="
#: How many verified application JWTs are remembered: a client signs one and reuses it until near its expiry.
_REMEMBERED = 256


def new_private_key() -> str:
    """A fresh 2048-bit RSA private key, as PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@attrs.frozen
class ClientToken:
    """What a verified client token grants, and the layout classes its streams start with."""

    grant: Grant
    layout_classes: tuple[str, ...] = ()


def identity_of(connection_data: str | None, fallback: str) -> str:
    """The participant identity a token's connection data names.

    Vonage connections have no identity of their own, only the application's
    connection data. A JSON object with a string ``"identity"`` names it;
    any other data is the identity itself; without data, ``fallback``.
    """
    if not connection_data:
        return fallback
    try:
        parsed = json.loads(connection_data)
    except ValueError:
        return connection_data
    identity = parsed.get("identity") if isinstance(parsed, dict) else None
    if isinstance(identity, str) and identity:
        return identity
    return connection_data


class ApplicationCredentials:
    """One Vonage application (id + RSA key pair) and its legacy project key and secret.

    Anything not given is made up: a UUID application id, a 2048-bit key, an
    eight-digit API key and a 40-hex-digit secret.
    """

    def __init__(
        self,
        application_id: str | None = None,
        private_key: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
    ) -> None:
        self.application_id = application_id or new_uuid()
        self.private_key = private_key or new_private_key()
        loaded = serialization.load_pem_private_key(self.private_key.encode(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError("a Vonage application key is an RSA private key")
        self.public_key = loaded.public_key()
        self.api_key = api_key or str(secrets.randbelow(90_000_000) + 10_000_000)
        self.api_secret = api_secret or secrets.token_hex(20)
        #: The clock expiry is checked against for a JWT already verified (PyJWT's is the same time).
        self.now: Callable[[], float] = time.time
        #: The public key of another application of the account (made through the Application
        #: API), by id, or ``None``: its JWTs and client tokens are accepted too.
        self.others: Callable[[str], rsa.RSAPublicKey | None] = lambda application_id: None
        self._verified: OrderedDict[str, tuple[float, str]] = OrderedDict()  # application JWT -> (exp, its application)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApplicationCredentials(application_id={self.application_id!r}, api_key={self.api_key!r})"

    def as_dict(self) -> dict[str, str]:
        return {
            "application_id": self.application_id,
            "private_key": self.private_key,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
        }

    # --- REST ---------------------------------------------------------------

    def authenticate(self, request: Request) -> str:
        """The project the request's credentials are for (application id, or API key
        for the legacy header); raises the provider's 403 otherwise."""
        bearer = _bearer(request)
        if bearer:
            return self._check_application_jwt(bearer)
        legacy = request.header(_LEGACY_HEADER)
        if legacy:
            claims = self._decode(legacy.strip(), self.api_secret, "HS256", ["iss", "ist", "exp"])
            if claims["iss"] != self.api_key or claims["ist"] != "project":
                raise errors.UNAUTHORIZED.error()
            return self.api_key
        raise errors.INVALID_TOKEN.error()

    def project_of(self, request: Request) -> str:
        """The project a request :meth:`authenticate` accepted is for, without checking
        its credentials again: the application's id, or the API key for the legacy header."""
        bearer = _bearer(request)
        if not bearer:
            return self.api_key
        with self._lock:
            verified = self._verified.get(bearer)
        return verified[1] if verified is not None else self.application_id

    def key_of(self, application_id: object) -> rsa.RSAPublicKey | None:
        """The public key of the account's application ``application_id`` now, or ``None``."""
        if application_id == self.application_id:
            return self.public_key
        return self.others(application_id) if isinstance(application_id, str) else None

    def forget(self, application_id: str) -> None:
        """Drop the verified JWTs of an application whose key changed (or that is gone):
        from now on each is checked against its key again, and an old key's refused."""
        with self._lock:
            for token in [token for token, (_, owner) in self._verified.items() if owner == application_id]:
                del self._verified[token]

    def _check_application_jwt(self, token: str) -> str:
        """Verify the signature once per token (the costly part); its expiry on every request.
        Returns the application the JWT is for."""
        with self._lock:
            verified = self._verified.get(token)
        if verified is None:
            try:
                claimed = jwt.decode(token, options={"verify_signature": False}).get("application_id")
            except jwt.InvalidTokenError:
                raise errors.INVALID_TOKEN.error() from None
            key = self.key_of(claimed)
            if key is None:
                raise errors.UNAUTHORIZED.error()
            claims = self._decode(token, key, "RS256", ["application_id", "exp"])
            verified = (float(claims["exp"]), str(claims["application_id"]))
            with self._lock:
                self._verified[token] = verified
                if len(self._verified) > _REMEMBERED:
                    self._verified.popitem(last=False)
        if self.now() >= verified[0]:
            with self._lock:
                self._verified.pop(token, None)
            raise errors.EXPIRED.error()
        return verified[1]

    @staticmethod
    def _decode(token: str, key: AllowedPublicKeys | str, algorithm: str, required: Sequence[str]) -> dict[str, Any]:
        try:
            return jwt.decode(token, key, algorithms=[algorithm], options={"require": list(required)})
        except jwt.ExpiredSignatureError:
            raise errors.EXPIRED.error() from None
        except jwt.InvalidSignatureError:
            raise errors.UNAUTHORIZED.error() from None
        except jwt.DecodeError:  # not a JWT at all
            raise errors.INVALID_TOKEN.error() from None
        except jwt.InvalidTokenError:  # wrong algorithm, missing claims
            raise errors.UNAUTHORIZED.error() from None

    # --- client tokens --------------------------------------------------------

    def verify_client_token(self, token: str) -> ClientToken:
        """The grant of a client token this application or project signed, for a session
        of its own project; AuthenticationError otherwise."""
        try:
            if token.startswith(_T1_SENTINEL):
                claims, project = self._t1_claims(token), self.api_key
            elif jwt.get_unverified_header(token).get("alg") == "HS256":
                claims, project = self._project_claims(token), self.api_key
            else:
                claims = self._application_claims(token)
                project = str(claims["application_id"])
            role = Role(claims.get("role") or Role.PUBLISHER.value)
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError) as exc:
            raise AuthenticationError(f"not a client token of this project: {exc}") from None
        if claims["scope"] != "session.connect":
            raise AuthenticationError("not a client token of this project")
        session_id = str(claims["session_id"])
        parts = parse_session_id(session_id)
        if parts is not None and parts.project_id != project:
            raise AuthenticationError("the token's session belongs to another project")
        data = claims.get("connection_data")
        data = data if isinstance(data, str) else None
        classes = claims.get("initial_layout_class_list") or ()
        if isinstance(classes, str):  # the OpenTok SDKs send one space-separated string
            classes = classes.split()
        fallback = claims.get("jti") or claims.get("nonce") or session_id
        grant = Grant(
            room_id=session_id,
            identity=identity_of(data, fallback=str(fallback)),
            role=role,
            expires_at=expires_at,
            data=data,
        )
        return ClientToken(grant, tuple(str(c) for c in classes))

    def _application_claims(self, token: str) -> dict[str, Any]:
        """An RS256 client token signed with the private key of the application (or of another
        of the account's applications) it names."""
        key = self.key_of(jwt.decode(token, options={"verify_signature": False}).get("application_id"))
        if key is None:
            raise ValueError("made for another application")
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            options=_client_token_checks("application_id", "session_id", "scope", "exp"),
        )
        return claims

    def _project_claims(self, token: str) -> dict[str, Any]:
        """An HS256 client token signed with the project secret."""
        claims = jwt.decode(
            token,
            self.api_secret,
            algorithms=["HS256"],
            options=_client_token_checks("iss", "ist", "session_id", "scope", "exp"),
        )
        if claims["iss"] != self.api_key or claims["ist"] != "project":
            raise ValueError("made for another project")
        return claims

    def _t1_claims(self, token: str) -> dict[str, Any]:
        """The claims of an older ``T1==`` token whose signature is the project's."""
        try:
            decoded = base64.b64decode(token[len(_T1_SENTINEL) :], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("a T1 token is base64 text") from None
        signed, colon, data = decoded.partition(":")
        head = dict(parse_qsl(signed, keep_blank_values=True))
        if not colon or head.get("partner_id") != self.api_key:
            raise ValueError("made for another project")
        expected = hmac.new(self.api_secret.encode(), data.encode(), hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, head.get("sig", "")):
            raise ValueError("the signature does not match")
        fields = dict(parse_qsl(data, keep_blank_values=True))
        if not fields.get("session_id") or not fields.get("expire_time"):
            raise ValueError("a T1 token names its session and expiry")
        return {
            "session_id": fields["session_id"],
            "scope": "session.connect",
            "role": fields.get("role"),
            "exp": fields["expire_time"],
            "nonce": fields.get("nonce"),
            "connection_data": fields.get("connection_data"),
            "initial_layout_class_list": fields.get("initial_layout_class_list"),
        }


def _client_token_checks(*required: str) -> Options:
    """How a client JWT is checked: its signature and the claims it must have. The
    world's clock decides its expiry, when the client joins."""
    return {"require": list(required), "verify_exp": False, "verify_iat": False, "verify_nbf": False}


def _bearer(request: Request) -> str:
    """The token of an ``Authorization: Bearer`` header, or ``""``."""
    scheme, _, token = (request.header("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
