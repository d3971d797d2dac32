"""The formats of the Twilio Video ids the backend takes, as data (kind → pattern).

Checked before any request (:class:`anyvideo.ids.IdFormats`): the SDK puts
ids into URL paths as they are. Twilio's spec gives each SID's pattern, two
letters naming the kind then 32 hex digits (``^RM[0-9a-fA-F]{32}$``). A room
path also takes a unique name and a participant path an identity, but
anyvideo's room and participant ids are SIDs (a room is found by name with
``rooms.get(name=…)``). A recording is a track recording (``RT…``) or one of
anyvideo's recording windows (``win_`` and 24 hex digits, see :mod:`.windows`).
"""

from __future__ import annotations

import re

from anyvideo.ids import IdFormats

__all__ = ["FORMATS", "IDS", "TRACK_RECORDING", "TTID"]


def _sid(prefix: str) -> str:
    return prefix + "[0-9a-fA-F]{32}"


#: Each kind of id the backend and its extensions take.
FORMATS = {
    "room": re.compile(_sid("RM")),
    "participant": re.compile(_sid("PA")),
    "stream": re.compile(_sid("MT")),  # a published track
    "recording": re.compile(_sid("RT") + "|win_[0-9a-f]{24}"),
    "composition": re.compile(_sid("CJ")),
    "hook": re.compile(_sid("HK")),  # a composition hook
}

#: A track recording's SID, where an anyvideo recording window will not do (``video.ext``'s room recordings).
TRACK_RECORDING = re.compile(_sid("RT"))
#: A transcriptions resource's id (``Ttid``). The spec gives no format (its example is
#: ``video_extension_`` and a UUID), so only what is safe in a URL path is checked.
TTID = re.compile(r"[A-Za-z0-9_-]{1,128}")

IDS = IdFormats("twilio", FORMATS)
