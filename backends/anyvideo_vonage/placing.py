"""Keeping each stream's layout classes right for the custom layouts running in its session.

Vonage places a stream in a custom layout by its layout classes; anyvideo
gives them (:mod:`.layouts` says which). The custom layouts running in a
session are filed in the registry (kind ``placed_layout``): those of composed
archives and broadcasts anyvideo started, and, while it runs, the layout of a
start or layout change. Every process of the application that shares the
registry sees them, whichever handles the callbacks.

*Placing* a session lists its streams (``GET …/stream``), works out each
stream's class list (:func:`.layouts.class_lists`) and sends those that differ
in one ``PUT …/stream``. A session is placed:

- before an archive or broadcast with a custom layout starts, and before a
  layout change to one: its classes are there from its first frame;
- when a ``streamCreated`` callback arrives for a session running one;
- when such an archive or broadcast stops (``stop``, or its status callback)
  and after a layout change: the classes of layouts no longer running go.

A stream's identity and role come from session monitoring (the ``streamCreated``
callback carries its connection's data, which names both); the REST API says
neither. Placings of one session run one at a time in a process.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Literal, TypeVar

from vonage_video.models import StreamInfo, StreamLayout, StreamLayoutOptions

from anyvideo.errors import InvalidRequest, NotFound
from anyvideo.models import (
    Composition,
    CompositionStatus,
    Event,
    EventType,
    Layout,
    Recording,
    RecordingStatus,
    Role,
    SelectBy,
)
from anyvideo.placement import Candidate
from anyvideo.registry import Registry
from anyvideo_vonage import layouts, translate
from anyvideo_vonage.transport import Transport

__all__ = ["LEARNED_FROM_CALLBACKS", "Placing"]

#: Kind of the registry's entries: a custom layout running in a session.
KIND = "placed_layout"
#: What anyvideo learns of a stream only from session-monitoring callbacks.
LEARNED_FROM_CALLBACKS = frozenset({SelectBy.IDENTITY, SelectBy.ROLE})
#: Statuses of an archive or broadcast that still shows its layout (an unknown one is not taken for stopped).
_RUNNING: frozenset[RecordingStatus | CompositionStatus] = frozenset(
    {
        RecordingStatus.RECORDING,
        RecordingStatus.PAUSED,
        RecordingStatus.UNKNOWN,
        CompositionStatus.LIVE,
        CompositionStatus.UNKNOWN,
    }
)
_LOCKS = 64

Output = Literal["archive", "broadcast"]
R = TypeVar("R", Recording, Composition)


class Placing:
    """Gives the streams of a session the layout classes of the custom layouts running there.

    ``learns_identities``: whether this backend verifies callbacks (it has a
    signature secret), without which it never learns a stream's identity or role.
    """

    def __init__(self, transport: Transport, registry: Registry, *, learns_identities: bool) -> None:
        self._transport = transport
        self._registry = registry
        self._learns_identities = learns_identities
        # one placing of a session at a time; a fixed set of locks, shared by the sessions that hash alike
        self._locks = [threading.Lock() for _ in range(_LOCKS)]

    def __repr__(self) -> str:
        return f"Placing(learns_identities={self._learns_identities})"

    def check(self, layout: Layout | None) -> None:
        """Refuse, before any request, a layout placing streams by what this backend cannot learn."""
        if not layouts.places_streams(layout) or self._learns_identities:
            return
        assert layout is not None
        for region in layout.regions:
            for selector in region.sources:
                missing = selector.by & LEARNED_FROM_CALLBACKS
                if missing:
                    names = " and ".join(sorted(by.value for by in missing))
                    raise InvalidRequest(
                        "layout.regions.sources",
                        f"vonage learns a stream's {names} only from session-monitoring callbacks, and this "
                        f"connection verifies none (region {region.name!r}, selector {str(selector)!r}): set "
                        "signature_secret and point the session-monitoring callback at the webhook app, or "
                        "select by stream, name or source",
                    )

    # --- what runs -------------------------------------------------------------------

    @contextmanager
    def starting(self, room_id: str | None, layout: Layout | None) -> Iterator[None]:
        """Around a start or a layout change to ``layout`` in ``room_id``: its classes are given
        first, and kept by any placing meanwhile (``room_id`` unknown: nothing before)."""
        if room_id is None or not layouts.places_streams(layout):
            yield
            return
        assert layout is not None
        key = f"starting:{uuid.uuid4()}"
        self._registry.put(KIND, key, {"room_id": room_id, "layout": layout.to_json()})
        try:
            self.place(room_id)
            yield
        finally:
            self._registry.delete(KIND, key)

    def running(self, kind: Output, object_id: str, room_id: str, layout: Layout | None) -> None:
        """File what an archive or broadcast now shows (``layout``; a preset places nothing)."""
        if layouts.places_streams(layout):
            assert layout is not None
            self._registry.put(KIND, f"{kind}:{object_id}", {"room_id": room_id, "layout": layout.to_json()})
        else:
            self._registry.delete(KIND, f"{kind}:{object_id}")

    def change_layout(self, kind: Output, object_id: str, layout: Layout, send: Callable[[], R]) -> R:
        """A running archive's or broadcast's layout changed by ``send()``: the new layout's classes
        are given first (when its session is known), the old one's go after."""
        self.check(layout)
        before = self.room_of(kind, object_id)
        with self.starting(before, layout):
            changed = send()
            room_id = before or changed.room_id
            if room_id:
                self.running(kind, object_id, room_id, layout)
        if room_id and (before is not None or layouts.places_streams(layout)):
            self.place(room_id)
        return changed

    def room_of(self, kind: Output, object_id: str) -> str | None:
        """The session of an archive or broadcast running a custom layout."""
        entry = self._registry.get(KIND, f"{kind}:{object_id}")
        return None if entry is None or entry.get("ended") else str(entry["room_id"])

    def ended(self, kind: Output, object_id: str) -> None:
        """An archive or broadcast stopped: its classes go, unless another runs the same layout.

        Its entry is marked ended, the session placed, then the entry forgotten: whoever
        finds no entry (its stop and its status callback may race) knows the placing is done.
        """
        key = f"{kind}:{object_id}"
        entry = self._registry.get(KIND, key)
        if entry is None:
            return
        if not entry.get("ended"):
            self._registry.put(KIND, key, {**entry, "ended": True})
        self.place(str(entry["room_id"]))
        self._registry.delete(KIND, key)

    def after_callbacks(self, events: Iterable[Event]) -> None:
        """React to what a callback told: a stream published where a custom layout runs is
        placed; an archive or broadcast that stopped gives its classes up."""
        for event in events:
            subject = event.subject
            if event.type == EventType.STREAM_PUBLISHED and event.room_id and self._running(event.room_id):
                self.place(event.room_id)
            elif isinstance(subject, Recording) and subject.status not in _RUNNING:
                self.ended("archive", subject.id)
            elif isinstance(subject, Composition) and subject.status not in _RUNNING:
                self.ended("broadcast", subject.id)

    def _running(self, room_id: str) -> list[Layout]:
        entries = self._registry.find(KIND, room_id=room_id)
        return [Layout.from_json(entry["layout"]) for _, entry in entries if not entry.get("ended")]

    # --- placing ------------------------------------------------------------------------

    def place(self, room_id: str) -> None:
        """Give every stream of the session the classes it should have now."""
        with self._locks[hash(room_id) % _LOCKS]:
            running = self._running(room_id)
            listed = self._listed(room_id)
            wanted = layouts.class_lists(running, [(self._candidate(info), classes) for info, classes in listed])
            changed = {info.id: wanted[info.id] for info, classes in listed if wanted[info.id] != list(classes)}
            if changed:
                self._send(room_id, changed)

    def set_own(self, room_id: str, own: Mapping[str, Sequence[str]]) -> list[StreamInfo]:
        """Give streams the application's classes (stream id -> classes), keeping anyvideo's;
        answers the streams as changed."""
        with self._locks[hash(room_id) % _LOCKS]:
            wanted = {stream_id: list(classes) for stream_id, classes in own.items()}
            running = self._running(room_id)
            if running:
                named = [(self._candidate(info), own[info.id]) for info, _ in self._listed(room_id) if info.id in own]
                wanted.update(layouts.class_lists(running, named))
            return self._send(room_id, wanted)

    def _listed(self, room_id: str) -> list[tuple[StreamInfo, tuple[str, ...]]]:
        try:
            listed = self._transport.call(self._transport.video.list_streams, room_id)
        except NotFound:  # the provider's answer for a session no stream was ever published in
            return []
        return [(info, tuple(info.layout_class_list or ())) for info in listed if info.id]

    def _send(self, room_id: str, classes: Mapping[str, list[str]]) -> list[StreamInfo]:
        items = [StreamLayout(id=stream_id, layout_class_list=c) for stream_id, c in classes.items()]
        video = self._transport.video
        # A repeat sets the same lists: safe to try again.
        changed: list[StreamInfo] = self._transport.call(
            video.change_stream_layout, room_id, StreamLayoutOptions(items=items)
        )
        return changed

    def _candidate(self, info: StreamInfo) -> Candidate:
        """What placing knows of a listed stream: the listing's id, name and video type, and
        the identity and role session monitoring filed for its publisher."""
        known = self._registry.get("stream", str(info.id)) or {}
        publisher = known.get("participant_id")
        connection = (self._registry.get("connection", publisher) if publisher else None) or {}
        role = connection.get("role")
        return Candidate(
            stream_id=str(info.id),
            identity=connection.get("identity") or None,
            name=info.name or None,
            source=translate.VIDEO_SOURCE.get(info.video_type or ""),
            role=Role(role) if isinstance(role, str) and role in Role.__members__.values() else None,
        )
