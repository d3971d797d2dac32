"""Every Vonage callback the emulator sends (and the other documented statuses), parsed from a
body in the provider's documented format: session monitoring as the session-monitoring guide
shows it, archive, broadcast and Experience Composer bodies from the provider's own samples
(``samples/vonage``) with each status of the spec's enum."""

from __future__ import annotations

import json
import time

import pytest
from support.specs import VONAGE_SAMPLES, VONAGE_SPEC, needs_spec, sample_body, spec_enum
from support.webhooks import VONAGE_SECRET, vonage_signed

from anyvideo import (
    Composition,
    EventType,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Role,
    Room,
    RoomStatus,
    Stream,
    Video,
)
from anyvideo.errors import AnyVideoError

URL = "https://app.example.com/vonage/events"
APP = "b3a9c1de-5f6a-4c0e-9d51-0a1b2c3d4e5f"
NOW_MS = int(time.time() * 1000)
ARCHIVE_STATUSES = spec_enum(VONAGE_SPEC, "components", "schemas", "Archive-Detail", "properties", "status")
RENDER_STATUSES = spec_enum(VONAGE_SPEC, "components", "schemas", "Experience-Composer-Base", "properties", "status")


@pytest.fixture
def vonage_video(connect_vonage) -> Video:
    """anyvideo on the emulator, verifying callbacks signed with ``VONAGE_SECRET``."""
    return connect_vonage(signature_secret=VONAGE_SECRET)


def parse(video: Video, body: dict) -> list:
    return video.webhooks.parse("POST", URL, *vonage_signed(body))


def monitoring(name: str, session_id: str, at: int = NOW_MS, **fields) -> dict:
    return {"sessionId": session_id, "projectId": APP, "event": name, "timestamp": at, **fields}


def connection(connection_id: str = "c-ann", identity: str = "ann") -> dict:
    data = json.dumps({"identity": identity, "data": "seat 4"})
    return {"id": connection_id, "createdAt": NOW_MS - 1000, "data": data}


def stream(stream_id: str = "s-ann", video_type: str = "camera") -> dict:
    return {
        "id": stream_id,
        "connection": connection(),
        "createdAt": NOW_MS - 500,
        "name": "ann-camera",
        "videoType": video_type,
    }


# --- session monitoring ---------------------------------------------------------------


def test_connection_created_is_a_participant_joining(offline_vonage: Video) -> None:
    [event] = parse(offline_vonage, monitoring("connectionCreated", "1_S", connection=connection()))
    assert event.type == EventType.PARTICIPANT_JOINED and isinstance(event.subject, Participant)
    who = event.subject
    assert (who.id, who.identity, who.data, who.status, who.room_id) == (
        "c-ann",
        "ann",
        "seat 4",
        ParticipantStatus.CONNECTED,
        "1_S",
    )
    assert event.occurred_at.timestamp() == pytest.approx(NOW_MS / 1000)
    assert event.raw["event"] == "connectionCreated" and event.room_id == "1_S"


@pytest.mark.parametrize(("role", "expected"), [("moderator", Role.MODERATOR), ("owner", None), (None, None)])
def test_the_role_anyvideo_wrote_in_the_connection_data_is_the_participants(
    offline_vonage: Video, role: str | None, expected: Role | None
) -> None:
    data = json.dumps({"identity": "ann", "role": role} if role else {"identity": "ann"})
    body = monitoring("connectionCreated", "1_S", connection={"id": "c-ann", "createdAt": NOW_MS, "data": data})
    [event] = parse(offline_vonage, body)
    assert event.subject.role is expected


@pytest.mark.parametrize("reason", ["clientDisconnected", "forceDisconnected", "networkDisconnected"])
def test_connection_destroyed_is_a_participant_leaving(offline_vonage: Video, reason: str) -> None:
    body = monitoring("connectionDestroyed", "1_S", connection=connection(), reason=reason)
    [event] = parse(offline_vonage, body)
    assert event.type == EventType.PARTICIPANT_LEFT
    assert event.subject.status is ParticipantStatus.DISCONNECTED and event.subject.left_at == event.occurred_at
    assert event.raw["reason"] == reason


@pytest.mark.parametrize(
    ("name", "kind"), [("streamCreated", "stream.published"), ("streamDestroyed", "stream.unpublished")]
)
@pytest.mark.parametrize("video_type", ["camera", "screen", "custom"])
def test_stream_events_name_their_publisher(offline_vonage: Video, name: str, kind: str, video_type: str) -> None:
    [event] = parse(offline_vonage, monitoring(name, "1_S", stream=stream(video_type=video_type)))
    assert event.type == kind and isinstance(event.subject, Stream)
    assert (event.subject.id, event.subject.participant_id, event.subject.video_source) == (
        "s-ann",
        "c-ann",
        video_type,
    )


def test_the_first_session_created_starts_the_room_and_later_ones_are_vonage_events(vonage_video: Video) -> None:
    room = vonage_video.rooms.create("first")
    [first] = parse(vonage_video, monitoring("sessionCreated", room.id, NOW_MS))
    [retried] = parse(vonage_video, monitoring("sessionCreated", room.id, NOW_MS))  # the provider trying again
    [later] = parse(vonage_video, monitoring("sessionCreated", room.id, NOW_MS + 60_000))
    assert first.type == retried.type == EventType.ROOM_STARTED and first.event_id == retried.event_id
    assert isinstance(first.subject, Room) and first.subject.name == "first"
    assert later.type == "vonage.session_created" and later.event_id != first.event_id


