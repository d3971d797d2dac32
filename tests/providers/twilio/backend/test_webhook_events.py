"""Every Twilio Video status callback event, parsed from form parameters as Twilio's status
callbacks page documents them (``AccountSid``, ``RoomSid``, ``RoomName``, ``RoomStatus``,
``RoomType``, ``StatusCallbackEvent``, ``Timestamp``, ``SequenceNumber``, then the event's own:
participant, track, recording or composition parameters), signed with the auth token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, twilio_signed

from anyvideo import (
    Composition,
    CompositionStatus,
    EventType,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Room,
    RoomStatus,
    Stream,
    StreamKind,
    Video,
)
from anyvideo.errors import AnyVideoError

URL = "https://app.example.com/twilio/status"
ROOM = "RM" + "a" * 32
PARTICIPANT = "PA" + "b" * 32
TRACK = "MT" + "c" * 32
TRACK_RECORDING = "RT" + "d" * 32
COMPOSITION = "CJ" + "e" * 32


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def room_params(event: str, sequence: int = 1, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": TWILIO_ACCOUNT,
        "RoomSid": ROOM,
        "RoomName": "weekly",
        "RoomStatus": "completed" if event == "room-ended" else "in-progress",
        "RoomType": "group",
        "StatusCallbackEvent": event,
        "Timestamp": now(),
        "SequenceNumber": str(sequence),
        **extra,
    }


PARTICIPANT_PARAMS = {"ParticipantSid": PARTICIPANT, "ParticipantIdentity": "ann", "ParticipantStatus": "connected"}
TRACK_PARAMS = PARTICIPANT_PARAMS | {"TrackSid": TRACK, "TrackKind": "audio", "TrackName": "mic"}


def recording_params(event: str, **extra: str) -> dict[str, str]:
    params = {
        "AccountSid": TWILIO_ACCOUNT,
        "RoomSid": ROOM,
        "RoomName": "weekly",
        "RoomType": "group",
        "StatusCallbackEvent": event,
        "Timestamp": now(),
        "RecordingSid": TRACK_RECORDING,
        "RecordingUri": f"/v1/Recordings/{TRACK_RECORDING}",
        "ParticipantSid": PARTICIPANT,
        "SourceSid": TRACK,
        "TrackName": "mic",
        "Type": "audio",
        "Container": "mka",
        "Codec": "opus",
        **extra,
    }
    if event == "recording-completed":
        params |= {"MediaUri": f"/v1/Recordings/{TRACK_RECORDING}/Media", "Duration": "42", "Size": "123456"}
    if event == "recording-failed":
        params |= {"FailedOperation": "media_upload"}
    return params


def composition_params(event: str) -> dict[str, str]:
    params = {
        "AccountSid": TWILIO_ACCOUNT,
        "RoomSid": ROOM,
        "CompositionSid": COMPOSITION,
        "CompositionUri": f"/v1/Compositions/{COMPOSITION}",
        "StatusCallbackEvent": event,
        "Timestamp": now(),
    }
    if event == "composition-available":
        params |= {"MediaUri": f"/v1/Compositions/{COMPOSITION}/Media", "Duration": "42", "Size": "654321"}
    if event == "composition-progress":
        params |= {"PercentageDone": "50", "SecondsRemaining": "10"}
    if event in ("composition-failed", "composition-hook-failed"):
        params |= {"FailedOperation": "composition", "ErrorMessage": "no tracks"}
    return params


def parse(video: Video, params: dict[str, str]):
    return video.webhooks.parse("POST", URL, *twilio_signed(TWILIO_TOKEN, URL, params))


#: Room callback event -> (event type, subject class, extra parameters).
ROOM_TABLE = {
    "room-created": (EventType.ROOM_STARTED, Room, {}),
    "room-ended": (EventType.ROOM_ENDED, Room, {"RoomDuration": "600"}),
    "participant-connected": (EventType.PARTICIPANT_JOINED, Participant, PARTICIPANT_PARAMS),
    "participant-disconnected": (
        EventType.PARTICIPANT_LEFT,
        Participant,
        PARTICIPANT_PARAMS | {"ParticipantStatus": "disconnected", "ParticipantDuration": "60"},
    ),
    "participant-reconnecting": ("twilio.participant_reconnecting", Participant, PARTICIPANT_PARAMS),
    "participant-reconnected": ("twilio.participant_reconnected", Participant, PARTICIPANT_PARAMS),
    "track-added": (EventType.STREAM_PUBLISHED, Stream, TRACK_PARAMS),
    "track-removed": (EventType.STREAM_UNPUBLISHED, Stream, TRACK_PARAMS),
    "track-enabled": ("twilio.track_enabled", Stream, TRACK_PARAMS),
    "track-disabled": ("twilio.track_disabled", Stream, TRACK_PARAMS),
}


@pytest.mark.parametrize("name", list(ROOM_TABLE))
def test_room_participant_and_track_events(offline_twilio: Video, name: str) -> None:
    kind, subject_class, extra = ROOM_TABLE[name]
    params = room_params(name, **extra)
    [event] = parse(offline_twilio, params)
    assert event.type == kind and isinstance(event.subject, subject_class)
    assert event.room_id == ROOM and event.raw == params and event.provider == "twilio"
    assert event.occurred_at == datetime.fromisoformat(params["Timestamp"].replace("Z", "+00:00"))
    if subject_class is Room:
        assert event.subject.id == ROOM and event.subject.name == "weekly"
        assert event.subject.status is (RoomStatus.ENDED if name == "room-ended" else RoomStatus.OPEN)
    elif subject_class is Participant:
        assert (event.subject.id, event.subject.identity) == (PARTICIPANT, "ann")
        expected = ParticipantStatus.DISCONNECTED if name == "participant-disconnected" else ParticipantStatus.CONNECTED
        assert event.subject.status is expected
    else:
        assert (event.subject.id, event.subject.participant_id, event.subject.kind) == (
            TRACK,
            PARTICIPANT,
            StreamKind.AUDIO,
        )


#: Track recording event (of no anyvideo recording) -> (event type, status of the recording).
RECORDING_TABLE = {
    "recording-started": (EventType.RECORDING_STARTED, RecordingStatus.PROCESSING),
    "recording-completed": (EventType.RECORDING_AVAILABLE, RecordingStatus.AVAILABLE),
    "recording-failed": (EventType.RECORDING_FAILED, RecordingStatus.FAILED),
}


@pytest.mark.parametrize("name", list(RECORDING_TABLE))
def test_track_recording_events(offline_twilio: Video, name: str) -> None:
    kind, status = RECORDING_TABLE[name]
    [event] = parse(offline_twilio, recording_params(name))
    assert event.type == kind and isinstance(event.subject, Recording)
    assert (event.subject.id, event.subject.status, event.subject.mode) == (TRACK_RECORDING, status, "individual")
    if name == "recording-completed":
        [file] = event.subject.files
        assert (file.name, file.size, event.subject.duration) == (f"{TRACK_RECORDING}.mka", 123456, 42)


#: Composition event -> (event type, status of the composition).
COMPOSITION_TABLE = {
    "composition-enqueued": ("twilio.composition_enqueued", CompositionStatus.QUEUED),
    "composition-hook-failed": ("twilio.composition_hook_failed", CompositionStatus.FAILED),
    "composition-started": (EventType.COMPOSITION_STARTED, CompositionStatus.PROCESSING),
    "composition-progress": ("twilio.composition_progress", CompositionStatus.PROCESSING),
    "composition-available": (EventType.COMPOSITION_AVAILABLE, CompositionStatus.AVAILABLE),
    "composition-failed": (EventType.COMPOSITION_FAILED, CompositionStatus.FAILED),
}


@pytest.mark.parametrize("name", list(COMPOSITION_TABLE))
def test_composition_events(offline_twilio: Video, name: str) -> None:
    kind, status = COMPOSITION_TABLE[name]
    [event] = parse(offline_twilio, composition_params(name))
    assert event.type == kind and isinstance(event.subject, Composition)
    assert (event.subject.id, event.subject.status, event.subject.room_id) == (COMPOSITION, status, ROOM)


def test_every_event_has_its_own_id_and_keeps_it_when_retried(offline_twilio: Video) -> None:
    sent = [room_params(name, sequence, **extra) for sequence, (name, (_, _, extra)) in enumerate(ROOM_TABLE.items())]
    sent += [recording_params(name) for name in RECORDING_TABLE] + [composition_params(n) for n in COMPOSITION_TABLE]
    ids = [parse(offline_twilio, params)[0].event_id for params in sent]
    assert len(set(ids)) == len(ids)
    assert [parse(offline_twilio, params)[0].event_id for params in sent] == ids


def test_an_unknown_event_is_an_unknown_event(offline_twilio: Video) -> None:
    [event] = parse(offline_twilio, room_params("room-renamed"))
    assert event.type == EventType.UNKNOWN and event.raw["StatusCallbackEvent"] == "room-renamed"


def test_a_track_of_an_unknown_kind_has_no_subject(offline_twilio: Video) -> None:
    [event] = parse(offline_twilio, room_params("track-added", **TRACK_PARAMS | {"TrackKind": "hologram"}))
    assert event.type == EventType.STREAM_PUBLISHED and event.subject is None


def test_a_signed_request_that_is_no_video_callback_is_an_anyvideo_error(offline_twilio: Video) -> None:
    with pytest.raises(AnyVideoError, match="not a Twilio Video callback"):
        parse(offline_twilio, {"SmsSid": "SM1", "Body": "hi"})
