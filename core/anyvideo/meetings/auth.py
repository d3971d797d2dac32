"""Bearer JWTs carrying seed 001's permission names, and the third party's signed webhook.

A token carries ``sub`` (who, kept in the audit fields), ``permissions`` (a list of the names
below) and ``exp``. It is signed either with the service's shared secret (HS256, as
``anyvideo serve token`` mints them) or by an identity provider whose keys the service reads
from a JWKS URL (RS256 or ES256; its ``iss`` and ``aud`` checked when configured). No valid
token: 401; a valid token without the permission an endpoint needs: 403; the JWKS URL
unreadable: 503.

``POST /webhooks/session`` takes no token: its body is signed with a secret shared with the
third party (HMAC-SHA256 over ``<unix time>.<body>``, in ``X-Anyvideo-Signature``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs
import jwt
from jwt.types import Options

__all__ = [
    "ALGORITHM",
    "JWKS_ALGORITHMS",
    "SIGNATURE_HEADER",
    "SIGNATURE_TOLERANCE",
    "MAX_SUBJECT",
    "KeysUnavailable",
    "Permission",
    "Principal",
    "SignatureRefused",
    "TokenRefused",
    "Verifier",
    "mint_token",
    "sign_webhook",
    "verify_token",
    "verify_webhook",
]

#: The algorithm of tokens signed with the shared secret.
ALGORITHM = "HS256"
#: The algorithms a key read from the JWKS URL may sign with. Nothing else is accepted
#: (``none``, or HS256 with a public key as its secret).
JWKS_ALGORITHMS = ("RS256", "ES256")
#: The header of the third party's webhook signature: ``t=<unix time>,v1=<hex HMAC-SHA256>``.
SIGNATURE_HEADER = "X-Anyvideo-Signature"
#: How old (or how far ahead) a webhook signature's time may be, in seconds.
SIGNATURE_TOLERANCE = 300


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


class _NotSignedWithThis(TokenRefused):
    """The token's signature does not verify with the key tried (another may verify it)."""


class KeysUnavailable(Exception):
    """The JWKS URL could not be read, so no token signed by its keys can be checked (503)."""


class SignatureRefused(Exception):
    """The webhook's signature is missing, malformed, wrong or too old (the service answers 401)."""


@attrs.frozen
class Principal:
    """Who called, and what they may do."""

    subject: str
    permissions: frozenset[str]

    def may(self, permission: Permission) -> bool:
        """Whether the token grants ``permission``."""
        return permission.value in self.permissions


#: The longest ``sub`` taken: the audit columns (``createdBy`` …) hold this many characters.
MAX_SUBJECT = 256


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


def _principal(claims: dict[str, Any]) -> Principal:
    permissions = claims.get("permissions", [])
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise TokenRefused("the token's permissions claim is not a list of names")
    subject = claims["sub"]
    if not isinstance(subject, str):
        raise TokenRefused("the token's sub claim is not a string")
    if len(subject) > MAX_SUBJECT or "\x00" in subject:
        # Kept in the audit columns: what they cannot hold names nobody the service can record.
        raise TokenRefused(f"the token's sub claim is longer than {MAX_SUBJECT} characters or holds a NUL")
    return Principal(claims["sub"], frozenset(permissions))


def _decode(token: str, key: Any, algorithm: str, **checks: Any) -> dict[str, Any]:
    """The claims of ``token``; :class:`TokenRefused` (saying why) when it does not verify."""
    claimed = {"issuer": "iss", "audience": "aud"}
    # an audience is checked only where one is configured
    options: Options = {
        "require": ["exp", "sub", *(claimed[check] for check in checks)],
        "verify_aud": "audience" in checks,
    }
    try:
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=[algorithm], options=options, **checks)
    except jwt.InvalidSignatureError:
        raise _NotSignedWithThis("the token's signature does not verify") from None
    except jwt.ExpiredSignatureError:
        raise TokenRefused("the token has expired") from None
    except jwt.InvalidAudienceError:
        raise TokenRefused("the token is not for this service (its aud claim)") from None
    except jwt.InvalidIssuerError:
        raise TokenRefused("the token is not from the configured issuer (its iss claim)") from None
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"the token is not valid: {exc}") from None
    return claims


