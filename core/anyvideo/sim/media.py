"""Simulated media: deterministic bytes standing in for what a provider renders.

The simulated platform has no media server, so a recording's or composition's
file is not decodable video. Its bytes are a pure function of what was captured
(which streams, over how long), so checksums are stable across runs and
processes and an export can be verified byte for byte. Size grows with the
captured duration, like real media.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from anyvideo.models import MediaFile

__all__ = ["BYTES_PER_SECOND", "CONTENT_TYPE", "describe", "render"]

CONTENT_TYPE = "application/vnd.anyvideo.sim-media"
BYTES_PER_SECOND = 1024
_MAGIC = b"ANYVIDEO-SIM-MEDIA 1\n"


def render(label: str, sources: Sequence[str], seconds: float) -> bytes:
    """The file for ``label`` (an object id and file name) capturing ``sources`` for ``seconds``."""
    header = (
        _MAGIC
        + json.dumps({"label": label, "sources": list(sources), "seconds": round(seconds, 3)}, sort_keys=True).encode()
        + b"\n"
    )
    size = max(BYTES_PER_SECOND, int(seconds * BYTES_PER_SECOND))
    seed = hashlib.sha256(header).digest()
    body = bytearray()
    counter = 0
    while len(body) < size:
        body += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return header + bytes(body[:size])


def describe(name: str, data: bytes) -> MediaFile:
    """The :class:`MediaFile` describing ``data``."""
    return MediaFile(name=name, content_type=CONTENT_TYPE, size=len(data), sha256=hashlib.sha256(data).hexdigest())
