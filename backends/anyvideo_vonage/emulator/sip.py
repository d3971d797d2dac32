"""SIP calls, DTMF and the audio connector: services that join a session as a
connection, with a client token the application made for them."""

from __future__ import annotations

import re
from typing import Any

from anyvideo.errors import Forbidden
from anyvideo.models import StreamKind
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors, translate
from anyvideo_vonage.emulator.base import choice, flag, text
from anyvideo_vonage.emulator.errors import Problem
from anyvideo_vonage.emulator.ids import new_uuid
from anyvideo_vonage.emulator.sessions import PROJECT
from anyvideo_vonage.emulator.state import SipCall
from anyvideo_vonage.emulator.voice import VoiceRoutes

__all__ = ["AUDIO_RATES", "HEADERS_MAX_BYTES", "SipRoutes", "header_bytes"]

_DIGITS = re.compile(r"[0-9*#p]+")
_BAD_DIAL = Problem(400, "You do not pass in a session ID or you pass in an invalid session ID.")
_BAD_CONNECT = Problem(400, "Invalid request.")
_NO_SESSION = Problem(404, "The specified session does not exist.")
#: The spec: "The Audio Connector feature is only supported in routed sessions" (answered as SIP's).
_CONNECT_RELAYED = Problem(
    409,
    "The Audio Connector can only be used in a session that uses the Vonage Video Media Router (media mode routed).",
)
#: ``websocket.audioRate`` (Hz), from the spec's enum.
AUDIO_RATES = (8000, 16000, 24000)
#: The spec: headers sent to the WebSocket server have "a maximum length of 512 bytes".
HEADERS_MAX_BYTES = 512
#: The spec writes DTMF under ``/v2/projects/`` while the SDKs (and every other
#: path) use ``/v2/project/``: both are served.
PROJECTS = "/v2/projects/{application_id}"


class SipRoutes(VoiceRoutes):
    """``…/dial``, ``…/play-dtmf`` and ``…/connect``; a dial into the application's Voice
    side (``sip.nexmo.com``) is handed to it (:mod:`.voice`)."""

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
        answer = translate.sip_call(call, self.project_of_session(room.id))
        headers = sip.get("headers")
        self.sip_dialled(participant.id, uri or "", headers if isinstance(headers, dict) else {})
        return answer

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
        """The audio connector joins with the token and streams the session's audio (or
        ``websocket.streams``) to a WebSocket (here, nowhere); a ``bidirectional`` one
        also publishes what the WebSocket sends back, as an audio stream of its own.

        The connector is a connection like any other: force-disconnecting it
        (``DELETE …/connection/{connectionId}``) stops it. The Node SDK's
        ``POST …/connect/{id}/stop`` is not served: its maintainers deprecated it as
        a call the platform does not implement."""
        body = self._body(request)
        session_id = text(body, "sessionId", _BAD_CONNECT, required=True)
        token = text(body, "token", _BAD_CONNECT, required=True)
        websocket = body.get("websocket")
        if not isinstance(websocket, dict):
            raise _BAD_CONNECT.error("Invalid request. websocket.uri is required.")
        uri = text(websocket, "uri", _BAD_CONNECT, required=True)
        _check_websocket(websocket)
        bidirectional = flag(websocket, "bidirectional", False, _BAD_CONNECT)
        room = self._session(session_id)
        if self._relayed(room):
            raise _CONNECT_RELAYED.error()
        participant = self._join(room.id, token or "")
        if bidirectional:
            try:
                self.world.publish(participant.id, StreamKind.AUDIO, name=uri)
            except Forbidden:
                self.world.leave(participant.id)
                raise errors.UNAUTHORIZED.error(
                    "Unauthorized token. A bidirectional connector publishes: its token's role cannot."
                ) from None
        return {"id": new_uuid(), "connectionId": participant.id}


def _check_websocket(websocket: dict[str, Any]) -> None:
    """``websocket``'s optional fields, as the spec types them (``uri`` is checked by the caller)."""
    streams = websocket.get("streams")
    if streams is not None and not (isinstance(streams, list) and all(isinstance(s, str) and s for s in streams)):
        raise _BAD_CONNECT.error("Invalid request. websocket.streams must be an array of stream IDs.")
    headers = websocket.get("headers")
    if headers is not None:
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise _BAD_CONNECT.error("Invalid request. websocket.headers must map names to strings.")
        if header_bytes(headers) > HEADERS_MAX_BYTES:
            raise _BAD_CONNECT.error(f"Invalid request. websocket.headers exceed {HEADERS_MAX_BYTES} bytes.")
    rate = websocket.get("audioRate")
    if rate is not None and (isinstance(rate, bool) or rate not in AUDIO_RATES):
        raise _BAD_CONNECT.error(
            f"Invalid request. websocket.audioRate must be one of {', '.join(map(str, AUDIO_RATES))}."
        )
    transport = websocket.get("audioTransport")
    if transport is None:
        return
    if not isinstance(transport, dict):
        raise _BAD_CONNECT.error("Invalid request. websocket.audioTransport must be an object.")
    kind = choice(transport, "transport", ("binary", "json"), "binary", _BAD_CONNECT)
    encoding = choice(transport, "encoding", ("base64",), None, _BAD_CONNECT)
    if kind == "json" and encoding is None:
        raise _BAD_CONNECT.error("Invalid request. audioTransport.encoding is required when transport is json.")
    text(transport, "audio_field", _BAD_CONNECT)
    text(transport, "receive_audio_field", _BAD_CONNECT)
    if transport.get("static_fields") is not None and not isinstance(transport["static_fields"], dict):
        raise _BAD_CONNECT.error("Invalid request. audioTransport.static_fields must be an object.")


def header_bytes(headers: dict[str, str]) -> int:
    """What ``headers`` weigh against the spec's limit: every name and value, UTF-8."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in headers.items())
