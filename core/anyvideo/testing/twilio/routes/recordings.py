"""Track recordings and the rules that make them: ``/v1/Rooms/{RoomSid}/RecordingRules``,
``/v1/Rooms/{RoomSid}/Recordings``, ``/v1/Recordings``."""

from __future__ import annotations

from typing import Any

from anyvideo.errors import Conflict, NotFound
from anyvideo.models import RecordingStatus, RoomStatus
from anyvideo.sim.records import RecordingRecord
from anyvideo.testing.server import Request, route
from anyvideo.testing.twilio import errors, rules
from anyvideo.testing.twilio.params import Params
from anyvideo.testing.twilio.reactions import Reactions
from anyvideo.testing.twilio.routes.rooms import PEER_TO_PEER
from anyvideo.testing.twilio.statuses import RECORDING_STATUS, TRACK_KIND

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
        chosen = self._filtered(self.query(request), self.track_recordings())
        return self.listing(
            request, chosen, key="recordings", render=self._render_recording(request), sid=_sid, max_size=100
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

    def _render_recording(self, request: Request, *, in_room: bool = False):
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
        status = query.choice("Status", tuple(dict.fromkeys(RECORDING_STATUS.values())))
        source, media = query.text("SourceSid"), query.choice("MediaType", tuple(TRACK_KIND.values()))
        groups = query.strings("GroupingSid") or []
        after, before = query.moment("DateCreatedAfter"), query.moment("DateCreatedBefore")
        chosen = []
        for recording in recordings:
            stream, room, _ = self.recording_parts(recording)
            if status is None and recording.status is RecordingStatus.DELETED:
                continue
            if status is not None and RECORDING_STATUS[recording.status] != status:
                continue
            if (source and stream.id != source) or (media and TRACK_KIND[stream.kind] != media):
                continue
            if any(group not in (room.id, stream.participant_id) for group in groups):
                continue
            if (after and recording.started_at < after) or (before and recording.started_at >= before):
                continue
            chosen.append(recording)
        return chosen


def _sid(recording: RecordingRecord) -> str:
    return recording.id
