"""Twilio SIDs: a two-letter prefix naming the kind of resource, then 32 hex digits."""

from __future__ import annotations

import re
import secrets

__all__ = ["ACCOUNT", "API_KEY", "HOOK", "PREFIXES", "REQUEST", "is_sid", "new_sid"]

#: The prefix of each kind of record the simulated platform makes.
PREFIXES = {
    "room": "RM",
    "participant": "PA",
    "stream": "MT",  # a published track
    "recording": "RT",  # one track's recording
    "composition": "CJ",
    "event": "EV",
    # Twilio Video has no signals (apps use data tracks); the world may still make them.
    "signal": "SG",
}

ACCOUNT = "AC"
API_KEY = "SK"
HOOK = "HK"
REQUEST = "RQ"

_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")


def new_sid(prefix: str) -> str:
    """A fresh SID with ``prefix``, as Twilio writes them (lower-case hex)."""
    return prefix + secrets.token_hex(16)


def is_sid(value: str, prefix: str | None = None) -> bool:
    """Whether ``value`` is shaped like a SID (with ``prefix``, when given)."""
    return bool(_SID.fullmatch(value)) and (prefix is None or value.startswith(prefix))
