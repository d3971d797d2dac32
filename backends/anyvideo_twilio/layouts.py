"""Portable :class:`~anyvideo.models.Layout` -> Twilio ``video_layout`` regions.

The presets are data: each is a list of region templates in fractions of the
canvas, turned into pixels for the composition's resolution. Twilio regions
choose their tracks by pattern (track name, track SID ``MT…``, recording SID
``RT…`` or participant SID ``PA…``, ``*`` as wildcard) and, when more tracks
match than there are cells, by ``reuse``. The presets therefore pick by age:

- ``grid``: one region, the whole canvas, every track;
- ``pip``: the oldest track fills the canvas, the newest sits in a corner;
- ``focus`` and the presentations: the newest video track (a screen share is
  usually published last) takes the large area, every track is tiled beside
  (vertical) or below (horizontal) it — the focused one appears in the strip too,
  because Twilio regions cannot exclude a track by age;
- ``custom``: each :class:`~anyvideo.models.Region` becomes a region; its
  ``sources`` are Twilio source patterns (``"*"``: every track).

A layout Twilio cannot express raises :class:`InvalidRequest` naming twilio and
the layout (a screen-share switch: Twilio compositions have one layout).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, LayoutKind, Resolution

__all__ = ["PRESETS", "SUPPORTED", "to_video_layout", "window_layout"]

#: (name, x, y, width, height, z, extra Twilio properties) in fractions of the canvas.
_Template = tuple[str, float, float, float, float, int, Mapping[str, Any]]

_ONE_CELL = {"max_columns": 1, "max_rows": 1}

PRESETS: Mapping[LayoutKind, Sequence[_Template]] = {
    LayoutKind.GRID: [("grid", 0, 0, 1, 1, 0, {"reuse": "show_oldest"})],
    LayoutKind.PIP: [
        ("main", 0, 0, 1, 1, 1, {**_ONE_CELL, "reuse": "show_oldest"}),
        ("pip", 0.75, 0.75, 0.2, 0.2, 2, {**_ONE_CELL, "reuse": "show_newest"}),
    ],
    LayoutKind.FOCUS: [
        ("focus", 0, 0, 1, 0.8, 1, {**_ONE_CELL, "reuse": "show_newest"}),
        ("others", 0, 0.8, 1, 0.2, 1, {"max_rows": 1, "reuse": "show_oldest"}),
    ],
    LayoutKind.VERTICAL_PRESENTATION: [
        ("focus", 0, 0, 0.8, 1, 1, {**_ONE_CELL, "reuse": "show_newest"}),
        ("others", 0.8, 0, 0.2, 1, 1, {"max_columns": 1, "reuse": "show_oldest"}),
    ],
    LayoutKind.HORIZONTAL_PRESENTATION: [
        ("focus", 0, 0, 1, 0.8, 1, {**_ONE_CELL, "reuse": "show_newest"}),
        ("others", 0, 0.8, 1, 0.2, 1, {"max_rows": 1, "reuse": "show_oldest"}),
    ],
}

#: Every layout kind this backend renders.
SUPPORTED = frozenset(PRESETS) | {LayoutKind.CUSTOM}


def to_video_layout(
    layout: Layout, resolution: Resolution, sources: Sequence[str] = ("*",)
) -> dict[str, dict[str, Any]]:
    """Twilio's ``video_layout`` for ``layout`` at ``resolution``.

    ``sources`` are the patterns a preset's regions show (default: every
    track); a recording window passes its own track recordings' SIDs.
    """
    if layout.screenshare is not None:
        raise InvalidRequest(
            "layout.screenshare",
            f"twilio cannot switch a composition's {layout.kind} layout to {layout.screenshare} during a screen "
            "share: a Twilio composition has one layout; use a custom layout with a region for the screen",
        )
    if layout.kind is LayoutKind.CUSTOM:
        return {
            region.name: _region(
                region.x, region.y, region.width, region.height, region.z, {}, resolution, region.sources
            )
            for region in layout.regions
        }
    templates = PRESETS.get(layout.kind)
    if templates is None:  # pragma: no cover - every kind but custom has a preset
        raise InvalidRequest("layout", f"twilio cannot render a {layout.kind} layout")
    return {
        name: _region(x, y, width, height, z, extra, resolution, sources)
        for name, x, y, width, height, z, extra in templates
    }


def window_layout(layout: Layout | None, resolution: Resolution, video_sources: Sequence[str]) -> dict[str, Any]:
    """The ``video_layout`` of a composed recording window: its layout (grid by
    default) restricted to the window's own video recordings."""
    return to_video_layout(layout or Layout.grid(), resolution, video_sources)


def _region(
    x: float,
    y: float,
    width: float,
    height: float,
    z: int,
    extra: Mapping[str, Any],
    resolution: Resolution,
    sources: Sequence[str],
) -> dict[str, Any]:
    # Twilio positions regions in whole pixels of the output canvas.
    left, top = round(x * resolution.width), round(y * resolution.height)
    return {
        "x_pos": left,
        "y_pos": top,
        "z_pos": z,
        "width": max(1, min(resolution.width - left, round(width * resolution.width))),
        "height": max(1, min(resolution.height - top, round(height * resolution.height))),
        **extra,
        "video_sources": list(sources),
    }
