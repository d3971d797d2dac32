"""Portable :class:`~anyvideo.Layout` <-> Vonage's ``Layout`` object, and the
layout classes that place streams in a custom layout, as data.

Vonage has four presets and custom CSS. ``focus`` has no preset: it is the
provider's documented "focus" stylesheet pattern, the stream with the
``focus`` layout class filling the canvas and the others in a strip at the
bottom.

A custom layout's CSS can select streams by layout class only, so anyvideo
places them: core's rule (:func:`anyvideo.placement.place`) decides which region
each stream goes to, and the stream gets that region's class
(:func:`class_lists`; :mod:`.placing` sends them). The classes of one layout
are ``anyvideo-<digest>-<n>``, the digest naming the layout and ``n`` the
region's index, so layouts running at once in one session never share a class,
and the application's own classes (which never start with ``anyvideo-``) are
left alone. The stylesheet is one rule for every stream, then one per region
(:func:`stylesheet`). The first rule is what a stream anyvideo has not given a
class shows as: the first ``"*"`` region's rectangle, where the rule puts a
stream no other selector picks; without such a region, a 1% box just past the
bottom-right corner, which the archive or broadcast clips away (Vonage's CSS
has no ``display: none``): the stream is not shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, LayoutKind, Region
from anyvideo.placement import Candidate, place

__all__ = [
    "KINDS",
    "PREFIX",
    "PRESETS",
    "check_own_classes",
    "class_lists",
    "from_json",
    "from_vonage",
    "is_ours",
    "places_streams",
    "region_classes",
    "stylesheet",
    "to_json",
    "to_vonage",
]

#: Core layout kind -> Vonage ``Layout.type`` for the kinds Vonage has a preset for.
PRESETS: Mapping[LayoutKind, str] = {
    LayoutKind.GRID: "bestFit",
    LayoutKind.PIP: "pip",
    LayoutKind.VERTICAL_PRESENTATION: "verticalPresentation",
    LayoutKind.HORIZONTAL_PRESENTATION: "horizontalPresentation",
}
#: Vonage ``Layout.type`` -> core layout kind (``custom`` CSS cannot be read back into regions).
KINDS: Mapping[str, LayoutKind] = {preset: kind for kind, preset in PRESETS.items()}

#: The stylesheet of the ``focus`` kind.
FOCUS_STYLESHEET = (
    "stream { position: absolute; bottom: 0; width: 20%; height: 20%; z-index: 1; }"
    " stream.focus { position: absolute; top: 0; left: 0; width: 100%; height: 100%; z-index: 0; }"
)

#: How every layout class anyvideo gives starts; the application's may not.
PREFIX = "anyvideo-"
#: Where a stream no region shows goes: past the canvas, which clips it away.
HIDDEN = "position: absolute; left: 100%; top: 100%; width: 1%; height: 1%;"
#: Vonage's ``z-index`` is a positive number; a region's ``z`` (-99 to 99) is moved up by this, keeping the order.
Z_OFFSET = 100


def to_vonage(layout: Layout) -> dict[str, Any]:
    """The ``layout`` body of an archive or broadcast start (or a layout change)."""
    if layout.screenshare is not None:
        if layout.kind is not LayoutKind.GRID:
            raise InvalidRequest(
                "layout.screenshare", "vonage switches to a screen-share layout only from the grid (bestFit) layout"
            )
        if layout.screenshare not in PRESETS:
            raise InvalidRequest(
                "layout.screenshare", f"vonage has no {layout.screenshare} preset to switch to for screen sharing"
            )
        return {"type": "bestFit", "screenshareType": PRESETS[layout.screenshare]}
    if layout.kind in PRESETS:
        return {"type": PRESETS[layout.kind]}
    if layout.kind is LayoutKind.FOCUS:
        return {"type": "custom", "stylesheet": FOCUS_STYLESHEET}
    return {"type": "custom", "stylesheet": stylesheet(layout)}


def places_streams(layout: Layout | None) -> bool:
    """Whether anyvideo gives streams classes for ``layout`` (a custom one: Vonage arranges presets)."""
    return layout is not None and layout.kind is LayoutKind.CUSTOM


def region_classes(layout: Layout) -> dict[str, str]:
    """Each region's layout class (region name -> class), in layout order."""
    canonical = json.dumps(layout.to_json(), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    return {region.name: f"{PREFIX}{digest}-{index}" for index, region in enumerate(layout.regions)}


def is_ours(layout_class: str) -> bool:
    """Whether a stream's layout class is one anyvideo gave it."""
    return layout_class.startswith(PREFIX)


def check_own_classes(classes: Iterable[str], field: str) -> None:
    """Refuse application classes anyvideo's could be taken for."""
    taken = sorted({c for c in classes if is_ours(c)})
    if taken:
        raise InvalidRequest(
            field,
            f"layout classes starting with {PREFIX!r} are anyvideo's (it places streams in custom layouts "
            f"with them): {', '.join(taken)}",
        )


def stylesheet(layout: Layout) -> str:
    """The CSS of a custom layout: the rule for every stream (the first ``"*"`` region, else
    hidden), then one rule per region's class, which wins by being more specific."""
    classes = region_classes(layout)
    catch_all = next((r for r in layout.regions if any(s.matches_all for s in r.sources)), None)
    rules = [f"stream {{ {HIDDEN if catch_all is None else _box(catch_all)} }}"]
    rules += [f"stream.{classes[region.name]} {{ {_box(region)} }}" for region in layout.regions]
    return " ".join(rules)


def _box(region: Region) -> str:
    return (
        f"position: absolute; left: {_pct(region.x)}; top: {_pct(region.y)}; "
        f"width: {_pct(region.width)}; height: {_pct(region.height)}; z-index: {region.z + Z_OFFSET};"
    )


def _pct(fraction: float) -> str:
    return f"{round(fraction * 100, 4):g}%"


def class_lists(running: Iterable[Layout], streams: Sequence[tuple[Candidate, Sequence[str]]]) -> dict[str, list[str]]:
    """The class list each stream should have (stream id -> classes) while ``running`` layouts
    run in its session, from each stream and the classes it has: the application's classes, in
    their order, then the class of the region each layout puts the stream in (by core's rule)."""
    wanted = {candidate.stream_id: [c for c in classes if not is_ours(c)] for candidate, classes in streams}
    for layout in running:
        classes = region_classes(layout)
        for stream_id, region in place(layout, [candidate for candidate, _ in streams]).items():
            wanted[stream_id].append(classes[region.name])
    return {stream_id: list(dict.fromkeys(classes)) for stream_id, classes in wanted.items()}


def from_vonage(body: Mapping[str, Any] | None) -> Layout | None:
    """The portable layout of a Vonage ``Layout`` object, when it is a preset."""
    if not body or body.get("type") not in KINDS:
        return None
    screenshare = KINDS.get(body.get("screenshareType") or "")
    return Layout(KINDS[body["type"]], screenshare=screenshare)


# The registry keeps the layout anyvideo asked for (Vonage does not echo it back).


def to_json(layout: Layout | None) -> dict[str, Any] | None:
    return None if layout is None else layout.to_json()


def from_json(data: Mapping[str, Any] | None) -> Layout | None:
    return Layout.from_json(data) if data else None
