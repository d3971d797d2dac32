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

from anyvideo import models
from anyvideo.errors import ConfigurationError
from anyvideo_twilio.config import TwilioSettings

__all__ = ["DistinctAccessToken", "MAX_TTL", "api_key", "mint"]

#: Twilio access tokens live at most 24 hours.
MAX_TTL = 24 * 3600


class DistinctAccessToken(AccessToken):  # type: ignore[misc]  # the SDK is untyped
    """An ``AccessToken`` whose ``jti`` is unique even within one second."""

    def _generate_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = super()._generate_payload()
        payload["jti"] = f"{payload['jti']}-{secrets.token_hex(8)}"
        return payload


def api_key(settings: TwilioSettings) -> tuple[str, str]:
    """The API key (SID, secret) tokens are signed with; ConfigurationError when the settings have none."""
    if not (settings.api_key_sid and settings.api_key_secret):
        raise ConfigurationError(
            "minting twilio access tokens needs an API key: set api_key_sid and api_key_secret "
            "(TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET)"
        )
    return settings.api_key_sid, settings.api_key_secret


def mint(account_sid: str, key: tuple[str, str], *, room: str, identity: str, ttl: float) -> models.AccessToken:
    """A token signed with ``key`` for ``identity`` to join ``room`` (with no role: Twilio has none)."""
    api_key_sid, api_key_secret = key
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
    return models.AccessToken(
        token=token.to_jwt(),
        provider="twilio",
        room_id=room,
        identity=identity,
        role=models.Role.PUBLISHER,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
