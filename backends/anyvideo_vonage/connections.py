"""What anyvideo remembers of the connections (participants) it has seen.

Vonage lists only the connections a session has *now* (``GET …/connection``):
a participant who left, or was forced out, vanishes. anyvideo's participants
are who is *or was* in a room, so the registry keeps every connection anyvideo
has seen (kind ``connection``, keyed by ``connectionId``): in a listing, in a
session-monitoring callback (``connectionCreated``, ``connectionDestroyed``, the
publisher of a stream), or one it disconnected itself. An entry holds
``room_id``; ``identity`` and ``data`` (from the connection data, which only
callbacks carry); ``joined_at`` and ``left_at`` (milliseconds since the epoch,
as Vonage writes them).

A remembered connection the provider no longer lists has left: it is a
``DISCONNECTED`` participant, whose ``left_at`` is its ``connectionDestroyed``
callback's time, else when anyvideo disconnected it, else unknown. A connection
that came and went between two listings, with no callback and no disconnect by
anyvideo, was never seen and is not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from anyvideo.models import Participant
from anyvideo.registry import Registry
from anyvideo_vonage import translate

__all__ = ["KIND", "left", "participants", "remember", "seen"]

#: The registry kind of connection entries.
KIND = "connection"


def remember(registry: Registry, connection_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change`` (it edits the entry in place) to the connection's entry, empty the first
    time the connection is seen; returns the new entry. The read and the write are one transaction,
    so a listing and a callback filing the same connection at once lose nothing of each other."""
    first: dict[str, Any] = {}
    change(first)
    if registry.add(KIND, connection_id, first):  # first seen (one statement): its place in the room's order
        return first
    return registry.update(KIND, connection_id, change)


def seen(registry: Registry, room_id: str, items: Iterable[Mapping[str, Any]]) -> None:
    """File the connections of a listing (items of ``GET …/connection``) not yet filed as they are
    (what is filed read in one statement)."""
    items = list(items)
    _file(registry, room_id, items, registry.get_many(KIND, [str(item["connectionId"]) for item in items]))


def _file(
    registry: Registry, room_id: str, items: Iterable[Mapping[str, Any]], filed: Mapping[str, Mapping[str, Any]]
) -> bool:
    """File each of ``items`` that ``filed`` (entries by connection id) does not hold as it is;
    whether any was."""
    changed = False
    for item in items:
        connection_id = str(item["connectionId"])
        fields: dict[str, Any] = {"room_id": room_id}
        if translate.from_ms(item.get("createdAt")) is not None:
            fields["joined_at"] = item["createdAt"]
        known = filed.get(connection_id, {})
        if any(known.get(key) != value for key, value in fields.items()):
            remember(registry, connection_id, _merge(fields))
            changed = True
    return changed


def left(registry: Registry, room_id: str, connection_id: str, at_ms: int) -> None:
    """anyvideo disconnected the connection at ``at_ms``; a ``connectionDestroyed`` callback's time wins."""

    def file(entry: dict[str, Any]) -> None:
        entry["room_id"] = room_id
        entry.setdefault("left_at", at_ms)

    remember(registry, connection_id, file)


def _merge(fields: Mapping[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda entry: entry.update(fields)


def participants(registry: Registry, room_id: str, items: Sequence[Mapping[str, Any]]) -> list[Participant]:
    """The room's participants: every connection anyvideo has seen in it, in the order first seen;
    those in ``items`` (the provider's listing now) as listed, the others departed. One read of the
    registry when every listed connection is filed as it is (a second, after filing, when not)."""
    filed = dict(registry.find(KIND, room_id=room_id))
    if _file(registry, room_id, items, filed):
        filed = dict(registry.find(KIND, room_id=room_id))
    listed = {str(item["connectionId"]): item for item in items}
    return [
        translate.connection(room_id, listed[key], entry) if key in listed else translate.departed(room_id, key, entry)
        for key, entry in filed.items()
    ]
