"""Twilio's status callbacks, as the emulator sends them, verified with the SDK's
RequestValidator and normalised into events."""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from anyvideo import EventType, RecordingStatus, StreamKind
from anyvideo.errors import AnyVideoError, WebhookVerificationError

HOOK = "http://127.0.0.1:9/twilio/status"  # nobody listens: the emulator records what it sent


def deliveries(control, url: str = HOOK) -> list[dict[str, Any]]:
    """What the emulator sent to ``url``, as (method, url, headers, body) the application received."""
    sent = []
    for delivery in control.callbacks():
        if not delivery["url"].startswith(url):
            continue
        if delivery["method"] == "GET":
            sent.append({**delivery, "url": f"{delivery['url']}?{delivery['body']}", "body": ""})
        else:
            sent.append(delivery)
    return sent


def parse_all(video, control, url: str = HOOK):
    return [
        event
        for delivery in deliveries(control, url)
        for event in video.webhooks.parse(delivery["method"], delivery["url"], delivery["headers"], delivery["body"])
    ]


@pytest.fixture
def watched(video):
    return video.rooms.create("watched", provider_options={"status_callback": HOOK})


def test_room_participant_and_track_callbacks_become_events(video, watched, join, control):
    ann = join(watched, "ann")
    mic = ann.publish(StreamKind.AUDIO, name="mic")
    ann.unpublish(mic)
    ann.leave()
    video.rooms.end(watched)
    events = parse_all(video, control)
    assert [e.type for e in events] == [
        "room.started",
        "participant.joined",
        "stream.published",
        "stream.unpublished",
        "participant.left",
        "room.ended",
    ]
    started, joined, published = events[:3]
    assert (started.subject.id, started.subject.name, started.room_id) == (watched.id, "watched", watched.id)
    assert (joined.subject.identity, joined.subject.id) == ("ann", ann.participant_id)
    assert (published.subject.id, published.subject.kind) == (mic, StreamKind.AUDIO)
    assert events[-1].subject.status == "ended"
    assert len({e.event_id for e in events}) == len(events)
    assert all(e.provider == "twilio" and e.occurred_at.tzinfo for e in events)


def test_a_retried_callback_keeps_its_event_id(video, watched, control):
    (delivery,) = deliveries(control)
    args = (delivery["method"], delivery["url"], delivery["headers"], delivery["body"])
    assert video.webhooks.parse(*args)[0].event_id == video.webhooks.parse(*args)[0].event_id


def test_get_callbacks_are_verified_too(video, control):
    video.rooms.create("by-get", provider_options={"status_callback": HOOK, "status_callback_method": "GET"})
    (event,) = parse_all(video, control)
    assert event.type == EventType.ROOM_STARTED


def test_a_window_reports_each_transition_once_and_each_track_as_a_twilio_event(video, watched, join, control):
    ann = join(watched, "ann")
    mic, cam = ann.publish(StreamKind.AUDIO), ann.publish(StreamKind.VIDEO)
    recording = video.recordings.start(watched, mode="individual")
    control.advance(2)
    video.recordings.stop(recording)
    control.advance(3)
    events = [e for e in parse_all(video, control) if "recording" in e.type]
    assert [e.type for e in events] == [
        "twilio.track_recording_started",  # the microphone's track recording started…
        "recording.started",  # …and with it the window
        "twilio.track_recording_started",  # the camera's: the window had started already
        "twilio.track_recording_completed",  # the microphone's completed, the camera's not yet told
        "twilio.track_recording_completed",  # the camera's: the last of the window's tracks, so
        "recording.available",  # the window is available, told by that callback without asking Twilio
    ]
    started, available = events[1], events[5]
    assert started.subject.id == available.subject.id == recording.id
    assert started.subject.started_at == recording.started_at  # the window, as found when parsed (stopped since)
    assert available.subject.status is RecordingStatus.AVAILABLE and len(available.subject.files) == 2
    tracks = [e.subject for e in events if e.type.startswith("twilio.")]
    assert {t.raw["window_id"] for t in tracks} == {recording.id}
    assert [t.has_video for t in tracks] == [False, True, False, True]  # the track recordings themselves
    assert len({e.event_id for e in events}) == len(events)
    assert (mic, cam) and {t.id for t in tracks} == {f.name.partition(".")[0] for f in available.subject.files}


def test_a_redelivered_callback_announces_what_it_announced_and_nothing_more(video, watched, join, control):
    ann = join(watched, "ann")
    ann.publish(StreamKind.AUDIO)
    ann.publish(StreamKind.VIDEO)
    video.recordings.stop(video.recordings.start(watched, mode="individual"))
    control.advance(3)
    sent = [d for d in deliveries(control) if "recording-" in d["body"]]
    first = [parse_delivery(video, d) for d in sent]
    again = [parse_delivery(video, d) for d in sent]  # Twilio delivers each callback again
    assert [[e.event_id for e in events] for events in again] == [[e.event_id for e in events] for events in first]
    assert [[e.type for e in events] for events in again] == [
        ["twilio.track_recording_started", "recording.started"],
        ["twilio.track_recording_started"],
        ["twilio.track_recording_completed"],
        ["twilio.track_recording_completed", "recording.available"],  # the last track's announced it
    ]


def parse_delivery(video, delivery):
    return video.webhooks.parse(delivery["method"], delivery["url"], delivery["headers"], delivery["body"])


