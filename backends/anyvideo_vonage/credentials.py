"""The application's credentials, loaded once: the private key, the cached
application JWT, client tokens, and the ``Auth`` the SDK is given.

The SDK, left alone, re-reads the PEM text and signs a fresh RS256 JWT for
every request and every client token (tens of milliseconds of CPU each). Here
the key is parsed once into a ``cryptography`` key object, one application
JWT is reused until shortly before it expires, and client tokens are signed
straight from the loaded key with PyJWT, carrying the same claims as the
SDK's ``generate_client_token``.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from vonage_http_client import Auth

from anyvideo.errors import ConfigurationError

__all__ = ["ApplicationJwt", "CachedAuth", "ClientTokens", "PrivateKey", "load_private_key"]

#: Base64 text long enough to be a key's body (a 2048-bit RSA key is about 1,600 characters).
_BARE_KEY = re.compile(r"[A-Za-z0-9+/=\s]{200,}")
_LONGEST_PATH_SHOWN = 160

#: How long the SDK's application JWTs live (its ``JwtClient`` default), which the cache keeps.
APPLICATION_JWT_LIFETIME = 15 * 60
#: A cached JWT is replaced this many seconds before it expires, so a request in
#: flight (or a clock a little ahead at the provider) never carries an expired one.
REFRESH_MARGIN = 60


class PrivateKey:
    """An RSA private key, parsed once. Its PEM text and key object never appear in a repr."""

    __slots__ = ("key", "pkcs8_pem")

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        #: The key as PKCS#8 PEM text: the only form the SDK's ``JwtClient`` accepts.
        self.pkcs8_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def __repr__(self) -> str:
        return f"PrivateKey(rsa, {self.key.key_size} bits)"


def load_private_key(value: str | bytes | Path, *, setting: str = "private_key") -> PrivateKey:
    """The RSA key in ``value``: PEM text (PKCS#8 or PKCS#1) or the path of a file holding it.

    Errors name ``setting``, never the value: a key must not end up in a message.
    """
    if isinstance(value, Path):
        pem = _read(value, setting)
    elif isinstance(value, bytes):
        pem = value
    elif isinstance(value, str) and "-----BEGIN" in value:
        pem = value.encode()
    elif isinstance(value, str) and _BARE_KEY.fullmatch(value.strip()):
        raise ConfigurationError(
            f"{setting} looks like a key without its PEM armour: give the whole PEM text, "
            "its '-----BEGIN …-----' and '-----END …-----' lines included"
        )
    elif isinstance(value, str) and value.strip():
        pem = _read(Path(value.strip()).expanduser(), setting)
    else:
        raise ConfigurationError(f"{setting} must be PEM text or the path of a PEM file")
    if b"ENCRYPTED" in pem:
        raise ConfigurationError(f"{setting} is an encrypted key; give the key without a passphrase")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):  # not chained: the parser's message could quote the text
        raise ConfigurationError(
            f"{setting} is not a readable PEM private key (PKCS#8 'BEGIN PRIVATE KEY' or PKCS#1 "
            "'BEGIN RSA PRIVATE KEY')"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{setting} must be an RSA key (Vonage signs with RS256), got another kind")
    return PrivateKey(key)


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        # A value that was meant as key text must not come back in the message as a "path".
        shown = repr(str(path)) if len(str(path)) <= _LONGEST_PATH_SHOWN else f"of {len(str(path))} characters"
        raise ConfigurationError(f"{setting}: cannot read the key file {shown} ({exc.strerror})") from None


class ApplicationJwt:
    """One application JWT, shared by every thread and reused until shortly before it expires.

    Thread-safe: the common path reads one tuple (atomic in CPython); a
    refresh happens under a lock, once, however many threads ask at that moment.
    """

    def __init__(
        self,
        application_id: str,
        key: PrivateKey,
        *,
        lifetime: int = APPLICATION_JWT_LIFETIME,
        margin: int = REFRESH_MARGIN,
    ) -> None:
        self._application_id = application_id
        self._key = key
        self._lifetime = lifetime
        self._margin = margin
        self._lock = threading.Lock()
        self._current: tuple[bytes, float] = (b"", 0.0)  # (token, refresh after)
        #: How many JWTs were signed so far (tests and the benchmark read it).
        self.signed = 0

    def __repr__(self) -> str:
        return f"ApplicationJwt(application_id={self._application_id!r})"

    def token(self) -> bytes:
        token, refresh_after = self._current
        if time.time() < refresh_after:
            return token
        with self._lock:
            token, refresh_after = self._current
            if time.time() < refresh_after:  # another thread refreshed it meanwhile
                return token
            now = int(time.time())
            claims = {"application_id": self._application_id, "iat": now, "jti": str(uuid.uuid4())}
            claims["exp"] = now + self._lifetime
            token = jwt.encode(claims, self._key.key, algorithm="RS256", headers={"typ": "JWT"}).encode()
            self._current = (token, now + self._lifetime - self._margin)
            self.signed += 1
            return token

    def sign(self, claims: Mapping[str, Any]) -> bytes:
        """A JWT of ``claims`` completed as the SDK's ``JwtClient`` completes them
        (``application_id``, ``iat``, ``jti``, ``exp`` 15 minutes on), signed with the loaded key."""
        payload = dict(claims)
        payload["application_id"] = self._application_id
        # Only what is missing is made (a client token brings its own: no second uuid4 per token).
        if "iat" not in payload:
            payload["iat"] = int(time.time())
        if "jti" not in payload:
            payload["jti"] = str(uuid.uuid4())
        if "exp" not in payload:
            payload["exp"] = payload["iat"] + APPLICATION_JWT_LIFETIME
        return jwt.encode(payload, self._key.key, algorithm="RS256", headers={"typ": "JWT"}).encode()


class ClientTokens:
    """Client tokens with the claims of the SDK's ``TokenOptions``, signed from the loaded key."""

    def __init__(self, signer: ApplicationJwt) -> None:
        self._signer = signer

    def __repr__(self) -> str:
        return "ClientTokens()"

    def mint(
        self,
        session_id: str,
        *,
        role: str,
        expires: int,
        connection_data: str | None = None,
        layout_classes: Sequence[str] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "session_id": session_id,
            "role": role,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": expires,
            "subject": "video",
            "scope": "session.connect",
            "acl": {"paths": {"/session/**": {}}},
        }
        if connection_data is not None:
            claims["connection_data"] = connection_data
        if layout_classes:
            claims["initial_layout_class_list"] = list(layout_classes)
        return self._signer.sign(claims).decode()


class CachedAuth(Auth):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's ``Auth`` (its documented extension point) with the application JWT
    cached and every signature made from the key loaded once."""

    def __init__(
        self,
        application_id: str,
        key: PrivateKey,
        jwt_cache: ApplicationJwt,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
    ) -> None:
        # The account's key and secret, when given, are for the APIs that take no application JWT (Verify).
        super().__init__(
            api_key=api_key, api_secret=api_secret, application_id=application_id, private_key=key.pkcs8_pem
        )
        self._anyvideo_jwt = jwt_cache

    def __repr__(self) -> str:
        return f"CachedAuth(application_id={self.application_id!r})"

    def create_jwt_auth_string(self) -> bytes:
        return b"Bearer " + self._anyvideo_jwt.token()

    def generate_application_jwt(self, claims: dict[str, Any] | None = None) -> bytes:
        # Called with claims by the SDK's ``generate_client_token`` (through ``native``):
        # sign those; without claims, it is the application JWT, which is reused.
        if not claims:
            return self._anyvideo_jwt.token()
        return self._anyvideo_jwt.sign(claims)