def test_session_destroyed_ends_the_room_only_once_anyvideo_ended_it(vonage_video: Video) -> None:
    room = vonage_video.rooms.create("ending")
    [emptied] = parse(vonage_video, monitoring("sessionDestroyed", room.id, NOW_MS))
    assert emptied.type == "vonage.session_destroyed"  # everyone left; the room is still open
    vonage_video.rooms.end(room)
    [ended] = parse(vonage_video, monitoring("sessionDestroyed", room.id, NOW_MS + 1000))
    [retried] = parse(vonage_video, monitoring("sessionDestroyed", room.id, NOW_MS + 1000))
    assert ended.type == retried.type == EventType.ROOM_ENDED and ended.event_id == retried.event_id
    assert ended.subject.status is RoomStatus.ENDED


# --- archives, broadcasts, Experience Composer -----------------------------------------

#: Archive status -> event type, for every value of ``Archive-Detail.status`` in the spec.
ARCHIVE_TYPES = {
    "started": EventType.RECORDING_STARTED,
    "stopped": "vonage.archive_stopped",
    "paused": "vonage.archive_paused",
    "available": EventType.RECORDING_AVAILABLE,
    "uploaded": EventType.RECORDING_AVAILABLE,
    "failed": EventType.RECORDING_FAILED,
    "expired": "vonage.archive_expired",
}


def test_the_archive_table_covers_the_spec() -> None:
    needs_spec(VONAGE_SPEC)
    assert ARCHIVE_STATUSES and set(ARCHIVE_STATUSES) <= set(ARCHIVE_TYPES)


@pytest.mark.parametrize("status", ARCHIVE_STATUSES)
def test_every_archive_status_is_an_event(offline_vonage: Video, status: str) -> None:
    body = sample_body(VONAGE_SAMPLES, "archive.json")
    body |= {"status": status, "url": "https://example.com/a.mp4", "size": 1024}
    [event] = parse(offline_vonage, body)
    assert event.type == ARCHIVE_TYPES[status] and isinstance(event.subject, Recording)
    assert event.subject.id == body["id"] and event.room_id == body["sessionId"]
    assert event.occurred_at.timestamp() == pytest.approx(body["updatedAt"] / 1000)
    if status == "available":
        assert event.subject.status is RecordingStatus.AVAILABLE and event.subject.files


@pytest.mark.parametrize(
    ("sample", "kind"), [("broadcast.json", "composition.started"), ("stop_broadcast.json", "composition.ended")]
)
def test_broadcast_callbacks_are_composition_events(offline_vonage: Video, sample: str, kind: str) -> None:
    body = sample_body(VONAGE_SAMPLES, sample)
    body.setdefault("event", "broadcast")
    [event] = parse(offline_vonage, body)
    assert event.type == kind and isinstance(event.subject, Composition) and event.subject.id == body["id"]


@pytest.mark.parametrize("status", RENDER_STATUSES)
def test_experience_composer_callbacks_are_vonage_events(offline_vonage: Video, status: str) -> None:
    body = sample_body(VONAGE_SAMPLES, "get_experience_composer.json") | {"status": status}
    [event] = parse(offline_vonage, body)
    assert event.type == f"vonage.render_{status}" and event.subject is None and event.raw == body


# --- what anyvideo does not know ------------------------------------------------------


def test_an_unknown_event_is_an_unknown_event(offline_vonage: Video) -> None:
    body = monitoring("sipCallMuteForced", "1_S", call={"id": "x"})
    [event] = parse(offline_vonage, body)
    [again] = parse(offline_vonage, body)
    assert event.type == EventType.UNKNOWN and event.raw == body and event.event_id == again.event_id


def test_an_unknown_archive_status_is_a_namespaced_event(offline_vonage: Video) -> None:
    [event] = parse(offline_vonage, sample_body(VONAGE_SAMPLES, "archive.json") | {"status": "Re-Encoding!"})
    assert event.type == "vonage.archive_re_encoding"


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        monitoring("connectionCreated", "1_S"),  # no connection
        monitoring("connectionCreated", "1_S", connection={"data": "x"}),  # a connection without an id
        monitoring("streamCreated", "1_S", stream="s-1"),
        {"event": "connectionCreated", "connection": connection()},  # no session
        {"event": "archive", "status": "started"},  # an archive without an id
    ],
)
def test_a_signed_body_that_is_not_a_callback_is_an_anyvideo_error(offline_vonage: Video, body) -> None:
    with pytest.raises(AnyVideoError):
        parse(offline_vonage, body)


def test_each_event_keeps_its_own_id(offline_vonage: Video) -> None:
    bodies = [
        monitoring("connectionCreated", "1_S", connection=connection("c-1")),
        monitoring("connectionCreated", "1_S", connection=connection("c-2")),
        monitoring("connectionDestroyed", "1_S", connection=connection("c-1")),
        monitoring("streamCreated", "1_S", stream=stream("s-1")),
        monitoring("streamCreated", "1_S", stream=stream("s-2")),
    ]
    ids = [parse(offline_vonage, body)[0].event_id for body in bodies]
    assert len(set(ids)) == len(ids)
