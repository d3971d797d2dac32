"""Portable :class:`~anyvideo.models.Layout` -> Twilio ``video_layout`` regions.

Twilio regions choose their tracks by pattern (track name, track SID ``MT…``,
recording SID ``RT…`` or participant SID ``PA…``, ``*`` as wildcard) and,
when more tracks match than there are cells, by ``reuse``. A track that
several regions match is shown in each of them.

The presets are data: each is a list of region templates in fractions of the
canvas, turned into pixels for the composition's resolution. They pick by age:

- ``grid``: one region, the whole canvas, every track;
- ``pip``: the oldest track fills the canvas, the newest sits in a corner;
- ``focus`` and the presentations: the newest video track (a screen share is
  usually published last) takes the large area, every track is tiled beside
  (vertical) or below (horizontal) it — the focused one appears in the strip too,
  because Twilio regions cannot exclude a track by age.

A ``custom`` layout's regions select streams with :class:`~anyvideo.models.Selector`
s, which Twilio cannot read (it knows no identities nor video sources), so
anyvideo resolves them: a composition is made after its room ended, when every
recorded track is known, so :func:`place_tracks` runs the core placement rule
(:func:`anyvideo.placement.place`) on those tracks and names, in each region,
the recordings (``RT…``) of the tracks placed there — explicit SIDs, the ``*``
region included (see :func:`place_tracks` for why). A composition hook is made
before its rooms exist: :func:`to_video_layout` expresses there only what a
pattern can say without the tracks (``*`` and track names).

A layout Twilio cannot express raises :class:`InvalidRequest` naming twilio and
the layout (a screen-share switch: Twilio compositions have one layout).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, LayoutKind, Region, Resolution, SelectBy
from anyvideo.placement import Candidate, place

__all__ = [
    "PRESETS",
    "SUPPORTED",
    "RecordedTrack",
    "check",
    "matches",
    "place_tracks",
    "to_video_layout",
    "window_layout",
]

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


@attrs.frozen
class RecordedTrack:
    """One recording (``RT…``) of a video track that a composition may show, and
    what anyvideo knows of the track it recorded (the core placement's view of it:
    the track SID ``MT…`` as ``stream_id``, the publisher's identity, the track
    name, its video source)."""

    sid: str
    track: Candidate


def check(layout: Layout) -> None:
    """Refuse, before any request, what no Twilio composition can draw."""
    if layout.screenshare is not None:
        raise InvalidRequest(
            "layout.screenshare",
            f"twilio cannot switch a composition's {layout.kind} layout to {layout.screenshare} during a screen "
            "share: a Twilio composition has one layout; use a custom layout with a region for the screen",
        )


def to_video_layout(
    layout: Layout, resolution: Resolution, sources: Sequence[str] = ("*",)
) -> dict[str, dict[str, Any]]:
    """Twilio's ``video_layout`` for ``layout`` at ``resolution``, made before the
    tracks are known (a preset, or a composition hook's layout).

    ``sources`` are the patterns a preset's regions show (default: every
    track); a recording window passes its own track recordings' SIDs. A custom
    layout here can select only what a pattern says: ``"*"`` and track names
    (``name:…`` alone); anything else is an :class:`InvalidRequest`.
    """
    check(layout)
    if layout.kind is LayoutKind.CUSTOM:
        return _by_name(layout, resolution)
    templates = PRESETS.get(layout.kind)
    if templates is None:  # pragma: no cover - every kind but custom has a preset
        raise InvalidRequest("layout", f"twilio cannot render a {layout.kind} layout")
    return {
        name: _region(x, y, width, height, z, extra, resolution, sources)
        for name, x, y, width, height, z, extra in templates
    }


def place_tracks(layout: Layout, resolution: Resolution, tracks: Iterable[RecordedTrack]) -> dict[str, dict[str, Any]]:
    """The ``video_layout`` of a custom ``layout`` for a composition of known
    recorded ``tracks``: each track placed by the core rule, each region naming
    the recordings of the tracks placed in it, in the order given.

    Every region names explicit SIDs, the ``"*"`` region too, rather than
    ``["*"]`` with ``video_sources_excluded``: Twilio matches ``"*"`` against
    *every* recording of the room, so a recording window's composition would
    take in the tracks other windows recorded, and a composition of chosen
    streams the ones not chosen. A region no track is placed in is left out:
    Twilio wants every region to name its sources, and an empty region draws
    nothing anyway.
    """
    check(layout)
    tracks = list(tracks)
    placed = place(layout, {t.track.stream_id: t.track for t in tracks}.values())
    regions = {}
    for region in layout.regions:
        sids = [t.sid for t in tracks if placed.get(t.track.stream_id) is region]
        if sids:
            regions[region.name] = _region(
                region.x, region.y, region.width, region.height, region.z, {}, resolution, sids
            )
    return regions


def window_layout(layout: Layout | None, resolution: Resolution, tracks: Sequence[RecordedTrack]) -> dict[str, Any]:
    """The ``video_layout`` of a composed recording window: its layout (grid by
    default) over the window's own video recordings."""
    chosen = layout or Layout.grid()
    if chosen.kind is LayoutKind.CUSTOM:
        return place_tracks(chosen, resolution, tracks)
    return to_video_layout(chosen, resolution, [t.sid for t in tracks])


def matches(patterns: Iterable[str], names: Iterable[str]) -> bool:
    """Whether one of Twilio's source ``patterns`` (``*``: any run of characters) matches one of ``names``."""
    names = list(names)
    return any(_pattern(p).fullmatch(name) for p in patterns for name in names)


def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def _by_name(layout: Layout, resolution: Resolution) -> dict[str, dict[str, Any]]:
    """A custom layout by track-name patterns, following the core rule: a name goes
    to the first region that selects it; every other track to the first ``"*"`` region."""
    for region in layout.regions:
        for selector in region.sources:
            if selector.by - {SelectBy.NAME} or (selector.name and "*" in selector.name):
                raise InvalidRequest(
                    "layout.regions.sources",
                    f"twilio cannot select by {str(selector)!r} (region {region.name!r}) before the room's tracks "
                    "exist: a composition hook's custom layout selects by '*' and track names ('name:…', no '*'); "
                    "give Twilio region JSON for anything else",
                )
    claimed: dict[str, Region] = {}
    for region in layout.regions:
        for selector in region.sources:
            if selector.name is not None:
                claimed.setdefault(selector.name, region)
    catch_all = next((r for r in layout.regions if any(s.matches_all for s in r.sources)), None)
    regions = {}
    for region in layout.regions:
        names = [name for name, owner in claimed.items() if owner is region]
        extra: dict[str, Any] = {}
        if region is catch_all:
            names = ["*"]
            excluded = [name for name, owner in claimed.items() if owner is not region]
            if excluded:
                extra["video_sources_excluded"] = excluded
        if names:
            regions[region.name] = _region(
                region.x, region.y, region.width, region.height, region.z, extra, resolution, names
            )
    return regions


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
