"""Live streaming broadcasts: HLS and RTMP outputs, layout, stream selection.

A broadcast is a live composition of the world. One runs at a time per
session unless each has its own ``multiBroadcastTag``; it stops by itself at
``maxDuration`` (4 hours unless told). The HLS URL points at the emulator,
which serves a live playlist (with no segments: there is no media server)
while the broadcast runs.
"""

from __future__ import annotations

from typing import Any

from anyvideo.errors import Conflict, NotFound
from anyvideo.models import CompositionOutput, CompositionStatus, Resolution, RtmpTarget
from anyvideo.sim.records import CompositionRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors, translate
from anyvideo_vonage.emulator.base import VonageFace, choice, flag, layout, number, text
from anyvideo_vonage.emulator.errors import Problem, message_only
from anyvideo_vonage.emulator.sessions import PROJECT
from anyvideo_vonage.emulator.state import BroadcastState
from anyvideo_vonage.emulator.statuses import (
    BITRATE_RANGE,
    BROADCAST_DEFAULT_DURATION,
    BROADCAST_DURATION_RANGE,
    MAX_RTMP_TARGETS,
    MAX_STREAMS,
    RESOLUTIONS,
    STREAM_MODES,
)

__all__ = ["BroadcastRoutes"]

BROADCAST = PROJECT + "/broadcast"
PLAYLIST = "/_emulator/vonage/broadcasts/{broadcast_id}/playlist.m3u8"

_BAD_BROADCAST = Problem(
    400,
    "Invalid request. This response may indicate that data in your request data is invalid JSON. It may also "
    "indicate that you passed in invalid layout options.",
)
_LIVE_PLAYLIST = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"


class BroadcastRoutes(VonageFace):
    """``/v2/project/{application_id}/broadcast…`` and the HLS playlists."""

    def _broadcast(self, broadcast_id: str, *, live: bool = False) -> CompositionRecord:
        """A broadcast (with ``live``: one still running), else the provider's 404."""
        try:
            record = self.world.get_composition(broadcast_id)
        except NotFound:
            raise errors.BROADCAST_NOT_FOUND.error() from None
        if record.id not in self.state.broadcasts or (live and record.status is not CompositionStatus.LIVE):
            raise errors.BROADCAST_NOT_FOUND.error()
        return record

    def broadcast_json(self, record: CompositionRecord, *, just_started: bool = False) -> dict[str, Any]:
        with self.state.lock:
            state = self.state.broadcasts[record.id]
        hls_url = None
        if record.hls:
            hls_url = self.base_url + PLAYLIST.format(broadcast_id=record.id)
            if state.hls and state.hls.get("dvr"):
                hls_url += "?DVR"
        streaming = any(True for _ in self.world.streams(record.room_id))
        return translate.broadcast(
            record,
            state,
            application_id=self.application.application_id,
            hls_url=hls_url,
            just_started=just_started,
            streaming=streaming,
        )

    @route("GET", BROADCAST + "/{broadcast_id}")
    def get_broadcast(self, request: Request) -> Any:
        return self.broadcast_json(self._broadcast(request.params["broadcast_id"]))

    @route("GET", BROADCAST)
    def list_broadcasts(self, request: Request) -> Any:
        """Newest first. Every composition of the world is a broadcast (this face starts
        them all): the world counts them and reads the one window asked for."""
        room_id = request.arg("sessionId") or None

        def read(offset: int, count: int) -> list[CompositionRecord]:
            rows = self.world.scan(CompositionRecord, room_id=room_id, offset=offset, limit=count, newest_first=True)
            return [record for _, record in rows]

        return self._page_of(request, self.world.count(CompositionRecord, room_id=room_id), read, self.broadcast_json)

    @route("POST", BROADCAST)
    def start_broadcast(self, request: Request) -> Any:
        body = self._body(request)
        session_id = text(body, "sessionId", errors.INVALID_SESSION, required=True)
        room = self._session(session_id, Problem(400, "Invalid request. The session does not exist."))
        hls, rtmp = _outputs(body.get("outputs"))
        resolution = choice(body, "resolution", RESOLUTIONS, None, _BAD_BROADCAST)
        state = BroadcastState(
            stream_mode=choice(body, "streamMode", STREAM_MODES, "auto", _BAD_BROADCAST),
            multi_broadcast_tag=text(body, "multiBroadcastTag", _BAD_BROADCAST) or "",
            layout=layout(body["layout"], _BAD_BROADCAST) if body.get("layout") is not None else {"type": "bestFit"},
            max_bitrate=number(body, "maxBitrate", BITRATE_RANGE, _BAD_BROADCAST),
            max_duration=number(body, "maxDuration", BROADCAST_DURATION_RANGE, _BAD_BROADCAST)
            or BROADCAST_DEFAULT_DURATION,
            hls=hls,
        )
        with self.state.lock:  # check and start as one step
            if self._relayed(room):
                raise _BAD_BROADCAST.error("Invalid request. Broadcasting needs a session that uses the Media Router.")
            if not self._connected(room.id):
                raise _BAD_BROADCAST.error("Invalid request. No clients are actively connected to the session.")
            running = [r for r in self.world.compositions(room_id=room.id, status=CompositionStatus.LIVE)]
            if running and not state.multi_broadcast_tag:
                raise message_only(409, errors.BROADCAST_RUNNING)
            tags = {self.state.broadcasts[r.id].multi_broadcast_tag for r in running if r.id in self.state.broadcasts}
            if state.multi_broadcast_tag in tags:
                raise message_only(409, errors.BROADCAST_TAG_TAKEN)
            record = self.world.start_composition(
                room.id,
                output=CompositionOutput.LIVE,
                resolution=Resolution.parse(resolution) if resolution else None,
                hls=hls is not None,
                rtmp=rtmp,
                max_duration=state.max_duration,
            )
            self.state.broadcasts[record.id] = state
        self.notify("broadcast", self.broadcast_json(record, just_started=True))
        return self.broadcast_json(record, just_started=True)

    @route("POST", BROADCAST + "/{broadcast_id}/stop")
    def stop_broadcast(self, request: Request) -> Any:
        record = self._broadcast(request.params["broadcast_id"], live=True)
        try:
            record = self.world.stop_composition(record.id)
        except Conflict:  # it reached its maximum duration meanwhile
            raise errors.BROADCAST_NOT_FOUND.error() from None
        return self.broadcast_json(record)

    @route("PUT", BROADCAST + "/{broadcast_id}/layout")
    def set_broadcast_layout(self, request: Request) -> Any:
        """Answered with the broadcast (the SDK reads one; the spec promises no body)."""
        new_layout = layout(self._body(request), _BAD_BROADCAST)
        with self.state.lock:
            record = self._broadcast(request.params["broadcast_id"], live=True)
            state = self.state.broadcasts[record.id]
            state.layout = new_layout
            state.changed_at = self.clock.now()
        return self.broadcast_json(record)

    @route("PATCH", BROADCAST + "/{broadcast_id}/streams")
    def select_broadcast_streams(self, request: Request) -> None:
        body = self._body(request)
        with self.state.lock:
            record = self._broadcast(request.params["broadcast_id"], live=True)
            state = self.state.broadcasts[record.id]
            if state.stream_mode != "manual":
                raise errors.BROADCAST_NOT_MANUAL.error()
            limit = MAX_STREAMS["composed"]
            self._select(body, record.room_id, state.streams, limit, errors.BROADCAST_STREAM_NOT_FOUND)
            state.changed_at = self.clock.now()

    @route("GET", PLAYLIST)
    def hls_playlist(self, request: Request) -> Response:
        try:
            record = self.world.get_composition(request.params["broadcast_id"])
        except NotFound:
            record = None
        if record is None or not record.hls or record.status is not CompositionStatus.LIVE:
            return Response.data(b"No such broadcast", "text/plain", 404)
        return Response.data(_LIVE_PLAYLIST, "application/vnd.apple.mpegurl")