def test_a_track_recording_of_no_window_is_a_recording_of_its_own(video, join, control):
    room = video.rooms.create(
        "auto", provider_options={"status_callback": HOOK, "record_participants_on_connect": True}
    )
    join(room, "ann").publish(StreamKind.AUDIO, name="mic")
    video.rooms.end(room)
    control.advance(3)
    events = [e for e in parse_all(video, control) if "recording" in e.type]
    assert [e.type for e in events] == ["recording.started", "recording.available"]
    done = events[1].subject
    assert (done.mode, done.name, done.status) == ("individual", "mic", RecordingStatus.AVAILABLE)
    assert done.files[0].name == f"{done.id}.mka" and done.files[0].size


def test_composition_hook_callbacks_become_events(video, watched, join, control):
    video.ext.create_composition_hook("on-end", status_callback=HOOK + "/compositions")
    join(watched, "ann").publish(StreamKind.AUDIO)
    video.recordings.stop(video.recordings.start(watched, mode="individual"))
    video.rooms.end(watched)
    control.advance(3)
    control.advance(3)
    events = parse_all(video, control, HOOK + "/compositions")
    assert [e.type for e in events] == ["twilio.composition_enqueued", "composition.started", "composition.available"]
    assert events[-1].subject.status == "available" and events[-1].subject.room_id == watched.id


def test_a_forged_or_unsigned_callback_is_refused(video, watched, control):
    (delivery,) = deliveries(control)
    forged = delivery["body"].replace("room-created", "room-ended")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        video.webhooks.parse("POST", delivery["url"], delivery["headers"], forged)
    unsigned = {k: v for k, v in delivery["headers"].items() if k.lower() != "x-twilio-signature"}
    with pytest.raises(WebhookVerificationError, match="no X-Twilio-Signature"):
        video.webhooks.parse("POST", delivery["url"], unsigned, delivery["body"])
    with pytest.raises(WebhookVerificationError):
        video.webhooks.parse(
            "POST", delivery["url"].replace("/twilio/", "/other/"), delivery["headers"], delivery["body"]
        )


def test_without_an_auth_token_every_callback_is_refused(connect_twilio, control):
    video = connect_twilio(auth_token=None)  # the API key alone: enough for the REST API, not for callbacks
    video.rooms.create("unverifiable", provider_options={"status_callback": HOOK})
    (delivery,) = deliveries(control)
    with pytest.raises(WebhookVerificationError, match="configure auth_token"):
        video.webhooks.parse(delivery["method"], delivery["url"], delivery["headers"], delivery["body"])


def test_a_previous_auth_token_still_verifies_while_rotating(connect_twilio, twilio_emulator, control):
    current = twilio_emulator.credentials["auth_token"]
    video = connect_twilio(auth_token=["a-newer-token-not-yet-in-use", current])
    video.rooms.create("rotating", provider_options={"status_callback": HOOK})
    (delivery,) = deliveries(control)
    (event,) = video.webhooks.parse(delivery["method"], delivery["url"], delivery["headers"], delivery["body"])
    assert event.type == EventType.ROOM_STARTED


def test_a_stale_callback_is_refused(connect_twilio, watched, join, control):
    ann = join(watched, "ann")
    control.advance(600)  # the emulator's clock runs ten minutes ahead: its Timestamp is outside the window
    ann.publish(StreamKind.AUDIO)
    late = deliveries(control)[-1]
    on_the_machines_clock = connect_twilio(webhook_clock=None)  # not the emulator's clock
    with pytest.raises(WebhookVerificationError, match="replay window"):
        on_the_machines_clock.webhooks.parse(late["method"], late["url"], late["headers"], late["body"])


def signed(token: str, url: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def test_an_unknown_callback_is_an_unknown_event(video, twilio_emulator):
    token = twilio_emulator.credentials["auth_token"]
    params = {"AccountSid": twilio_emulator.credentials["account_sid"], "StatusCallbackEvent": "room-renamed"}
    (event,) = video.webhooks.parse("POST", HOOK, signed(token, HOOK, params), _form(params))
    assert event.type == EventType.UNKNOWN and event.raw["StatusCallbackEvent"] == "room-renamed"


def test_a_callback_without_an_event_is_not_a_twilio_video_callback(video, twilio_emulator):
    token = twilio_emulator.credentials["auth_token"]
    params = {"SmsSid": "SM1"}
    with pytest.raises(AnyVideoError, match="not a Twilio Video callback"):
        video.webhooks.parse("POST", HOOK, signed(token, HOOK, params), _form(params))


def test_a_json_callback_is_checked_against_its_body_hash(video, twilio_emulator):
    token = twilio_emulator.credentials["auth_token"]
    body = json.dumps({"StatusCallbackEvent": "room-created", "RoomSid": "RM" + "1" * 32, "RoomName": "j"})
    url = f"{HOOK}?bodySHA256={sha256(body.encode()).hexdigest()}"
    headers = {**signed(token, url, {}), "Content-Type": "application/json"}
    (event,) = video.webhooks.parse("POST", url, headers, body)
    assert event.type == EventType.ROOM_STARTED and event.subject.name == "j"
    with pytest.raises(WebhookVerificationError):
        video.webhooks.parse("POST", url, headers, body.replace('"j"', '"k"'))


def _form(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
