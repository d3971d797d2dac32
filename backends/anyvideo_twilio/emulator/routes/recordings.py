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
from anyvideo_twilio.emulator.pagination import PAGING, Page, paginate_lazily
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.routes.rooms import PEER_TO_PEER
from anyvideo_twilio.emulator.statuses import RECORDING_STATUS, TRACK_KIND

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
        invalid = errors.RECORDING_RULES_INVALID()
        chosen = rules.parse(self.form(request).json("Rules", error=invalid), kinds=RECORDING_KINDS, error=invalid)
        with self.state.lock:
            room_state = self.state.rooms[room.id]
            room_state.rules, room_state.rules_updated_at = chosen, self.clock.now()
            self.enforce_recording_rules(room.id)
        return self.site(request).recording_rules(room, room_state)

    # --- recordings ---------------------------------------------------------

    @route("GET", "/v1/Recordings")
    def list_recordings(self, request: Request) -> dict[str, Any]:
        # An account may hold a great many track recordings: load only what one
        # page needs, in the order they started (the face notes them as they do).
        query = self.query(request)
        keep = self._filter(query)
        groups = query.strings("GroupingSid") or []
        rooms = [group for group in groups if sids.is_sid(group, "RM")]
        if rooms:  # the room's own recordings, not the account's
            keys = [r.id for r in self.world.recordings(room_id=rooms[0]) if r.id in self.state.recordings]
        else:
            with self.state.lock:
                keys = list(self.state.recordings)

        def load(sid: str) -> RecordingRecord | None:
            recording = self.world.get_recording(sid)
            return recording if keep(recording) else None

        page = Page.parse(query, max_size=100)
        url = self.site(request).base + request.path
        chunk, meta = paginate_lazily(keys, load, page, key="recordings", url=url, filters=query.filters(*PAGING))
        render = self._render_recording(request)
        return {"recordings": [render(recording) for recording in chunk], "meta": meta}

    @route("GET", "/v1/Recordings/{Sid}")
    def fetch_recording(self, request: Request) -> dict[str, Any]:
        return self._render_recording(request)(self.track_recording(request, request.params["Sid"]))

    @route("DELETE", "/v1/Recordings/{Sid}")
    def delete_recording(self, request: Request) -> None:
        self._delete(request, self.track_recording(request, request.params["Sid"]))

    @route("GET", "/v1/Rooms/{RoomSid}/Recordings")
    def list_room_recordings(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        chosen = self._filtered(self.query(request), self.track_recordings(room_id=room.id))
        return self.listing(
            request, chosen, key="recordings", render=self._render_recording(request, in_room=True), sid=_sid
        )

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
            self.state.recordings[recording.id].deleted_at = self.clock.now()

    def _filtered(self, query: Params, recordings: list[RecordingRecord]) -> list[RecordingRecord]:
        """The recordings a list's filters keep; deleted ones only when asked for."""
        keep = self._filter(query)
        return [recording for recording in recordings if keep(recording)]

    def _filter(self, query: Params) -> Callable[[RecordingRecord], bool]:
        """Whether a list's filters keep a recording; deleted ones only when asked for."""
        status = query.choice("Status", tuple(dict.fromkeys(RECORDING_STATUS.values())))
        source, media = query.text("SourceSid"), query.choice("MediaType", tuple(TRACK_KIND.values()))
        groups = query.strings("GroupingSid") or []
        after, before = query.moment("DateCreatedAfter"), query.moment("DateCreatedBefore")

        def keep(recording: RecordingRecord) -> bool:
            if status is None and recording.status is RecordingStatus.DELETED:
                return False
            if status is not None and RECORDING_STATUS[recording.status] != status:
                return False
            if (after and recording.started_at < after) or (before and recording.started_at >= before):
                return False
            if not (source or media or groups):
                return True  # no need to look up the track and room
            stream, room, _ = self.recording_parts(recording)
            if (source and stream.id != source) or (media and TRACK_KIND[stream.kind] != media):
                return False
            return all(group in (room.id, stream.participant_id) for group in groups)

        return keep


def _sid(recording: RecordingRecord) -> str:
    return recording.id
