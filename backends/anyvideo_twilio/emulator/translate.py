"""The simulated platform's records in Twilio's JSON, field for field as
``twilio_video_v1.yaml`` and the SDK's own samples show them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from anyvideo.models import RecordingStatus, StreamKind
from anyvideo.sim.records import CompositionRecord, ParticipantRecord, RecordingRecord, RoomRecord, StreamRecord
from anyvideo_twilio.emulator.rules import Rule
from anyvideo_twilio.emulator.state import CompositionEntry, Hook, RecordingExtra, RoomState, Settings, Transcription
from anyvideo_twilio.emulator.statuses import (
    COMPOSITION_STATUS,
    PARTICIPANT_STATUS,
    RECORDING_STATUS,
    ROOM_STATUS,
    TRACK_KIND,
)

__all__ = [
    "Site",
    "codec",
    "composition_duration",
    "container",
    "date",
    "external_location",
    "recording_duration",
    "track_name",
]


def date(moment: datetime | None) -> str | None:
    """Twilio's timestamp: ISO 8601 in UTC, whole seconds, ``Z``."""
    # isoformat, cut to the second, costs two thirds of strftime("%Y-%m-%dT%H:%M:%SZ")
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds())


def track_name(stream: StreamRecord) -> str:
    """A track without a name goes by its SID."""
    return stream.name or stream.id


def container(stream: StreamRecord) -> str:
    return "mka" if stream.kind is StreamKind.AUDIO else "mkv"


def codec(stream: StreamRecord, room: RoomRecord) -> str:
    """Audio is Opus; video uses the room's first video codec."""
    return "OPUS" if stream.kind is StreamKind.AUDIO else (room.options["video_codecs"] or ["VP8"])[0]


def recording_duration(recording: RecordingRecord) -> int:
    """Whole seconds, rounded; a sub-second track counts as one second."""
    seconds = max((s for _, s in recording.sources), default=0.0)
    return max(1, round(seconds)) if seconds > 0 else 0


def external_location(settings: Settings, sid: str, extension: str) -> str | None:
    """Where media lands in the customer's bucket when external storage is on."""
    if not (settings.aws_storage_enabled and settings.aws_s3_url):
        return None
    return f"{settings.aws_s3_url.rstrip('/')}/{sid}.{extension}"


