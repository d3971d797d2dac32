"""Client tokens of the ``local`` backend: HS256 JWTs signed with the world's own key.

The key is made once per world and kept in its store, so a token minted by one
process is accepted by another that opens the same database. Expiry is judged
by the world's clock (which a test may move), not by the machine's.

A token is signed here with the standard library (an HS256 JWT is two base64url
JSON parts and their HMAC-SHA256); PyJWT, which loads the ``cryptography``
package, is imported only to verify one, so an application on ``local`` that
mints tokens starts without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from anyvideo.errors import AuthenticationError
from anyvideo.models import Role
from anyvideo.sim import Grant, World

__all__ = ["LocalTokens"]

ISSUER = "anyvideo-local"
_KEY_NAME = "local.token-signing-key"
#: The encoded JOSE header of every token (PyJWT writes the same one).
_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _sign_hs256(claims: Mapping[str, object], key: str) -> str:
    """``claims`` as a compact HS256 JWT signed with ``key``."""
    signing_input = _HEADER + b"." + _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode()


class LocalTokens:
    """Mints and verifies the client tokens of one world."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._key: str | None = None

    def __repr__(self) -> str:
        return "LocalTokens()"  # never show the key

    @property
    def _signing_key(self) -> str:
        if self._key is None:
            self._key = self._world.secret(_KEY_NAME, lambda: secrets.token_urlsafe(32))
        return self._key

    def mint(self, grant: Grant) -> str:
        issued = self._world.clock.now()
        claims = {
            "iss": ISSUER,
            "jti": secrets.token_hex(16),
            "sub": grant.identity,
            "room": grant.room_id,
            "role": grant.role.value,
            "iat": int(issued.timestamp()),
            "exp": int(grant.expires_at.timestamp()),
        }
        if grant.data is not None:
            claims["data"] = grant.data
        return _sign_hs256(claims, self._signing_key)

    def verify(self, token: str) -> Grant:
        """The grant of a genuine token; AuthenticationError for anything else."""
        import jwt

        try:
            claims = jwt.decode(
                token,
                self._signing_key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={
                    "require": ["iss", "sub", "room", "role", "exp"],
                    # the world's clock decides expiry, not the machine's
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            role = Role(claims["role"])
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise AuthenticationError(f"the token is not a valid local token: {exc}") from None
        return Grant(
            room_id=claims["room"],
            identity=claims["sub"],
            role=role,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            data=claims.get("data"),
        )

    def expiry(self, ttl: float) -> datetime:
        """When a token minted now with ``ttl`` seconds expires (whole seconds, as JWTs count)."""
        return (self._world.clock.now() + timedelta(seconds=ttl)).replace(microsecond=0)
