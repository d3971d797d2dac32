"""Recording windows: what a core :class:`~anyvideo.models.Recording` is on Twilio.

Twilio records tracks, not rooms: a room's *recording rules* decide which
published tracks are recorded, and each recorded track becomes a track
recording (``RT…``) that starts when the rules pick it and stops when they
drop it. anyvideo's recording of a room is a **window**: ``start`` sets the
rules to record (every track, or the chosen ones), ``stop`` sets them to
record nothing. An ``individual`` recording's files are the track recordings
that started in between (each saying whose track it is). A ``composed`` one
is the composition of those tracks that anyvideo asks Twilio for once the
window is closed and the room has ended (Twilio composes only ended rooms):
it is ``PROCESSING`` until that composition is complete, and then its one
file is the composition's mixed file, so it is ``AVAILABLE`` exactly when
that file can be downloaded, as on every backend.

Twilio keeps no such thing, so the registry does (kind ``window``): the room,
mode, times as Twilio dated them (its clock, whole seconds), layout and
resolution, the track recordings claimed, and the composition. A track
recording belongs to at most one window (kind ``track`` maps it back), and a
room has at most one open window (kind ``room``).

A window's tracks are known when it closes: ``stop`` lists the track
recordings created while it was open (one bounded listing, from its start to
its end) and files each one's answer in the window's entry (``seen``). Reads
answer from there: a closed window is listed again only while one of its
tracks is still processing, and then only over its own time span, so reading
a window costs the same requests however much the room recorded since. A
listing of recordings refreshes the windows it meets with what it lists, and
the status callbacks (:mod:`anyvideo_twilio.webhooks`) with what they carry,
without a request. A track completed and then deleted outside anyvideo (the
console, ``video.native``) is noticed by the next listing of recordings, not
by ``get``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

import attrs
from twilio.base import values

from anyvideo.calls import allowed_options, done
from anyvideo.errors import Conflict, InvalidRequest, NotFound
from anyvideo.models import (
    Layout,
    MediaFile,
    Recording,
    RecordingMode,
    RecordingStatus,
    Resolution,
    Room,
    RoomStatus,
    SelectBy,
)
from anyvideo.placement import Candidate
from anyvideo.registry import Registry
from anyvideo.specs import CompositionSpec, RecordingSpec
from anyvideo_twilio import layouts, options, statuses, translate
from anyvideo_twilio.config import TwilioSettings
from anyvideo_twilio.errors import MalformedAnswer
from anyvideo_twilio.models import TrackRule, rule_set
from anyvideo_twilio.reconcile import create_composition_once
from anyvideo_twilio.transport import Transport

__all__ = [
    "RULES",
    "RecordingWindows",
    "Window",
    "is_window_id",
    "layout_entry",
    "layout_from",
    "made_rules",
    "new_window_id",
]

PROVIDER = "twilio"
_INCLUDE = "include"

#: Window ids are anyvideo's, shaped so they never pass for a Twilio SID.
PREFIX = "win_"

#: Where the composition of a composed window stands, beside Twilio's own statuses.
WAITING_FOR_ROOM = "waiting-for-room-end"
NOTHING_TO_COMPOSE = "nothing-recorded"


def new_window_id() -> str:
    return PREFIX + secrets.token_hex(12)


def is_window_id(value: str) -> bool:
    return value.startswith(PREFIX)


@attrs.define
class Window:
    """One start/stop window of a room's recording rules (a registry entry)."""

    id: str
    room_sid: str
    mode: RecordingMode
    started_at: datetime
    name: str | None = None
    layout: Layout | None = None
    resolution: Resolution | None = None
    format: str = "mp4"
    has_audio: bool = True
    has_video: bool = True
    stopped_at: datetime | None = None
    #: Track recording SIDs, oldest first.
    tracks: list[str] = attrs.field(factory=list)
    #: Composed mode: the composition's SID, or WAITING_FOR_ROOM / NOTHING_TO_COMPOSE.
    composition: str | None = None
    deleted: bool = False
    #: Track recording SID -> its last answer from Twilio (JSON, as ``translate.raw`` gives it).
    seen: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: The composition as Twilio last told it: ``{"status": ..., "size": ...}``.
    composed: dict[str, Any] | None = None
    #: Whether its tracks were listed since it closed (until then it knows those the
    #: status callbacks or a listing of recordings told of).
    listed: bool = False

    @property
    def open(self) -> bool:
        return self.stopped_at is None

    def to_entry(self) -> dict[str, Any]:
        return {
            "room_sid": self.room_sid,
            "mode": self.mode.value,
            "started_at": self.started_at.isoformat(),
            "stopped_at": None if self.stopped_at is None else self.stopped_at.isoformat(),
            "name": self.name,
            "layout": layout_entry(self.layout),
            "resolution": None if self.resolution is None else str(self.resolution),
            "format": self.format,
            "has_audio": self.has_audio,
            "has_video": self.has_video,
            "tracks": list(self.tracks),
            "composition": self.composition,
            "deleted": self.deleted,
            "open": self.open,
            "seen": self.seen,
            "composed": self.composed,
            "listed": self.listed,
        }

    @classmethod
    def from_entry(cls, window_id: str, entry: dict[str, Any]) -> Window:
        return cls(
            id=window_id,
            room_sid=entry["room_sid"],
            mode=RecordingMode(entry["mode"]),
            started_at=datetime.fromisoformat(entry["started_at"]),
            stopped_at=None if entry["stopped_at"] is None else datetime.fromisoformat(entry["stopped_at"]),
            name=entry["name"],
            layout=layout_from(entry["layout"]),
            resolution=None if entry["resolution"] is None else Resolution.parse(entry["resolution"]),
            format=entry["format"],
            has_audio=entry["has_audio"],
            has_video=entry["has_video"],
            tracks=list(entry["tracks"]),
            composition=entry["composition"],
            deleted=entry["deleted"],
            # entries filed before anyvideo kept what Twilio said of a window's tracks
            seen=dict(entry.get("seen") or {}),
            composed=entry.get("composed"),
            # entries filed before stop left the listing to the first read were listed by their stop
            listed=entry.get("listed", True),
        )


