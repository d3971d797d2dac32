"""Vonage Video ids: session ids in the platform's own format, UUIDs for the rest.

A session id is ``"1_"`` followed by the unpadded base64url encoding of
``"1~<project>~~<creation time, epoch ms>~<random>~<flags>~~"``, as the
ids in the provider's own responses decode (``samples/vonage/create_session.json``:
``1~29f760f8-…~~1726462588647~11xLa1bbhzPeGQGmXsmgxI0k~~~``). The project is
the application id for a session created with application credentials, the
API key for one created with the legacy project header (the provider's
published ``1_MX4yNzA4NjYxMn5-…`` decodes to ``1~27086612~~…``). Ids of the
older ``"2_"`` form decode the same way and are accepted too.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import uuid
from datetime import datetime

import attrs

__all__ = ["SessionIdParts", "new_uuid", "parse_session_id", "session_id"]

_PREFIXES = ("1_", "2_")
_RANDOM_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LENGTH = 24
#: Marks a relayed (peer-to-peer) session. Old OpenTok session ids end in
#: ``~P~``; that the flag still means this in today's ids is not confirmed.
RELAYED_FLAG = "P"


@attrs.frozen
class SessionIdParts:
    """What a session id says about its session."""

    #: The application id or API key of the project that created the session.
    project_id: str
    created_ms: int
    flags: str


def session_id(project_id: str, created_at: datetime, *, relayed: bool = False) -> str:
    """A new session id of ``project_id`` (application id or API key), made at ``created_at``."""
    random = _random_text()
    flags = RELAYED_FLAG if relayed else ""
    plain = f"1~{project_id}~~{int(created_at.timestamp() * 1000)}~{random}~{flags}~~"
    return "1_" + base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def _random_text() -> str:
    """:data:`_RANDOM_LENGTH` characters of :data:`_RANDOM_ALPHABET`, each uniformly
    random: the digits of one random number below ``62 ** 24`` (one draw, not 24)."""
    number = secrets.randbelow(len(_RANDOM_ALPHABET) ** _RANDOM_LENGTH)
    characters = []
    for _ in range(_RANDOM_LENGTH):
        number, digit = divmod(number, len(_RANDOM_ALPHABET))
        characters.append(_RANDOM_ALPHABET[digit])
    return "".join(characters)


def parse_session_id(value: str) -> SessionIdParts | None:
    """The parts of a well-formed session id, else ``None``."""
    if not value.startswith(_PREFIXES):
        return None
    encoded = value[2:]
    try:
        plain = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    fields = plain.split("~")
    if len(fields) < 6 or fields[0] != "1" or not fields[1] or not fields[3].isdigit():
        return None
    return SessionIdParts(project_id=fields[1], created_ms=int(fields[3]), flags=fields[5])


def new_uuid() -> str:
    """Connection, stream, archive, broadcast and other object ids."""
    return str(uuid.uuid4())
