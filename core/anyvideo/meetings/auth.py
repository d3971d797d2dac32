"""Bearer JWTs carrying seed 001's permission names.

A token is an HS256 JWT signed with the service's shared secret: ``sub`` (who, kept in the
audit fields), ``permissions`` (a list of the names below) and ``exp``. No valid token: 401;
a valid token without the permission an endpoint needs: 403.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import attrs
import jwt

__all__ = ["ALGORITHM", "Permission", "Principal", "TokenRefused", "mint_token", "verify_token"]

#: The one algorithm accepted: a token signed otherwise (or ``none``) is refused.
ALGORITHM = "HS256"


class Permission(StrEnum):
    """Seed 001's permission names, as a token carries them."""

    CREATE_MEETING_SESSION = "CreateMeetingSession"
    EDIT_MEETING = "EditMeeting"
    STOP_MEETING = "StopMeeting"
    GENERATE_MEETING_TOKEN = "GenerateMeetingToken"
    GET_MEETING_ATTENDEES = "GetMeetingAttendees"
    GET_MEETING_ARCHIVES = "GetMeetingArchives"
    DELETE_MEETING_ARCHIVE = "DeleteMeetingArchive"
    SET_MEETING_UPLOAD_TARGET = "SetMeetingUploadTarget"


class TokenRefused(Exception):
    """The bearer token is missing, malformed, badly signed or expired (the service answers 401)."""


@attrs.frozen
class Principal:
    """Who called, and what they may do."""

    subject: str
    permissions: frozenset[str]

    def may(self, permission: Permission) -> bool:
        """Whether the token grants ``permission``."""
        return permission.value in self.permissions


def mint_token(secret: str, permissions: Iterable[str], *, subject: str = "developer", ttl: float = 3600) -> str:
    """A bearer token for ``subject`` with ``permissions``, valid ``ttl`` seconds."""
    names = sorted(set(permissions))
    unknown = [name for name in names if name not in Permission._value2member_map_]
    if unknown:
        known = ", ".join(p.value for p in Permission)
        raise ValueError(f"unknown permission(s) {', '.join(unknown)}; the permissions are {known}")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "permissions": names, "iat": now, "exp": now + int(ttl)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secrets: Sequence[str]) -> Principal:
    """The principal of a valid ``token`` signed with one of ``secrets``; :class:`TokenRefused` otherwise."""
    for secret in secrets:
        try:
            claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            raise TokenRefused("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is not valid: {exc}") from None
        permissions = claims.get("permissions", [])
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise TokenRefused("the token's permissions claim is not a list of names")
        if not isinstance(claims["sub"], str):
            raise TokenRefused("the token's sub claim is not a string")
        return Principal(claims["sub"], frozenset(permissions))
    raise TokenRefused("the token's signature does not verify")
