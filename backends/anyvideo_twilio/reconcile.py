"""Finding what a request whose answer was lost did, so that a retry adopts it
instead of doing it twice (:meth:`Transport.call <anyvideo_twilio.transport.Transport.call>`'s
``reconcile``).

A room is told by its unique name and type; a room's end and a participant's
departure by their status. A composition carries nothing of the request that
made it, so a composition is asked for at most once: after a lost answer the
room's compositions are searched for a new one made with the same arguments.

A lost try can also land late, after its repeat was answered: once the
repeat's room has ended (or its hook was deleted), the name is free again and
the lost try makes a second one. :func:`duplicates` finds it: the object the
name names now, that anyvideo neither made nor handed out (the registry files
each one it did).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from anyvideo.errors import AnyVideoError, NotFound
from anyvideo.models import Participant, ParticipantStatus, Room, RoomStatus
from anyvideo.registry import Registry
from anyvideo.retry import Safety, is_transient
from anyvideo_twilio import translate
from anyvideo_twilio.transport import Transport

__all__ = ["create_composition_once", "duplicates", "ended", "left", "made_room", "open_room", "same_room"]

_EPOCH = datetime.fromtimestamp(0, UTC)


def same_room(room: Room, sdk: Mapping[str, Any]) -> bool:
    """Whether an existing room is what a create with ``sdk`` would have made (a retry, not a clash)."""
    if room.raw.get("type") != sdk.get("type", "group"):
        return False
    return "max_participants" not in sdk or room.max_participants == sdk["max_participants"]


def open_room(find_room: Callable[[str], Room], name: str, sdk: Mapping[str, Any]) -> Room | None:
    """The open room named ``name``, if a create with ``sdk`` would have made it (NotFound if none has the name)."""
    room = find_room(name)
    return room if room.status is RoomStatus.OPEN and same_room(room, sdk) else None


def made_room(find_room: Callable[[str], Room], name: str, sdk: Mapping[str, Any]) -> Room | None:
    """The room a create with ``sdk`` whose answer was lost made, if it made one."""
    try:
        return open_room(find_room, name, sdk)
    except NotFound:
        return None


def duplicates(
    registry: Registry, kind: str, made: Any | None, named: Any | None, remove: Callable[[str], object]
) -> list[tuple[str, Callable[[], object]]]:
    """``named`` (what the create's name names now, if anything) with how to ``remove`` it, when a
    late try made it: it is not ``made`` (``None``: the create raised) and anyvideo never filed it."""
    if named is None or (made is not None and named.id == made.id) or registry.get(kind, named.id) is not None:
        return []
    return [(f"{kind} {named.id}", partial(remove, named.id))]


def ended(room: Room) -> Room | None:
    """The room, if a lost request to end it did end it."""
    return room if room.status is RoomStatus.ENDED else None


def left(participant: Participant) -> Participant | None:
    """The participant, if a lost request to disconnect it did."""
    return participant if participant.status is ParticipantStatus.DISCONNECTED else None


def create_composition_once(transport: Transport, what: str, arguments: Mapping[str, Any]) -> Any:
    """Ask Twilio for a composition, never twice.

    Nothing in a composition tells one request's from another's, so after
    an ambiguous failure (5xx, no answer) the create is not sent again:
    the room's compositions are looked up instead, and one that was not
    there before and matches these arguments is adopted; if none appears
    while the policy's tries last, the failure is raised. A 429 (refused
    before anything was done) is simply tried again."""
    before: set[str] | None = None
    if transport.policy.attempts > 1:  # what the room had, to tell a new composition from an old one
        before = {translate.sid(instance) for instance in _room_compositions(transport, arguments["room_sid"])}
    lost: list[AnyVideoError] = []

    def create() -> Any:
        try:
            with transport.calling():
                return transport.v1.compositions.create(**arguments)
        except AnyVideoError as exc:
            if is_transient(exc):
                lost.append(exc)
            raise

    def adopt() -> Any:
        made = [
            (translate.composition(instance), instance)
            for instance in _room_compositions(transport, arguments["room_sid"])
            if before is not None and translate.sid(instance) not in before and _made_by(instance, arguments)
        ]
        if made:  # the oldest: were two requests like this one lost at once, each adopts the first
            return min(made, key=lambda pair: (pair[0].started_at or _EPOCH, pair[0].id))[1]
        raise lost[-1]  # not found (yet): looked for again on the next try, never created again

    return transport.call(what, create, safety=Safety.UNSAFE, reconcile=adopt if before is not None else None)


def _room_compositions(transport: Transport, room_sid: str) -> list[Any]:
    return list(
        transport.pages(
            "list the room's compositions",
            partial(transport.v1.compositions.page, room_sid=room_sid, page_size=transport.page_size),
        )
    )


def _made_by(instance: Any, arguments: Mapping[str, Any]) -> bool:
    """Whether a composition Twilio lists is what a create with ``arguments`` would have made."""
    return (
        instance.room_sid == arguments["room_sid"]
        and instance.resolution == arguments["resolution"]
        and instance.format == arguments["format"]
        and sorted(instance.audio_sources or ()) == sorted(arguments.get("audio_sources", ()))
        and sorted(instance.audio_sources_excluded or ()) == sorted(arguments.get("audio_sources_excluded", ()))
        and bool(instance.video_layout) == bool(arguments.get("video_layout"))
        and instance.trim == arguments.get("trim", True)
    )
