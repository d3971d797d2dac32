"""Client access tokens: ``AccessToken`` + ``VideoGrant(room)``, identity, ttl.

The SDK's token ``jti`` is ``"<API key SID>-<Unix second>"``: two tokens minted
for one identity and room in the same second would be the very same string
(measured with twilio 9.x). :class:`DistinctAccessToken` keeps Twilio's form
and appends a random suffix, through the SDK's documented way to shape a
token (``Jwt._generate_payload`` is what its subclasses provide), so every
token is distinct and still ``<key>-<second>``-prefixed.

The token is the SDK's (its headers and payload), signed as its ``to_jwt()``
signs it, with PyJWT, HS256, to the byte; but PyJWT checks the secret anew
for every token (that it is no PEM, SSH, DER or JWK key: most of a token's
cost), and here it is checked once per secret (:class:`_CheckedOnce`).

Twilio tokens carry no role. With the ``enforce_roles`` setting, anyvideo keeps
the role of each identity's latest token in a room (:class:`Roles`, in the
backend's registry) and the backend disconnects a participant whose role cannot
publish when Twilio's ``track-added`` callback says it published.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from jwt.algorithms import HMACAlgorithm
from jwt.api_jws import PyJWS
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant

from anyvideo import models
from anyvideo.errors import ConfigurationError
from anyvideo.registry import Registry
from anyvideo_twilio.config import TwilioSettings

__all__ = ["ENFORCED_ROLES", "MAX_TTL", "DistinctAccessToken", "Roles", "api_key", "mint", "signed"]

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


class _CheckedOnce(HMACAlgorithm):
    """HS256 whose secret is checked and prepared once, not for every token."""

    #: Secrets told apart at once (an application signs with one or two API keys).
    KEPT = 4

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._prepared: dict[str | bytes, bytes] = {}

    def prepare_key(self, key: str | bytes) -> bytes:
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super().prepare_key(key)  # raises for a secret PyJWT refuses, every time
            if len(self._prepared) >= self.KEPT:
                self._prepared.clear()
            self._prepared[key] = prepared
        return prepared


_SIGNER = PyJWS(algorithms=["HS256"])
_SIGNER.unregister_algorithm("HS256")
_SIGNER.register_algorithm("HS256", _CheckedOnce())


def signed(token: AccessToken) -> str:
    """``token.to_jwt()``, the same string, with its secret checked once (see the module's docstring)."""
    # as PyJWT's jwt.encode turns a payload (of whole-number times) into the bytes it signs
    payload = json.dumps(token.payload, separators=(",", ":")).encode()
    return str(_SIGNER.encode(payload, token.secret_key, algorithm=token.algorithm, headers=token.headers))


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
        token=signed(token),
        provider="twilio",
        room_id=room,
        identity=identity,
        role=role,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
