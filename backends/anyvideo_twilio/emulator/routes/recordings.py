"""Track recordings and the rules that make them: ``/v1/Rooms/{RoomSid}/RecordingRules``,
``/v1/Rooms/{RoomSid}/Recordings``, ``/v1/Recordings``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anyvideo.errors import Conflict, NotFound
from anyvideo.models import RecordingStatus, RoomStatus
from anyvideo.sim.records import RecordingRecord
from anyvideo.testing.server import Request, route
from anyvideo_twilio.emulator import errors, rules, sids
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.routes.rooms import PEER_TO_PEER
from anyvideo_twilio.emulator.statuses import RECORDING_STATUS, TRACK_KIND, world_statuses

__all__ = ["RecordingRoutes"]

RECORDING_KINDS = ("audio", "video")


class RecordingRoutes(Reactions):
    # --- recording rules ----------------------------------------------------

    @route("GET", "/v1/Rooms/{RoomSid}/RecordingRules")
    def fetch_recording_rules(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        return self.site(request).recording_rules(room, self.state.rooms[room.id])

    @route("POST", "/v1/Rooms/{RoomSid}/RecordingRules")
    def update_recording_rules(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        if room.options["type"] in PEER_TO_PEER:
            raise errors.ROOM_TYPE_INCOMPATIBLE(detail=f"a {room.options['type']} room cannot be recorded")
        if room.status is not RoomStatus.OPEN:
            raise errors.ROOM_COMPLETED()
        raw = self.form(request).json("Rules", error=errors.RECORDING_RULES_INVALID)
        chosen = rules.parse(raw, kinds=RECORDING_KINDS, error=errors.RECORDING_RULES_INVALID())
        with self.state.lock:
            room_state = self.state.rooms[room.id]
            room_state.rules, room_state.rules_updated_at = chosen, self.clock.now()
            self.enforce_recording_rules(room.id)
        return self.site(request).recording_rules(room, room_state)

    # --- recordings ---------------------------------------------------------

    @route("GET", "/v1/Recordings")
    def list_recordings(self, request: Request) -> dict[str, Any]:
        # An account may hold a great many track recordings: the world reads only
        # what one page needs, in the order they started. Every recording of the
        # world is a track recording (this face starts them all).
        query = self.query(request)
        groups = query.strings("GroupingSid") or []
        rooms = [group for group in groups if sids.is_sid(group, "RM")]
        room_id = rooms[0] if rooms else None  # the room's own recordings, not the account's
        return self.listing_of(
            request,
            RecordingRecord,
            key="recordings",
            render=self._render_recording(request),
            max_size=100,
            room_id=room_id,
            **self._filter(query, room_id),
        )

    @route("GET", "/v1/Recordings/{Sid}")
    def fetch_recording(self, request: Request) -> dict[str, Any]:
        return self._render_recording(request)(self.track_recording(request, request.params["Sid"]))

    @route("DELETE", "/v1/Recordings/{Sid}")
    def delete_recording(self, request: Request) -> None:
        self._delete(request, self.track_recording(request, request.params["Sid"]))

    @route("GET", "/v1/Rooms/{RoomSid}/Recordings")
    def list_room_recordings(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        render = self._render_recording(request, in_room=True)
        filters = self._filter(self.query(request), room.id)
        return self.listing_of(request, RecordingRecord, key="recordings", render=render, room_id=room.id, **filters)

    @route("GET", "/v1/Rooms/{RoomSid}/Recordings/{Sid}")
    def fetch_room_recording(self, request: Request) -> dict[str, Any]:
        return self._render_recording(request, in_room=True)(self.room_recording(request))

    @route("DELETE", "/v1/Rooms/{RoomSid}/Recordings/{Sid}")
    def delete_room_recording(self, request: Request) -> None:
        self._delete(request, self.room_recording(request))

    def room_recording(self, request: Request) -> RecordingRecord:
        room = self.room_of(request)
        recording = self.track_recording(request, request.params["Sid"])
        if recording.room_id != room.id:
            raise errors.NOT_FOUND(path=request.path)
        return recording

    def _render_recording(
        self, request: Request, *, in_room: bool = False
    ) -> Callable[[RecordingRecord], dict[str, Any]]:
        site = self.site(request)
        shape = site.room_recording if in_room else site.recording
        return lambda recording: shape(recording, *self.recording_parts(recording))

    def _delete(self, request: Request, recording: RecordingRecord) -> None:
        try:
            self.world.delete_recording(recording.id)
        except Conflict:
            raise errors.invalid(f"Recording {recording.id} is still being captured") from None
        except NotFound:
            raise errors.NOT_FOUND(path=request.path) from None
        with self.state.lock:
            self.kept_extra(recording).deleted_at = self.clock.now()

    def _filter(self, query: Params, room_id: str | None) -> dict[str, Any]:
        """A list's filters, as the world's :meth:`~anyvideo.sim.World.scan` takes them:
        the status by index (deleted recordings only when asked for), the rest by ``keep``
        (but the ``room_id`` the listing is already limited to)."""
        status = query.choice("Status", tuple(dict.fromkeys(RECORDING_STATUS.values())))
        source, media = query.text("SourceSid"), query.choice("MediaType", tuple(TRACK_KIND.values()))
        groups = [group for group in query.strings("GroupingSid") or [] if group != room_id]
        after, before = query.moment("DateCreatedAfter"), query.moment("DateCreatedBefore")
        indexed: dict[str, Any] = {"not_status": RecordingStatus.DELETED.value}
        if status is not None:
            indexed = {"statuses": sorted(s.value for s in world_statuses(RECORDING_STATUS, status))}
        if not (source or media or groups or after or before):
            return indexed

        def keep(recording: RecordingRecord) -> bool:
            if (after and recording.started_at < after) or (before and recording.started_at >= before):
                return False
            if not (source or media or groups):
                return True  # no need to look up the track and room
            stream, room, _ = self.recording_parts(recording)
            if (source and stream.id != source) or (media and TRACK_KIND[stream.kind] != media):
                return False
            return all(group in (room.id, stream.participant_id) for group in groups)

        return {**indexed, "keep": keep}
