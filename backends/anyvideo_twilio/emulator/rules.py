"""Recording rules and subscribe rules: which tracks a room records, which
tracks a participant receives.

Both are evaluated the way Twilio documents it, with the algebra of sets:
start from the empty set, then, in order, add the tracks each ``include``
rule matches and remove those each ``exclude`` rule matches. The filters of
one rule combine with AND: ``all`` (only ``true``), ``kind``, ``publisher``
(identity or participant SID) and ``track`` (name or track SID).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from anyvideo.testing.server import HttpError

__all__ = ["INCLUDE_ALL", "Rule", "TrackView", "parse", "select"]

MAX_RULES = 20
_TYPES = ("include", "exclude")
_FILTERS = ("all", "kind", "publisher", "track")


@attrs.frozen
class Rule:
    type: str
    all: bool | None = None
    kind: str | None = None
    publisher: str | None = None
    track: str | None = None
    #: Subscribe rules only: the priority of the tracks an include rule matches.
    priority: str | None = None

    def as_dict(self, *, with_nulls: bool) -> dict[str, Any]:
        """The rule as Twilio shows it: recording rules omit absent filters,
        subscribe rules list them as ``null``."""
        data = attrs.asdict(self)
        if not with_nulls:
            return {name: value for name, value in data.items() if value is not None and name != "priority"}
        return data

    def matches(self, track: TrackView) -> bool:
        if self.all:
            return True
        return (
            (self.kind is None or self.kind == track.kind)
            and (self.publisher is None or self.publisher in (track.publisher_identity, track.publisher_sid))
            and (self.track is None or self.track in (track.name, track.sid))
        )


INCLUDE_ALL = (Rule("include", all=True),)


@attrs.frozen
class TrackView:
    """What rules can see of a published track."""

    sid: str
    name: str
    kind: str
    publisher_sid: str
    publisher_identity: str


def parse(value: Any, *, kinds: Sequence[str], error: HttpError, priorities: Sequence[str] = ()) -> tuple[Rule, ...]:
    """Rules from the request's JSON: a list, or ``{"rules": [...]}`` as some
    helper libraries wrap it. ``error`` is raised for anything invalid."""
    if isinstance(value, Mapping) and set(value) == {"rules"}:
        value = value["rules"]
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RULES:
        raise error
    return tuple(_rule(item, kinds, priorities, error) for item in value)


def _rule(item: Any, kinds: Sequence[str], priorities: Sequence[str], error: HttpError) -> Rule:
    if not isinstance(item, Mapping) or item.get("type") not in _TYPES:
        raise error
    allowed = set(_FILTERS) | ({"priority"} if priorities else set())
    filters = {name: value for name, value in item.items() if name != "type" and value is not None}
    matchers = set(filters) - {"priority"}
    if not matchers or set(filters) - allowed:
        raise error
    if "all" in filters and (filters["all"] is not True or len(matchers) > 1):
        raise error
    if "kind" in filters and filters["kind"] not in kinds:
        raise error
    if "priority" in filters and filters["priority"] not in priorities:
        raise error
    for name in ("publisher", "track"):
        if name in filters and not (isinstance(filters[name], str) and filters[name]):
            raise error
    return Rule(item["type"], **filters)


def select(rules: Iterable[Rule], tracks: Iterable[TrackView]) -> set[str]:
    """The SIDs of the tracks the rules pick."""
    tracks = list(tracks)
    chosen: set[str] = set()
    for rule in rules:
        matched = {track.sid for track in tracks if rule.matches(track)}
        chosen = chosen | matched if rule.type == "include" else chosen - matched
    return chosen
