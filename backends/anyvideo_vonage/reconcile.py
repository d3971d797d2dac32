"""Finding what a start whose answer was lost made, so a repeat adopts it rather
than starting a second archive, broadcast or Experience Composer; and the ones a
lost try started after its repeat had made its own (it landed late), so they are
stopped (``docs/reliability.md``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, Literal

from vonage_video.models import CreateArchiveRequest, CreateBroadcastRequest, ExperienceComposerOptions

from anyvideo.registry import Registry
from anyvideo_vonage.options import json_body
from anyvideo_vonage.rest import VonageRest, items_of

__all__ = [
    "Kind",
    "Matcher",
    "archive_matches",
    "broadcast_matches",
    "duplicates",
    "render_matches",
    "started_by_lost_try",
]

Kind = Literal["archive", "broadcast", "render"]

#: Whether a listed archive, broadcast or render is the one a start asked for.
Matcher = Callable[[Mapping[str, Any]], bool]

#: How each kind is stopped: method and the path's last part after its id.
_STOP: Mapping[Kind, tuple[str, tuple[str, ...]]] = {
    "archive": ("POST", ("stop",)),
    "broadcast": ("POST", ("stop",)),
    "render": ("DELETE", ()),
}


def started_by_lost_try(
    rest: VonageRest, registry: Registry, kind: Kind, room_id: str, matches: Matcher
) -> dict[str, Any] | None:
    """The archive, broadcast or render (``kind``) a start whose answer was lost made: running in
    the session, as asked, and not one anyvideo already knows (every start it saw answered is filed
    in the registry). Vonage runs one archive and one broadcast per session unless each has its
    own tag, so for those this finds at most the one that try made."""
    return next(_unknown(rest, registry, kind, room_id, matches), None)


def duplicates(
    rest: VonageRest, registry: Registry, kind: Kind, room_id: str, matches: Matcher, made: Mapping[str, Any] | None
) -> Iterator[tuple[str, Callable[[], object]]]:
    """What lost tries of the start that made ``made`` (``None``: it raised) started besides it, each with
    how to stop it: a late try finds the session free once ``made`` is stopped, or (a render) starts beside it."""
    method, tail = _STOP[kind]
    for body in list(_unknown(rest, registry, kind, room_id, matches)):
        if made is None or body["id"] != made.get("id"):
            yield f"{kind} {body['id']}", partial(rest.call, method, rest.project_path(kind, body["id"], *tail))


def _unknown(rest: VonageRest, registry: Registry, kind: Kind, room_id: str, matches: Matcher) -> Iterator[Any]:
    # inside a try of the start, this lookup is tried once: the start's tries are the retries
    page = rest.call("GET", rest.project_path(kind), params={"sessionId": room_id, "count": 1000})
    for body in items_of(page):
        if (
            body.get("status") in ("starting", "started")
            and body.get("sessionId", room_id) == room_id  # renders are listed for the whole application
            and isinstance(body.get("id"), str)
            and registry.get(kind, body["id"]) is None
            and matches(body)
        ):
            yield body


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


def render_matches(options: ExperienceComposerOptions) -> Matcher:
    """Whether a listed Experience Composer renders what ``options`` asked for."""
    asked = json_body(options)
    name = (asked.get("properties") or {}).get("name")

    def matches(body: Mapping[str, Any]) -> bool:
        return body.get("url") == asked["url"] and body.get("name") == name

    return matches
