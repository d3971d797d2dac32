"""Client access tokens: ``AccessToken`` + ``VideoGrant(room)``, identity, ttl.

The SDK's token ``jti`` is ``"<API key SID>-<Unix second>"``: two tokens minted
for one identity and room in the same second would be the very same string
(measured with twilio 9.x). :class:`DistinctAccessToken` keeps Twilio's form
and appends a random suffix, through the SDK's documented way to shape a
token (``Jwt._generate_payload`` is what its subclasses provide), so every
token is distinct and still ``<key>-<second>``-prefixed.

Twilio tokens carry no role. With the ``enforce_roles`` setting, anyvideo keeps
the role of each identity's latest token in a room (:class:`Roles`, in the
backend's registry) and the backend disconnects a participant whose role cannot
publish when Twilio's ``track-added`` callback says it published.
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
from anyvideo.registry import Registry
from anyvideo_twilio.config import TwilioSettings

__all__ = ["ENFORCED_ROLES", "MAX_TTL", "DistinctAccessToken", "Roles", "api_key", "mint"]

#: The roles a token may carry when roles are enforced: publishing is what anyvideo can
#: take away (by disconnecting); a moderator's powers and a publisher-only token's
#: refusal to subscribe have nothing to enforce them on Twilio.
ENFORCED_ROLES = (models.Role.PUBLISHER, models.Role.SUBSCRIBER)

#: Twilio access tokens live at most 24 hours.
MAX_TTL = 24 * 3600


class DistinctAccessToken(AccessToken):  # type: ignore[misc]  # the SDK is untyped
    """An ``AccessToken`` whose ``jti`` is unique even within one second."""

    def _generate_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = super()._generate_payload()
        payload["jti"] += "-" + secrets.token_hex(8)
        return payload


def api_key(settings: TwilioSettings) -> tuple[str, str]:
    """The API key (SID, secret) tokens are signed with; ConfigurationError when the settings have none."""
    if not (settings.api_key_sid and settings.api_key_secret):
        raise ConfigurationError(
            "minting twilio access tokens needs an API key: set api_key_sid and api_key_secret "
            "(TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET)"
        )
    return settings.api_key_sid, settings.api_key_secret


class Roles:
    """The role of each identity's latest token in each room, in the registry (kind ``role``).

    Keyed by room SID and identity, as a participant is known in Twilio's callbacks
    (``RoomSid``, ``ParticipantIdentity``): a later token for the same identity replaces it.
    """

    KIND = "role"

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def keep(self, room_sid: str, identity: str, role: models.Role) -> None:
        """Remember that ``identity``'s token for ``room_sid`` carries ``role``."""
        self._registry.put(self.KIND, _key(room_sid, identity), {"role": role.value})

    def of(self, room_sid: str, identity: str) -> models.Role | None:
        """The role kept for ``identity`` in ``room_sid`` (``None``: no token of anyvideo's)."""
        entry = self._registry.get(self.KIND, _key(room_sid, identity))
        return None if entry is None else models.Role(entry["role"])


def _key(room_sid: str, identity: str) -> str:
    return f"{room_sid}:{identity}"  # a room SID has a fixed length and no colon


def mint(
    account_sid: str,
    key: tuple[str, str],
    *,
    room: str,
    identity: str,
    ttl: float,
    role: models.Role = models.Role.PUBLISHER,
) -> models.AccessToken:
    """A token signed with ``key`` for ``identity`` to join ``room``. The token itself has
    no role (Twilio's have none): ``role`` is what anyvideo enforces, reported back."""
    api_key_sid, api_key_secret = key
    now = int(time.time())
    expires = now + max(1, int(ttl))
    token = DistinctAccessToken(
        account_sid, api_key_sid, api_key_secret, identity=identity, nbf=now, valid_until=expires
    )
    token.add_grant(VideoGrant(room=room))
    return models.AccessToken(
        token=token.to_jwt(),
        provider="twilio",
        room_id=room,
        identity=identity,
        role=role,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
