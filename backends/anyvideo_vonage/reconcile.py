"""Finding what a start whose answer was lost made, so a repeat adopts it rather
than starting a second archive or broadcast (``docs/reliability.md``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from vonage_video.models import CreateArchiveRequest, CreateBroadcastRequest

from anyvideo.registry import Registry
from anyvideo_vonage.options import json_body
from anyvideo_vonage.rest import VonageRest, items_of

__all__ = ["Matcher", "archive_matches", "broadcast_matches", "started_by_lost_try"]

#: Whether a listed archive or broadcast is the one a start asked for.
Matcher = Callable[[Mapping[str, Any]], bool]


def started_by_lost_try(
    rest: VonageRest, registry: Registry, kind: Literal["archive", "broadcast"], room_id: str, matches: Matcher
) -> dict[str, Any] | None:
    """The archive or broadcast (``kind``) a start whose answer was lost made: running in the
    session, as asked, and not one anyvideo already knows (every start it saw answered is filed
    in the registry). Vonage runs one archive and one broadcast per session unless each has its
    own tag, so this finds at most the one that try made."""
    # inside a try of the start, this lookup is tried once: the start's tries are the retries
    page = rest.call("GET", rest.project_path(kind), params={"sessionId": room_id, "count": 50})
    for body in items_of(page):
        if (
            body.get("status") == "started"
            and isinstance(body.get("id"), str)
            and registry.get(kind, body["id"]) is None
            and matches(body)
        ):
            return body
    return None


def archive_matches(request: CreateArchiveRequest) -> Matcher:
    """Whether a listed archive is the one ``request`` asked for (the provider writes ``""`` for no name or tag)."""
    asked = json_body(request)
    fields = {"sessionId": None, "outputMode": "composed", "name": None, "multiArchiveTag": None}
    flags = {"hasAudio": True, "hasVideo": True}

    def matches(body: Mapping[str, Any]) -> bool:
        return all((body.get(k) or d) == (asked.get(k) or d) for k, d in fields.items()) and all(
            body.get(k, d) == asked.get(k, d) for k, d in flags.items()
        )

    return matches


def broadcast_matches(request: CreateBroadcastRequest) -> Matcher:
    """Whether a listed broadcast is the one ``request`` asked for."""
    asked = json_body(request)

    def matches(body: Mapping[str, Any]) -> bool:
        return body.get("sessionId") == asked["sessionId"] and (body.get("multiBroadcastTag") or None) == (
            asked.get("multiBroadcastTag") or None
        )

    return matches
