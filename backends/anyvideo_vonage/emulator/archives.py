"""Archives: start, stop, get, list, delete, layout, stream selection, downloads,
and automatic archiving of sessions created with ``archiveMode=always``.

The provider's rules: only routed sessions with a connected client can be
archived; one archive at a time per session unless each has its own
``multiArchiveTag``; a composed archive records at most 16 streams and an
individual one 50; recording stops at 4 hours. Status goes started ->
stopped -> available, the last after the world's processing delay.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anyvideo.errors import Conflict, NotFound
from anyvideo.models import RecordingMode, RecordingStatus, Resolution
from anyvideo.sim.records import RecordingRecord, RoomRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors, translate
from anyvideo_vonage.emulator.base import VonageFace, choice, flag, layout, number, text
from anyvideo_vonage.emulator.errors import Problem
from anyvideo_vonage.emulator.media import Downloads, archive_file, transcript_file
from anyvideo_vonage.emulator.sessions import PROJECT
from anyvideo_vonage.emulator.state import ArchiveState
from anyvideo_vonage.emulator.statuses import (
    ARCHIVE_MAX_DURATION,
    BITRATE_RANGE,
    DOWNLOAD_URL_LIFETIME,
    MAX_STREAMS,
    OUTPUT_MODES,
    QP_RANGE,
    RESOLUTIONS,
    STREAM_MODES,
)

__all__ = ["ArchiveRoutes"]

ARCHIVE = PROJECT + "/archive"

_BAD_ARCHIVE = Problem(400, "Invalid request.")
_BAD_RESOLUTION = Problem(400, "You specify an invalid resolution value.")
_INDIVIDUAL_RESOLUTION = Problem(
    400,
    'The outputMode property is set to "individual" and you set the resolution property (which is not supported in '
    "individual stream archives).",
)
_BAD_BITRATE = Problem(
    400,
    "You specify an invalid maxBitrate value or you specify a maxBitrate value for an individual stream archive. "
    "maxBitrate is only supported for composed archives.",
)
_BAD_LAYOUT = Problem(
    400,
    "Invalid request. This response may indicate that data in your request data is invalid JSON. It may also "
    "indicate that you passed in invalid layout options.",
)
#: Where a seeded archive's record keeps its :class:`ArchiveState` fields.
SEEDED = "vonage_archive"
_FILE_NAMES = {RecordingMode.COMPOSED: "archive.mp4", RecordingMode.INDIVIDUAL: "archive.zip"}
_TRANSCRIPT = "transcription.json"


class ArchiveRoutes(VonageFace):
    """``/v2/project/{application_id}/archive…`` and the archive downloads."""

    # --- reading ------------------------------------------------------------

    def _archive(self, archive_id: str) -> RecordingRecord:
        try:
            record = self.world.get_recording(archive_id)
        except NotFound:
            raise errors.ARCHIVE_NOT_FOUND.error() from None
        if self.archive_state(record) is None:
            raise errors.ARCHIVE_NOT_FOUND.error()
        return record

    def archive_state(self, record: RecordingRecord) -> ArchiveState | None:
        """The archive's Vonage options: kept by the face, or, for a seeded archive (which
        nothing changes until it is deleted), in its record; ``None`` if it is no archive."""
        with self.state.lock:
            state = self.state.archives.get(record.id)
        if state is None and (kept := record.options.get(SEEDED)) is not None:
            state = ArchiveState(**kept)
        return state

    def _kept_state(self, record: RecordingRecord) -> ArchiveState:
        """The archive's state, kept by the face from now on (it is about to change)."""
        with self.state.lock:
            state = self.archive_state(record)
            assert state is not None  # checked by _archive
            return self.state.archives.setdefault(record.id, state)

    def archive_json(self, record: RecordingRecord) -> dict[str, Any]:
        """The archive as the provider shows it; an available one gets fresh download URLs."""
        state = self.archive_state(record)
        assert state is not None  # every recording of this world is an archive
        available_at = None
        download: dict[str, Any] = {}
        if record.status is RecordingStatus.AVAILABLE:
            assert record.stopped_at is not None
            available_at = record.stopped_at + self.world.processing_delay
            expires = self.clock.now() + timedelta(seconds=DOWNLOAD_URL_LIFETIME)
            size, sha256 = self._digest(record)
            download = {
                "url": self.downloads.url(self.base_url, record.id, _FILE_NAMES[record.mode], expires),
                "size": size,
                "sha256": sha256,
            }
            if state.transcription is not None:
                download["transcript_url"] = self.downloads.url(self.base_url, record.id, _TRANSCRIPT, expires)
        return translate.archive(
            record, state, application_id=self.application.application_id, available_at=available_at, **download
        )

    def _digest(self, record: RecordingRecord) -> tuple[int, str]:
        if record.mode is RecordingMode.COMPOSED and len(record.files) == 1:
            described = record.files[0]  # archive.mp4 is the recording's one file, as described when processed
            if described.size is not None and described.sha256 is not None:
                return described.size, described.sha256
        with self.state.lock:
            known = self.state.downloads.get(record.id)
        if known is None:
            file = archive_file(self.world, record)
            known = (len(file.data), file.sha256)
            with self.state.lock:
                self.state.downloads[record.id] = known
        return known

    @route("GET", ARCHIVE + "/{archive_id}")
    def get_archive(self, request: Request) -> Any:
        return self.archive_json(self._archive(request.params["archive_id"]))

    @route("GET", ARCHIVE)
    def list_archives(self, request: Request) -> Any:
        """Newest first, deleted archives left out (spec: ``offset``). Every recording of
        the world is an archive (this face starts them all): the world counts them and
        reads the one window asked for."""
        room_id, deleted = request.arg("sessionId") or None, RecordingStatus.DELETED.value

        def read(offset: int, count: int) -> list[RecordingRecord]:
            rows = self.world.scan(
                RecordingRecord, room_id=room_id, not_status=deleted, offset=offset, limit=count, newest_first=True
            )
            return [record for _, record in rows]

        total = self.world.count(RecordingRecord, room_id=room_id, not_status=deleted)
        return self._page_of(request, total, read, self.archive_json)

    # --- starting -------------------------------------------------------------

    @route("POST", ARCHIVE)
    def start_archive(self, request: Request) -> Any:
        body = self._body(request)
        room = self._session(text(body, "sessionId", errors.INVALID_SESSION, required=True), errors.ARCHIVE_NO_CLIENTS)
        options, state = _archive_options(body)
        with self.state.lock:  # check and start as one step: two requests cannot both pass the check
            self._check_can_archive(room, state.multi_archive_tag)
            record = self._start(room, options, state)
        return self.archive_json(record)

    def _check_can_archive(self, room: RoomRecord, tag: str) -> None:
        if self._relayed(room):
            raise errors.ARCHIVE_RELAYED.error()
        if not self._connected(room.id):
            raise errors.ARCHIVE_NO_CLIENTS.error()
        running = [r for r in self.world.recordings(room_id=room.id, status=RecordingStatus.RECORDING)]
        if running and not tag:
            raise errors.ARCHIVE_RUNNING.error()
        if tag in {self.state.archives[r.id].multi_archive_tag for r in running if r.id in self.state.archives}:
            raise errors.ARCHIVE_TAG_TAKEN.error()

    def _start(self, room: RoomRecord, options: dict[str, Any], state: ArchiveState) -> RecordingRecord:
        record = self.world.start_recording(
            room.id,
            max_duration=ARCHIVE_MAX_DURATION,
            max_streams=MAX_STREAMS[state.output_mode],
            **options,
        )
        self.state.archives[record.id] = state
        self.notify("archive", self.archive_json(record))
        return record

    def start_automatic_archive(self, room: RoomRecord) -> None:
        """A session archived ``always`` records from its first connection, composed, with
        the name and resolution the session was created with."""
        with self.state.lock:
            running = self.world.recordings(room_id=room.id, status=RecordingStatus.RECORDING)
            if any(self.state.archives[r.id].automatic for r in running if r.id in self.state.archives):
                return
            resolution = room.options.get("archiveResolution")
            options = {
                "mode": RecordingMode.COMPOSED,
                "name": room.options.get("archiveName"),
                "resolution": Resolution.parse(resolution) if resolution else None,
            }
            state = ArchiveState(output_mode="composed", layout={"type": "bestFit"}, automatic=True)
            self._start(room, options, state)

    def stop_automatic_archives(self, session_id: str) -> None:
        """The provider stops an automatic archive 60 seconds after the last client
        leaves; the emulator, having no timer, stops it when the last client leaves."""
        with self.state.lock:
            for record in list(self.world.recordings(room_id=session_id, status=RecordingStatus.RECORDING)):
                state = self.state.archives.get(record.id)
                if state is not None and state.automatic:
                    state.reason = "session ended"
                    self._stop(record, state)

    # --- changing -------------------------------------------------------------

    @route("POST", ARCHIVE + "/{archive_id}/stop")
    def stop_archive(self, request: Request) -> Any:
        """Stopping a stopped archive answers it as it is (the provider accepts
        "started OR paused OR stopped"); stopping an automatic archive has no effect."""
        with self.state.lock:
            record = self._archive(request.params["archive_id"])
            state = self._kept_state(record)
            if record.status is RecordingStatus.RECORDING and not state.automatic:
                state.reason = "user initiated"
                record = self._stop(record, state)
            elif record.status not in (RecordingStatus.RECORDING, RecordingStatus.PROCESSING):
                raise errors.ARCHIVE_NOT_STOPPABLE.error()
        return self.archive_json(record)

    def _stop(self, record: RecordingRecord, state: ArchiveState) -> RecordingRecord:
        try:
            stopped = self.world.stop_recording(record.id)
        except Conflict:  # it reached its maximum duration meanwhile
            return self.world.get_recording(record.id)
        state.stopped_sent = True
        self.notify("archive", self.archive_json(stopped))
        return stopped

    @route("DELETE", ARCHIVE + "/{archive_id}")
    def delete_archive(self, request: Request) -> None:
        with self.state.lock:
            record = self._archive(request.params["archive_id"])
            if record.status is RecordingStatus.DELETED:
                return
            if record.status is not RecordingStatus.AVAILABLE:
                raise errors.ARCHIVE_NOT_DELETABLE.error()
            self.world.delete_recording(record.id)
            self._kept_state(record).changed_at = self.clock.now()
            self.state.downloads.pop(record.id, None)

    @route("PUT", ARCHIVE + "/{archive_id}/layout")
    def set_archive_layout(self, request: Request) -> Any:
        """Answered with the archive (the SDK reads one; the spec promises no body)."""
        new_layout = layout(self._body(request), _BAD_LAYOUT)
        with self.state.lock:
            record = self._archive(request.params["archive_id"])
            state = self._kept_state(record)
            if record.status is not RecordingStatus.RECORDING or state.output_mode != "composed":
                raise _BAD_LAYOUT.error("Invalid request. Only a composed archive being recorded has a layout.")
            state.layout = new_layout
            state.changed_at = self.clock.now()
        return self.archive_json(record)

    @route("PATCH", ARCHIVE + "/{archive_id}/streams")
    def select_archive_streams(self, request: Request) -> None:
        body = self._body(request)
        with self.state.lock:
            record = self._archive(request.params["archive_id"])
            state = self._kept_state(record)
            if record.status is not RecordingStatus.RECORDING or state.stream_mode != "manual":
                raise errors.ARCHIVE_NOT_MANUAL.error()
            self._select(
                body, record.room_id, state.streams, MAX_STREAMS[state.output_mode], errors.ARCHIVE_STREAM_NOT_FOUND
            )
            state.changed_at = self.clock.now()

    # --- downloads ------------------------------------------------------------

    @route("GET", Downloads.PATH)
    def download_archive(self, request: Request) -> Response:
        """The archive's file at its signed, expiring URL (no API credentials, as on S3)."""
        archive_id, file_name = request.params["archive_id"], request.params["file_name"]
        if not self.downloads.valid(
            archive_id, file_name, request.arg("expires"), request.arg("signature"), self.clock.now()
        ):
            return Response.data(b"Request has expired or its signature does not match", "text/plain", 403)
        try:
            record = self.world.get_recording(archive_id)
        except NotFound:
            record = None
        state = None if record is None else self.archive_state(record)
        if record is None or state is None or record.status is not RecordingStatus.AVAILABLE:
            return Response.data(b"No such file", "text/plain", 404)
        if file_name == _TRANSCRIPT and state.transcription is not None:
            file = transcript_file(record, state.transcription["primaryLanguageCode"])
        else:
            file = archive_file(self.world, record)
        disposition = f'attachment; filename="{file.name}"'
        return Response(200, file.data, {"Content-Type": file.content_type, "Content-Disposition": disposition})