def layout_entry(layout: Layout | None) -> dict[str, Any] | None:
    """A layout as JSON, for the registry."""
    return None if layout is None else layout.to_json()


def layout_from(entry: dict[str, Any] | None) -> Layout | None:
    """The layout :func:`layout_entry` stored."""
    return None if entry is None else Layout.from_json(entry)


class RecordingWindows:
    """The windows of one backend: kept in its registry, made and read through its transport.

    ``room`` fetches a room (the backend's ``get_room``)."""

    def __init__(
        self, transport: Transport, registry: Registry, settings: TwilioSettings, room: Callable[[str], Room]
    ) -> None:
        self._transport = transport
        self._v1 = transport.v1
        self._registry = registry
        self._settings = settings
        self._room = room

    def start(self, room_id: str, spec: RecordingSpec) -> Recording:
        """Open a window: set the room's recording rules to record."""
        chosen = self._window_rules(spec)
        resolution = None
        if spec.mode is RecordingMode.COMPOSED:
            resolution = options.composition_resolution(spec.resolution)
            if spec.layout is not None:
                layouts.check(spec.layout)  # refuse what Twilio cannot draw
        file_format = options.file_format(spec.provider_options.get("format"))
        if spec.max_duration is not None:
            raise InvalidRequest(
                "max_duration", "twilio recording rules have no time limit; stop the recording yourself"
            )
        window_id = new_window_id()
        known = self._claim_room(room_id, window_id).get(RULES)
        try:
            answer = self._set_rules(room_id, chosen, known)
            window = Window(
                id=window_id,
                room_sid=room_id,
                mode=spec.mode,
                started_at=_date(answer.date_updated),
                name=spec.name,
                layout=spec.layout,
                resolution=resolution,
                format=file_format,
                has_audio=spec.has_audio,
                has_video=spec.has_video,
            )
            self._registry.put("window", window.id, window.to_entry())
        except BaseException:
            self._registry.update("room", room_id, lambda entry: {**entry, "open_window": None})
            raise
        # The room's rules are not filed now: only a start reads them, and while this window is
        # open a start is refused; its stop files the rules it leaves (record nothing).
        return self._recording(window)

    def rules_set(self, room_id: str, rules: list[dict[str, Any]]) -> None:
        """File that anyvideo set the room's recording rules to ``rules``: it knows them from now on."""
        try:
            self._registry.update("room", room_id, lambda entry: {**entry, RULES: rules})
        except NotFound:
            self._registry.add("room", room_id, {RULES: rules})

    def _set_rules(self, room_id: str, chosen: Sequence[TrackRule], known: list[dict[str, Any]] | None) -> Any:
        """Set the room's rules to record; the room is fetched only to say why Twilio refused."""
        try:
            # Rules that already record (set outside anyvideo, or record_participants_on_connect)
            # would be replaced without a word, and the window would claim tracks that were not
            # its own: the rules are read first, unless anyvideo set them last (its own rooms'
            # rules are anyvideo's; ``known``).
            if known is None:
                known = self._transport.call(
                    "fetch recording rules", lambda: self._v1.rooms(room_id).recording_rules.fetch()
                ).rules
            if any(rule.get("type") == _INCLUDE for rule in known or []):
                raise Conflict(
                    f"twilio: room {room_id!r} is already recording by its recording rules (set outside "
                    "anyvideo, or record_participants_on_connect); set them to exclude all first"
                )
            rules_json = [rule.as_dict() for rule in chosen]
            return self._transport.call(
                "start recording (recording rules)",
                lambda: self._v1.rooms(room_id).recording_rules.update(rules=rules_json),
            )
        except (Conflict, InvalidRequest) as refused:
            room = self._room(room_id)  # an ended or unrecordable room is refused: say which
            if room.status is not RoomStatus.OPEN:
                raise Conflict(f"twilio: room {room_id!r} has ended; it cannot be recorded") from refused
            if room.raw.get("type") in options.UNRECORDABLE:
                raise Conflict(f"twilio: a {room.raw.get('type')} room cannot be recorded") from refused
            raise

    def stop(self, recording_id: str) -> Recording:
        """Close a window: set the rules to record nothing, and file the tracks it recorded."""
        window = self.window(recording_id)
        if not window.open:
            raise Conflict(f"twilio: recording {recording_id!r} has already stopped")
        nothing = [TrackRule.exclude_all().as_dict()]
        answer = self._transport.call(
            "stop recording (recording rules)",
            lambda: self._v1.rooms(window.room_sid).recording_rules.update(rules=nothing),
        )
        window.stopped_at = _date(answer.date_updated)
        # Which track recordings the window made is listed by its first read (or met by a
        # listing of recordings, or told by the status callbacks): the stop is the rule update only.
        if window.mode is RecordingMode.COMPOSED:
            # Twilio took the rules, so the room was in progress: its composition waits for it to end.
            window.composition = WAITING_FOR_ROOM
        self._file_seen(window, closed=True)

        def closed(entry: dict[str, Any]) -> None:
            span = window.to_entry()
            unlisted = [*entry.get(UNLISTED, ()), [window.id, span["started_at"], span["stopped_at"]]]
            entry.update(open_window=None, **{UNLISTED: unlisted, RULES: nothing})

        self._registry.update("room", window.room_sid, closed)
        return self._recording(window)

    def get(self, recording_id: str) -> Recording:
        """The window as it stands (composing it first if its room has ended meanwhile)."""
        window = self.window(recording_id)
        if window.composition == WAITING_FOR_ROOM and self._room(window.room_sid).status is not RoomStatus.OPEN:
            self.compose(window)
        self._refresh(window)
        return self._recording(window)

    def listed(self, instances: Iterable[Any], room_id: str | None) -> Iterator[Recording]:
        """The recordings a listing of track recordings stands for: the track recordings
        of a window stand for their window (listed once, as its tracks were listed), any
        other track recording is an individual recording of its own; windows that
        captured nothing follow."""
        # A window is listed once the last of its tracks has come (they are listed close
        # together: they started while it was open), so it reads as its tracks were
        # listed; only the windows met but not yet passed are held. A window whose
        # tracks did not all come lost some (deleted): it is listed at the end.
        # A window whose tracks were not listed since it closed is held to the end: the
        # listing passes every track recording of its room, so it learns them all.
        waiting: dict[str, tuple[Window, set[str], list[bool]]] = {}
        for instance in instances:
            window = self._claimant(instance)
            if window is None:
                yield translate.track_recording(instance)
                continue
            window, left, changed = waiting.setdefault(
                window.id, (window, set(window.tracks) | ({_HELD} if not window.listed else set()), [False])
            )
            sid, answer = translate.sid(instance), translate.raw(instance)
            changed[0] = changed[0] or window.seen.get(sid, {}).get("status") != answer.get("status")
            window.seen[sid] = answer
            if sid not in window.tracks:
                window.tracks.append(sid)
            left.discard(sid)
            if not left:
                del waiting[window.id]
                yield self._listed_window(window, set(), changed=changed[0])
        for window, left, _ in waiting.values():
            yield self._listed_window(window, left - {_HELD}, changed=True)
        yield from self._empty(room_id)

    def _listed_window(self, window: Window, missing: set[str], *, changed: bool) -> Recording:
        """A window as a listing found its tracks (``missing``: those it did not find, deleted);
        filed when the listing told something new of them."""
        for sid in missing:
            window.seen[sid] = {**window.seen.get(sid, {"sid": sid}), "status": _DELETED}
        if not (window.open or window.listed):
            self._listed_now(window)
        if changed:
            self._file_seen(window)
        self._refresh_composition(window)
        return self._recording(window)

    def _claimant(self, instance: Any) -> Window | None:
        """The window a listed track recording belongs to, if any (claiming it for
        an open window of its room that it started in)."""
        sid = translate.sid(instance)
        claimed = self._registry.get("track", sid)
        if claimed is None:
            room_sid = (translate.field(instance, "grouping_sids") or {}).get("room_sid")
            created = _date(translate.moment(instance, "date_created"))
            window = self.window_at(room_sid, created, started=True) if room_sid else None
            if window is None or created < window.started_at.replace(microsecond=0):
                return None
            if not window.open:  # closed, its tracks not listed yet: this one is its own, no request
                return self.note_track(window.id, sid, translate.raw(instance))
            self._claim_tracks(window)
            self._save(window)
            claimed = self._registry.get("track", translate.sid(instance))
            if claimed is None:  # pragma: no cover - claiming takes every track since the start
                return None
        return self.window(claimed["window"])

    def claimed(self, recording_sid: str) -> Window | None:
        """The window that claimed a track recording, if any (one registry read)."""
        found = self._registry.get_linked("track", recording_sid, "window", "window")
        return None if found is None else Window.from_entry(*found)

    def composed_by(self, composition_sid: str) -> Window | None:
        """The composed window whose composition ``composition_sid`` is, if any."""
        found = next(self._registry.find("window", composition=composition_sid), None)
        return None if found is None else Window.from_entry(*found)

    def recording(self, window: Window, standing: tuple[RecordingStatus, dict[str, Any]] | None = None) -> Recording:
        """The core recording of a window as the registry has it (no request); ``standing``:
        its :meth:`standing`, when the caller has just read it."""
        return self._recording(window, standing)

    def note_track(
        self, window_id: str, sid: str, changes: Mapping[str, Any], *, known: Window | None = None
    ) -> Window:
        """File what a status callback (or a listing) said of one of the window's track
        recordings (``changes`` to its last answer), claiming it for the window if it was
        not yet (unless another window did). A status that has settled is not taken back
        by a late callback. ``known``: the window as just read; when it has filed all of
        ``changes`` already (a retried callback), nothing is written."""
        if known is not None and sid in known.tracks:
            filed = known.seen.get(sid, {})
            if all(filed.get(field) == value for field, value in changes.items()):
                return known

        def note(entry: dict[str, Any]) -> None:
            seen = entry.setdefault("seen", {})
            if sid not in entry["tracks"]:
                entry["tracks"].append(sid)
            if _settled(changes.get("status")) >= _settled(seen.get(sid, {}).get("status")):
                seen[sid] = {**seen.get(sid, {"sid": sid}), **changes}

        entry = None if known is not None and sid in known.tracks else self._registry.get("window", window_id)
        if entry is not None and sid not in entry["tracks"]:
            room_sid = entry["room_sid"]
            if not self._registry.add("track", sid, {"window": window_id, "room_sid": room_sid}):
                claimed = self._registry.require("track", sid)["window"]
                if claimed != window_id:
                    return self.note_track(claimed, sid, changes)  # another window's after all
        return Window.from_entry(window_id, self._registry.update("window", window_id, note))

    def window_at(self, room_sid: str, moment: datetime | None, *, started: bool) -> Window | None:
        """The window of ``room_sid`` that a track recording with no claim belongs to, among
        the open one and those closed whose tracks were not listed yet. ``started``: the
        track recording started at ``moment``, and is the first window's that was open
        then (Twilio dates in whole seconds: a track of the second one window stopped and
        the next started is the earlier window's, as :meth:`_claim_tracks` decides); else
        ``moment`` is when it reported, and it is the latest window's that had started by
        then. Without a moment: the open window, else the latest closed one. NotFound
        while the open window is being filed."""
        entry = self._registry.get("room", room_sid) or {}
        spans: list[tuple[datetime, datetime | None, str]] = [
            (datetime.fromisoformat(start), datetime.fromisoformat(stop), window_id)
            for window_id, start, stop in entry.get(UNLISTED, ())
        ]
        if entry.get("open_window"):
            window = self.window(entry["open_window"])
            spans.append((window.started_at, None, window.id))
        if moment is None:
            return self.window(spans[-1][2]) if spans else None
        second = moment.replace(microsecond=0)
        for start, stop, window_id in spans if started else reversed(spans):
            if start.replace(microsecond=0) <= second and (not started or stop is None or second <= stop):
                return self.window(window_id)
        return None

    def note_composition(self, window_id: str, composed: Mapping[str, Any]) -> Window:
        """File what a composition's status callback said of a composed window's composition."""
        return Window.from_entry(
            window_id, self._registry.update("window", window_id, lambda entry: {**entry, "composed": dict(composed)})
        )

    def delete(self, recording_id: str) -> None:
        """Delete a closed window's track recordings and composition; the window stays, deleted."""
        window = self.window(recording_id)
        if window.open:
            raise Conflict(f"twilio: recording {recording_id!r} is still recording; stop it first")
        self._refresh(window)
        found = self._present(window)
        if any(track.status == "processing" for track in found):
            raise Conflict(f"twilio: recording {recording_id!r} is still processing; delete it once it is available")
        for track in found:
            # one deleted outside anyvideo since it was last listed is gone already
            self._transport.call("delete track recording", partial(self._v1.recordings(track.sid).delete), gone=done)
            window.seen[track.sid] = {**window.seen[track.sid], "status": _DELETED}
        if window.composition and window.composition.startswith("CJ"):
            try:
                self._transport.call("delete composition", self._v1.compositions(window.composition).delete)
            except NotFound:
                pass  # deleted already
        window.deleted = True
        self._save(window)

    def track_deleted(self, sid: str) -> None:
        """A track recording was deleted on its own: its window, if any, files it so."""
        claimed = self._registry.get("track", sid)
        if claimed is not None:
            self.note_track(claimed["window"], sid, {"status": _DELETED})

    # --- windows: registry, claims, composition -----------------------------

    def window(self, window_id: str) -> Window:
        """The window filed under ``window_id``; NotFound for any other id."""
        entry = self._registry.get("window", window_id) if is_window_id(window_id) else None
        if entry is None:
            raise NotFound(f"twilio: no recording {window_id!r}")
        return Window.from_entry(window_id, entry)

    def _save(self, window: Window) -> None:
        self._registry.put("window", window.id, window.to_entry())

    def open_window(self, room_sid: str) -> Window | None:
        """The room's open window, if any."""
        entry = self._registry.get("room", room_sid)
        window_id = entry and entry.get("open_window")
        return self.window(window_id) if window_id else None

    def _claim_room(self, room_sid: str, window_id: str) -> dict[str, Any]:
        """Make ``window_id`` the room's open window, in one registry transaction; Conflict if it has one.
        Returns the room's entry (with :data:`RULES` when anyvideo knows its rules).

        The room's first window files its entry without that transaction (the
        registry has no insert-if-absent): two processes opening the very first
        window of one room at the same instant could both succeed."""

        def claim(entry: dict[str, Any]) -> None:
            if entry.get("open_window"):
                raise Conflict(f"twilio: room {room_sid!r} is already being recorded ({entry['open_window']})")
            entry["open_window"] = window_id

        try:
            return self._registry.update("room", room_sid, claim)
        except NotFound:
            self._registry.put("room", room_sid, {"open_window": window_id})
            return {"open_window": window_id}

    def _claim_tracks(self, window: Window) -> None:
        """Add to ``window`` the room's track recordings that started since it opened
        (and before it closed) and belong to no other window, and file what Twilio
        says of each of its tracks now (one it no longer lists was deleted)."""
        listed = set()
        # A track of the second an earlier window stopped in is that window's, which lists it itself.
        earlier = self._earlier_stop(window)
        for instance in self._span(window):
            created, sid = _date(instance.date_created), translate.sid(instance)
            if sid not in window.tracks:
                if created < window.started_at.replace(microsecond=0):
                    continue
                if earlier is not None and created <= earlier:
                    continue
                if window.stopped_at is not None and created > window.stopped_at:
                    continue
                if self._registry.get("track", sid) is not None:
                    continue  # an earlier window's (Twilio dates in whole seconds)
                self._registry.put("track", sid, {"window": window.id, "room_sid": window.room_sid})
                window.tracks.append(sid)
            listed.add(sid)
            window.seen[sid] = translate.raw(instance)
        for sid in set(window.tracks) - listed:
            window.seen[sid] = {**window.seen.get(sid, {"sid": sid}), "status": _DELETED}
        if not window.open and not window.listed:
            self._listed_now(window)

    def _listed_now(self, window: Window) -> None:
        """A closed window's tracks were all listed: it knows them from now on."""
        window.listed = True
        if window.composition == WAITING_FOR_ROOM and not window.tracks:
            window.composition = NOTHING_TO_COMPOSE
        self._registry.update("room", window.room_sid, partial(_listed, window.id))

    def _earlier_stop(self, window: Window) -> datetime | None:
        """When the room's last window before ``window`` whose tracks were not listed yet
        stopped, if any (those closed earlier, filed in order; all of them while ``window``
        is open)."""
        if not window.open and window.listed:
            return None
        unlisted = (self._registry.get("room", window.room_sid) or {}).get(UNLISTED, [])
        ids = [span[0] for span in unlisted]
        earlier = unlisted[: ids.index(window.id)] if window.id in ids else unlisted
        return max((datetime.fromisoformat(stopped) for _, _, stopped in earlier), default=None)

    def _span(self, window: Window) -> Iterator[Any]:
        """The room's track recordings created while the window was open (all since it opened, while it is)."""
        after = window.started_at.replace(microsecond=0)
        # Twilio dates in whole seconds, and DateCreatedBefore is exclusive: up to the second after the stop.
        before = _UNSET if window.stopped_at is None else window.stopped_at + timedelta(seconds=1)
        return self._transport.pages(
            "list the window's track recordings",
            lambda: self._v1.rooms(window.room_sid).recordings.page(
                date_created_after=after, date_created_before=before, page_size=self._transport.page_size
            ),
        )

    def _refresh(self, window: Window) -> None:
        """Bring what the registry has of a window up to date, asking Twilio only what may
        have changed: the tracks of an open window, or of a closed one while any is still
        processing (over its own time span), and a composition still on its way."""
        self._refresh_tracks(window)
        self._refresh_composition(window)

    def _refresh_tracks(self, window: Window) -> None:
        if window.deleted:
            return
        if (
            window.open
            or not window.listed
            or any(_settled(window.seen.get(sid, {}).get("status")) == 0 for sid in window.tracks)
        ):
            self._claim_tracks(window)
            self._file_seen(window)

    def _refresh_composition(self, window: Window) -> None:
        composition = window.composition
        if window.deleted or not (composition and composition.startswith("CJ")):
            return
        if window.composed is not None and window.composed.get("status") in _FINAL_COMPOSITION:
            return
        instance = self._transport.call("fetch composition", self._v1.compositions(composition).fetch)
        window.composed = _composed(instance)
        self._registry.update("window", window.id, lambda entry: {**entry, "composed": window.composed})

    def _file_seen(self, window: Window, *, closed: bool = False) -> None:
        """File what was just learnt of the window's tracks and claims (merged: a status
        callback may have filed a later word on a track meanwhile), whether they were
        listed, and (``closed``) that it closed."""

        def merge(entry: dict[str, Any]) -> None:
            if closed:
                entry.update(stopped_at=window.to_entry()["stopped_at"], open=False, composition=window.composition)
            if window.listed and not entry.get("listed", True):
                entry["listed"] = True
                if entry["composition"] == WAITING_FOR_ROOM and window.composition == NOTHING_TO_COMPOSE:
                    entry["composition"] = NOTHING_TO_COMPOSE
            entry["tracks"] = entry["tracks"] + [sid for sid in window.tracks if sid not in entry["tracks"]]
            seen = entry.setdefault("seen", {})
            for sid, answer in window.seen.items():
                if _settled(answer.get("status")) >= _settled(seen.get(sid, {}).get("status")):
                    seen[sid] = answer
            window.seen = dict(seen)

        self._registry.update("window", window.id, merge)

    def _present(self, window: Window) -> list[SimpleNamespace]:
        """The window's track recordings as last filed, those deleted left out (attribute access, as the SDK's)."""
        return [_filed(answer) for answer in _present_answers(window)]

    def compose(self, window: Window) -> None:
        """Ask Twilio for the composition of a closed window of an ended room."""
        self._refresh_tracks(window)
        found = self._present(window)
        audio = [i.sid for i in found if i.type == "audio"]
        video = [i for i in found if i.type == "video"]
        if not (audio or video):
            window.composition = NOTHING_TO_COMPOSE
            self._save(window)
            return
        resolution = window.resolution or options.composition_resolution(None)
        arguments: dict[str, Any] = {"room_sid": window.room_sid, "resolution": str(resolution)}
        arguments["format"] = window.format
        if audio and window.has_audio:
            arguments["audio_sources"] = audio
        if video and window.has_video:
            tracks = self.recorded_tracks(window.room_sid, video, window.layout)
            regions = layouts.window_layout(window.layout, resolution, tracks)
            if regions:  # a custom layout may place none of the window's tracks
                arguments["video_layout"] = regions
        if "audio_sources" not in arguments and "video_layout" not in arguments:
            window.composition = NOTHING_TO_COMPOSE
            self._save(window)
            return
        self._settings.default_callback(arguments)
        created = create_composition_once(self._transport, "compose recording", arguments)
        window.composition = translate.sid(created)
        window.composed = _composed(created)
        self._save(window)
        self.remember_layout(window.composition, window.layout)

    # --- custom layouts: the tracks a composition shows, placed by the layout's selectors ---

    def placed_layout(
        self, room_sid: str, layout: Layout, resolution: Resolution, sources: Sequence[str]
    ) -> dict[str, Any]:
        """A custom layout's ``video_layout`` for a composition of an ended room: the
        room's video recordings that ``sources`` (patterns, as Twilio reads them)
        choose, placed by the layout's selectors (no region when none is placed)."""
        found = [
            instance
            for instance in self._transport.pages(
                "list the room's track recordings",
                lambda: self._v1.rooms(room_sid).recordings.page(page_size=self._transport.page_size),
            )
            if instance.type == "video"
            and instance.status in _COMPOSABLE
            and layouts.matches(sources, _patterned_names(instance))
        ]
        return layouts.place_tracks(layout, resolution, self.recorded_tracks(room_sid, found, layout))

    def recorded_tracks(
        self, room_sid: str, instances: Iterable[Any], layout: Layout | None
    ) -> list[layouts.RecordedTrack]:
        """Video track recordings of an ended room as the core placement sees their
        tracks. The track comes from the one translator of published tracks (its name
        and video source as anyvideo reports the stream); the identity from the room's
        participants, listed only when the layout selects by identity."""
        by_identity = layout is not None and any(SelectBy.IDENTITY in s.by for r in layout.regions for s in r.sources)
        identities = self._identities(room_sid) if by_identity else {}
        tracks = []
        for instance in instances:
            participant_sid = _participant_sid(instance)
            stream = translate.stream(_published(instance), room_sid, participant_sid or "")
            candidate = Candidate(
                stream_id=stream.id,
                identity=None if participant_sid is None else identities.get(participant_sid),
                name=stream.name,
                source=stream.video_source,
            )
            tracks.append(layouts.RecordedTrack(translate.sid(instance), candidate))
        return tracks

    def _identities(self, room_sid: str) -> dict[str, str]:
        """Participant SID -> identity, for the participants of an ended room (all disconnected)."""
        return {
            participant.id: participant.identity
            for participant in (
                translate.participant(instance)
                for instance in self._transport.pages(
                    "list the room's participants",
                    lambda: self._v1.rooms(room_sid).participants.page(
                        status="disconnected", page_size=self._transport.page_size
                    ),
                )
            )
        }

    def standing(self, window: Window) -> tuple[RecordingStatus, dict[str, Any]]:
        """The window's status and its composition's (``{"sid": ..., "status": ...}``; empty for an
        individual window), as :meth:`recording` reports them, without building its files (no request)."""
        track_statuses = [
            statuses.recording_status(window.seen[sid].get("status"))
            if sid in window.seen
            else RecordingStatus.PROCESSING
            for sid in window.tracks
        ]
        if not (window.open or window.listed or window.tracks):
            track_statuses.append(RecordingStatus.PROCESSING)  # its tracks are not known yet
        status = RecordingStatus.DELETED if window.deleted else statuses.window_status(window.open, track_statuses)
        composition: dict[str, Any] = {}
        if window.mode is RecordingMode.COMPOSED and window.composition is not None:
            # A composed recording is its one mixed file: PROCESSING until the composition
            # is done (Twilio composes once the room has ended), then that file alone.
            composition = {"sid": None, "status": window.composition}
            if window.composition == WAITING_FOR_ROOM and not window.deleted:
                status = RecordingStatus.PROCESSING
            elif window.composition.startswith("CJ") and not window.deleted:
                composed = window.composed or {}
                composition = {"sid": window.composition, "status": composed.get("status")}
                status = statuses.composed_window_status(composed.get("status"))
        return status, composition

    def _recording(self, window: Window, standing: tuple[RecordingStatus, dict[str, Any]] | None = None) -> Recording:
        """The core recording of a window from what the registry has of it (no request)."""
        found = [] if window.deleted else _present_answers(window)
        status, composition = standing or self.standing(window)
        files: list[MediaFile] = []
        if window.mode is RecordingMode.INDIVIDUAL:
            files = [_track_file(window, answer) for answer in found if answer.get("status") == "completed"]
        elif composition.get("sid") and composition["status"] == "completed":
            composed = window.composed or {}
            files = [
                translate.composition_file(
                    SimpleNamespace(sid=window.composition, format=window.format, size=composed.get("size"))
                )
            ]
        stopped = window.stopped_at
        return Recording(
            id=window.id,
            provider=PROVIDER,
            room_id=window.room_sid,
            mode=window.mode,
            status=status,
            name=window.name,
            layout=window.layout,
            resolution=window.resolution,
            has_audio=window.has_audio,
            has_video=window.has_video,
            started_at=window.started_at,
            stopped_at=stopped,
            duration=None if stopped is None else (stopped - window.started_at).total_seconds(),
            files=tuple(files),
            raw={
                "window": window.to_entry(),
                "track_recordings": found,
                "composition": composition,
            },
        )

    def _window_rules(self, spec: RecordingSpec) -> tuple[TrackRule, ...]:
        """The recording rules a window sets: every track of the kinds asked for, or the given rules."""
        allowed_options(spec.provider_options, options.RECORDING_OPTIONS, provider=PROVIDER, where="for a recording")
        given = spec.provider_options.get("rules")
        if given is not None:
            return rule_set(given, subscribe=False)
        if spec.has_audio and spec.has_video:
            return (TrackRule.include_all(),)
        return (TrackRule(_INCLUDE, kind="audio" if spec.has_audio else "video"),)

    def _empty(self, room_id: str | None) -> Iterator[Recording]:
        """Closed windows that captured no track (no track recording stands for them)."""
        for window_id, entry in self._registry.find("window", **({"room_sid": room_id} if room_id else {})):
            if not entry["tracks"] and not entry["open"]:
                window = Window.from_entry(window_id, entry)
                if not window.listed:  # the listing passed every track recording of its room: it has none
                    self._listed_now(window)
                    self._file_seen(window)
                yield self._recording(window)

    def sources(self, spec: CompositionSpec) -> list[str]:
        """A composition's source patterns: chosen tracks, chosen recordings (a window
        stands for its track recordings), else every track."""
        if spec.stream_ids is None and spec.recording_ids is None:
            return ["*"]
        chosen = list(spec.stream_ids or ())
        for recording_id in spec.recording_ids or ():
            chosen += self.window(recording_id).tracks if is_window_id(recording_id) else [recording_id]
        if not chosen:
            raise InvalidRequest("recording_ids", "the chosen recordings captured no track")
        return chosen

    def remember_layout(self, composition_sid: str, layout: Layout | None) -> None:
        """Keep the portable layout a composition was asked for (Twilio keeps only its regions)."""
        if layout is not None:
            self._registry.put("composition", composition_sid, {"layout": layout_entry(layout)})

    def layout_of(self, composition_sid: str) -> Layout | None:
        """The layout :meth:`remember_layout` kept for a composition, if any."""
        entry = self._registry.get("composition", composition_sid)
        return layout_from(entry["layout"]) if entry else None

    def has_file(self, window_id: str, sid: str) -> bool:
        """Whether ``sid`` (a track recording or composition) is one of the window's files."""
        window = self.window(window_id)
        return sid == window.composition or sid in window.tracks

    def compose_waiting(self, room_sid: str) -> None:
        """Compose the closed windows of ``room_sid`` that waited for it to end."""
        for window_id, _ in self._registry.find("window", room_sid=room_sid, composition=WAITING_FOR_ROOM):
            self.compose(self.window(window_id))


