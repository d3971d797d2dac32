"""Authentication as Vonage Video does it.

REST calls carry either an application JWT (``Authorization: Bearer``,
RS256, signed with the application's private key and checked against its
registered public key, ``application_id`` claim, expiry) or the legacy
project header ``X-OPENTOK-AUTH`` (HS256 with the project's API secret,
``iss`` = API key, ``ist`` = "project"). Client tokens are what the
``vonage`` SDK's ``generate_client_token`` makes: a JWT signed with the
application's private key carrying ``session_id``, ``role``, ``scope``
("session.connect"), ``exp`` and optionally ``connection_data`` and
``initial_layout_class_list``.

REST credentials expire by the machine's clock: SDKs mint a fresh JWT for
every request from the real time, so judging them by an emulator clock a test
has moved forward would refuse every call. Client tokens expire by the
world's clock instead (the world checks that when a client joins).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from anyvideo.errors import AuthenticationError
from anyvideo.models import Role
from anyvideo.sim import Grant
from anyvideo.testing.server import Request
from anyvideo_vonage.emulator import errors
from anyvideo_vonage.emulator.ids import new_uuid

if TYPE_CHECKING:
    from jwt.algorithms import AllowedPublicKeys

__all__ = ["ApplicationCredentials", "ClientToken", "identity_of"]

_LEGACY_HEADER = "X-OPENTOK-AUTH"
#: How many verified application JWTs are remembered: a client signs one and reuses it until near its expiry.
_REMEMBERED = 256


def _new_private_key() -> str:
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
        self.private_key = private_key or _new_private_key()
        loaded = serialization.load_pem_private_key(self.private_key.encode(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError("a Vonage application key is an RSA private key")
        self.public_key = loaded.public_key()
        self.api_key = api_key or str(secrets.randbelow(90_000_000) + 10_000_000)
        self.api_secret = api_secret or secrets.token_hex(20)
        #: The clock expiry is checked against for a JWT already verified (PyJWT's is the same time).
        self.now: Callable[[], float] = time.time
        self._verified: OrderedDict[str, float] = OrderedDict()  # application JWT -> its exp
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
        authorization = request.header("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            self._check_application_jwt(token.strip())
            return self.application_id
        legacy = request.header(_LEGACY_HEADER)
        if legacy:
            claims = self._decode(legacy.strip(), self.api_secret, "HS256", ["iss", "ist", "exp"])
            if claims["iss"] != self.api_key or claims["ist"] != "project":
                raise errors.UNAUTHORIZED.error()
            return self.api_key
        raise errors.INVALID_TOKEN.error()

    def _check_application_jwt(self, token: str) -> None:
        """Verify the signature once per token (the costly part); its expiry on every request."""
        with self._lock:
            expires = self._verified.get(token)
        if expires is None:
            claims = self._decode(token, self.public_key, "RS256", ["application_id", "exp"])
            if claims["application_id"] != self.application_id:
                raise errors.UNAUTHORIZED.error()
            expires = float(claims["exp"])
            with self._lock:
                self._verified[token] = expires
                if len(self._verified) > _REMEMBERED:
                    self._verified.popitem(last=False)
        if self.now() >= expires:
            with self._lock:
                self._verified.pop(token, None)
            raise errors.EXPIRED.error()

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
        """The grant of a client token this application signed; AuthenticationError otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                options={
                    "require": ["application_id", "session_id", "scope", "exp"],
                    # the world's clock decides expiry, when the client joins
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            role = Role(claims.get("role", Role.PUBLISHER.value))
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise AuthenticationError(f"not a client token of this application: {exc}") from None
        if claims["application_id"] != self.application_id or claims["scope"] != "session.connect":
            raise AuthenticationError("not a client token of this application")
        data = claims.get("connection_data")
        data = data if isinstance(data, str) else None
        classes = claims.get("initial_layout_class_list") or ()
        if isinstance(classes, str):  # other SDKs send one space-separated string
            classes = classes.split()
        grant = Grant(
            room_id=str(claims["session_id"]),
            identity=identity_of(data, fallback=str(claims.get("jti") or claims["session_id"])),
            role=role,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            data=data,
        )
        return ClientToken(grant, tuple(str(c) for c in classes))
