"""Portable :class:`~anyvideo.Layout` <-> Vonage's ``Layout`` object, as data.

Vonage has four presets and custom CSS. ``focus`` has no preset: it is the
provider's documented "focus" stylesheet pattern, the stream with the
``focus`` layout class filling the canvas and the others in a strip at the
bottom. A custom layout becomes one CSS rule per region, selecting streams by
layout class (``stream.<class>``; ``"*"`` selects every stream): a region's
``sources`` are the layout classes the application gives streams
(``provider_options={"layout_classes": [...]}`` on tokens, or
:meth:`VonageBackend.set_layout_classes`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, LayoutKind, Region

__all__ = ["PRESETS", "from_json", "from_vonage", "to_json", "to_vonage"]

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

_CLASS = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*")


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
    return {"type": "custom", "stylesheet": stylesheet(layout.regions)}


def stylesheet(regions: tuple[Region, ...]) -> str:
    """One CSS rule per region and source; the ``"*"`` rules first, so class rules win."""
    rules: list[tuple[int, str]] = []
    for region in regions:
        box = (
            f"position: absolute; left: {_pct(region.x)}; top: {_pct(region.y)}; "
            f"width: {_pct(region.width)}; height: {_pct(region.height)}; z-index: {region.z};"
        )
        for source in region.sources:
            if source == "*":
                rules.append((0, f"stream {{ {box} }}"))
            elif _CLASS.fullmatch(source):
                rules.append((1, f"stream.{source} {{ {box} }}"))
            else:
                raise InvalidRequest(
                    "layout.regions.sources",
                    f"vonage places streams by layout class; {source!r} is not a CSS class name",
                )
    return " ".join(rule for _, rule in sorted(rules, key=lambda r: r[0]))


def _pct(fraction: float) -> str:
    return f"{round(fraction * 100, 4):g}%"


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
