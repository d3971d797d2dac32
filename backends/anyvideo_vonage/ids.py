"""The formats of the Vonage Video ids the backend takes, as data (kind → pattern).

Checked before any request (:class:`anyvideo.ids.IdFormats`): the SDK puts
ids into URL paths as they are. The spec gives no patterns, so these follow
the ids in the provider's own answers (``specs/samples/vonage``) and the
spec's examples, as permissively as those need:

- a session id is a digit, ``_``, then base64url (``1_MX4yOWY3…fn5-``;
  ``2_`` in older ids);
- every other id is UUID-shaped: five groups of letters and digits, 8-4-4-4-12,
  in either case (stream ids come upper-case, and the SDK's own test data has
  an archive id with letters past ``f``); or 32 hex digits without dashes
  (the spec's example broadcast id).
"""

from __future__ import annotations

import re

from anyvideo.ids import IdFormats

__all__ = ["FORMATS", "IDS"]

_SESSION = re.compile(r"[0-9]_[A-Za-z0-9_-]{1,512}")
_UUID_LIKE = re.compile(r"[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}|[0-9A-Fa-f]{32}")

#: Each kind of id the backend and its extensions take.
FORMATS = {
    "room": _SESSION,
    "participant": _UUID_LIKE,  # a connection
    "stream": _UUID_LIKE,
    "recording": _UUID_LIKE,  # an archive
    "composition": _UUID_LIKE,  # a broadcast
    "captions": _UUID_LIKE,
    "render": _UUID_LIKE,  # an Experience Composer
}

IDS = IdFormats("vonage", FORMATS)