def verify_token(token: str, secrets: Sequence[str]) -> Principal:
    """The principal of a valid HS256 ``token`` signed with one of ``secrets``; :class:`TokenRefused` otherwise."""
    for secret in secrets:
        try:
            return _principal(_decode(token, secret, ALGORITHM))
        except _NotSignedWithThis:
            continue
    raise TokenRefused("the token's signature does not verify")


@attrs.frozen
class Verifier:
    """Checks bearer tokens: HS256 ones with ``secrets``, RS256/ES256 ones with the keys of ``jwks``
    (a :class:`jwt.PyJWKClient`: keys cached, a key id it has not seen fetched again once), whose
    ``iss`` must be ``issuer`` and ``aud`` include ``audience`` when those are given."""

    secrets: tuple[str, ...] = attrs.field(repr=False)
    jwks: jwt.PyJWKClient | None = None
    issuer: str | None = None
    audience: str | None = None

    def verify(self, token: str) -> Principal:
        """The principal of ``token``; :class:`TokenRefused` if it does not verify,
        :class:`KeysUnavailable` if the keys it needs cannot be read."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is not valid: {exc}") from None
        algorithm = header.get("alg")
        if algorithm == ALGORITHM and self.secrets:
            return verify_token(token, self.secrets)
        if algorithm in JWKS_ALGORITHMS and self.jwks is not None:
            return _principal(_decode(token, self._key(token), algorithm, **self._checks()))
        accepted = ([ALGORITHM] if self.secrets else []) + (list(JWKS_ALGORITHMS) if self.jwks else [])
        raise TokenRefused(f"the token is signed with {algorithm!r}; this service takes {', '.join(accepted)}")

    def _key(self, token: str) -> Any:
        assert self.jwks is not None
        try:
            return self.jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable("the identity provider's keys (the JWKS URL) cannot be read now") from None
        except jwt.PyJWKClientError as exc:
            if "Unable to find a signing key" in str(exc):
                raise TokenRefused("no key of the identity provider has the token's key id (kid)") from None
            raise KeysUnavailable(f"the identity provider's keys (the JWKS URL) are unusable: {exc}") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is not valid: {exc}") from None

    def _checks(self) -> dict[str, str]:
        checks = {"issuer": self.issuer, "audience": self.audience}
        return {name: value for name, value in checks.items() if value is not None}


def sign_webhook(secret: str, body: bytes, when: datetime) -> str:
    """The :data:`SIGNATURE_HEADER` value of ``body`` sent at ``when``."""
    stamp = str(int(when.timestamp()))
    return f"t={stamp},v1={_digest(secret, stamp, body)}"


def _digest(secret: str, stamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, header: str | None, body: bytes, now: datetime) -> None:
    """Raises :class:`SignatureRefused` unless ``header`` signs ``body`` with ``secret``, made within
    :data:`SIGNATURE_TOLERANCE` seconds of ``now``."""
    if not header:
        raise SignatureRefused(f"the {SIGNATURE_HEADER} header is required")
    parts = dict(part.strip().partition("=")[::2] for part in header.split(","))
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        raise SignatureRefused(f"the {SIGNATURE_HEADER} header is t=<unix time>,v1=<hex HMAC-SHA256>")
    if abs(now.timestamp() - int(stamp)) > SIGNATURE_TOLERANCE:
        raise SignatureRefused(f"the signature's time is more than {SIGNATURE_TOLERANCE} s from now")
    if not hmac.compare_digest(_digest(secret, stamp, body).encode(), given.encode()):
        raise SignatureRefused("the signature does not match the body")
