"""Vonage's signed callbacks: verified (fail closed), normalised into events, and the source of
the identities the REST API does not give."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from support.specs import VONAGE_SAMPLES, sample_body
from support.webhooks import VONAGE_SECRET as SECRET
from support.webhooks import vonage_signed

from anyvideo import AnyVideoError, EventType, ParticipantStatus, Role, WebhookVerificationError

URL = "https://app.example.com/vonage/callbacks"


def test_session_monitoring_names_the_participants(wired) -> None:
    video, devices, events = wired
    room = video.rooms.create("standup")
    ann = devices.join(video.tokens.create(room, "ann", data="seat 4"))
    stream_id = ann.publish(name="ann-camera")
    [participant] = video.participants.list(room)
    assert (participant.identity, participant.data) == ("ann", "seat 4")
    assert video.streams.get(room, stream_id).participant_id == ann.participant_id
    ann.leave()
    kinds = [e.type for e in events]
    assert kinds == [
        EventType.ROOM_STARTED,  # the first client ever connected
        EventType.PARTICIPANT_JOINED,
        EventType.STREAM_PUBLISHED,
        EventType.STREAM_UNPUBLISHED,
        EventType.PARTICIPANT_LEFT,
        "vonage.session_destroyed",  # the room is still open: ann may come back
    ]
    joined = events[1].subject
    assert (joined.identity, joined.status, joined.room_id) == ("ann", ParticipantStatus.CONNECTED, room.id)
    assert events[4].subject.status is ParticipantStatus.DISCONNECTED
    assert len({e.event_id for e in events}) == len(events)


def test_a_participant_who_left_keeps_what_the_callbacks_said(wired) -> None:
    video, devices, events = wired
    room = video.rooms.create("standup")
    ann = devices.join(video.tokens.create(room, "ann", data="seat 4"))
    ann.leave()  # never listed: anyvideo knows ann from the callbacks alone
    joined, left = (e.subject for e in events if e.type in (EventType.PARTICIPANT_JOINED, EventType.PARTICIPANT_LEFT))
    gone = video.participants.get(room, ann.participant_id)
    assert (gone.identity, gone.data, gone.status) == ("ann", "seat 4", ParticipantStatus.DISCONNECTED)
    assert (gone.joined_at, gone.left_at) == (joined.joined_at, left.left_at) and gone.left_at is not None
    assert list(video.participants.list(room)) == [gone]


def test_session_monitoring_gives_the_participants_roles(wired) -> None:
    video, devices, _ = wired
    room = video.rooms.create("roles")
    devices.join(video.tokens.create(room, "host", role="moderator"))
    devices.join(video.tokens.create(room, "carol", role="subscriber"))
    assert {p.identity: p.role for p in video.participants.list(room)} == {
        "host": Role.MODERATOR,
        "carol": Role.SUBSCRIBER,
    }


def test_archive_callbacks_are_recording_events(wired, vonage_emulator) -> None:
    video, devices, events = wired
    room = video.rooms.create("rec")
    devices.join(video.tokens.create(room, "ann")).publish()
    recording = video.recordings.start(room)
    video.recordings.stop(recording)
    vonage_emulator.control.advance(5)
    video.recordings.get(recording)
    vonage_emulator.control.callbacks()
    recording_events = [e for e in events if e.subject is not None and getattr(e.subject, "id", None) == recording.id]
    assert [e.type for e in recording_events] == [
        EventType.RECORDING_STARTED,
        "vonage.archive_stopped",
        EventType.RECORDING_AVAILABLE,
    ]
    assert recording_events[-1].subject.files


def test_broadcast_callbacks_are_composition_events(wired, vonage_emulator) -> None:
    video, devices, events = wired
    room = video.rooms.create("live")
    devices.join(video.tokens.create(room, "ann")).publish()
    live = video.compositions.start(room, output="live", hls=True)
    video.compositions.stop(live)
    vonage_emulator.control.callbacks()
    assert [e.type for e in events if getattr(e.subject, "id", None) == live.id] == [
        EventType.COMPOSITION_STARTED,
        EventType.COMPOSITION_ENDED,
    ]


def test_a_retried_callback_has_the_same_event_id(video_with_secret) -> None:
    callback = {"sessionId": "1_MX5z", "event": "sessionCreated", "timestamp": 1_700_000_000_000}
    first = video_with_secret.webhooks.parse("POST", URL, *vonage_signed(callback))
    again = video_with_secret.webhooks.parse("POST", URL, *vonage_signed(callback))  # a retry is signed afresh
    assert first[0].event_id == again[0].event_id and first[0].type == again[0].type == EventType.ROOM_STARTED


def test_the_same_signature_twice_is_a_replay(video_with_secret) -> None:
    headers, body = vonage_signed({"sessionId": "1_MX5z", "event": "sessionCreated", "timestamp": 1_700_000_000_000})
    video_with_secret.webhooks.parse("POST", URL, headers, body)
    with pytest.raises(WebhookVerificationError, match="already received"):
        video_with_secret.webhooks.parse("POST", URL, headers, body)


def test_a_callback_that_does_not_translate_files_nothing(video_with_secret) -> None:
    # Its token and what it tells are filed in one transaction: all of it, or none.
    registry = video_with_secret.backend.registry
    broken = {"sessionId": "1_MX5z", "event": "connectionCreated", "timestamp": 1_700_000_000_000}
    headers, body = vonage_signed(broken)  # no "connection" object
    for _ in range(2):  # delivered again: refused for what it is, not as a replay
        with pytest.raises(AnyVideoError, match="no 'connection' object"):
            video_with_secret.webhooks.parse("POST", URL, headers, body)
    assert registry.claims("callback_token") == {}


def test_a_callback_files_its_token_and_its_connection_in_one_commit(video_with_secret) -> None:
    statements: list[str] = []
    video_with_secret.backend.registry._db.set_trace_callback(statements.append)
    connection = {"id": "c-1", "createdAt": 1_700_000_000_000, "data": '{"identity":"ann"}'}
    callback = {"sessionId": "1_MX5z", "event": "connectionCreated", "timestamp": 1_700_000_000_000}
    video_with_secret.webhooks.parse("POST", URL, *vonage_signed(callback | {"connection": connection}))
    writes = [s.split()[0] for s in statements if s.split()[0] in ("BEGIN", "COMMIT", "INSERT", "UPDATE")]
    assert writes == ["BEGIN", "INSERT", "INSERT", "COMMIT"]  # the token, the connection; one commit


def test_tokens_too_old_to_replay_are_forgotten_once_a_replay_window() -> None:
    from datetime import UTC, datetime

    from anyvideo.registry import Registry
    from anyvideo.webhooks import WebhookRequest
    from anyvideo_vonage.webhooks import CallbackParser

    clock = [datetime.now(UTC)]
    registry = Registry(None, namespace="vonage:app")
    parser = CallbackParser(registry, [SECRET], lambda kind, key: None, now=lambda: clock[0])
    window = parser.replay_window

    def deliver(at: datetime) -> WebhookRequest:
        callback = {"sessionId": "1_MX5z", "event": "sessionCreated", "timestamp": 1_700_000_000_000}
        request = WebhookRequest(
            "POST", URL, *vonage_signed(callback, iat=int(at.timestamp()), exp=int(at.timestamp()) + 300)
        )
        parser.verify(request)
        return request

    first = deliver(clock[0])
    clock[0] += window / 2
    deliver(clock[0])
    assert len(registry.claims("callback_token")) == 2  # no sweep within a window of the last
    clock[0] += window * 7 / 4  # 2¼ windows after the first
    deliver(clock[0])  # a sweep is due: the first token, older than two windows, goes; the second stays
    assert len(registry.claims("callback_token")) == 2
    with pytest.raises(WebhookVerificationError, match="replay window"):
        parser.verify(first)  # forgotten, and still refused: too old


def test_an_unknown_callback_is_an_unknown_event(video_with_secret) -> None:
    headers, body = vonage_signed({"something": "new"})
    [event] = video_with_secret.webhooks.parse("POST", URL, headers, body)
    assert event.type == EventType.UNKNOWN and event.raw == {"something": "new"}


@pytest.fixture
def video_with_secret(connect_vonage):
    return connect_vonage(signature_secret=SECRET)


def test_an_unsigned_callback_is_refused(video_with_secret) -> None:
    with pytest.raises(WebhookVerificationError, match="no signature"):
        video_with_secret.webhooks.parse("POST", URL, {}, b'{"event": "sessionCreated"}')


def test_a_callback_signed_with_another_secret_is_refused(video_with_secret) -> None:
    headers, body = vonage_signed({"event": "sessionCreated"}, secret="somebody-elses-secret-of-32-bytes-!")
    with pytest.raises(WebhookVerificationError, match="does not verify"):
        video_with_secret.webhooks.parse("POST", URL, headers, body)


def _signed_by_hand(body: bytes, header: object, claims: object, *, segments: int = 3) -> dict[str, str]:
    """A callback's headers with a token signed with the secret (HS256) over any header and claims."""

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = ".".join([part(header), *[part(claims)] * (segments - 2)])
    mac = hmac.digest(SECRET.encode(), signing_input.encode(), "sha256")
    return {"Authorization": f"Bearer {signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"}


