"""SIP calls, DTMF and the audio connector: services that join a session as a
connection, with a client token the application made for them."""

from __future__ import annotations

import re
from typing import Any

from anyvideo.errors import Forbidden
from anyvideo.models import StreamKind
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors, translate
from anyvideo_vonage.emulator.base import VonageFace, flag, text
from anyvideo_vonage.emulator.errors import Problem
from anyvideo_vonage.emulator.ids import new_uuid
from anyvideo_vonage.emulator.sessions import PROJECT
from anyvideo_vonage.emulator.state import SipCall

__all__ = ["SipRoutes"]

_DIGITS = re.compile(r"[0-9*#p]+")
_BAD_DIAL = Problem(400, "You do not pass in a session ID or you pass in an invalid session ID.")
_BAD_CONNECT = Problem(400, "Invalid request.")
_NO_SESSION = Problem(404, "The specified session does not exist.")
#: The spec writes DTMF under ``/v2/projects/`` while the SDKs (and every other
#: path) use ``/v2/project/``: both are served.
PROJECTS = "/v2/projects/{application_id}"


class SipRoutes(VonageFace):
    """``…/dial``, ``…/play-dtmf`` and ``…/connect``."""

    @route("POST", PROJECT + "/dial")
    def dial(self, request: Request) -> Any:
        """The SIP endpoint joins with the token and publishes its audio (and video,
        with ``sip.video``) as one stream."""
        body = self._body(request)
        session_id = text(body, "sessionId", _BAD_DIAL, required=True)
        token = text(body, "token", _BAD_DIAL, required=True)
        sip = body.get("sip")
        if not isinstance(sip, dict):
            raise _BAD_DIAL.error("Invalid request. sip.uri is required.")
        uri = text(sip, "uri", _BAD_DIAL, required=True)
        video = flag(sip, "video", False, _BAD_DIAL)
        room = self._session(session_id, _NO_SESSION)
        if self._relayed(room):
            raise errors.SIP_RELAYED.error()
        participant = self._join(room.id, token or "")
        kind = StreamKind.AUDIO_VIDEO if video else StreamKind.AUDIO
        try:
            stream = self.world.publish(participant.id, kind, name=uri)
        except Forbidden:
            self.world.leave(participant.id)
            raise errors.UNAUTHORIZED.error("Unauthorized token. The token's role cannot publish.") from None
        call = SipCall(new_uuid(), room.id, participant.id, stream.id, self.clock.now())
        with self.state.lock:
            self.state.sip_calls[call.id] = call
        return translate.sip_call(call, self.project_of_session(room.id))

    def _dtmf(self, request: Request, connection_id: str | None) -> Response:
        body = self._body(request)
        digits = body.get("digits")
        if not isinstance(digits, str) or not _DIGITS.fullmatch(digits):
            raise errors.INVALID_DTMF.error()
        session_id = self._session(request.params["session_id"], _NO_SESSION).id
        if connection_id is not None:
            self._connection(session_id, connection_id)
        return Response(200)

    @route("POST", PROJECT + "/session/{session_id}/play-dtmf")
    @route("POST", PROJECTS + "/session/{session_id}/play-dtmf")
    def play_dtmf(self, request: Request) -> Response:
        """Tones to every connection (the emulator has no media to play them into)."""
        return self._dtmf(request, None)

    @route("POST", PROJECT + "/session/{session_id}/connection/{connection_id}/play-dtmf")
    @route("POST", PROJECTS + "/session/{session_id}/connection/{connection_id}/play-dtmf")
    def play_dtmf_to(self, request: Request) -> Response:
        return self._dtmf(request, request.params["connection_id"])

    @route("POST", PROJECT + "/connect")
    def connect_audio(self, request: Request) -> Any:
        """The audio connector joins with the token and streams the session's audio to
        a WebSocket (here, nowhere)."""
        body = self._body(request)
        session_id = text(body, "sessionId", _BAD_CONNECT, required=True)
        token = text(body, "token", _BAD_CONNECT, required=True)
        websocket = body.get("websocket")
        if not isinstance(websocket, dict) or not isinstance(websocket.get("uri"), str):
            raise _BAD_CONNECT.error("Invalid request. websocket.uri is required.")
        room = self._session(session_id)
        participant = self._join(room.id, token or "")
        return {"id": new_uuid(), "connectionId": participant.id}
