"""Where a custom layout puts each video stream: the rule every backend follows.

A backend that can see the streams itself (``local``, or one resolving a
layout into its provider's stream ids) calls :func:`place`; a backend whose
provider places streams by its own means (e.g. layout classes) uses
:func:`place` to decide what to tell the provider. Either way the rule is this
module's, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, LayoutKind, Region, Role, SelectBy, Selector, VideoSource

__all__ = ["Box", "Candidate", "boxes", "check_selectors", "matches", "place"]

#: A region's rectangle in fractions of the canvas: ``(x, y, width, height)``.
Box = tuple[float, float, float, float]


@attrs.frozen
class Candidate:
    """What a backend knows about one video stream when it places it.

    A field the backend does not know is ``None``; a selector that picks by it
    then does not match.
    """

    stream_id: str
    identity: str | None = None
    name: str | None = None
    source: VideoSource | None = None
    role: Role | None = None


def matches(selector: Selector, candidate: Candidate) -> bool:
    """Whether ``selector`` picks ``candidate``: every field it gives is equal."""
    values = {
        SelectBy.IDENTITY: candidate.identity,
        SelectBy.STREAM: candidate.stream_id,
        SelectBy.NAME: candidate.name,
        SelectBy.SOURCE: candidate.source,
        SelectBy.ROLE: candidate.role,
    }
    return all(values[by] is not None and values[by] == getattr(selector, by.value) for by in selector.by)


def place(layout: Layout, candidates: Iterable[Candidate]) -> dict[str, Region]:
    """Each placed stream's region (stream id -> region) under a custom layout.

    A stream goes to the first region, in layout order, with a selector other
    than ``"*"`` that matches it; otherwise to the first region with ``"*"``;
    otherwise it is not shown (absent from the answer). Presets place nothing
    here: the provider arranges them.
    """
    if layout.kind is not LayoutKind.CUSTOM:
        return {}
    catch_all = next((r for r in layout.regions if any(s.matches_all for s in r.sources)), None)
    placed: dict[str, Region] = {}
    for candidate in candidates:
        region = next(
            (r for r in layout.regions if any(not s.matches_all and matches(s, candidate) for s in r.sources)),
            catch_all,
        )
        if region is not None:
            placed[candidate.stream_id] = region
    return placed


def boxes(placed: Mapping[str, Region]) -> dict[str, Box]:
    """The rectangle each placed stream fills."""
    return {stream_id: (r.x, r.y, r.width, r.height) for stream_id, r in placed.items()}


def check_selectors(layout: Layout | None, honoured: frozenset[SelectBy], backend: str) -> None:
    """Refuse, before any request, a layout whose selectors ``backend`` cannot honour."""
    if layout is None:
        return
    for region in layout.regions:
        for selector in region.sources:
            missing = selector.by - honoured
            if missing:
                names = ", ".join(sorted(by.value for by in missing))
                can = ", ".join(by.value for by in SelectBy if by in honoured) or "nothing but '*'"
                raise InvalidRequest(
                    "layout.regions.sources",
                    f"{backend} cannot place streams by {names} (region {region.name!r}, selector {str(selector)!r}); "
                    f"it places them by {can}",
                )