def _fresh(body: bytes, **claims: object) -> dict[str, object]:
    """Claims issued now (``claims`` override them; a number in ``nbf`` or ``exp`` is seconds from now)."""
    now = int(time.time())
    moved = {
        name: now + value if name in ("nbf", "exp") and isinstance(value, int) else value
        for name, value in claims.items()
    }
    return {"iat": now, "exp": now + 300, "payload_hash": hashlib.sha256(body).hexdigest(), **moved}


BODY = b'{"event": "sessionCreated", "sessionId": "1_S", "timestamp": 1}'


@pytest.mark.parametrize(
    ("header", "claims", "segments", "refusal"),
    [
        ({"alg": "HS512", "typ": "JWT"}, {}, 3, "not HS256"),  # the HMAC verifies, the header lies
        ({"alg": "none"}, {}, 3, "not HS256"),
        ({"typ": "JWT"}, {}, 3, "not HS256"),
        (["HS256"], {}, 3, "not HS256"),
        ({"alg": "HS256"}, None, 3, "carries no claims"),
        ({"alg": "HS256"}, {"aud": "elsewhere"}, 3, "audience"),
        ({"alg": "HS256"}, {"nbf": 120}, 3, "not valid yet"),
        ({"alg": "HS256"}, {"exp": "tomorrow"}, 3, "usable expiry"),
        ({"alg": "HS256"}, {"exp": -1}, 3, "expired"),
        ({"alg": "HS256"}, {}, 4, "does not verify"),
        ({"alg": "HS256"}, {}, 2, "does not verify"),
    ],
)
def test_a_signed_token_vonage_would_not_send_is_refused(video_with_secret, header, claims, segments, refusal) -> None:
    # the claims are made as the test runs (the tokens expire), not when it is collected
    headers = _signed_by_hand(BODY, header, [1, 2] if claims is None else _fresh(BODY, **claims), segments=segments)
    with pytest.raises(WebhookVerificationError, match=refusal):
        video_with_secret.webhooks.parse("POST", URL, headers, BODY)