def _archive_options(body: dict[str, Any]) -> tuple[dict[str, Any], ArchiveState]:
    """The world's recording options and the face's archive state, from a start request."""
    mode = choice(body, "outputMode", OUTPUT_MODES, "composed", _BAD_ARCHIVE)
    individual = mode == "individual"
    resolution = choice(body, "resolution", RESOLUTIONS, None, _BAD_RESOLUTION)
    if individual and resolution is not None:
        raise _INDIVIDUAL_RESOLUTION.error()
    chosen_layout = layout(body["layout"], _BAD_LAYOUT) if body.get("layout") is not None else None
    if individual and chosen_layout is not None:
        raise _BAD_LAYOUT.error("Invalid request. An individual stream archive has no layout.")
    has_audio = flag(body, "hasAudio", True, _BAD_ARCHIVE)
    has_video = flag(body, "hasVideo", True, _BAD_ARCHIVE)
    if not (has_audio or has_video):
        raise _BAD_ARCHIVE.error("Invalid request. An archive needs audio, video or both.")
    max_bitrate = number(body, "maxBitrate", BITRATE_RANGE, _BAD_BITRATE)
    qp = number(body, "quantizationParameter", QP_RANGE, _BAD_ARCHIVE)
    if individual and (max_bitrate is not None or qp is not None):
        raise _BAD_BITRATE.error()
    if max_bitrate is not None and qp is not None:
        raise _BAD_ARCHIVE.error("Invalid request. Set maxBitrate or quantizationParameter, not both.")
    transcription = None
    if flag(body, "hasTranscription", False, _BAD_ARCHIVE):
        if not individual:
            raise _BAD_ARCHIVE.error("Invalid request. Transcription is for individual stream archives.")
        properties = body.get("transcriptionProperties") or {}
        if not isinstance(properties, dict):
            raise _BAD_ARCHIVE.error("Invalid request. transcriptionProperties must be an object.")
        transcription = {
            "primaryLanguageCode": text(properties, "primaryLanguageCode", _BAD_ARCHIVE) or "en-US",
            "hasSummary": flag(properties, "hasSummary", False, _BAD_ARCHIVE),
        }
    options = {
        "mode": RecordingMode(mode),
        "name": text(body, "name", _BAD_ARCHIVE),
        "resolution": Resolution.parse(resolution) if resolution else None,
        "has_audio": has_audio,
        "has_video": has_video,
    }
    state = ArchiveState(
        output_mode=mode,
        stream_mode=choice(body, "streamMode", STREAM_MODES, "auto", _BAD_ARCHIVE),
        multi_archive_tag=text(body, "multiArchiveTag", _BAD_ARCHIVE) or "",
        layout=chosen_layout or ({"type": "bestFit"} if not individual else None),
        max_bitrate=max_bitrate,
        quantization_parameter=qp,
        transcription=transcription,
    )
    return options, state
