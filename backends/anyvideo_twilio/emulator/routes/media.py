"""Media: ``/v1/Recordings/{Sid}/Media``, ``/v1/Rooms/{RoomSid}/Recordings/{Sid}/Media``
and ``/v1/Compositions/{Sid}/Media``.

As Twilio does, each answers ``302 Found`` with ``{"redirect_to": url}`` (and
``Location``): a signed URL, valid ``Ttl`` seconds (default 600, 1 to 3600),
that serves the file without credentials. Here that URL is the emulator's own
``/media/...``, serving the simulated platform's bytes. Media that is not
available (still processing, deleted) is a 404.
"""

from __future__ import annotations

from anyvideo.errors import Conflict, NotFound
from anyvideo.sim.records import RecordingRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_twilio.emulator import errors
from anyvideo_twilio.emulator.face import MEDIA_PREFIX
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.translate import container

__all__ = ["MediaRoutes"]

DEFAULT_TTL, MAX_TTL = 600, 3600
#: Content types, by file extension (Twilio's for Matroska tracks and composed files).
CONTENT_TYPES = {"mka": "audio/x-matroska", "mkv": "video/x-matroska", "mp4": "video/mp4", "webm": "video/webm"}


class MediaRoutes(Reactions):
    @route("GET", "/v1/Recordings/{Sid}/Media")
    def recording_media(self, request: Request) -> Response:
        return self._redirect_to_recording(request, self.track_recording(request, request.params["Sid"]))

    @route("GET", "/v1/Rooms/{RoomSid}/Recordings/{Sid}/Media")
    def room_recording_media(self, request: Request) -> Response:
        room = self.room_of(request)
        recording = self.track_recording(request, request.params["Sid"])
        if recording.room_id != room.id:
            raise errors.NOT_FOUND(path=request.path)
        return self._redirect_to_recording(request, recording)

    @route("GET", "/v1/Compositions/{Sid}/Media")
    def composition_media(self, request: Request) -> Response:
        entry = self.state.compositions.get(request.params["Sid"])
        if entry is None or not self._available("composition", entry.sid):
            raise errors.NOT_FOUND(path=request.path)
        return self._redirect(request, f"{MEDIA_PREFIX}composition/{entry.sid}/{entry.sid}.{entry.params.format}")

    def _redirect_to_recording(self, request: Request, recording: RecordingRecord) -> Response:
        stream = self.recording_parts(recording)[0]
        if not self._available("recording", recording.id):
            raise errors.NOT_FOUND(path=request.path)
        return self._redirect(request, f"{MEDIA_PREFIX}recording/{recording.id}/{recording.id}.{container(stream)}")

    def _available(self, kind: str, sid: str) -> bool:
        try:
            self.world.media(kind, sid, self._world_file(kind, sid))
        except (Conflict, NotFound):
            return False
        return True

    def _world_file(self, kind: str, sid: str) -> str:
        """The name the simulated platform gives the file: a track recording's
        is its track's, a composition's its own."""
        if kind == "recording":
            recording = self.world.get_recording(sid)
            assert recording.stream_ids is not None
            return f"{recording.stream_ids[0]}.sim"
        return f"{sid}.sim"

    def _redirect(self, request: Request, path: str) -> Response:
        query = self.query(request)
        ttl = query.integer("Ttl", DEFAULT_TTL, low=1, high=MAX_TTL)
        assert ttl is not None
        name = path.rsplit("/", 1)[1]
        disposition = query.text("ContentDisposition") or f'attachment; filename="{name}"'
        location = self.media_url(request, path, ttl=ttl, disposition=disposition)
        return Response.json({"redirect_to": location}, 302, {"Location": location})

    @route("GET", MEDIA_PREFIX + "{kind}/{sid}/{name}")
    def media_file(self, request: Request) -> Response:
        """The signed URL itself (checked in ``authenticate``): the file's bytes."""
        kind, sid, name = (request.params[p] for p in ("kind", "sid", "name"))
        try:
            data = self.world.media(kind, sid, self._world_file(kind, sid))
        except (Conflict, NotFound, ValueError):
            raise errors.NOT_FOUND(path=request.path) from None
        extension = name.rsplit(".", 1)[-1]
        headers = {
            "Content-Type": CONTENT_TYPES[extension],
            "Content-Disposition": request.arg("ContentDisposition") or "",
        }
        return Response(200, data, headers)
