"""``/v1/Rooms``: create, fetch (by SID or unique name), list, complete."""

from __future__ import annotations

from functools import partial
from typing import Any

from anyvideo.errors import Conflict
from anyvideo.models import RoomStatus
from anyvideo.sim.records import RoomRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_twilio.emulator import errors, rules
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.routes.transcriptions import room_configuration
from anyvideo_twilio.emulator.statuses import ROOM_STATUS, world_statuses

__all__ = ["RoomRoutes"]

#: Most participants each type of room holds (also its default).
ROOM_TYPES = {"group": 50, "group-small": 4, "peer-to-peer": 10, "go": 2}
#: Types whose media flows peer to peer, so Twilio cannot record them.
PEER_TO_PEER = ("peer-to-peer", "go")
#: Most tracks published at once in a room (0: no limit), by type.
MAX_PUBLISHED_TRACKS = {"group": 170, "group-small": 170, "peer-to-peer": 0, "go": 0}
MEDIA_REGIONS = ("us1", "us2", "ie1", "de1", "au1", "br1", "jp1", "sg1", "in1", "gll")
VIDEO_CODECS = ("VP8", "H264")
MAX_NAME = 128


class RoomRoutes(Reactions):
    @route("POST", "/v1/Rooms")
    def create_room(self, request: Request) -> Response:
        form = self.form(request)
        kind = form.choice("Type", tuple(ROOM_TYPES), "group", error=errors.ROOM_TYPE_INVALID)
        assert kind is not None
        name = form.text("UniqueName")
        if name is not None and len(name) > MAX_NAME:
            raise errors.ROOM_NAME_TOO_LONG()
        limit = ROOM_TYPES[kind]
        out_of_range = partial(errors.MAX_PARTICIPANTS_OUT_OF_RANGE, detail=f"a {kind} room holds 1 to {limit}")
        record = form.boolean("RecordParticipantsOnConnect", False)
        recording_rules = form.json("RecordingRules", error=errors.RECORDING_RULES_INVALID)
        if recording_rules is not None:
            recording_rules = rules.parse(
                recording_rules, kinds=("audio", "video"), error=errors.RECORDING_RULES_INVALID()
            )
        if kind in PEER_TO_PEER and (record or recording_rules is not None):
            raise errors.ROOM_TYPE_INCOMPATIBLE(detail=f"a {kind} room cannot be recorded")
        transcribed = room_configuration(form)
        if transcribed is not None and kind not in ("group", "group-small"):
            raise errors.ROOM_TYPE_INCOMPATIBLE(detail=f"a {kind} room cannot be transcribed")
        audio_only = form.boolean("AudioOnly", False)
        codecs = form.strings("VideoCodecs") or ["VP8"]
        if any(codec not in VIDEO_CODECS for codec in codecs):
            raise errors.invalid(f"VideoCodecs must be among {', '.join(VIDEO_CODECS)}")
        form.boolean("EnableTurn")  # deprecated: checked, then always true
        options: dict[str, Any] = {
            "type": kind,
            "status_callback": form.url("StatusCallback", error=errors.STATUS_CALLBACK_INVALID),
            "status_callback_method": form.choice(
                "StatusCallbackMethod", ("GET", "POST"), "POST", error=errors.STATUS_CALLBACK_METHOD_INVALID
            ),
            "max_participant_duration": form.integer("MaxParticipantDuration", 14400, low=600, high=86400),
            "max_concurrent_published_tracks": MAX_PUBLISHED_TRACKS[kind],
            "record_participants_on_connect": record,
            "recording_rules": None
            if recording_rules is None
            else [r.as_dict(with_nulls=True) for r in recording_rules],
            "video_codecs": [] if audio_only else codecs,
            "media_region": form.choice("MediaRegion", MEDIA_REGIONS, "us1", error=errors.MEDIA_REGION_INVALID),
            "audio_only": audio_only,
            "empty_room_timeout": self._timeout(form, "EmptyRoomTimeout"),
            "unused_room_timeout": self._timeout(form, "UnusedRoomTimeout"),
            "large_room": form.boolean("LargeRoom", False),
        }
        max_participants = form.integer("MaxParticipants", limit, low=1, high=limit, error=out_of_range)
        try:
            room = self.world.create_room(name, max_participants=max_participants, options=options)
        except Conflict:
            raise errors.ROOM_EXISTS() from None
        if transcribed is not None:
            self.start_transcription(room, transcribed, room.created_at)
        return Response.json(self.site(request).room(room), 201)

    @staticmethod
    def _timeout(form: Params, name: str) -> int:
        # minutes; Twilio's default is 5
        return form.integer(
            name, 5, low=1, high=60, error=partial(errors.TIMEOUT_OUT_OF_RANGE, detail=f"{name} is 1 to 60")
        )

    @route("GET", "/v1/Rooms/{RoomSid}")
    def fetch_room(self, request: Request) -> dict[str, Any]:
        return self.site(request).room(self.room_of(request))

    @route("POST", "/v1/Rooms/{RoomSid}")
    def update_room(self, request: Request) -> Response:
        room = self.room_of(request)
        if self.form(request).text("Status", required=True) != ROOM_STATUS[RoomStatus.ENDED]:
            raise errors.STATUS_INVALID()
        if room.status is not RoomStatus.OPEN:
            raise errors.ROOM_COMPLETED()
        return Response.json(self.site(request).room(self.world.end_room(room.id)), 202)

    @route("GET", "/v1/Rooms")
    def list_rooms(self, request: Request) -> dict[str, Any]:
        query = self.query(request)
        # Without a Status, Twilio lists the rooms in progress.
        status = query.choice("Status", tuple(ROOM_STATUS.values()), ROOM_STATUS[RoomStatus.OPEN])
        name, after, before = (
            query.text("UniqueName"),
            query.moment("DateCreatedAfter"),
            query.moment("DateCreatedBefore"),
        )

        def keep(room: RoomRecord) -> bool:
            return (
                (name is None or (room.name or room.id) == name)
                and (after is None or room.created_at >= after)
                and (before is None or room.created_at < before)
            )

        statuses = sorted(s.value for s in world_statuses(ROOM_STATUS, status))
        filtered = keep if (name, after, before) != (None, None, None) else None
        site = self.site(request)
        return self.listing_of(request, RoomRecord, key="rooms", render=site.room, statuses=statuses, keep=filtered)
