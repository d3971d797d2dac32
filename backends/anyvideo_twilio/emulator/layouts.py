"""Composition sources: ``video_layout`` regions and ``audio_sources`` patterns.

A source pattern names tracks by track name, track SID (``MT``), recording
SID (``RT``) or participant SID (``PA``); ``*`` in it matches any run of
characters (``student*`` matches ``student`` and ``studentTeam``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from anyvideo_twilio.emulator import errors

__all__ = ["REGION_DEFAULTS", "matches", "normalize", "pick"]

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
