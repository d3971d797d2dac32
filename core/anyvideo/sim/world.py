"""The simulated video platform: one world, in provider-neutral terms.

Rooms open and end; participants join with a verified :class:`Grant` and
leave; streams are published, muted and unpublished; recordings capture the
streams of a window and then process; compositions render files from
recordings or broadcast live; signals reach connected clients. Time comes
from a :class:`Clock`, so a test can advance it, and timed transitions
(processing done, maximum duration reached) happen when the world is next
touched at or after their due time. Every change is an event.

The rules of the world live here once; the ``local`` backend and the provider
emulators are faces that only translate.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import attrs

from anyvideo.errors import AuthenticationError, Conflict, Forbidden, NotFound
from anyvideo.models import (
    CompositionOutput,
    CompositionStatus,
    EventType,
    Layout,
    MediaFile,
    ParticipantStatus,
    RecordingMode,
    RecordingStatus,
    Resolution,
    Role,
    RoomStatus,
    RtmpTarget,
    StreamKind,
    VideoSource,
)
from anyvideo.placement import Candidate, boxes, place
from anyvideo.sim import media
from anyvideo.sim.clock import Clock, SystemClock
from anyvideo.sim.records import (
    CompositionRecord,
    Grant,
    ParticipantRecord,
    Record,
    RecordingRecord,
    RoomRecord,
    SignalRecord,
    SimEvent,
    StreamRecord,
)
from anyvideo.sim.store import Store

__all__ = ["IdFactory", "Placer", "Seeded", "World", "place_by_layout"]

R = TypeVar("R", bound=Record)

#: Makes a new id for a kind of record ("room", "participant", ...).
IdFactory = Callable[[str], str]

_PREFIXES = {
    "room": "rm",
    "participant": "pa",
    "stream": "st",
    "recording": "rec",
    "composition": "cmp",
    "signal": "sg",
    "event": "ev",
}

_PAGE = 100

#: A file's sources (stream id, seconds) and where it shows each video stream.
_Made = tuple[Sequence[tuple[str, float]], Mapping[str, media.Box]]
Placements = tuple[tuple[str, media.Box], ...]

#: Decides where a composed file shows each video stream: the face of a provider
#: reads the provider's own layout (CSS classes, track patterns); ``local`` the core layout.
Placer = Callable[["World", "RecordingRecord | CompositionRecord", Sequence[StreamRecord]], Mapping[str, media.Box]]


def place_by_layout(
    world: World, record: RecordingRecord | CompositionRecord, streams: Sequence[StreamRecord]
) -> dict[str, media.Box]:
    """The core placement rule applied to ``record.layout`` (custom layouts only)."""
    if record.layout is None:
        return {}
    candidates = []
    for stream in streams:
        participant = world.store.get(ParticipantRecord, stream.participant_id)
        candidates.append(
            Candidate(
                stream_id=stream.id,
                identity=None if participant is None else participant.identity,
                name=stream.name,
                source=stream.video_source,
                role=None if participant is None else participant.role,
            )
        )
    return boxes(place(record.layout, candidates))


@attrs.frozen
class Seeded:
    """What :meth:`World.seed_recordings` made: the recordings' publisher and stream, and
    the first and last recording (the others lie between them in creation order)."""

    room_id: str
    participant_id: str
    stream_id: str
    count: int
    first_id: str | None
    last_id: str | None
    #: How many bytes the store takes once they are written.
    store_bytes: int


def default_ids(kind: str) -> str:
    return f"{_PREFIXES[kind]}_{uuid.uuid4().hex}"


class World:
    """The state and rules of the simulated platform.

    ``processing_delay`` is how long a stopped recording (or a file
    composition) takes to become available, in seconds.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Clock | None = None,
        ids: IdFactory = default_ids,
        processing_delay: float = 2.0,
        placer: Placer | None = None,
    ) -> None:
        if not (math.isfinite(processing_delay) and processing_delay >= 0):
            raise ValueError("processing_delay must be a finite number of seconds ≥ 0")
        self.store = store or Store()
        self.clock: Clock = clock or SystemClock()
        self._ids = ids
        self.processing_delay = timedelta(seconds=processing_delay)
        self.placer: Placer = placer or place_by_layout
        self._listeners: list[Callable[[SimEvent], None]] = []
        self._pending: list[SimEvent] = []
        self._lock = threading.RLock()
        self._busy = 0

    # --- plumbing -----------------------------------------------------------

    def subscribe(self, listener: Callable[[SimEvent], None]) -> None:
        """Call ``listener`` with every event, in order, after the change that made it is stored."""
        self._listeners.append(listener)

    def secret(self, key: str, default: Callable[[], str]) -> str:
        """A value this world keeps for good (e.g. a token-signing key), made once by ``default``."""
        return self.store.meta(key, default)

    def close(self) -> None:
        self.store.close()

    def _change(self) -> _Change:
        return _Change(self)

    def _emit(self, type: EventType, subject: Record, *, at: datetime | None = None) -> None:
        room_id = subject.id if isinstance(subject, RoomRecord) else subject.room_id
        event = self.store.add_event(self._ids("event"), type.value, at or self.clock.now(), room_id, subject)
        self._pending.append(event)

    def _save(self, record: R) -> R:
        self.store.put(record)
        return record

    def _get(self, cls: type[R], record_id: str) -> R:
        record = self.store.get(cls, record_id)
        if record is None:
            raise NotFound(f"no {cls.KIND} {record_id!r}")
        return record

    def _iterate(
        self, cls: type[R], *, room_id: str | None = None, name: str | None = None, status: str | None = None
    ) -> Iterator[R]:
        """Lazily, page by page, so a long listing never holds the store."""
        after = 0
        while True:
            with self._change():
                page = self.store.select(cls, room_id=room_id, name=name, status=status, after_seq=after, limit=_PAGE)
            for seq, record in page:
                after = seq
                yield record
            if len(page) < _PAGE:
                return

    def scan(
        self,
        cls: type[R],
        *,
        limit: int,
        room_id: str | None = None,
        statuses: Sequence[str] | None = None,
        not_status: str | None = None,
        keep: Callable[[R], bool] | None = None,
        after_seq: int = 0,
        before_seq: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[tuple[int, R]]:
        """Up to ``limit`` records (with their listing keys, :meth:`seq_of`) after
        ``offset`` of them, in creation order or ``newest_first``, between the keys
        ``after_seq`` and ``before_seq``, matching the indexed filters and ``keep``.

        What the indexed filters pick is read a page at a time: without ``keep``
        one query reads exactly the page; with it, the rows ``keep`` passes over
        are read too (a face's filter on what the store has no column for)."""
        with self._change():
            if keep is None:
                return self.store.select(
                    cls,
                    room_id=room_id,
                    statuses=statuses,
                    not_status=not_status,
                    after_seq=after_seq,
                    before_seq=before_seq,
                    offset=offset,
                    limit=limit,
                    newest_first=newest_first,
                )
            found: list[tuple[int, R]] = []
            chunk = max(limit, _PAGE)
            while len(found) < limit:
                rows = self.store.select(
                    cls,
                    room_id=room_id,
                    statuses=statuses,
                    not_status=not_status,
                    after_seq=after_seq,
                    before_seq=before_seq,
                    limit=chunk,
                    newest_first=newest_first,
                )
                for seq, record in rows:
                    if not keep(record):
                        continue
                    if offset:
                        offset -= 1
                        continue
                    found.append((seq, record))
                    if len(found) == limit:
                        break
                if len(rows) < chunk:
                    break
                if newest_first:
                    before_seq = rows[-1][0]
                else:
                    after_seq = rows[-1][0]
            return found

    def count(
        self,
        cls: type[R],
        *,
        room_id: str | None = None,
        statuses: Sequence[str] | None = None,
        not_status: str | None = None,
    ) -> int:
        """How many records :meth:`scan` walks through with these indexed filters."""
        with self._change():
            return self.store.count(cls, room_id=room_id, statuses=statuses, not_status=not_status)

    def seq_of(self, cls: type[R], record_id: str) -> int | None:
        """A record's listing key (its place in creation order), ``None`` if there is no such record."""
        with self._change():
            return self.store.seq_of(cls, record_id)

    def _settle(self) -> None:
        """Carry out every timed transition that is due, earliest first."""
        now = self.clock.now()
        while due := self.store.due(now):
            for record in due:
                if isinstance(record, RecordingRecord):
                    self._settle_recording(record)
                elif isinstance(record, CompositionRecord):
                    self._settle_composition(record)

    def _settle_recording(self, record: RecordingRecord) -> None:
        assert record.due_at is not None
        if record.status is RecordingStatus.RECORDING:
            self._stop_recording(record, at=record.due_at)
        elif record.status is RecordingStatus.PROCESSING:
            self._emit(EventType.RECORDING_AVAILABLE, self._save(self._processed(record)), at=record.due_at)

    def _processed(self, record: RecordingRecord, known: Sequence[StreamRecord] = ()) -> RecordingRecord:
        """A stopped recording, processed: available, with its files described
        (``known``: streams it captured, so they need not be read again)."""
        files = tuple(self._describe(record.id, name, made) for name, made in self._recording_files(record).items())
        if record.mode is RecordingMode.INDIVIDUAL:
            streams = {stream.id: stream for stream in known}
            files = tuple(
                self._whose(record, file, streams.get(stream_id) or self._get(StreamRecord, stream_id))
                for file, (stream_id, _) in zip(files, record.sources, strict=True)
            )
        return attrs.evolve(record, status=RecordingStatus.AVAILABLE, files=files, due_at=None)

    def _settle_composition(self, record: CompositionRecord) -> None:
        assert record.due_at is not None
        if record.status is CompositionStatus.LIVE:
            self._stop_live(record, at=record.due_at)
        elif record.status is CompositionStatus.PROCESSING:
            file = self._describe(record.id, f"{record.id}.sim", (record.sources, dict(record.placements)))
            ready = attrs.evolve(record, status=CompositionStatus.AVAILABLE, files=(file,), due_at=None)
            self._emit(EventType.COMPOSITION_AVAILABLE, self._save(ready), at=record.due_at)

    @staticmethod
    def _whose(record: RecordingRecord, file: MediaFile, stream: StreamRecord) -> MediaFile:
        """An individual recording's file of one stream, saying whose stream it is and when in
        the recording it starts and stops."""
        assert record.stopped_at is not None  # processing follows a stop
        start = max(stream.published_at, record.started_at)
        stop = min(stream.unpublished_at or record.stopped_at, record.stopped_at)
        return attrs.evolve(
            file,
            stream_id=stream.id,
            participant_id=stream.participant_id,
            kind=stream.kind,
            video_source=stream.video_source,
            offset=(start - record.started_at).total_seconds(),
            duration=max(0.0, (stop - start).total_seconds()),
        )

    @staticmethod
    def _render(object_id: str, name: str, made: _Made) -> bytes:
        sources, placements = made
        seconds = max((s for _, s in sources), default=0.0)
        return media.render(f"{object_id}/{name}", [sid for sid, _ in sources], seconds, placements)

    def _describe(self, object_id: str, name: str, made: _Made) -> MediaFile:
        return media.describe(name, self._render(object_id, name, made))

    def _place(self, record: RecordingRecord | CompositionRecord, stream_ids: Iterable[str]) -> Placements:
        """Where ``record``'s file shows each of ``stream_ids`` that has video, as the placer decides."""
        return self._place_streams(record, [self._get(StreamRecord, sid) for sid in stream_ids if sid])

    def _place_streams(
        self, record: RecordingRecord | CompositionRecord, streams: Sequence[StreamRecord]
    ) -> Placements:
        chosen = self.placer(self, record, [s for s in streams if s.kind.has_video])
        return tuple(sorted((sid, tuple(box)) for sid, box in chosen.items()))  # type: ignore[misc]

    # --- rooms --------------------------------------------------------------

    def create_room(
        self, name: str | None = None, *, max_participants: int | None = None, options: dict[str, Any] | None = None
    ) -> RoomRecord:
        with self._change():
            if name is not None and self.store.select(RoomRecord, name=name, status=RoomStatus.OPEN.value):
                raise Conflict(f"an open room is already named {name!r}")
            room = RoomRecord(
                id=self._ids("room"),
                name=name,
                status=RoomStatus.OPEN,
                created_at=self.clock.now(),
                max_participants=max_participants,
                options=dict(options or {}),
            )
            self._emit(EventType.ROOM_STARTED, self._save(room))
            return room

    def get_room(self, room_id: str) -> RoomRecord:
        with self._change():
            return self._get(RoomRecord, room_id)

    def find_room(self, name: str) -> RoomRecord:
        """The open room with this name, else the newest room that had it."""
        with self._change():
            rows = self.store.select(RoomRecord, name=name, newest_first=True)
            for _, room in rows:
                if room.status is RoomStatus.OPEN:
                    return room
            if rows:
                return rows[0][1]
            raise NotFound(f"no room named {name!r}")

    def rooms(self, *, status: RoomStatus | None = None, name: str | None = None) -> Iterator[RoomRecord]:
        return self._iterate(RoomRecord, status=status and status.value, name=name)

    def end_room(self, room_id: str) -> RoomRecord:
        """End the room: everyone is disconnected, recording and broadcasting stop."""
        with self._change():
            room = self._open_room(room_id)
            now = self.clock.now()
            for _, participant in self.store.select(
                ParticipantRecord, room_id=room_id, status=ParticipantStatus.CONNECTED.value
            ):
                self._leave(participant)
            for _, recording in self.store.select(
                RecordingRecord, room_id=room_id, status=RecordingStatus.RECORDING.value
            ):
                self._stop_recording(recording, at=now)
            for _, composition in self.store.select(
                CompositionRecord, room_id=room_id, status=CompositionStatus.LIVE.value
            ):
                self._stop_live(composition, at=now)
            ended = self._save(attrs.evolve(room, status=RoomStatus.ENDED, ended_at=now))
            self._emit(EventType.ROOM_ENDED, ended)
            return ended

    def _open_room(self, room_id: str) -> RoomRecord:
        room = self._get(RoomRecord, room_id)
        if room.status is not RoomStatus.OPEN:
            raise Conflict(f"room {room_id!r} has ended")
        return room

    # --- participants -------------------------------------------------------

    def join(self, room_id: str, grant: Grant) -> ParticipantRecord:
        """A client joins ``room_id`` with a verified token's grant."""
        with self._change():
            now = self.clock.now()
            if grant.expires_at <= now:
                raise AuthenticationError("the token has expired")
            if grant.room_id != room_id:
                raise Forbidden(f"the token is for another room, not {room_id!r}")
            room = self._open_room(room_id)
            if room.max_participants is not None:
                connected = self.store.select(
                    ParticipantRecord, room_id=room_id, status=ParticipantStatus.CONNECTED.value
                )
                if len(connected) >= room.max_participants:
                    raise Conflict(f"room {room_id!r} is full ({room.max_participants} participants)")
            participant = ParticipantRecord(
                id=self._ids("participant"),
                room_id=room_id,
                identity=grant.identity,
                role=grant.role,
                status=ParticipantStatus.CONNECTED,
                joined_at=now,
                data=grant.data,
            )
            self._emit(EventType.PARTICIPANT_JOINED, self._save(participant))
            return participant

    def get_participant(self, participant_id: str) -> ParticipantRecord:
        with self._change():
            return self._get(ParticipantRecord, participant_id)

    def participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[ParticipantRecord]:
        self.get_room(room_id)
        return self._iterate(ParticipantRecord, room_id=room_id, status=status and status.value)

    def leave(self, participant_id: str) -> ParticipantRecord:
        """The participant leaves (or is disconnected): their streams are unpublished."""
        with self._change():
            participant = self._get(ParticipantRecord, participant_id)
            if participant.status is not ParticipantStatus.CONNECTED:
                raise Conflict(f"participant {participant_id!r} is not connected")
            return self._leave(participant)

    def _leave(self, participant: ParticipantRecord) -> ParticipantRecord:
        for _, stream in self.store.select(StreamRecord, room_id=participant.room_id):
            if stream.participant_id == participant.id and stream.published:
                self._unpublish(stream)
        gone = attrs.evolve(participant, status=ParticipantStatus.DISCONNECTED, left_at=self.clock.now())
        self._emit(EventType.PARTICIPANT_LEFT, self._save(gone))
        return gone

    # --- streams ------------------------------------------------------------

    def publish(
        self,
        participant_id: str,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        *,
        name: str | None = None,
        video_source: VideoSource | None = None,
    ) -> StreamRecord:
        with self._change():
            participant = self._get(ParticipantRecord, participant_id)
            if participant.status is not ParticipantStatus.CONNECTED:
                raise Conflict(f"participant {participant_id!r} is not connected")
            if not participant.role.can_publish:
                raise Forbidden(f"a {participant.role} token cannot publish")
            if kind.has_video and video_source is None:
                video_source = VideoSource.CAMERA
            stream = StreamRecord(
                id=self._ids("stream"),
                room_id=participant.room_id,
                participant_id=participant_id,
                kind=kind,
                published_at=self.clock.now(),
                name=name,
                video_source=video_source if kind.has_video else None,
            )
            self._emit(EventType.STREAM_PUBLISHED, self._save(stream))
            return stream

    def unpublish(self, stream_id: str) -> StreamRecord:
        with self._change():
            return self._unpublish(self._published(stream_id))

    def _unpublish(self, stream: StreamRecord) -> StreamRecord:
        gone = self._save(attrs.evolve(stream, unpublished_at=self.clock.now()))
        self._emit(EventType.STREAM_UNPUBLISHED, gone)
        return gone

    def _published(self, stream_id: str) -> StreamRecord:
        stream = self._get(StreamRecord, stream_id)
        if not stream.published:
            raise NotFound(f"stream {stream_id!r} is no longer published")
        return stream

    def get_stream(self, stream_id: str) -> StreamRecord:
        with self._change():
            return self._get(StreamRecord, stream_id)

    def streams(self, room_id: str, *, published_only: bool = True) -> Iterator[StreamRecord]:
        self.get_room(room_id)
        streams = self._iterate(StreamRecord, room_id=room_id)
        return (s for s in streams if s.published) if published_only else streams

    def mute(self, stream_id: str) -> StreamRecord:
        """Mute the stream's audio, as a moderator would."""
        with self._change():
            stream = self._published(stream_id)
            if not stream.kind.has_audio:
                raise Conflict(f"stream {stream_id!r} has no audio to mute")
            return self._save(attrs.evolve(stream, audio_muted=True))

    def mute_all(self, room_id: str, *, except_stream_ids: Sequence[str] = ()) -> list[StreamRecord]:
        with self._change():
            self._open_room(room_id)
            muted = []
            for _, stream in self.store.select(StreamRecord, room_id=room_id):
                if stream.published and stream.kind.has_audio and stream.id not in except_stream_ids:
                    muted.append(self._save(attrs.evolve(stream, audio_muted=True)))
            return muted

    # --- recordings ---------------------------------------------------------

    def start_recording(
        self,
        room_id: str,
        *,
        mode: RecordingMode = RecordingMode.COMPOSED,
        name: str | None = None,
        layout: Layout | None = None,
        resolution: Resolution | None = None,
        has_audio: bool = True,
        has_video: bool = True,
        max_duration: float | None = None,
        max_streams: int | None = None,
        options: dict[str, Any] | None = None,
        stream_ids: Sequence[str] | None = None,
    ) -> RecordingRecord:
        """Start capturing the room's streams; ``max_streams`` caps how many are
        captured (the provider's limit), the first published first; ``stream_ids``
        restricts the capture to those streams (a per-track recording)."""
        with self._change():
            self._open_room(room_id)
            now = self.clock.now()
            recording = RecordingRecord(
                id=self._ids("recording"),
                room_id=room_id,
                mode=mode,
                status=RecordingStatus.RECORDING,
                started_at=now,
                name=name,
                layout=layout,
                resolution=resolution,
                has_audio=has_audio,
                has_video=has_video,
                due_at=None if max_duration is None else now + timedelta(seconds=max_duration),
                options=dict(options or {}),
                max_streams=max_streams,
                stream_ids=None if stream_ids is None else tuple(stream_ids),
            )
            self._emit(EventType.RECORDING_STARTED, self._save(recording))
            return recording

    def stop_recording(self, recording_id: str) -> RecordingRecord:
        with self._change():
            recording = self._get(RecordingRecord, recording_id)
            if recording.status is not RecordingStatus.RECORDING:
                raise Conflict(f"recording {recording_id!r} is not recording (it is {recording.status})")
            return self._stop_recording(recording, at=self.clock.now())

    def _stop_recording(self, recording: RecordingRecord, *, at: datetime) -> RecordingRecord:
        sources = self._captured(recording, at)
        composed = recording.mode is RecordingMode.COMPOSED
        stopped = attrs.evolve(
            recording,
            status=RecordingStatus.PROCESSING,
            stopped_at=at,
            sources=sources,
            due_at=at + self.processing_delay,
            placements=self._place(recording, [sid for sid, _ in sources]) if composed else (),
        )
        return self._save(stopped)

    def _captured(self, recording: RecordingRecord, end: datetime) -> tuple[tuple[str, float], ...]:
        """Each stream of the room that overlapped the window, with the seconds it overlapped."""
        captured = []
        for _, stream in self.store.select(StreamRecord, room_id=recording.room_id):
            if stream.kind is StreamKind.DATA:
                continue
            if recording.stream_ids is not None and stream.id not in recording.stream_ids:
                continue
            if not (recording.has_audio and stream.kind.has_audio or recording.has_video and stream.kind.has_video):
                continue
            start = max(stream.published_at, recording.started_at)
            stop = min(stream.unpublished_at or end, end)
            if stop > start or (stop == start and stream.unpublished_at is None):
                captured.append((stream.id, (stop - start).total_seconds()))
        return tuple(captured[: recording.max_streams])

    @staticmethod
    def _recording_files(recording: RecordingRecord) -> dict[str, _Made]:
        if recording.mode is RecordingMode.COMPOSED:
            duration = (recording.stopped_at - recording.started_at).total_seconds()  # type: ignore[operator]
            sources = [(sid, duration) for sid, _ in recording.sources] or [("", duration)]
            return {f"{recording.id}.sim": (sources, dict(recording.placements))}
        return {f"{stream_id}.sim": ([(stream_id, seconds)], {}) for stream_id, seconds in recording.sources}

    def get_recording(self, recording_id: str) -> RecordingRecord:
        with self._change():
            return self._get(RecordingRecord, recording_id)

    def recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[RecordingRecord]:
        return self._iterate(RecordingRecord, room_id=room_id, status=status and status.value)

    def delete_recording(self, recording_id: str) -> RecordingRecord:
        with self._change():
            recording = self._get(RecordingRecord, recording_id)
            if recording.status in (RecordingStatus.RECORDING, RecordingStatus.PAUSED):
                raise Conflict(f"recording {recording_id!r} is still recording; stop it first")
            if recording.status is RecordingStatus.DELETED:
                raise NotFound(f"recording {recording_id!r} was deleted")
            return self._save(attrs.evolve(recording, status=RecordingStatus.DELETED, files=(), due_at=None))

    def seed_recordings(
        self,
        room_id: str,
        count: int,
        *,
        mode: RecordingMode = RecordingMode.COMPOSED,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        seconds: float = 1.0,
        identity: str = "seeded",
        per_stream: bool = False,
        options: Mapping[str, Any] | None = None,
        chunk: int = 1000,
    ) -> Seeded:
        """``count`` finished recordings of ``room_id``, as running the room would have left them.

        A participant ``identity`` published one stream of ``kind``; the recordings
        captured it back to back, ``seconds`` each, the last stopping
        ``processing_delay`` ago, so every one is available with its files
        described and its media rendered on demand like any other (``per_stream``:
        each captures only that stream, a per-track recording). ``options`` is each
        recording's ``options`` (what a face keeps about it). They are written
        ``chunk`` at a time, made as they are written: memory does not grow with
        ``count``. No events: they happened before anyone listened.
        """
        if count < 0 or not (math.isfinite(seconds) and seconds > 0):
            raise ValueError("count must be ≥ 0 and seconds a finite number > 0")
        with self._change():
            self._get(RoomRecord, room_id)
            length = timedelta(seconds=seconds)
            end = self.clock.now() - self.processing_delay
            start = end - length * count
            participant = self._save(
                ParticipantRecord(
                    id=self._ids("participant"),
                    room_id=room_id,
                    identity=identity,
                    role=Role.PUBLISHER,
                    status=ParticipantStatus.DISCONNECTED,
                    joined_at=start,
                    left_at=end,
                )
            )
            stream = self._save(
                StreamRecord(
                    id=self._ids("stream"),
                    room_id=room_id,
                    participant_id=participant.id,
                    kind=kind,
                    published_at=start,
                    unpublished_at=end,
                    video_source=VideoSource.CAMERA if kind.has_video else None,
                )
            )
            made: list[str] = []

            def recordings() -> Iterator[RecordingRecord]:
                for index in range(count):
                    started = start + length * index
                    stopped = RecordingRecord(
                        id=self._ids("recording"),
                        room_id=room_id,
                        mode=mode,
                        status=RecordingStatus.PROCESSING,
                        started_at=started,
                        has_audio=kind.has_audio,
                        has_video=kind.has_video,
                        stopped_at=started + length,
                        sources=((stream.id, seconds),),
                        options=dict(options or {}),
                        stream_ids=(stream.id,) if per_stream else None,
                    )
                    if mode is RecordingMode.COMPOSED:
                        stopped = attrs.evolve(stopped, placements=self._place_streams(stopped, [stream]))
                    if index in (0, count - 1):
                        made.append(stopped.id)
                    yield self._processed(stopped, [stream])

            self.store.put_many(recordings(), chunk=chunk)
            first, last = (made[0], made[-1]) if made else (None, None)
            return Seeded(room_id, participant.id, stream.id, count, first, last, self.store.size())

    # --- compositions -------------------------------------------------------

    def start_composition(
        self,
        room_id: str,
        *,
        output: CompositionOutput,
        layout: Layout | None = None,
        resolution: Resolution | None = None,
        format: str | None = None,
        stream_ids: Sequence[str] | None = None,
        recording_ids: Sequence[str] | None = None,
        hls: bool = False,
        rtmp: Sequence[RtmpTarget] = (),
        max_duration: float | None = None,
        options: dict[str, Any] | None = None,
    ) -> CompositionRecord:
        """A file composition renders from the room's available recordings (or
        the ones named); a live one mixes the open room's streams until stopped."""
        with self._change():
            now = self.clock.now()
            if output is CompositionOutput.LIVE:
                self._open_room(room_id)
                status, due = CompositionStatus.LIVE, None
                sources: tuple[tuple[str, float], ...] = ()
                if max_duration is not None:
                    due = now + timedelta(seconds=max_duration)
                recordings: tuple[str, ...] = ()
            else:
                self._get(RoomRecord, room_id)
                chosen = self._composable(room_id, recording_ids)
                recordings = tuple(r.id for r in chosen)
                sources = self._composed_sources(chosen, stream_ids)
                status, due = CompositionStatus.PROCESSING, now + self.processing_delay
            composition = CompositionRecord(
                id=self._ids("composition"),
                room_id=room_id,
                output=output,
                status=status,
                started_at=now,
                layout=layout,
                resolution=resolution,
                format=format,
                stream_ids=None if stream_ids is None else tuple(stream_ids),
                recording_ids=recordings,
                hls=hls,
                rtmp=tuple(rtmp),
                due_at=due,
                sources=sources,
                options=dict(options or {}),
            )
            if output is CompositionOutput.FILE:
                placed = self._place(composition, [sid for sid, _ in sources])
                composition = attrs.evolve(composition, placements=placed)
            self._emit(EventType.COMPOSITION_STARTED, self._save(composition))
            return composition

    def _composable(self, room_id: str, recording_ids: Sequence[str] | None) -> list[RecordingRecord]:
        if recording_ids is None:
            chosen = [r for _, r in self.store.select(RecordingRecord, room_id=room_id)]
            chosen = [r for r in chosen if r.status is RecordingStatus.AVAILABLE]
        else:
            chosen = [self._get(RecordingRecord, rid) for rid in recording_ids]
            for recording in chosen:
                if recording.room_id != room_id:
                    raise Conflict(f"recording {recording.id!r} belongs to another room")
                if recording.status is not RecordingStatus.AVAILABLE:
                    raise Conflict(f"recording {recording.id!r} is {recording.status}, not available")
        if not chosen:
            raise Conflict(f"room {room_id!r} has no available recordings to compose")
        return chosen

    @staticmethod
    def _composed_sources(
        recordings: Sequence[RecordingRecord], stream_ids: Sequence[str] | None
    ) -> tuple[tuple[str, float], ...]:
        start = min(r.started_at for r in recordings)
        end = max(r.stopped_at for r in recordings if r.stopped_at)
        span = (end - start).total_seconds()
        streams = sorted({sid for r in recordings for sid, _ in r.sources})
        if stream_ids is not None:
            streams = [sid for sid in streams if sid in stream_ids]
        return tuple((sid, span) for sid in streams) or (("", span),)

    def stop_composition(self, composition_id: str) -> CompositionRecord:
        with self._change():
            composition = self._get(CompositionRecord, composition_id)
            if composition.output is not CompositionOutput.LIVE:
                raise Conflict(f"composition {composition_id!r} is a file; it finishes by itself")
            if composition.status is not CompositionStatus.LIVE:
                raise Conflict(f"composition {composition_id!r} is not live (it is {composition.status})")
            return self._stop_live(composition, at=self.clock.now())

    def _stop_live(self, composition: CompositionRecord, *, at: datetime) -> CompositionRecord:
        stopped = attrs.evolve(composition, status=CompositionStatus.STOPPED, ended_at=at, due_at=None)
        self._emit(EventType.COMPOSITION_ENDED, self._save(stopped), at=at)
        return stopped

    def get_composition(self, composition_id: str) -> CompositionRecord:
        with self._change():
            return self._get(CompositionRecord, composition_id)

    def compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[CompositionRecord]:
        return self._iterate(CompositionRecord, room_id=room_id, status=status and status.value)

    def delete_composition(self, composition_id: str) -> CompositionRecord:
        with self._change():
            composition = self._get(CompositionRecord, composition_id)
            if composition.status in (CompositionStatus.LIVE, CompositionStatus.PROCESSING):
                raise Conflict(f"composition {composition_id!r} is {composition.status}; it cannot be deleted yet")
            if composition.status is CompositionStatus.DELETED:
                raise NotFound(f"composition {composition_id!r} was deleted")
            return self._save(attrs.evolve(composition, status=CompositionStatus.DELETED, files=(), due_at=None))

    # --- media --------------------------------------------------------------

    def media(self, kind: str, object_id: str, file_name: str) -> bytes:
        """The bytes of one file of an available recording (``kind="recording"``) or composition."""
        with self._change():
            if kind == "recording":
                recording = self._get(RecordingRecord, object_id)
                ready = recording.status is RecordingStatus.AVAILABLE
                files = self._recording_files(recording) if ready else {}
            else:
                composition = self._get(CompositionRecord, object_id)
                ready = composition.status is CompositionStatus.AVAILABLE
                files = {f"{object_id}.sim": (composition.sources, dict(composition.placements))} if ready else {}
            if not ready:
                raise Conflict(f"{kind} {object_id!r} has no media available")
            if file_name not in files:
                raise NotFound(f"{kind} {object_id!r} has no file {file_name!r}")
            return self._render(object_id, file_name, files[file_name])

    # --- signals ------------------------------------------------------------

    def send_signal(self, room_id: str, type: str, data: str, *, to: str | None = None) -> SignalRecord:
        """Deliver a message to every connected participant, or to ``to`` alone."""
        with self._change():
            self._open_room(room_id)
            connected = [
                p.id
                for _, p in self.store.select(
                    ParticipantRecord, room_id=room_id, status=ParticipantStatus.CONNECTED.value
                )
            ]
            if to is not None:
                if to not in connected:
                    raise NotFound(f"participant {to!r} is not connected to room {room_id!r}")
                connected = [to]
            signal = SignalRecord(
                id=self._ids("signal"),
                room_id=room_id,
                type=type,
                data=data,
                sent_at=self.clock.now(),
                recipients=tuple(connected),
                to=to,
            )
            return self._save(signal)

    def signals_for(self, participant_id: str) -> list[SignalRecord]:
        """Signals delivered to a participant, oldest first."""
        participant = self.get_participant(participant_id)
        with self._change():
            rows = self.store.select(SignalRecord, room_id=participant.room_id)
        return [s for _, s in rows if participant_id in s.recipients]

    def events(self, after_seq: int = 0) -> list[SimEvent]:
        """Every event after ``after_seq``, oldest first."""
        events: list[SimEvent] = []
        while True:
            with self._change():
                page = self.store.events(after_seq, limit=_PAGE)
            events += page
            if len(page) < _PAGE:
                return events
            after_seq = page[-1].seq


class _Change:
    """One unit of work: a transaction that first settles what is due, then
    tells the listeners about the events it produced, once it is stored."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._transaction = world.store.transaction()

    def __enter__(self) -> None:
        world = self.world
        world._lock.acquire()
        world._busy += 1
        try:
            self._transaction.__enter__()
            if world._busy == 1:
                world._settle()
        except BaseException:
            world._busy -= 1
            world._lock.release()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        world = self.world
        try:
            self._transaction.__exit__(exc_type, exc_value, traceback)
        finally:
            world._busy -= 1
            outermost = world._busy == 0
            delivered = world._pending if outermost else []
            if outermost:
                world._pending = []
            world._lock.release()
        if exc_type is not None:
            return
        # Every listener hears every event even if one of them fails; the
        # failures are raised afterwards, so none goes unnoticed.
        failures = []
        for event in delivered:
            for listener in world._listeners:
                try:
                    listener(event)
                except Exception as exc:
                    failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise ExceptionGroup("event listeners failed", failures)