def made_rules(sdk: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The recording rules a room starts with, from the arguments it is created with."""
    if "recording_rules" in sdk:
        return list(sdk["recording_rules"]["rules"])
    return [TrackRule.include_all().as_dict()] if sdk.get("record_participants_on_connect") else []


def _present_answers(window: Window) -> list[dict[str, Any]]:
    """The window's track recordings as last filed (their JSON), those deleted left out."""
    seen = window.seen
    return [seen[sid] for sid in window.tracks if sid in seen and seen[sid].get("status") != _DELETED]


def _track_file(window: Window, answer: Mapping[str, Any]) -> MediaFile:
    """The file of a track recording as filed, saying whose track it is as far as Twilio
    tells: the published track (``source_sid``), its participant, kind, when it started
    in the window (Twilio dates in whole seconds) and how long it lasted."""
    grouping = answer.get("grouping_sids")
    participant = grouping.get("participant_sid") if isinstance(grouping, dict) else None
    created = _filed_time(answer.get("date_created"))
    duration, source, kind = answer.get("duration"), answer.get("source_sid"), answer.get("type")
    return translate.track_file(
        answer,
        stream_id=source if isinstance(source, str) and source else None,
        participant_id=participant if isinstance(participant, str) and participant else None,
        kind=statuses.TRACK_KIND.get(kind if isinstance(kind, str) else ""),
        offset=None if created is None else max(0.0, (created - window.started_at).total_seconds()),
        duration=float(duration) if isinstance(duration, int) and not isinstance(duration, bool) else None,
    )


#: Track recordings Twilio composes (those still processing once they complete).
_COMPOSABLE = ("processing", "completed")


def _participant_sid(instance: Any) -> str | None:
    """The SID of the participant whose track a track recording recorded, if Twilio says (``grouping_sids``)."""
    grouping = instance.grouping_sids or {}
    participant = grouping.get("participant_sid") if isinstance(grouping, Mapping) else None
    if not isinstance(grouping, Mapping) or not isinstance(participant, str | None):
        raise MalformedAnswer(f"answered a track recording whose grouping_sids are {grouping!r:.60}")
    return participant


def _patterned_names(instance: Any) -> tuple[str, ...]:
    """What Twilio's source patterns match a track recording by: its track name, track,
    recording and participant SIDs."""
    names = (instance.track_name, instance.source_sid, instance.sid, _participant_sid(instance))
    return tuple(name for name in names if isinstance(name, str))


def _published(instance: Any) -> SimpleNamespace:
    """The published track a track recording recorded, in the fields the stream
    translator reads (``translate.stream``), so a recorded track is the stream
    anyvideo reported while it was published."""
    return SimpleNamespace(
        sid=instance.source_sid,
        kind=instance.type,
        name=instance.track_name,
        enabled=True,
        date_created=instance.date_created,
    )


#: A track recording's status -> how settled it is: a callback or a listing never
#: files a less settled word over a more settled one (a late ``recording-started``).
_SETTLED_RANK: Mapping[str, int] = {"processing": 0, "completed": 1, "failed": 1, "deleted": 2}
_DELETED = "deleted"
#: Stands in ``listed``'s tracks still to come for a window whose tracks are not known yet.
_HELD = ""
#: Composition statuses that do not change any more.
_FINAL_COMPOSITION = ("completed", "failed", "deleted")
_UNSET = values.unset


#: The room entry's field for its closed windows whose tracks were not listed yet, oldest
#: first: ``[id, started, stopped]`` each.
UNLISTED = "unlisted"
#: The room entry's field for the recording rules anyvideo set last (absent: it does not know them).
RULES = "rules"


def _listed(window_id: str, entry: dict[str, Any]) -> None:
    """A room entry once the window's tracks were listed: no longer among those to list."""
    entry[UNLISTED] = [span for span in entry.get(UNLISTED, ()) if span[0] != window_id]


def _settled(status: str | None) -> int:
    return _SETTLED_RANK.get(status or "", 0)


def _composed(instance: Any) -> dict[str, Any]:
    """What a window keeps of its composition's answer."""
    size = instance.size
    return {"status": instance.status, "size": size if isinstance(size, int) and not isinstance(size, bool) else None}


def _filed_time(value: Any) -> datetime | None:
    """A time as filed (ISO 8601 text; a datetime while it is being filed), or ``None``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return translate.aware(value) if isinstance(value, datetime) else None


def _filed(answer: Mapping[str, Any]) -> SimpleNamespace:
    """A filed track recording answer read as the SDK's instance is (its creation date a datetime again)."""
    created = answer.get("date_created")
    return SimpleNamespace(
        **{
            **{name: None for name in _TRACK_FIELDS},
            **answer,
            "date_created": datetime.fromisoformat(created) if isinstance(created, str) else created,
        }
    )


#: The fields of a track recording the window's readers use (absent from a filed answer: None).
_TRACK_FIELDS = (
    "sid",
    "status",
    "type",
    "source_sid",
    "track_name",
    "grouping_sids",
    "date_created",
    "duration",
    "size",
    "container_format",
)


def _date(moment: datetime | None) -> datetime:
    # The SDK leaves a time it cannot parse as text.
    aware = translate.aware(moment) if isinstance(moment, datetime) else None
    if aware is None:
        raise MalformedAnswer(f"answered without a date where one was due (got {moment!r:.40})")
    return aware