def test_a_token_altered_anywhere_is_refused(video_with_secret) -> None:
    token = _signed_by_hand(BODY, {"alg": "HS256", "typ": "JWT"}, _fresh(BODY))["Authorization"]
    for changed in (token + "A", token[:-1], token.replace("Bearer e", "Bearer f"), token + "é", token + ".x"):
        with pytest.raises(WebhookVerificationError, match="does not verify"):
            video_with_secret.webhooks.parse("POST", URL, {"Authorization": changed}, BODY)
    [event] = video_with_secret.webhooks.parse("POST", URL, {"Authorization": token}, BODY)  # as signed: accepted
    assert event.room_id == "1_S"


def test_a_forged_body_under_a_captured_signature_is_refused(video_with_secret) -> None:
    headers, _ = vonage_signed({"event": "sessionCreated", "sessionId": "a"})
    with pytest.raises(WebhookVerificationError, match="not the one that was signed"):
        video_with_secret.webhooks.parse("POST", URL, headers, b'{"event": "sessionCreated", "sessionId": "b"}')


def test_a_stale_callback_is_refused(video_with_secret) -> None:
    headers, body = vonage_signed({"event": "sessionCreated"}, iat=int(time.time()) - 3600, exp=int(time.time()) + 60)
    with pytest.raises(WebhookVerificationError, match="replay window"):
        video_with_secret.webhooks.parse("POST", URL, headers, body)


def test_without_a_secret_every_callback_is_refused(video) -> None:
    headers, body = vonage_signed({"event": "sessionCreated"})
    with pytest.raises(WebhookVerificationError, match="signature_secret"):
        video.webhooks.parse("POST", URL, headers, body)


def test_an_archive_that_resumes_after_a_pause_started_once(video_with_secret) -> None:
    archive = sample_body(VONAGE_SAMPLES, "archive.json")

    def callback(status: str, updated: int) -> list[EventType | str]:
        body = {**archive, "status": status, "updatedAt": updated}
        return [e.type for e in video_with_secret.webhooks.parse("POST", URL, *vonage_signed(body))]

    assert callback("started", 1_700_000_000_000) == [EventType.RECORDING_STARTED]
    assert callback("paused", 1_700_000_060_000) == ["vonage.archive_paused"]
    assert callback("started", 1_700_000_120_000) == ["vonage.archive_resumed"]  # no second recording.started
    assert callback("started", 1_700_000_000_000) == [EventType.RECORDING_STARTED]  # the first, delivered again