def _outputs(outputs: Any) -> tuple[dict[str, bool] | None, list[RtmpTarget]]:
    """The HLS settings (``None``: no HLS) and RTMP targets of ``outputs``."""
    if not isinstance(outputs, dict) or (outputs.get("hls") is None and not outputs.get("rtmp")):
        raise _BAD_BROADCAST.error("Invalid request. outputs needs hls, rtmp or both.")
    hls = None
    if outputs.get("hls") is not None:
        if not isinstance(outputs["hls"], dict):
            raise _BAD_BROADCAST.error("Invalid request. outputs.hls must be an object.")
        hls = {
            "lowLatency": flag(outputs["hls"], "lowLatency", False, _BAD_BROADCAST),
            "dvr": flag(outputs["hls"], "dvr", False, _BAD_BROADCAST),
        }
        if hls["lowLatency"] and hls["dvr"]:
            raise _BAD_BROADCAST.error("Invalid request. Low-latency HLS cannot have DVR.")
    targets = outputs.get("rtmp") or []
    if not isinstance(targets, list) or len(targets) > MAX_RTMP_TARGETS:
        raise _BAD_BROADCAST.error(f"Invalid request. outputs.rtmp lists at most {MAX_RTMP_TARGETS} targets.")
    rtmp = []
    for target in targets:
        if not isinstance(target, dict):
            raise _BAD_BROADCAST.error("Invalid request. Each RTMP target must be an object.")
        rtmp.append(
            RtmpTarget(
                url=text(target, "serverUrl", _BAD_BROADCAST, required=True) or "",
                stream_name=text(target, "streamName", _BAD_BROADCAST, required=True) or "",
                id=text(target, "id", _BAD_BROADCAST),
            )
        )
    return hls, rtmp
