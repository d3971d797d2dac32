"""Composition sources: ``video_layout`` regions and ``audio_sources`` patterns,
and where a composition's regions show each video track.

A source pattern names tracks by track name, track SID (``MT``), recording
SID (``RT``) or participant SID (``PA``); ``*`` in it matches any run of
characters (``student*`` matches ``student`` and ``studentTeam``).

A region (``x_pos``, ``y_pos``, ``width``, ``height`` in pixels of the
composition; a size left out runs to the canvas's edge) shows the tracks its
``video_sources`` match and its ``video_sources_excluded`` do not, tiled in a
grid of cells. With both ``max_columns`` and ``max_rows`` it has that many
cells (less ``cells_excluded``); with more tracks than cells, ``reuse`` decides
which are shown: ``show_oldest`` the oldest, ``show_newest`` the newest,
``none`` the first to take a cell. A track several regions show appears in
each; a higher ``z_pos`` is drawn on top.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from anyvideo_twilio.emulator import errors

#: A rectangle in fractions of the canvas: ``(x, y, width, height)``.
Box = tuple[float, float, float, float]

__all__ = ["REGION_DEFAULTS", "Box", "matches", "normalize", "pick", "placements"]

#: What Twilio fills in for the properties a region leaves out.
REGION_DEFAULTS: Mapping[str, Any] = {
    "x_pos": 0,
    "y_pos": 0,
    "z_pos": 0,
    "width": None,
    "height": None,
    "max_columns": None,
    "max_rows": None,
    "cells_excluded": [],
    "reuse": "show_oldest",
    "video_sources": [],
    "video_sources_excluded": [],
}
_REUSE = ("none", "show_oldest", "show_newest")
_NUMBERS = ("x_pos", "y_pos", "z_pos", "width", "height", "max_columns", "max_rows")


def normalize(layout: Any) -> dict[str, dict[str, Any]]:
    """A ``VideoLayout`` with every region complete; 400 when it is not a layout."""
    if not isinstance(layout, Mapping):
        raise errors.invalid("VideoLayout must be a JSON object of regions")
    regions = {}
    for name, region in layout.items():
        if not isinstance(region, Mapping) or set(region) - set(REGION_DEFAULTS):
            raise errors.invalid(f"VideoLayout region {name!r} is not valid")
        full = {**REGION_DEFAULTS, **region}
        if not _strings(full["video_sources"]) or not _strings(full["video_sources_excluded"]):
            raise errors.invalid(f"VideoLayout region {name!r}: video sources must be lists of strings")
        cells = full["cells_excluded"]
        if not isinstance(cells, list) or any(isinstance(c, bool) or not isinstance(c, int) for c in cells):
            raise errors.invalid(f"VideoLayout region {name!r}: cells_excluded must be a list of whole numbers")
        if full["reuse"] not in _REUSE:
            raise errors.invalid(f"VideoLayout region {name!r}: reuse must be one of {', '.join(_REUSE)}")
        for number in _NUMBERS:
            value = full[number]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise errors.invalid(f"VideoLayout region {name!r}: {number} must be a whole number")
        regions[name] = full
    return regions


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def matches(pattern: str, names: Iterable[str]) -> bool:
    """Whether ``pattern`` (with ``*`` wildcards) matches any of ``names``."""
    regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
    return any(regex.fullmatch(name) for name in names)


def pick(candidates: Mapping[str, Sequence[str]], include: Iterable[str], exclude: Iterable[str]) -> set[str]:
    """The keys of ``candidates`` (each with the names it answers to) that an
    ``include`` pattern matches and no ``exclude`` pattern does."""
    include, exclude = list(include), list(exclude)
    return {
        key
        for key, names in candidates.items()
        if any(matches(p, names) for p in include) and not any(matches(p, names) for p in exclude)
    }


def placements(
    layout: Mapping[str, Mapping[str, Any]], canvas: tuple[int, int], tracks: Sequence[tuple[str, Sequence[str]]]
) -> dict[str, Box]:
    """Where the (normalized) ``layout`` shows each of ``tracks`` on a ``canvas`` of
    (width, height) pixels: the rectangle, in fractions of the canvas, of the region
    it appears in. ``tracks`` are (key, the names its patterns match), oldest first.

    One rectangle per track, for the whole file: a track several regions show is
    recorded in the topmost (highest ``z_pos``; on a tie, the region listed first),
    and the tracks are taken to overlap in time, so ``reuse`` keeps the same ones
    in a region throughout (the oldest, the newest, or the first ones for ``none``).
    """
    width, height = canvas
    shown: dict[str, tuple[int, Box]] = {}
    for region in layout.values():
        chosen = pick(dict(tracks), region["video_sources"], region["video_sources_excluded"])
        matched = [key for key, _ in tracks if key in chosen]
        left, top = region["x_pos"], region["y_pos"]
        box = (
            left / width,
            top / height,
            min(width - left, region["width"] if region["width"] is not None else width) / width,
            min(height - top, region["height"] if region["height"] is not None else height) / height,
        )
        for key in _reused(matched, _cells(region), region["reuse"]):
            if key not in shown or region["z_pos"] > shown[key][0]:
                shown[key] = (region["z_pos"], box)
    return {key: box for key, (_, box) in shown.items()}


def _cells(region: Mapping[str, Any]) -> int | None:
    """How many tracks a region shows at once (``None``: its grid grows to hold them all)."""
    columns: int | None = region["max_columns"]
    rows: int | None = region["max_rows"]
    if columns is None or rows is None:
        return None
    return columns * rows - len({cell for cell in region["cells_excluded"] if 0 <= cell < columns * rows})


def _reused(matched: list[str], cells: int | None, reuse: str) -> list[str]:
    if cells is None or len(matched) <= cells:
        return matched
    return matched[-cells:] if reuse == "show_newest" and cells else matched[:cells]