@attrs.frozen
class Site:
    """Where resources live (the emulator's own address) and whose they are."""

    base: str
    account_sid: str

    def url(self, path: str) -> str:
        return f"{self.base}/v1{path}"

    # --- rooms and participants ---------------------------------------------

    def room(self, room: RoomRecord) -> dict[str, Any]:
        options, url = room.options, self.url(f"/Rooms/{room.id}")
        return {
            "account_sid": self.account_sid,
            "date_created": date(room.created_at),
            "date_updated": date(room.ended_at or room.created_at),
            "status": ROOM_STATUS[room.status],
            "type": options["type"],
            "sid": room.id,
            "enable_turn": True,
            "unique_name": room.name or room.id,
            "max_participants": room.max_participants,
            "max_participant_duration": options["max_participant_duration"],
            "max_concurrent_published_tracks": options["max_concurrent_published_tracks"],
            "duration": _seconds(room.created_at, room.ended_at),
            "status_callback_method": options["status_callback_method"],
            "status_callback": options["status_callback"],
            "record_participants_on_connect": options["record_participants_on_connect"],
            "video_codecs": options["video_codecs"],
            "media_region": options["media_region"],
            "audio_only": options["audio_only"],
            "empty_room_timeout": options["empty_room_timeout"],
            "unused_room_timeout": options["unused_room_timeout"],
            "end_time": date(room.ended_at),
            "large_room": options["large_room"],
            "url": url,
            "links": {
                "participants": f"{url}/Participants",
                "recordings": f"{url}/Recordings",
                # the published samples list no transcriptions link (the spec's newer examples do)
                "recording_rules": f"{url}/RecordingRules",
            },
        }

    def transcription(self, transcription: Transcription) -> dict[str, Any]:
        stopped = transcription.status != "started"
        return {
            "account_sid": self.account_sid,
            "room_sid": transcription.room_sid,
            "source_sid": None,  # Twilio's call that transcribes: none here
            "ttid": transcription.ttid,
            "date_created": date(transcription.created_at),
            "date_updated": date(transcription.updated_at),
            "status": transcription.status,
            "configuration": dict(transcription.configuration),
            "start_time": date(transcription.start_time),
            "end_time": date(transcription.end_time),
            # seconds it was started, known once it is stopped
            "duration": round(transcription.seconds) if stopped else None,
            "url": self.url(f"/Rooms/{transcription.room_sid}/Transcriptions/{transcription.ttid}"),
        }

    def participant(self, participant: ParticipantRecord, *, anonymized: bool) -> dict[str, Any]:
        url = self.url(f"/Rooms/{participant.room_id}/Participants/{participant.id}")
        return {
            **self._participant_fields(participant, anonymized=anonymized),
            "url": url,
            "links": {
                "published_tracks": f"{url}/PublishedTracks",
                "subscribed_tracks": f"{url}/SubscribedTracks",
                "subscribe_rules": f"{url}/SubscribeRules",
                "anonymize": f"{url}/Anonymize",
            },
        }

    def anonymized_participant(self, participant: ParticipantRecord) -> dict[str, Any]:
        url = self.url(f"/Rooms/{participant.room_id}/Participants/{participant.id}/Anonymize")
        return {**self._participant_fields(participant, anonymized=True), "url": url}

    def _participant_fields(self, participant: ParticipantRecord, *, anonymized: bool) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "room_sid": participant.room_id,
            "date_created": date(participant.joined_at),
            "date_updated": date(participant.left_at or participant.joined_at),
            "start_time": date(participant.joined_at),
            "end_time": date(participant.left_at),
            "sid": participant.id,
            # Anonymizing replaces the identity (personal data) with the SID.
            "identity": participant.id if anonymized else participant.identity,
            "status": PARTICIPANT_STATUS[participant.status],
            "duration": _seconds(participant.joined_at, participant.left_at),
        }

    def published_track(self, stream: StreamRecord) -> dict[str, Any]:
        return {
            **self._track_fields(stream),
            "participant_sid": stream.participant_id,
            "url": self.url(
                f"/Rooms/{stream.room_id}/Participants/{stream.participant_id}/PublishedTracks/{stream.id}"
            ),
        }

    def subscribed_track(self, stream: StreamRecord, subscriber_sid: str) -> dict[str, Any]:
        return {
            **self._track_fields(stream),
            "participant_sid": subscriber_sid,
            "publisher_sid": stream.participant_id,
            "url": self.url(f"/Rooms/{stream.room_id}/Participants/{subscriber_sid}/SubscribedTracks/{stream.id}"),
        }

    @staticmethod
    def _track_fields(stream: StreamRecord) -> dict[str, Any]:
        return {
            "room_sid": stream.room_id,
            "date_created": date(stream.published_at),
            "date_updated": date(stream.published_at),
            "sid": stream.id,
            "name": track_name(stream),
            "kind": TRACK_KIND[stream.kind],
            "enabled": not stream.audio_muted,
        }

    @staticmethod
    def subscribe_rules(participant: ParticipantRecord, rules: tuple[Rule, ...]) -> dict[str, Any]:
        return {
            "participant_sid": participant.id,
            "room_sid": participant.room_id,
            "date_created": None,
            "date_updated": None,
            "rules": [rule.as_dict(with_nulls=True) for rule in rules],
        }

    @staticmethod
    def recording_rules(room: RoomRecord, state: RoomState) -> dict[str, Any]:
        return {
            "room_sid": room.id,
            "date_created": date(state.rules_created_at),
            "date_updated": date(state.rules_updated_at),
            "rules": [rule.as_dict(with_nulls=False) for rule in state.rules],
        }

    # --- recordings ---------------------------------------------------------

    def recording(
        self, recording: RecordingRecord, stream: StreamRecord, room: RoomRecord, extra: RecordingExtra
    ) -> dict[str, Any]:
        """A track recording as ``/v1/Recordings/{Sid}`` shows it."""
        url = self.url(f"/Recordings/{recording.id}")
        return {
            **self._recording_fields(recording, stream, room, extra),
            "date_updated": date(_last_change(recording, extra)),
            "date_deleted": date(extra.deleted_at),
            "status_callback": extra.status_callback,
            "status_callback_method": extra.status_callback_method,
            "encryption_key": _encryption_key(extra.settings),
            "url": url,
            "links": {"media": f"{url}/Media"},
        }

    def room_recording(
        self, recording: RecordingRecord, stream: StreamRecord, room: RoomRecord, extra: RecordingExtra
    ) -> dict[str, Any]:
        """The same recording as ``/v1/Rooms/{RoomSid}/Recordings/{Sid}`` shows it."""
        url = self.url(f"/Rooms/{room.id}/Recordings/{recording.id}")
        return {
            **self._recording_fields(recording, stream, room, extra),
            "room_sid": room.id,
            "url": url,
            "links": {"media": f"{url}/Media"},
        }

    def _recording_fields(
        self, recording: RecordingRecord, stream: StreamRecord, room: RoomRecord, extra: RecordingExtra
    ) -> dict[str, Any]:
        ready = recording.status is RecordingStatus.AVAILABLE
        return {
            "account_sid": self.account_sid,
            "status": RECORDING_STATUS[recording.status],
            "date_created": date(recording.started_at),
            "sid": recording.id,
            "source_sid": stream.id,
            "size": recording.files[0].size if ready and recording.files else 0,
            "type": TRACK_KIND[stream.kind],
            "duration": recording_duration(recording) if ready else 0,
            "container_format": container(stream),
            "codec": codec(stream, room),
            "grouping_sids": {"room_sid": room.id, "participant_sid": stream.participant_id},
            "track_name": track_name(stream),
            # Milliseconds since a point common to all rooms (here the Unix epoch).
            "offset": int(recording.started_at.timestamp() * 1000),
            "media_external_location": external_location(extra.settings, recording.id, container(stream))
            if ready
            else None,
        }

    # --- compositions -------------------------------------------------------

    def composition(self, entry: CompositionEntry, record: CompositionRecord | None) -> dict[str, Any]:
        params, url = entry.params, self.url(f"/Compositions/{entry.sid}")
        file = record.files[0] if record is not None and record.files else None
        size = (file.size or 0) if file else 0
        duration = composition_duration(record) if file and record else 0
        external = external_location(entry.settings, entry.sid, params.format) if file else None
        return {
            "account_sid": self.account_sid,
            "status": composition_status(entry, record),
            "date_created": date(entry.created_at),
            "date_completed": date(entry.completed_at),
            "date_deleted": date(entry.deleted_at),
            "sid": entry.sid,
            "room_sid": entry.room_sid,
            "audio_sources": list(params.audio_sources),
            "audio_sources_excluded": list(params.audio_sources_excluded),
            "video_layout": params.video_layout or {},
            "trim": params.trim,
            "format": params.format,
            "resolution": params.resolution,
            # kbit/s, averaged over the file
            "bitrate": int(size * 8 / 1000 / duration) if duration else 0,
            "size": size,
            "duration": duration,
            "media_external_location": external,
            "encryption_key": _encryption_key(entry.settings),
            "url": url,
            "status_callback": params.status_callback,
            "status_callback_method": params.status_callback_method,
            "links": {"media": f"{url}/Media"},
        }

    def hook(self, hook: Hook) -> dict[str, Any]:
        params = hook.params
        return {
            "account_sid": self.account_sid,
            "friendly_name": hook.friendly_name,
            "enabled": hook.enabled,
            "date_created": date(hook.created_at),
            "date_updated": date(hook.updated_at),
            "sid": hook.sid,
            "audio_sources": list(params.audio_sources),
            "audio_sources_excluded": list(params.audio_sources_excluded),
            "video_layout": params.video_layout or {},
            "resolution": params.resolution,
            "format": params.format,
            "trim": params.trim,
            "status_callback": params.status_callback,
            "status_callback_method": params.status_callback_method,
            "url": self.url(f"/CompositionHooks/{hook.sid}"),
        }

    def settings(self, kind: str, settings: Settings) -> dict[str, Any]:
        """Recording (``kind="Recording"``) or composition settings."""
        return {
            "account_sid": self.account_sid,
            **attrs.asdict(settings),
            "url": self.url(f"/{kind}Settings/Default"),
        }


def composition_duration(record: CompositionRecord) -> int:
    return int(max((s for _, s in record.sources), default=0.0))


def composition_status(entry: CompositionEntry, record: CompositionRecord | None) -> str:
    if entry.failure is not None:
        return "failed"
    if record is None:
        return "enqueued"
    return COMPOSITION_STATUS[record.status]


def _last_change(recording: RecordingRecord, extra: RecordingExtra) -> datetime:
    moments = [recording.started_at, recording.stopped_at, extra.completed_at, extra.deleted_at]
    return max(m for m in moments if m is not None)


def _encryption_key(settings: Settings) -> str | None:
    return settings.encryption_key_sid if settings.encryption_enabled else None
