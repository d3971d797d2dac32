"""How a composed file of the simulated platform was laid out.

The local backend and the emulators write, into each composed file, the
rectangle each video stream filled, as the provider's own layout placed it
(a stylesheet and stream classes, regions and track patterns...).
A test downloads the file and checks the layout it asked for is the one it got:

    shown = regions_shown(layout, placements(path))
    assert shown["main"] == {host_camera.id}
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from anyvideo.models import Layout
from anyvideo.sim import media
from anyvideo.sim.media import Box

__all__ = ["Box", "placements", "regions_shown"]

#: How far a rectangle may be from a region's and still be it: providers place in whole pixels.
TOLERANCE = 0.005


def placements(file: bytes | str | os.PathLike[str]) -> dict[str, Box]:
    """The rectangle each video stream filled in a downloaded composed file
    (stream id -> ``(x, y, width, height)`` in fractions of the canvas)."""
    data = file if isinstance(file, bytes) else Path(file).read_bytes()
    described = media.header(data).get("placements") or {}
    return {stream_id: (box[0], box[1], box[2], box[3]) for stream_id, box in described.items()}


def regions_shown(layout: Layout, placed: Mapping[str, Box]) -> dict[str, set[str]]:
    """The streams each region of a custom ``layout`` showed (region name -> stream ids),
    matching rectangles to regions; a stream that filled no region's rectangle is
    under ``""``."""
    shown: dict[str, set[str]] = {region.name: set() for region in layout.regions}
    for stream_id, box in placed.items():
        region = next((r for r in layout.regions if _same(box, (r.x, r.y, r.width, r.height))), None)
        shown.setdefault("" if region is None else region.name, set()).add(stream_id)
    return shown


def _same(box: Box, other: Box) -> bool:
    return all(math.isclose(a, b, abs_tol=TOLERANCE) for a, b in zip(box, other, strict=True))
