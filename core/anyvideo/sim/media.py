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
from collections.abc import Mapping, Sequence
from typing import Any

from anyvideo.models import MediaFile

__all__ = ["BYTES_PER_SECOND", "CONTENT_TYPE", "Box", "describe", "header", "render"]

#: Where a composed file shows a stream, in fractions of the canvas: ``(x, y, width, height)``.
Box = tuple[float, float, float, float]

CONTENT_TYPE = "application/vnd.anyvideo.sim-media"
BYTES_PER_SECOND = 1024
_MAGIC = b"ANYVIDEO-SIM-MEDIA 1\n"


def render(label: str, sources: Sequence[str], seconds: float, placements: Mapping[str, Box] | None = None) -> bytes:
    """The file for ``label`` (an object id and file name) capturing ``sources`` for ``seconds``.

    ``placements`` is the platform's record of how a composed file was laid
    out: the rectangle each video stream filled. It is written into the file,
    so whoever downloads it can check the layout (:func:`header` reads it).
    """
    described: dict[str, Any] = {"label": label, "sources": list(sources), "seconds": round(seconds, 3)}
    if placements:
        described["placements"] = {sid: [round(v, 4) for v in box] for sid, box in sorted(placements.items())}
    header = _MAGIC + json.dumps(described, sort_keys=True).encode() + b"\n"
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


def header(data: bytes) -> dict[str, Any]:
    """What :func:`render` wrote at the top of ``data``; ``ValueError`` if it is not simulated media."""
    if not data.startswith(_MAGIC):
        raise ValueError("not a file of the simulated platform")
    line, _, _ = data[len(_MAGIC) :].partition(b"\n")
    described: dict[str, Any] = json.loads(line)
    return described
