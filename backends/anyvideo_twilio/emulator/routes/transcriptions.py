"""Real-time transcriptions of a room: ``/v1/Rooms/{RoomSid}/Transcriptions[/{Ttid}]``
(list, create, fetch, update), from ``twilio_video_v1.yaml`` and Twilio's
"Real-time Transcriptions for Video" page.

A transcriptions resource is ``started`` when created (answered ``202``), and the
update stops it (``Status=stopped``) or starts it again (``Status=started``), or
changes its ``Configuration``; ``failed`` is Twilio's to set, not a client's. Only a
group room in progress is transcribed: creating or updating one of a completed room is
refused (53118), of a peer-to-peer or Go room too (53114). A room has one started
transcriptions resource at a time (a second create is refused while one runs; start
the stopped one again instead). When the room ends, its started transcriptions stop
at that moment (``end_time``, ``duration``).

``Configuration`` is a JSON object of the properties Twilio documents
(:data:`CONFIGURATION`); they are read without regard to case (the spec's own
example sends ``LanguageCode``) and answered in Twilio's camelCase, with the
language ``en-US`` unless one is given. A room created with
``TranscribeParticipantsOnConnect=true`` starts with one, configured by
``TranscriptionsConfiguration``.
"""

from __future__ import annotations

import re
from typing import Any

from anyvideo.models import RoomStatus
from anyvideo.sim.records import RoomRecord
from anyvideo.testing.server import HttpError, Request, Response, route
from anyvideo_twilio.emulator import errors
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.state import Transcription

__all__ = ["CONFIGURATION", "STATUSES", "TranscriptionRoutes", "configuration"]

#: The statuses of a transcriptions resource (the spec's enum); a client may set the first two.
STATUSES = ("started", "stopped", "failed")
#: The configuration properties Twilio documents, with the type of each value.
CONFIGURATION: dict[str, type] = {
    "languageCode": str,
    "transcriptionEngine": str,
    "speechModel": str,
    "partialResults": bool,
    "profanityFilter": bool,
    "enableAutomaticPunctuation": bool,
    "hints": str,
}
#: The speech engines Twilio offers.
ENGINES = ("google", "deepgram")
DEFAULT_LANGUAGE = "en-US"
_LANGUAGE = re.compile(r"([a-zA-Z]{2,3})(?:-([a-zA-Z0-9]{2,4}))?")
_BY_LOWER = {name.lower(): name for name in CONFIGURATION}
_GROUP_TYPES = ("group", "group-small")


def configuration(raw: Any) -> dict[str, Any]:
    """A ``Configuration`` as Twilio answers it (camelCase names, ``languageCode`` as
    ``ll-CC``, default ``en-US``), or 400 naming what is wrong."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise errors.invalid("Configuration must be a JSON object")
    chosen: dict[str, Any] = {}
    for key, value in raw.items():
        name = _BY_LOWER.get(str(key).lower())
        if name is None:
            raise errors.invalid(f"Configuration has an unknown property {key!r} (known: {', '.join(CONFIGURATION)})")
        if not isinstance(value, CONFIGURATION[name]):
            raise errors.invalid(f"Configuration {name} must be a {CONFIGURATION[name].__name__}")
        chosen[name] = value
    language = _LANGUAGE.fullmatch(chosen.get("languageCode", DEFAULT_LANGUAGE))
    if language is None:
        raise errors.invalid("Configuration languageCode must be a language tag such as en-US")
    chosen["languageCode"] = language[1].lower() + (f"-{language[2].upper()}" if language[2] else "")
    engine = chosen.get("transcriptionEngine")
    if engine is not None:
        if engine.lower() not in ENGINES:
            raise errors.invalid(f"Configuration transcriptionEngine must be one of {', '.join(ENGINES)}")
        chosen["transcriptionEngine"] = engine.lower()
    return chosen


class TranscriptionRoutes(Reactions):
    # --- lookups and the one rule of state ----------------------------------

    def _transcribable(self, room: RoomRecord) -> None:
        if room.options["type"] not in _GROUP_TYPES:
            raise errors.ROOM_TYPE_INCOMPATIBLE(detail=f"a {room.options['type']} room cannot be transcribed")
        if room.status is not RoomStatus.OPEN:
            raise errors.ROOM_COMPLETED()

    def _transcription(self, request: Request, room: RoomRecord) -> Transcription:
        for transcription in self.state.transcriptions.get(room.id, ()):
            if transcription.ttid == request.params["Ttid"]:
                return transcription
        raise errors.NOT_FOUND(path=request.path)

    # --- routes -----------------------------------------------------------------

    @route("GET", "/v1/Rooms/{RoomSid}/Transcriptions")
    def list_transcriptions(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        with self.state.lock:
            kept = list(self.state.transcriptions.get(room.id, ()))
        site = self.site(request)
        return self.listing(
            request, kept, key="transcriptions", render=site.transcription, sid=lambda t: t.ttid, max_size=1000
        )

    @route("POST", "/v1/Rooms/{RoomSid}/Transcriptions")
    def create_transcription(self, request: Request) -> Response:
        room = self.room_of(request)
        self._transcribable(room)
        settings = configuration(self.form(request).json("Configuration", error=_not_json))
        transcription = self.start_transcription(room, settings, self.clock.now())
        return Response.json(self.site(request).transcription(transcription), 202)

    @route("GET", "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}")
    def fetch_transcription(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        with self.state.lock:
            return self.site(request).transcription(self._transcription(request, room))

    @route("POST", "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}")
    def update_transcription(self, request: Request) -> Response:
        room = self.room_of(request)
        form = self.form(request)
        status = form.choice("Status", STATUSES[:2], error=lambda: errors.invalid("Status must be started or stopped"))
        raw = form.json("Configuration", error=_not_json)
        settings = None if raw is None else configuration(raw)
        now = self.clock.now()
        with self.state.lock:
            transcription = self._transcription(request, room)
            self._transcribable(room)
            if status == "started" and transcription.status != "started":
                if any(t.status == "started" for t in self.state.transcriptions[room.id]):
                    raise errors.invalid(f"Room {room.id} is already being transcribed by another transcription")
                transcription.status, transcription.start_time, transcription.end_time = "started", now, None
            elif status == "stopped" and transcription.status == "started":
                transcription.stop(now)
            if settings is not None:
                transcription.configuration = settings
            transcription.updated_at = now
            return Response.json(self.site(request).transcription(transcription), 202)


def _not_json() -> HttpError:
    return errors.invalid("Configuration must be a JSON object")


def room_configuration(form: Params) -> dict[str, Any] | None:
    """What a room create asks to be transcribed with from the start (``None``: not transcribed)."""
    raw = form.json(
        "TranscriptionsConfiguration", error=lambda: errors.invalid("TranscriptionsConfiguration must be JSON")
    )
    if not form.boolean("TranscribeParticipantsOnConnect", False):
        return None
    return configuration(raw)
