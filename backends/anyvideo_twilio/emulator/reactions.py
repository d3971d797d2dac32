"""How the Twilio face keeps Twilio's rules running around the simulated
platform: after each world event it notes what happened, sends the status
callback, then does what Twilio does next (record the tracks the recording
rules pick, end empty rooms, compose completed rooms for the hooks)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from anyvideo.errors import Conflict
from anyvideo.models import (
    CompositionOutput,
    EventType,
    ParticipantStatus,
    RecordingMode,
    RecordingStatus,
    Resolution,
    RoomStatus,
    StreamKind,
)
from anyvideo.sim import SimEvent, World
from anyvideo.sim.records import CompositionRecord, ParticipantRecord, RecordingRecord, RoomRecord, StreamRecord
from anyvideo.testing.server import Request, Response
from anyvideo_twilio.emulator import errors, layouts, rules, sids, webhooks
from anyvideo_twilio.emulator.face import Face
from anyvideo_twilio.emulator.layouts import Box
from anyvideo_twilio.emulator.rules import INCLUDE_ALL, Rule
from anyvideo_twilio.emulator.state import (
    CompositionEntry,
    CompositionParams,
    Hook,
    RecordingExtra,
    RoomState,
    Transcription,
)
from anyvideo_twilio.emulator.statuses import (
    COMPOSITION_EVENTS,
    PARTICIPANT_STATUS,
    ROOM_EVENTS,
    ROOM_STATUS,
    TRACK_KIND,
)
from anyvideo_twilio.emulator.translate import (
    codec,
    composition_duration,
    container,
    external_location,
    recording_duration,
    track_name,
)

__all__ = ["Reactions"]

_CAPTURING = (RecordingStatus.RECORDING, RecordingStatus.PROCESSING)


class Reactions(Face):
    """The face's behaviour between requests."""

    # --- requests: timers first, a request id on every answer ---------------

    def handle(self, request: Request) -> Response:
        self.run_timers()
        response = super().handle(request)
        headers = {**response.headers, "Twilio-Request-Id": sids.new_sid(sids.REQUEST)}
        return Response(response.status, response.body, headers)

    def run_timers(self) -> None:
        """Do what is due by now: end the rooms and disconnect the participants
        whose time is up, start the compositions whose recordings are ready.

        Checked when a request arrives, so an idle emulator ends a room at the
        first request after its timeout, at that moment."""
        with self.state.lock:
            while due := self.state.pop_due(self.clock.now()):
                for kind, sid in due:
                    try:
                        if kind == "room":
                            self.world.end_room(sid)
                        else:
                            self.world.leave(sid)
                    except Conflict:
                        pass  # ended or left meanwhile
            # Looking at a waiting room's recordings brings them up to date,
            # which starts its compositions once they are all processed.
            waiting = {e.room_sid for e in self.state.compositions.values() if not e.started and e.failure is None}
            for room_sid in waiting:
                self.start_ready_compositions(room_sid)

    # --- world events: note, tell, react -------------------------------------

    def on_event(self, event: SimEvent) -> None:
        kind = EventType(event.type)
        with self.state.lock:
            if note := _NOTES.get(kind):
                note(self, event)
            self._tell(kind, event)
            if react := _REACTIONS.get(kind):
                react(self, event)

    def _note_room_started(self, event: SimEvent) -> None:
        room = event.subject_as(RoomRecord)
        options = room.options
        initial = options.get("recording_rules")
        chosen: tuple[Rule, ...] = INCLUDE_ALL if options["record_participants_on_connect"] else ()
        if initial is not None:
            chosen = tuple(Rule(**rule) for rule in initial)
        self.state.rooms[room.id] = RoomState(chosen, room.created_at, room.created_at)

    def _note_recording_started(self, event: SimEvent) -> None:
        recording = event.subject_as(RecordingRecord)
        options = self.world.get_room(recording.room_id).options
        self.state.recordings[recording.id] = RecordingExtra(
            settings=self.state.settings["recording"],
            status_callback=options["status_callback"],
            status_callback_method=options["status_callback_method"],
        )

    def _note_recording_available(self, event: SimEvent) -> None:
        if extra := self.state.recordings.get(event.subject.id):
            extra.completed_at = event.occurred_at

    def _note_composition_available(self, event: SimEvent) -> None:
        if entry := self.state.compositions.get(event.subject.id):
            entry.completed_at = event.occurred_at

    def start_transcription(self, room: RoomRecord, settings: dict[str, Any], at: datetime) -> Transcription:
        """A new started transcriptions resource of ``room`` (refused while one runs)."""
        with self.state.lock:
            kept = self.state.transcriptions.setdefault(room.id, [])
            if any(t.status == "started" for t in kept):
                raise errors.invalid(f"Room {room.id} is already being transcribed; stop that transcription first")
            ttid = f"video_extension_{uuid.uuid4()}"  # random, as SIDs are
            transcription = Transcription(ttid, room.id, settings, at, at, start_time=at)
            kept.append(transcription)
            return transcription

    def _react_room_started(self, event: SimEvent) -> None:
        room = event.subject_as(RoomRecord)
        self.state.timers.set(("room", room.id), room.created_at + _minutes(room.options["unused_room_timeout"]))

    def _react_room_ended(self, event: SimEvent) -> None:
        room = event.subject_as(RoomRecord)
        self.state.timers.cancel(("room", room.id))
        with self.state.lock:  # a room's transcriptions end with it
            for transcription in self.state.transcriptions.get(room.id, ()):
                if transcription.status == "started":
                    transcription.stop(event.occurred_at)
        self.state.rooms[room.id].capturing.clear()  # the world stopped them with the room
        if not self.world.count(RecordingRecord, room_id=room.id):
            return  # nothing to compose (every recording of the world is a track recording)
        for hook in list(self.state.hooks.values()):
            if hook.enabled:
                self.enqueue_composition(room, hook.params, at=event.occurred_at, hook=hook)
        self.start_ready_compositions(room.id)

    def _react_participant_joined(self, event: SimEvent) -> None:
        joined = event.subject_as(ParticipantRecord)
        room = self.world.get_room(joined.room_id)
        self.state.timers.cancel(("room", room.id))
        # A second connection with the same identity replaces the first.
        for other in self.world.participants(room.id, status=ParticipantStatus.CONNECTED):
            if other.identity == joined.identity and other.id != joined.id:
                self.world.leave(other.id)
        limit = timedelta(seconds=room.options["max_participant_duration"])
        self.state.timers.set(("participant", joined.id), joined.joined_at + limit)

    def _react_participant_left(self, event: SimEvent) -> None:
        left = event.subject_as(ParticipantRecord)
        self.state.timers.cancel(("participant", left.id))
        room = self.world.get_room(left.room_id)
        connected = self.world.participants(room.id, status=ParticipantStatus.CONNECTED)
        if room.status is RoomStatus.OPEN and next(connected, None) is None:
            assert left.left_at is not None
            self.state.timers.set(("room", room.id), left.left_at + _minutes(room.options["empty_room_timeout"]))

    def _react_tracks_changed(self, event: SimEvent) -> None:
        self.enforce_recording_rules(event.subject_as(StreamRecord).room_id)

    def _react_recording_available(self, event: SimEvent) -> None:
        self.start_ready_compositions(event.subject_as(RecordingRecord).room_id)

    # --- recording rules ----------------------------------------------------

    def enforce_recording_rules(self, room_id: str) -> None:
        """Record exactly the published tracks the room's rules pick: one
        world recording per track, from when it is picked until it is not."""
        with self.state.lock:
            room = self.world.get_room(room_id)
            room_state = self.state.rooms.get(room_id)
            if room_state is None or room.status is not RoomStatus.OPEN:
                return
            tracks = [s for s in self.world.streams(room_id) if s.kind is not StreamKind.DATA]
            wanted = rules.select(room_state.rules, (self.track_view(s) for s in tracks))
            for track_sid, recording_sid in list(room_state.capturing.items()):
                if track_sid not in wanted:
                    del room_state.capturing[track_sid]
                    if self.world.get_recording(recording_sid).status is RecordingStatus.RECORDING:
                        self.world.stop_recording(recording_sid)
            for track in tracks:
                if track.id in wanted and track.id not in room_state.capturing:
                    recording = self.world.start_recording(
                        room_id,
                        mode=RecordingMode.INDIVIDUAL,
                        has_audio=track.kind.has_audio,
                        has_video=track.kind.has_video,
                        stream_ids=[track.id],
                    )
                    room_state.capturing[track.id] = recording.id

    # --- compositions -------------------------------------------------------

    def enqueue_composition(
        self, room: RoomRecord, params: CompositionParams, *, at: datetime, hook: Hook | None = None
    ) -> CompositionEntry:
        """A new composition of ``room``, waiting until its recordings are ready."""
        entry = CompositionEntry(
            sid=sids.new_sid(sids.PREFIXES["composition"]),
            room_sid=room.id,
            params=params,
            created_at=at,
            hook_sid=hook.sid if hook else None,
            settings=self.state.settings["composition"],
        )
        with self.state.lock:
            self.state.compositions[entry.sid] = entry
        if hook is not None:  # Twilio tells of enqueued compositions only when a hook made them
            hook_uri = f"/v1/CompositionHooks/{hook.sid}"
            extra = {"HookSid": hook.sid, "HookUri": hook_uri, "HookFriendlyName": hook.friendly_name}
            self._tell_composition(entry, "composition-enqueued", at, extra)
        return entry

    def room_ready(self, room_id: str) -> bool:
        """Whether the room has ended and none of its recordings is still processing."""
        if self.world.get_room(room_id).status is RoomStatus.OPEN:
            return False
        capturing = [status.value for status in _CAPTURING]
        return not self.world.count(RecordingRecord, room_id=room_id, statuses=capturing)

    def start_ready_compositions(self, room_id: str) -> None:
        with self.state.lock:
            # Checking readiness may finish recordings, whose events start the
            # compositions themselves: list the waiting ones only afterwards.
            if not self.room_ready(room_id):
                return
            for entry in list(self.state.compositions.values()):
                if entry.room_sid == room_id and not entry.started and entry.failure is None:
                    self._start_composition(entry)

    def _start_composition(self, entry: CompositionEntry) -> None:
        chosen = self.composition_sources(entry.room_sid, entry.params)
        if not chosen:
            entry.failure = "no recorded track matches the composition's sources"
            extra = {"FailedOperation": "CompositionStart", "ErrorMessage": entry.failure}
            self._tell_composition(entry, "composition-failed", self.clock.now(), extra)
            return
        entry.started = True
        with self.reusing_sid("composition", entry.sid):
            self.world.start_composition(
                entry.room_sid,
                output=CompositionOutput.FILE,
                resolution=Resolution.parse(entry.params.resolution),
                format=entry.params.format,
                recording_ids=[r.id for r in chosen],
            )

    def composition_sources(self, room_id: str, params: CompositionParams) -> list[RecordingRecord]:
        """The room's completed track recordings that the composition's audio
        sources and layout regions pick, oldest first."""
        available = self.track_recordings(room_id=room_id, status=RecordingStatus.AVAILABLE)
        names: dict[str, tuple[str, ...]] = {}
        kinds: dict[str, StreamKind] = {}
        for recording in available:
            stream = self.recording_parts(recording)[0]
            names[recording.id] = (track_name(stream), stream.id, recording.id, stream.participant_id)
            kinds[recording.id] = stream.kind
        audio = {sid: n for sid, n in names.items() if kinds[sid] is StreamKind.AUDIO}
        video = {sid: n for sid, n in names.items() if kinds[sid] is StreamKind.VIDEO}
        chosen = layouts.pick(audio, params.audio_sources, params.audio_sources_excluded)
        for region in (params.video_layout or {}).values():
            chosen |= layouts.pick(video, region["video_sources"], region["video_sources_excluded"])
        return [r for r in available if r.id in chosen]

    def place_streams(
        self, world: World, record: RecordingRecord | CompositionRecord, streams: Sequence[StreamRecord]
    ) -> dict[str, Box]:
        """Where a composition's file shows each video track, as Twilio draws the
        composition's ``video_layout`` (:func:`.layouts.placements`), by track SID
        (``MT…``: the stream id the Twilio backend reports).

        A track answers to its name, its SID, its publisher's SID and the SIDs of its
        recordings in the composition; its age is its first recording's start there.
        Track recordings are never composed files: they record nothing."""
        if not isinstance(record, CompositionRecord) or record.resolution is None:
            return {}
        entry = self.state.compositions.get(record.id)
        if entry is None or not entry.params.video_layout:
            return {}
        shown = {stream.id: stream for stream in streams}
        names: dict[str, list[str]] = {}
        recordings = (world.store.get(RecordingRecord, sid) for sid in record.recording_ids)
        for recording in sorted((r for r in recordings if r and r.stream_ids), key=lambda r: r.started_at):
            assert recording.stream_ids is not None  # every track recording captures one track
            if (stream := shown.get(recording.stream_ids[0])) is not None:
                names.setdefault(stream.id, [track_name(stream), stream.id, stream.participant_id]).append(recording.id)
        canvas = (record.resolution.width, record.resolution.height)
        return layouts.placements(entry.params.video_layout, canvas, list(names.items()))

    # --- status callbacks ---------------------------------------------------

    def _tell(self, kind: EventType, event: SimEvent) -> None:
        if kind in ROOM_EVENTS:
            self._tell_room(ROOM_EVENTS[kind], event)
        elif kind in COMPOSITION_EVENTS and (entry := self.state.compositions.get(event.subject.id)):
            extra = {}
            if kind is EventType.COMPOSITION_AVAILABLE:
                extra = self._composition_media_params(entry, event.subject_as(CompositionRecord))
            self._tell_composition(entry, COMPOSITION_EVENTS[kind], event.occurred_at, extra)

    def _tell_room(self, name: str, event: SimEvent) -> None:
        assert event.room_id is not None
        # A room's own event carries the room as it was then: no need to read it again.
        room = event.subject if isinstance(event.subject, RoomRecord) else self.world.get_room(event.room_id)
        url = room.options["status_callback"]
        if not url:
            return
        subject = event.subject
        if isinstance(subject, RecordingRecord):
            if self.recording_extra(subject) is None:
                return  # not a track recording of this face
            params = self._recording_params(subject, room)
        else:
            params = {
                "RoomName": room.name or room.id,
                "RoomSid": room.id,
                "RoomStatus": ROOM_STATUS[room.status],
                "RoomType": room.options["type"],
                "SequenceNumber": str(self.state.next_sequence(room.id)),
                **self._subject_params(subject),
            }
        params.update(AccountSid=self.creds.account_sid, StatusCallbackEvent=name)
        params["Timestamp"] = webhooks.timestamp(event.occurred_at)
        webhooks.send(self.callbacks, url, room.options["status_callback_method"], params, self.creds.auth_token)

    def _subject_params(self, subject: Any) -> dict[str, str]:
        if isinstance(subject, RoomRecord):
            return (
                {} if subject.ended_at is None else {"RoomDuration": str(_whole(subject.created_at, subject.ended_at))}
            )
        if isinstance(subject, StreamRecord):
            participant = self.world.get_participant(subject.participant_id)
            return {
                **self._participant_params(participant),
                "TrackSid": subject.id,
                "TrackKind": TRACK_KIND[subject.kind],
                "TrackName": track_name(subject),
            }
        return self._participant_params(subject)

    @staticmethod
    def _participant_params(participant: ParticipantRecord) -> dict[str, str]:
        params = {
            "ParticipantSid": participant.id,
            "ParticipantStatus": PARTICIPANT_STATUS[participant.status],
            "ParticipantIdentity": participant.identity,
        }
        if participant.left_at is not None:
            params["ParticipantDuration"] = str(_whole(participant.joined_at, participant.left_at))
        return params

    def _recording_params(self, recording: RecordingRecord, room: RoomRecord) -> dict[str, str]:
        stream, _, extra = self.recording_parts(recording)
        participant = self.world.get_participant(stream.participant_id)
        uri = f"/v1/Recordings/{recording.id}"
        params = {
            "RecordingSid": recording.id,
            "RoomSid": room.id,
            "RoomName": room.name or room.id,
            "RoomType": room.options["type"],
            "ParticipantSid": participant.id,
            "ParticipantIdentity": participant.identity,
            "SourceSid": stream.id,
            "TrackName": track_name(stream),
            "Type": TRACK_KIND[stream.kind],
            "Container": container(stream),
            "Codec": codec(stream, room),
            "OffsetFromTwilioVideoEpoch": str(int(recording.started_at.timestamp() * 1000)),
            "RecordingUri": uri,
        }
        if recording.status is RecordingStatus.AVAILABLE:
            size = recording.files[0].size if recording.files else 0
            params.update(MediaUri=f"{uri}/Media", Duration=str(recording_duration(recording)), Size=str(size or 0))
            if location := external_location(extra.settings, recording.id, container(stream)):
                params["MediaExternalLocation"] = location
        return params

    def _composition_media_params(self, entry: CompositionEntry, record: CompositionRecord) -> dict[str, str]:
        size = record.files[0].size if record.files else 0
        params = {
            "MediaUri": f"/v1/Compositions/{entry.sid}/Media",
            "Duration": str(composition_duration(record)),
            "Size": str(size or 0),
        }
        if location := external_location(entry.settings, entry.sid, entry.params.format):
            params["MediaExternalLocation"] = location
        return params

    def _tell_composition(self, entry: CompositionEntry, name: str, at: datetime, extra: dict[str, str]) -> None:
        url = entry.params.status_callback
        if not url:
            return
        params = {
            "AccountSid": self.creds.account_sid,
            "RoomSid": entry.room_sid,
            "CompositionSid": entry.sid,
            "CompositionUri": f"/v1/Compositions/{entry.sid}",
            "StatusCallbackEvent": name,
            "Timestamp": webhooks.timestamp(at),
            **extra,
        }
        webhooks.send(self.callbacks, url, entry.params.status_callback_method, params, self.creds.auth_token)


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def _whole(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


_NOTES: dict[EventType, Callable[[Reactions, SimEvent], None]] = {
    EventType.ROOM_STARTED: Reactions._note_room_started,
    EventType.RECORDING_STARTED: Reactions._note_recording_started,
    EventType.RECORDING_AVAILABLE: Reactions._note_recording_available,
    EventType.COMPOSITION_AVAILABLE: Reactions._note_composition_available,
}

_REACTIONS: dict[EventType, Callable[[Reactions, SimEvent], None]] = {
    EventType.ROOM_STARTED: Reactions._react_room_started,
    EventType.ROOM_ENDED: Reactions._react_room_ended,
    EventType.PARTICIPANT_JOINED: Reactions._react_participant_joined,
    EventType.PARTICIPANT_LEFT: Reactions._react_participant_left,
    EventType.STREAM_PUBLISHED: Reactions._react_tracks_changed,
    EventType.STREAM_UNPUBLISHED: Reactions._react_tracks_changed,
    EventType.RECORDING_AVAILABLE: Reactions._react_recording_available,
}
