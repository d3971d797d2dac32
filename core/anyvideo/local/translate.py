"""Simulated-platform records -> core models, for the ``local`` backend."""

from __future__ import annotations

from anyvideo.models import Composition, Participant, Recording, Room, Stream
from anyvideo.sim.records import (
    CompositionRecord,
    ParticipantRecord,
    Record,
    RecordingRecord,
    RoomRecord,
    StreamRecord,
)
from anyvideo.sim.store import unstructure

__all__ = ["to_model"]

# Every translator takes the name of the backend that holds the object, so a
# backend built on the local one (a plugin, a test double) names itself.


def room(record: RoomRecord, provider: str) -> Room:
    return Room(
        id=record.id,
        provider=provider,
        name=record.name,
        status=record.status,
        created_at=record.created_at,
        ended_at=record.ended_at,
        max_participants=record.max_participants,
        raw=unstructure(record),
    )


def participant(record: ParticipantRecord, provider: str) -> Participant:
    return Participant(
        id=record.id,
        provider=provider,
        room_id=record.room_id,
        identity=record.identity,
        status=record.status,
        role=record.role,
        data=record.data,
        joined_at=record.joined_at,
        left_at=record.left_at,
        raw=unstructure(record),
    )


def stream(record: StreamRecord, provider: str) -> Stream:
    return Stream(
        id=record.id,
        provider=provider,
        room_id=record.room_id,
        participant_id=record.participant_id,
        kind=record.kind,
        name=record.name,
        video_source=record.video_source,
        audio_muted=record.audio_muted,
        published_at=record.published_at,
        raw=unstructure(record),
    )


def recording(record: RecordingRecord, provider: str) -> Recording:
    duration = None
    if record.stopped_at is not None:
        duration = (record.stopped_at - record.started_at).total_seconds()
    return Recording(
        id=record.id,
        provider=provider,
        room_id=record.room_id,
        mode=record.mode,
        status=record.status,
        name=record.name,
        layout=record.layout,
        resolution=record.resolution,
        has_audio=record.has_audio,
        has_video=record.has_video,
        started_at=record.started_at,
        stopped_at=record.stopped_at,
        duration=duration,
        files=record.files,
        raw=unstructure(record),
    )


def composition(record: CompositionRecord, provider: str) -> Composition:
    duration = max((seconds for _, seconds in record.sources), default=None)
    if record.ended_at is not None:
        duration = (record.ended_at - record.started_at).total_seconds()
    return Composition(
        id=record.id,
        provider=provider,
        room_id=record.room_id,
        output=record.output,
        status=record.status,
        layout=record.layout,
        resolution=record.resolution,
        format=record.format,
        stream_ids=record.stream_ids,
        rtmp=record.rtmp,
        started_at=record.started_at,
        ended_at=record.ended_at,
        duration=duration,
        files=record.files,
        raw=unstructure(record),
    )


_TRANSLATORS = {
    RoomRecord: room,
    ParticipantRecord: participant,
    StreamRecord: stream,
    RecordingRecord: recording,
    CompositionRecord: composition,
}


def to_model(record: Record, provider: str) -> Room | Participant | Stream | Recording | Composition | None:
    """The core model of any record that has one (signals have none)."""
    translate = _TRANSLATORS.get(type(record))
    return None if translate is None else translate(record, provider)  # type: ignore[operator]
