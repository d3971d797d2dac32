"""Sessions, connections, streams, moderation, signals and migration."""

from __future__ import annotations

import ipaddress
from typing import Any

from anyvideo.errors import NotFound
from anyvideo.sim.records import StreamRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors, translate
from anyvideo_vonage.emulator.base import VonageFace
from anyvideo_vonage.emulator.errors import Problem, message_only
from anyvideo_vonage.emulator.ids import new_uuid
from anyvideo_vonage.emulator.statuses import (
    ARCHIVE_MODES,
    P2P_PREFERENCES,
    RESOLUTIONS,
    SIGNAL_DATA_BYTES,
    SIGNAL_TYPE_BYTES,
)

__all__ = ["SessionRoutes"]

PROJECT = "/v2/project/{application_id}"
SESSION = PROJECT + "/session/{session_id}"

_BAD_SESSION_OPTION = Problem(400, "Invalid session options.")
#: ``location`` values that mean "no location hint".
_NO_LOCATION = ("", "null")
#: The longest ``archiveName`` (the OpenTok SDKs' limit).
_ARCHIVE_NAME_LENGTH = 80


class SessionRoutes(VonageFace):
    """``/session/create`` and ``/v2/project/{application_id}/session/{session_id}/…``."""

    @route("POST", "/session/create")
    def create_session(self, request: Request) -> Any:
        """Form-encoded, whatever the Content-Type says (the SDK keeps the JSON one of
        its previous request); answered with a one-item array. The session id names
        the project whose credentials made it. A ``location`` of ``null`` or nothing
        is no location (an SDK sends ``null`` for its default). ``archiveName`` and
        ``archiveResolution`` name and size the automatic archives of a session
        archived ``always``, and are refused otherwise (as the OpenTok SDKs say)."""
        form = {key: values[0] for key, values in request.form().items() if values}
        archive_mode = form.get("archiveMode", "manual")
        p2p = form.get("p2p.preference", "disabled")
        e2ee = form.get("e2ee", "false").lower()
        location = form.get("location")
        if location in _NO_LOCATION:
            location = None
        if archive_mode not in ARCHIVE_MODES or p2p not in P2P_PREFERENCES or e2ee not in ("true", "false"):
            raise _BAD_SESSION_OPTION.error()
        if archive_mode == "always" and p2p == "enabled":
            raise _BAD_SESSION_OPTION.error("A session archived automatically must use the Media Router.")
        if location is not None:
            try:
                ipaddress.ip_address(location)
            except ValueError:
                raise _BAD_SESSION_OPTION.error("location must be an IP address.") from None
        options = {
            "mediaMode": "relayed" if p2p == "enabled" else "routed",
            "archiveMode": archive_mode,
            "location": location,
            "e2ee": e2ee == "true",
            "sessionSegmentId": new_uuid(),
            **_automatic_archive_options(form, archive_mode),
        }
        project = self.application.project_of(request)
        self._minting.relayed = p2p == "enabled"  # read by new_id, on this thread
        self._minting.project = project
        try:
            room = self.world.create_room(options=options)
        finally:
            self._minting.relayed = False
            self._minting.project = None
        return [translate.session(room, project)]

    # --- connections ------------------------------------------------------------

    @route("GET", SESSION + "/connection")
    def list_connections(self, request: Request) -> Any:
        session_id = self._session(request.params["session_id"]).id
        connected = self._connected(session_id)
        return {
            "count": len(connected),
            "applicationId": self.application.application_id,
            "sessionId": session_id,
            "items": [translate.connection(p) for p in connected],
        }

    @route("DELETE", SESSION + "/connection/{connection_id}")
    def disconnect(self, request: Request) -> None:
        session_id = self._session(request.params["session_id"]).id
        participant = self._connection(session_id, request.params["connection_id"])
        with self.state.lock:
            self.state.forced.add(participant.id)
        self.world.leave(participant.id)

    # --- streams ------------------------------------------------------------

    def _stream_json(self, stream: StreamRecord) -> dict[str, Any]:
        with self.state.lock:
            classes = list(self.state.layout_classes.get(stream.id, ()))
        return translate.stream(stream, classes)

    @route("GET", SESSION + "/stream")
    def list_streams(self, request: Request) -> Any:
        session_id = self._session(request.params["session_id"]).id
        streams = [self._stream_json(s) for s in self.world.streams(session_id)]
        return {"count": len(streams), "items": streams}

    @route("GET", SESSION + "/stream/{stream_id}")
    def get_stream(self, request: Request) -> Any:
        session_id = self._session(request.params["session_id"]).id
        return self._stream_json(self._stream(session_id, request.params["stream_id"]))

    @route("PUT", SESSION + "/stream")
    def set_layout_classes(self, request: Request) -> Any:
        """Answered with the changed streams, as the provider does (``change_stream_layout.json``)."""
        session_id = self._session(request.params["session_id"]).id
        items = self._body(request).get("items")
        if not isinstance(items, list) or not items:
            raise errors.INVALID_STREAM.error("Invalid request. items must list streams and their layout classes.")
        changes = []
        for item in items:
            classes = item.get("layoutClassList") if isinstance(item, dict) else None
            if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
                raise errors.INVALID_STREAM.error("Invalid request. layoutClassList must be a list of strings.")
            changes.append((self._stream(session_id, str(item.get("id")), errors.INVALID_STREAM), classes))
        with self.state.lock:
            for stream, classes in changes:
                self.state.layout_classes[stream.id] = list(classes)
        streams = [self._stream_json(stream) for stream, _ in changes]
        return {"count": len(streams), "items": streams}

    # --- moderation -------------------------------------------------------------

    @route("POST", SESSION + "/stream/{stream_id}/mute")
    def mute_stream(self, request: Request) -> Response:
        session_id = self._session(request.params["session_id"]).id
        stream = self._stream(session_id, request.params["stream_id"])
        if stream.kind.has_audio:
            self.world.mute(stream.id)
        return Response(200)

    @route("POST", SESSION + "/mute")
    def mute_session(self, request: Request) -> Any:
        """Force-mute every stream but the excluded ones, now and (while active) as
        they are published; ``active: false`` ends the force-mute state."""
        session_id = self._session(request.params["session_id"]).id
        body = self._body(request)
        active = body.get("active")
        excluded = body.get("excludedStreamIds") or []
        if not isinstance(active, bool) or not isinstance(excluded, list):
            raise errors.INVALID_JSON.error("Invalid request. active must be a boolean, excludedStreamIds a list.")
        session = self.state.session(session_id)
        with self.state.lock:
            session.force_mute = active
            session.mute_excluded = frozenset(str(s) for s in excluded) if active else frozenset()
        if active:
            self.world.mute_all(session_id, except_stream_ids=list(session.mute_excluded))
        return {
            "applicationId": self.application.application_id,
            "status": "ACTIVE",
            "name": "",
            "environment": "standard",
            "createdAt": translate.ms(self.created_at),
        }

    # --- signals ------------------------------------------------------------

    def _signal(self, request: Request, connection_id: str | None) -> None:
        session_id = self._session(request.params["session_id"]).id
        body = self._body(request)
        kind, data = body.get("type"), body.get("data")
        if not isinstance(kind, str) or not isinstance(data, str):
            raise errors.INVALID_SIGNAL.error()
        if len(kind.encode()) > SIGNAL_TYPE_BYTES or len(data.encode()) > SIGNAL_DATA_BYTES:
            raise errors.SIGNAL_TOO_LARGE.error()
        if connection_id is not None:
            self._connection(session_id, connection_id)
        try:
            self.world.send_signal(session_id, kind, data, to=connection_id)
        except NotFound:
            raise errors.CONNECTION_NOT_FOUND.error() from None

    @route("POST", SESSION + "/signal")
    def signal_all(self, request: Request) -> None:
        self._signal(request, None)

    @route("POST", SESSION + "/connection/{connection_id}/signal")
    def signal_one(self, request: Request) -> None:
        self._signal(request, request.params["connection_id"])

    # --- migration ------------------------------------------------------------

    @route("POST", SESSION + "/migrate")
    def migrate(self, request: Request) -> Response:
        """Moving the session's connections to another media server is instant here."""
        session_id = self._session(request.params["session_id"], errors.MIGRATE_NOT_FOUND).id
        if not self._connected(session_id):
            raise message_only(404, errors.NO_CLIENTS)
        return Response.json({"message": errors.MIGRATION_STARTED}, 202)


def _automatic_archive_options(form: dict[str, str], archive_mode: str) -> dict[str, str]:
    """The session options ``archiveName`` and ``archiveResolution``, checked."""
    chosen: dict[str, str] = {key: form[key] for key in ("archiveName", "archiveResolution") if key in form}
    if chosen and archive_mode != "always":
        raise _BAD_SESSION_OPTION.error("archiveName and archiveResolution are for sessions archived always.")
    if not 1 <= len(chosen.get("archiveName", "x")) <= _ARCHIVE_NAME_LENGTH:
        raise _BAD_SESSION_OPTION.error(f"archiveName must be 1 to {_ARCHIVE_NAME_LENGTH} characters long.")
    if chosen.get("archiveResolution", RESOLUTIONS[0]) not in RESOLUTIONS:
        raise _BAD_SESSION_OPTION.error(f"archiveResolution must be one of: {', '.join(RESOLUTIONS)}.")
    return chosen
