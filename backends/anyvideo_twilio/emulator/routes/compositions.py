"""Compositions and composition hooks: ``/v1/Compositions``, ``/v1/CompositionHooks``.

Twilio composes a room after it has ended, from its track recordings. A
composition waits ``enqueued`` until the room's recordings are all processed,
then the world renders it (``processing``, then ``completed``). Every enabled
hook enqueues one composition of each room that ends with recordings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from anyvideo.errors import NotFound
from anyvideo.models import CompositionStatus, RoomStatus
from anyvideo.sim.records import CompositionRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_twilio.emulator import errors, layouts, sids
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.state import DEFAULT_FORMAT, DEFAULT_RESOLUTION, CompositionEntry, CompositionParams, Hook
from anyvideo_twilio.emulator.translate import composition_status

__all__ = ["CompositionRoutes"]

FORMATS = ("mp4", "webm")
COMPOSITION_STATUSES = ("enqueued", "processing", "completed", "deleted", "failed")
MAX_FRIENDLY_NAME = 100
_RESOLUTION = re.compile(r"([0-9]{2,4})x([0-9]{2,4})")
# Twilio's bounds: each side 16 to 1280 pixels, at most 921,600 pixels in all.
_MIN_SIDE, _MAX_SIDE, _MAX_AREA = 16, 1280, 921_600


def composition_params(form: Params, *, kept: CompositionParams | None = None) -> CompositionParams:
    """What to compose, as a composition or a hook is asked; omitted values take
    Twilio's defaults (a hook update resets what it leaves out), except that an
    update of hook ``kept`` naming neither ``VideoLayout`` nor ``AudioSources``
    keeps what the hook composes (its layout and audio sources, and the excluded
    ones unless given): the spec requires only ``FriendlyName`` of an update."""
    raw_layout = form.json("VideoLayout")
    layout = None if raw_layout is None else layouts.normalize(raw_layout)
    audio = tuple(form.strings("AudioSources") or ())
    excluded = form.strings("AudioSourcesExcluded")
    if kept is not None and raw_layout is None and form.strings("AudioSources") is None:
        layout, audio = kept.video_layout, kept.audio_sources
        excluded = list(kept.audio_sources_excluded) if excluded is None else excluded
    if not audio and not layout:
        raise errors.invalid("Either VideoLayout or AudioSources must be given")
    resolution = form.text("Resolution", DEFAULT_RESOLUTION)
    assert resolution is not None
    match = _RESOLUTION.fullmatch(resolution)
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (_MIN_SIDE <= width <= _MAX_SIDE and _MIN_SIDE <= height <= _MAX_SIDE and width * height <= _MAX_AREA):
        raise errors.invalid(
            f"Resolution {resolution!r} is not WIDTHxHEIGHT within 16x16 to 1280x1280 (921,600 pixels)"
        )
    return CompositionParams(
        video_layout=layout,
        audio_sources=audio,
        audio_sources_excluded=tuple(excluded or ()),
        resolution=resolution,
        format=form.choice("Format", FORMATS, DEFAULT_FORMAT) or DEFAULT_FORMAT,
        trim=bool(form.boolean("Trim", True)),
        status_callback=form.url("StatusCallback", error=lambda: errors.invalid("StatusCallback is not a valid URL")),
        status_callback_method=form.choice("StatusCallbackMethod", ("GET", "POST"), "POST") or "POST",
    )


class CompositionRoutes(Reactions):
    # --- compositions -------------------------------------------------------

    @route("POST", "/v1/Compositions")
    def create_composition(self, request: Request) -> Response:
        form = self.form(request)
        room_sid = form.text("RoomSid", required=True)
        assert room_sid is not None
        params = composition_params(form)
        try:
            room = self.world.get_room(room_sid)
        except NotFound:
            raise errors.NOT_FOUND(path=f"/v1/Rooms/{room_sid}") from None
        if room.status is RoomStatus.OPEN:
            raise errors.invalid(f"Room {room.id} is in progress; Twilio composes a room after it ends")
        with self.state.lock:
            if not self.track_recordings(room_id=room.id):
                raise errors.invalid(f"Room {room.id} has no recordings to compose")
            if self.room_ready(room.id) and not self.composition_sources(room.id, params):
                raise errors.invalid(f"No recorded track of room {room.id} matches the composition's sources")
            entry = self.enqueue_composition(room, params, at=self.clock.now())
            self.start_ready_compositions(room.id)
        return Response.json(self._render_composition(request)(entry), 201)

    def composition_record(self, entry: CompositionEntry) -> CompositionRecord | None:
        return self.world.get_composition(entry.sid) if entry.started else None

    def _render_composition(self, request: Request) -> Callable[[CompositionEntry], dict[str, Any]]:
        site = self.site(request)
        return lambda entry: site.composition(entry, self.composition_record(entry))

    def composition(self, request: Request) -> CompositionEntry:
        entry = self.state.compositions.get(request.params["Sid"])
        if entry is None:
            raise errors.NOT_FOUND(path=request.path)
        return entry

    @route("GET", "/v1/Compositions/{Sid}")
    def fetch_composition(self, request: Request) -> dict[str, Any]:
        return self._render_composition(request)(self.composition(request))

    @route("DELETE", "/v1/Compositions/{Sid}")
    def delete_composition(self, request: Request) -> None:
        entry = self.composition(request)
        record = self.composition_record(entry)
        if record is None or record.status is not CompositionStatus.AVAILABLE:
            if record is not None and record.status is CompositionStatus.DELETED:
                raise errors.NOT_FOUND(path=request.path)
            status = composition_status(entry, record)
            raise errors.invalid(f"Composition {entry.sid} is {status}; only a completed one can be deleted")
        self.world.delete_composition(entry.sid)
        with self.state.lock:
            entry.deleted_at = self.clock.now()

    @route("GET", "/v1/Compositions")
    def list_compositions(self, request: Request) -> dict[str, Any]:
        query = self.query(request)
        status = query.choice("Status", COMPOSITION_STATUSES)
        room_sid = query.text("RoomSid")
        after, before = query.moment("DateCreatedAfter"), query.moment("DateCreatedBefore")
        with self.state.lock:
            entries = list(self.state.compositions.values())
        chosen = [
            entry
            for entry in entries
            if (status is None or composition_status(entry, self.composition_record(entry)) == status)
            and (room_sid is None or entry.room_sid == room_sid)
            and (after is None or entry.created_at >= after)
            and (before is None or entry.created_at < before)
        ]
        render = self._render_composition(request)
        return self.listing(request, chosen, key="compositions", render=render, sid=lambda e: e.sid, max_size=100)

    # --- composition hooks --------------------------------------------------

    def _hook_fields(self, form: Params, *, sid: str | None, kept: Hook | None = None) -> dict[str, Any]:
        name = form.text("FriendlyName", required=True)
        assert name is not None
        if len(name) > MAX_FRIENDLY_NAME:
            raise errors.invalid(f"FriendlyName is longer than {MAX_FRIENDLY_NAME} characters")
        if any(h.friendly_name.lower() == name.lower() and h.sid != sid for h in self.state.hooks.values()):
            raise errors.invalid(f"A CompositionHook named {name!r} already exists")
        return {
            "friendly_name": name,
            "enabled": bool(form.boolean("Enabled", True)),
            "params": composition_params(form, kept=None if kept is None else kept.params),
        }

    def hook(self, request: Request) -> Hook:
        hook = self.state.hooks.get(request.params["Sid"])
        if hook is None:
            raise errors.NOT_FOUND(path=request.path)
        return hook

    @route("POST", "/v1/CompositionHooks")
    def create_hook(self, request: Request) -> Response:
        with self.state.lock:
            hook = Hook(
                sid=sids.new_sid(sids.HOOK),
                created_at=self.clock.now(),
                **self._hook_fields(self.form(request), sid=None),
            )
            self.state.hooks[hook.sid] = hook
        return Response.json(self.site(request).hook(hook), 201)

    @route("GET", "/v1/CompositionHooks/{Sid}")
    def fetch_hook(self, request: Request) -> dict[str, Any]:
        return self.site(request).hook(self.hook(request))

    @route("POST", "/v1/CompositionHooks/{Sid}")
    def update_hook(self, request: Request) -> dict[str, Any]:
        with self.state.lock:
            hook = self.hook(request)
            # Twilio replaces the whole hook: what the update leaves out returns to its default
            # (but what it composes, when the update names neither layout nor audio).
            hook = attrs.evolve(
                hook, updated_at=self.clock.now(), **self._hook_fields(self.form(request), sid=hook.sid, kept=hook)
            )
            self.state.hooks[hook.sid] = hook
        return self.site(request).hook(hook)

    @route("DELETE", "/v1/CompositionHooks/{Sid}")
    def delete_hook(self, request: Request) -> None:
        with self.state.lock:
            del self.state.hooks[self.hook(request).sid]

    @route("GET", "/v1/CompositionHooks")
    def list_hooks(self, request: Request) -> dict[str, Any]:
        query = self.query(request)
        enabled = query.boolean("Enabled")
        name = query.text("FriendlyName")
        after, before = query.moment("DateCreatedAfter"), query.moment("DateCreatedBefore")
        with self.state.lock:
            hooks = list(self.state.hooks.values())
        chosen = [
            hook
            for hook in hooks
            if (enabled is None or hook.enabled == enabled)
            # case-insensitive, with * wildcards
            and (name is None or layouts.matches(name.lower(), [hook.friendly_name.lower()]))
            and (after is None or hook.created_at >= after)
            and (before is None or hook.created_at < before)
        ]
        site = self.site(request)
        return self.listing(request, chosen, key="composition_hooks", render=site.hook, sid=lambda h: h.sid)
