"""Property: whatever arrives at the callback URL — any method, URL, headers and body, signed or
not — parsing gives events or an anyvideo error, never another exception."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.webhooks import TWILIO_TOKEN, twilio_signed, vonage_signed

from anyvideo import Event, EventType, Video
from anyvideo.errors import AnyVideoError
from anyvideo_twilio.webhooks import COMPOSITION_EVENTS, RECORDING_EVENTS, ROOM_EVENTS
from anyvideo_vonage.webhooks import MONITORING_EVENTS

URL = "https://hooks.example.com/video"
# The fixtures are connections that only parse: sharing one between examples is what an app does.
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

text = st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
headers = st.dictionaries(
    st.sampled_from(["Authorization", "X-Twilio-Signature", "Content-Type", "Host", "X-Other"]) | text, text, max_size=5
)
urls = st.sampled_from([URL, URL + "?bodySHA256=00", "https://hooks.example.com:99999/x", "not a url", ""]) | text
bodies = st.binary(max_size=300) | text.map(str.encode)


def check(parse: Any, *args: Any) -> None:
    try:
        events = parse(*args)
    except AnyVideoError:
        return
    assert isinstance(events, list) and all(isinstance(e, Event) for e in events)
    for event in events:
        assert event.type in EventType.__members__.values() or event.type.startswith(f"{event.provider}.")
        assert event.event_id and event.occurred_at.tzinfo is not None


@EXAMPLES
@given(method=st.sampled_from(["POST", "GET", "PUT", "post"]), url=urls, headers=headers, body=bodies)
def test_anything_unsigned(offline_vonage: Video, offline_twilio: Video, method, url, headers, body) -> None:
    for video in (offline_vonage, offline_twilio):
        check(video.webhooks.parse, method, url, headers, body)


# --- signed bodies: the translation itself meets arbitrary content ---------------------------

VONAGE_KEYS = ["event", "sessionId", "projectId", "timestamp", "connection", "stream", "reason", "id", "status"]
VONAGE_KEYS += ["createdAt", "updatedAt", "outputMode", "broadcastUrls", "url", "size", "duration", "streams"]
vonage_events = st.sampled_from([*MONITORING_EVENTS, "archive", "broadcast", "render"]) | json_values
connection = st.fixed_dictionaries(
    {}, optional={"id": text | json_values, "data": json_values, "createdAt": json_values}
)
vonage_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"event": vonage_events},
        optional={
            **{key: json_values for key in VONAGE_KEYS if key != "event"},
            "connection": connection | json_values,
            "stream": st.fixed_dictionaries({"id": text}, optional={"connection": connection}) | json_values,
            "sessionId": text,
            "id": text,
            "status": st.sampled_from(["started", "stopped", "available", "failed", "paused", "x"]) | json_values,
        },
    ),
)


@EXAMPLES
@given(body=vonage_bodies)
def test_signed_vonage_bodies(offline_vonage: Video, body) -> None:
    check(offline_vonage.webhooks.parse, "POST", URL, *vonage_signed(json.dumps(body).encode()))


TWILIO_KEYS = ["AccountSid", "RoomSid", "RoomName", "RoomStatus", "RoomType", "Timestamp", "SequenceNumber"]
TWILIO_KEYS += ["ParticipantSid", "ParticipantIdentity", "ParticipantStatus", "TrackSid", "TrackKind", "TrackName"]
TWILIO_KEYS += ["RecordingSid", "Type", "Container", "Size", "Duration", "CompositionSid", "MediaUri"]
twilio_events = st.sampled_from([*ROOM_EVENTS, *RECORDING_EVENTS, *COMPOSITION_EVENTS, "room-renamed"]) | text
twilio_params = st.fixed_dictionaries(
    {"StatusCallbackEvent": twilio_events},
    optional={
        key: text | st.sampled_from(["", "RM1", "audio", "mka", "12", "-1", "1e309", "²", "2026-01-01"])
        for key in TWILIO_KEYS
    },
)


@EXAMPLES
@given(params=twilio_params | st.dictionaries(text, text, max_size=4), how=st.sampled_from(["POST", "GET", "JSON"]))
def test_signed_twilio_parameters(offline_twilio: Video, params: dict[str, str], how: str) -> None:
    if how == "POST":
        headers, body = twilio_signed(TWILIO_TOKEN, URL, params)
        check(offline_twilio.webhooks.parse, "POST", URL, headers, body)
    elif how == "GET":
        url = f"{URL}?{urlencode(params)}"
        check(offline_twilio.webhooks.parse, "GET", url, twilio_signed(TWILIO_TOKEN, url, {})[0], b"")
    else:
        body = json.dumps(params)
        url = f"{URL}?bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"
        headers = {**twilio_signed(TWILIO_TOKEN, url, {})[0], "Content-Type": "application/json"}
        check(offline_twilio.webhooks.parse, "POST", url, headers, body)


@pytest.mark.parametrize("body", [b"", b"{}", b"[]", b"null", b'"x"', b"\xff\xfe", b'{"event": ["a"]}'])
def test_edge_bodies_signed(offline_vonage: Video, body: bytes) -> None:
    check(offline_vonage.webhooks.parse, "POST", URL, *vonage_signed(body))
