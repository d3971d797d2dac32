"""Twilio authentication: HTTP Basic with the account SID and auth token (or an
API key SID and secret) on the REST API, and access tokens for clients."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import jwt

from anyvideo.errors import AuthenticationError
from anyvideo_twilio.emulator import sids

__all__ = ["AccessTokenClaims", "Credentials"]

#: The content type Twilio's access tokens declare in their JWT header.
ACCESS_TOKEN_TYPE = "twilio-fpa;v=1"


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@attrs.frozen
class AccessTokenClaims:
    """What a verified access token says: who, which room (name or SID), until when."""

    identity: str
    room: str | None
    expires_at: datetime


@attrs.frozen
class Credentials:
    """An account and one API key; secrets never appear in a ``repr``."""

    account_sid: str
    auth_token: str = attrs.field(repr=False)
    api_key_sid: str
    api_key_secret: str = attrs.field(repr=False)

    @classmethod
    def generate(
        cls,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
    ) -> Credentials:
        """The given values, and fresh random ones for whatever is not given."""
        return cls(
            account_sid=account_sid or sids.new_sid(sids.ACCOUNT),
            auth_token=auth_token or secrets.token_hex(16),
            api_key_sid=api_key_sid or sids.new_sid(sids.API_KEY),
            api_key_secret=api_key_secret or secrets.token_urlsafe(24),
        )

    #: The ``Authorization`` headers clients send for the two pairs, as ``requests`` and the SDK
    #: write them: recognised by one comparison each, before decoding anything.
    _headers: tuple[str, str] = attrs.field(init=False, repr=False, eq=False)

    @_headers.default
    def _basic_headers(self) -> tuple[str, str]:
        return (_basic(self.account_sid, self.auth_token), _basic(self.api_key_sid, self.api_key_secret))

    def as_dict(self) -> dict[str, str]:
        return attrs.asdict(self, filter=lambda field, _: field.init)

    def accepts(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries this account's or key's secret."""
        if authorization is None:
            return False
        if any([hmac.compare_digest(authorization.encode(), header.encode()) for header in self._headers]):
            return True
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        pairs = ((self.account_sid, self.auth_token), (self.api_key_sid, self.api_key_secret))
        return any(
            hmac.compare_digest(username.encode(), user.encode())
            & hmac.compare_digest(password.encode(), secret.encode())
            for user, secret in pairs
        )

    def verify_access_token(self, token: str) -> AccessTokenClaims:
        """Check an access token as ``twilio.jwt.access_token.AccessToken`` makes
        them: HS256 with the API key secret, issued by the key, for the account.
        Expiry is left to the caller, who judges it by the emulator's clock."""
        try:
            header = jwt.get_unverified_header(token)
            claims: Mapping[str, Any] = jwt.decode(
                token,
                self.api_key_secret,
                algorithms=["HS256"],
                issuer=self.api_key_sid,
                options={
                    "require": ["iss", "sub", "exp", "grants"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(f"the access token is not valid: {exc}") from None
        if header.get("cty") != ACCESS_TOKEN_TYPE:
            raise AuthenticationError(f"the token is not a Twilio access token (cty {header.get('cty')!r})")
        if claims["sub"] != self.account_sid:
            raise AuthenticationError("the access token is for another account")
        grants = claims["grants"]
        identity = grants.get("identity") if isinstance(grants, Mapping) else None
        video = grants.get("video") if isinstance(grants, Mapping) else None
        if not isinstance(identity, str) or not identity:
            raise AuthenticationError("the access token has no identity")
        if not isinstance(video, Mapping):
            raise AuthenticationError("the access token has no VideoGrant")
        return AccessTokenClaims(identity, video.get("room"), datetime.fromtimestamp(claims["exp"], UTC))
