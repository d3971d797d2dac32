"""Client access tokens: ``AccessToken`` + ``VideoGrant(room)``, identity, ttl.

The SDK's token ``jti`` is ``"<API key SID>-<Unix second>"``: two tokens minted
for one identity and room in the same second would be the very same string
(measured with twilio 9.x). :class:`DistinctAccessToken` keeps Twilio's form
and appends a random suffix, through the SDK's documented way to shape a
token (``Jwt._generate_payload`` is what its subclasses provide), so every
token is distinct and still ``<key>-<second>``-prefixed.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant

__all__ = ["DistinctAccessToken", "MAX_TTL", "mint"]

#: Twilio access tokens live at most 24 hours.
MAX_TTL = 24 * 3600


class DistinctAccessToken(AccessToken):  # type: ignore[misc]  # the SDK is untyped
    """An ``AccessToken`` whose ``jti`` is unique even within one second."""

    def _generate_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = super()._generate_payload()
        payload["jti"] = f"{payload['jti']}-{secrets.token_hex(8)}"
        return payload


def mint(
    *, account_sid: str, api_key_sid: str, api_key_secret: str, room: str, identity: str, ttl: float
) -> tuple[str, datetime]:
    """A signed token for ``identity`` to join ``room``, and when it expires."""
    now = int(time.time())
    expires = now + max(1, int(ttl))
    token = DistinctAccessToken(
        account_sid,
        api_key_sid,
        api_key_secret,
        grants=[VideoGrant(room=room)],
        identity=identity,
        nbf=now,
        valid_until=expires,
    )
    return token.to_jwt(), datetime.fromtimestamp(expires, UTC)
