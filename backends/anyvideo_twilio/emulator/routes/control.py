"""Twilio's client-side rules for the control API's browsers: a Twilio client
publishes one track per kind, audio only in an audio-only room, within the
room's track limit, each with a name unique among its own tracks; and the bulk
seeding of track recordings."""

from __future__ import annotations

from typing import Any

import attrs

from anyvideo.errors import NotFound
from anyvideo.models import RecordingMode, StreamKind
from anyvideo.testing.seeding import SEED_PATH, SeedRequest
from anyvideo.testing.server import CONTROL_PREFIX, HttpError, Request, route
from anyvideo_twilio.emulator.face import SEEDED
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.routes.rooms import PEER_TO_PEER
from anyvideo_twilio.emulator.translate import track_name

__all__ = ["ControlRoutes"]


class ControlRoutes(Reactions):
    @route("POST", CONTROL_PREFIX + "/participants/{participant_id}/publish")
    def _control_publish(self, request: Request) -> Any:
        body = request.json()
        kind = body.get("kind", StreamKind.AUDIO_VIDEO.value)
        participant = self.world.get_participant(request.params["participant_id"])
        room = self.world.get_room(participant.room_id)
        if kind == StreamKind.AUDIO_VIDEO.value:
            raise HttpError(400, "a Twilio client publishes one track per kind: publish 'audio' and 'video' apart")
        if kind == StreamKind.VIDEO.value and room.options["audio_only"]:
            raise HttpError(403, f"room {room.id} is audio-only: it takes no video tracks")
        published = list(self.world.streams(room.id))
        limit = room.options["max_concurrent_published_tracks"]
        if limit and len(published) >= limit:
            raise HttpError(409, f"room {room.id} already has {limit} published tracks, its limit")
        name = body.get("name")
        if name and any(s.participant_id == participant.id and track_name(s) == name for s in published):
            raise HttpError(409, f"participant {participant.id} already publishes a track named {name!r}")
        return super()._control_publish(request)

    @route("POST", SEED_PATH)
    def _control_seed_recordings(self, request: Request) -> Any:
        """Completed audio track recordings of a group room, as if its recording rules had
        recorded one participant's track that long (:mod:`anyvideo.testing.seeding`).
        What the face keeps about them lives in their records: its memory does not grow."""
        asked = SeedRequest.parse(request)
        try:
            room = self.world.get_room(asked.room)
        except NotFound:
            raise HttpError(404, f"no room {asked.room!r}") from None
        if room.options["type"] in PEER_TO_PEER:
            raise HttpError(409, f"a {room.options['type']} room cannot be recorded")
        kept = {
            "settings": attrs.asdict(self.state.settings["recording"]),
            "status_callback": room.options["status_callback"],
            "status_callback_method": room.options["status_callback_method"],
        }
        seeded = self.world.seed_recordings(
            room.id,
            asked.count,
            mode=RecordingMode.INDIVIDUAL,
            kind=StreamKind.AUDIO,
            per_stream=True,
            seconds=asked.seconds,
            options={SEEDED: kept},
        )
        return SeedRequest.answer(seeded)
