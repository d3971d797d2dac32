"""The ``local`` backend: the simulated platform, in process. The default.

It needs no account and no network: state lives in memory, or in a SQLite file
(``ANYVIDEO_LOCAL_DB``) that separate processes share. Events reach the
``anyvideo_event`` hooks as they happen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from typing import Any, Self

from anyvideo.backend import Backend, Feature
from anyvideo.errors import ConfigurationError, Conflict, NotFound
from anyvideo.local import translate
from anyvideo.local.tokens import LocalTokens
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Room,
    RoomStatus,
    Stream,
)
from anyvideo.sim import Browser, Clock, Grant, SimEvent, Store, World
from anyvideo.sim.store import unstructure
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec

__all__ = ["LocalBackend"]

_CHUNK = 64 * 1024


class LocalBackend(Backend):
    """Every core operation on an embedded simulated platform.

    Settings: ``db`` (a SQLite file; default ``ANYVIDEO_LOCAL_DB``, else in
    memory), ``processing_delay`` (seconds a stopped recording takes to become
    available; default ``ANYVIDEO_LOCAL_PROCESSING_DELAY``, else 2) and
    ``clock`` (a :class:`~anyvideo.sim.Clock`, e.g. a ``ManualClock`` in tests).
    """

    name = "local"
    rooms_kept_in = ("ANYVIDEO_LOCAL_DB", "the local backend's rooms live in its database")
    features = frozenset(
        {
            Feature.RECORDING,
            Feature.INDIVIDUAL_RECORDING,
            Feature.POST_HOC_COMPOSITION,
            Feature.SIGNALS,
            Feature.MUTE,
            Feature.TOKEN_ROLES,
            Feature.TOKEN_DATA,
            Feature.MAX_PARTICIPANTS,
        }
    )
    feature_hints = {
        Feature.LIVE_STREAMING: "the embedded platform has no media server to broadcast from",
        Feature.RECORDING_RULES: "a recording captures every stream of the room",
        Feature.SUBSCRIBE_RULES: "every participant receives every stream",
        Feature.COMPOSITION_HOOKS: "start a file composition yourself once the recordings are available",
        Feature.SIP_DIAL: "the embedded platform has no telephony",
        Feature.DTMF: "the embedded platform has no telephony",
        Feature.CAPTIONS: "the embedded platform carries no speech to transcribe",
        Feature.RENDER: "the embedded platform has no browser to render a page in",
        Feature.E2EE: "the embedded platform carries no real media to encrypt",
        Feature.EXTERNAL_STORAGE: "media stays in the embedded store; download it",
        Feature.INVITATIONS: "the embedded platform has no messaging: nothing would reach a phone; "
        "use a backend of a provider with a messaging API (their emulators keep a log of what was sent)",
        Feature.PHONE_VERIFICATION: "the embedded platform has no messaging to send a code with",
        Feature.PHONE_DIAL_OUT: "the embedded platform has no telephony",
        Feature.PHONE_DIAL_IN: "the embedded platform has no telephony",
    }
    resolutions = frozenset({"640x480", "1280x720", "1920x1080", "480x640", "720x1280", "1080x1920"})

    def __init__(self, world: World, *, owns_world: bool = False) -> None:
        self.world = world
        self._owns_world = owns_world
        self._tokens = LocalTokens(world)
        world.subscribe(self._observe)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        settings = dict(settings)
        db = settings.pop("db", None) or environ.get("ANYVIDEO_LOCAL_DB") or None
        delay = settings.pop("processing_delay", None)
        if delay is None:
            delay = environ.get("ANYVIDEO_LOCAL_PROCESSING_DELAY", 2.0)
        clock: Clock | None = settings.pop("clock", None)
        if settings:
            raise ConfigurationError(
                f"unknown settings for the local backend: {', '.join(sorted(settings))}"
                " (known: db, processing_delay, clock)"
            )
        try:
            delay = float(delay)
            if not (math.isfinite(delay) and delay >= 0):
                raise ValueError
        except (TypeError, ValueError):
            raise ConfigurationError(f"processing_delay must be a number of seconds ≥ 0, got {delay!r}") from None
        try:
            store = Store(os.fspath(db) if db else None)
        except Exception as exc:  # sqlite3.Error, OSError: an unusable path
            raise ConfigurationError(f"cannot open the local database {db!r}: {exc}") from exc
        return cls(World(store, clock=clock, processing_delay=delay), owns_world=True)

    @property
    def native(self) -> World:
        return self.world

    def browser(self) -> Browser:
        return Browser(self.world, self._tokens.verify)

    def close(self) -> None:
        if self._owns_world:
            self.world.close()

    def _observe(self, sim_event: SimEvent) -> None:
        subject = translate.to_model(sim_event.subject, self.name)
        self.emit(
            Event(
                type=sim_event.type,
                provider=self.name,
                event_id=sim_event.id,
                occurred_at=sim_event.occurred_at,
                room_id=sim_event.room_id,
                subject=subject,
                raw={"type": sim_event.type, "subject": unstructure(sim_event.subject)},
            )
        )

    # --- rooms --------------------------------------------------------------

    def create_room(self, spec: RoomSpec) -> Room:
        try:
            record = self.world.create_room(
                spec.name, max_participants=spec.max_participants, options=dict(spec.provider_options)
            )
        except Conflict:  # the name is open: a retried create gets the room it made
            assert spec.name is not None
            record = self.world.find_room(spec.name)
            if spec.max_participants not in (None, record.max_participants):
                raise Conflict(
                    f"the open room {spec.name!r} holds {record.max_participants or 'any number of'} participants,"
                    f" not {spec.max_participants}"
                ) from None
        return translate.room(record, self.name)

    def get_room(self, room_id: str) -> Room:
        return translate.room(self.world.get_room(room_id), self.name)

    def find_room(self, name: str) -> Room:
        return translate.room(self.world.find_room(name), self.name)

    def list_rooms(self, *, status: RoomStatus | None = None, name: str | None = None) -> Iterator[Room]:
        return (translate.room(r, self.name) for r in self.world.rooms(status=status, name=name))

    def end_room(self, room_id: str) -> Room:
        return translate.room(self.world.end_room(room_id), self.name)

    # --- participants and streams ------------------------------------------

    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        return (translate.participant(p, self.name) for p in self.world.participants(room_id, status=status))

    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        record = self.world.get_participant(participant_id)
        if record.room_id != room_id:
            raise NotFound(f"no participant {participant_id!r} in room {room_id!r}")
        return translate.participant(record, self.name)

    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        self.get_participant(room_id, participant_id)
        self.world.leave(participant_id)

    def list_streams(self, room_id: str) -> Iterator[Stream]:
        return (translate.stream(s, self.name) for s in self.world.streams(room_id))

    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        record = self.world.get_stream(stream_id)
        if record.room_id != room_id or not record.published:
            raise NotFound(f"no stream {stream_id!r} published in room {room_id!r}")
        return translate.stream(record, self.name)

    def mute_stream(self, room_id: str, stream_id: str) -> Stream:
        self.get_stream(room_id, stream_id)
        return translate.stream(self.world.mute(stream_id), self.name)

    def mute_all(self, room_id: str, *, except_stream_ids: tuple[str, ...] = ()) -> None:
        self.world.mute_all(room_id, except_stream_ids=except_stream_ids)

    # --- tokens and signals -------------------------------------------------

    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        room = self.world.get_room(room_id)
        if room.status is not RoomStatus.OPEN:
            raise Conflict(f"room {room_id!r} has ended; it accepts no new participants")
        grant = Grant(
            room_id=room_id,
            identity=spec.identity,
            role=spec.role,
            expires_at=self._tokens.expiry(spec.ttl),
            data=spec.data,
        )
        return AccessToken(
            token=self._tokens.mint(grant),
            provider=self.name,
            room_id=room_id,
            identity=spec.identity,
            role=spec.role,
            expires_at=grant.expires_at,
            data=spec.data,
        )

    def send_signal(self, room_id: str, spec: SignalSpec) -> None:
        self.world.send_signal(room_id, spec.type, spec.data, to=spec.to)

    # --- recordings ---------------------------------------------------------

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        record = self.world.start_recording(
            room_id,
            mode=spec.mode,
            name=spec.name,
            layout=spec.layout,
            resolution=spec.resolution,
            has_audio=spec.has_audio,
            has_video=spec.has_video,
            max_duration=spec.max_duration,
            options=dict(spec.provider_options),
        )
        return translate.recording(record, self.name)

    def stop_recording(self, recording_id: str) -> Recording:
        return translate.recording(self.world.stop_recording(recording_id), self.name)

    def get_recording(self, recording_id: str) -> Recording:
        return translate.recording(self.world.get_recording(recording_id), self.name)

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        return (translate.recording(r, self.name) for r in self.world.recordings(room_id=room_id, status=status))

    def delete_recording(self, recording_id: str) -> None:
        self.world.delete_recording(recording_id)

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        return _chunks(self.world.media("recording", recording_id, file_name))

    # --- compositions -------------------------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        record = self.world.start_composition(
            room_id,
            output=spec.output,
            layout=spec.layout,
            resolution=spec.resolution,
            format=spec.format or ("mp4" if spec.output is CompositionOutput.FILE else None),
            stream_ids=spec.stream_ids,
            recording_ids=spec.recording_ids,
            hls=spec.hls,
            rtmp=spec.rtmp,
            max_duration=spec.max_duration,
            options=dict(spec.provider_options),
        )
        return translate.composition(record, self.name)

    def stop_composition(self, composition_id: str) -> Composition:
        return translate.composition(self.world.stop_composition(composition_id), self.name)

    def get_composition(self, composition_id: str) -> Composition:
        return translate.composition(self.world.get_composition(composition_id), self.name)

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        return (translate.composition(c, self.name) for c in self.world.compositions(room_id=room_id, status=status))

    def delete_composition(self, composition_id: str) -> None:
        self.world.delete_composition(composition_id)

    def download_composition(self, composition_id: str, file_name: str) -> Iterator[bytes]:
        return _chunks(self.world.media("composition", composition_id, file_name))


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), _CHUNK):
        yield data[start : start + _CHUNK]
