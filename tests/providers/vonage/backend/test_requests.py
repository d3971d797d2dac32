"""Each core operation sends the one request a bare client would (the REST helper, with the
method, path and body the SDK would send), none through the SDK, and nothing more: what
anyvideo keeps besides (room names, statuses, identities) is in its registry, not asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from support.webhooks import VONAGE_SECRET, vonage_signed

from anyvideo import Room, Video

#: (who sent it: "rest" or "sdk", method, path with the ids left out, query)
Sent = tuple[str, str, str, dict[str, str]]


@pytest.fixture
def sent(video: Video) -> Iterator[list[Sent]]:
    """The requests this thread's SDK client and REST helper send, once the fixture is set up."""
    seen: list[Sent] = []
    transport = video.backend.transport

    def hook(via: str) -> Callable[..., None]:
        def record(answer: requests.Response, *args: Any, **kwargs: Any) -> None:
            url = urlsplit(answer.request.url or "")
            path = url.path.replace(f"/v2/project/{transport.application_id}", "")
            seen.append((via, str(answer.request.method), path, dict(parse_qsl(url.query))))

        return record

    sessions = {"rest": transport.rest._session(), "sdk": transport.sdk().http_client._session}
    for via, session in sessions.items():
        session.hooks["response"].append(hook(via))
    yield seen
    for session in sessions.values():
        session.hooks["response"].clear()


@pytest.fixture
def live(video: Video) -> Room:
    """A room with a client publishing (archives and broadcasts need one)."""
    room = video.rooms.create("live")
    video.backend.browser().join(video.tokens.create(room, "ann")).publish()
    return room


def test_creating_a_room_is_one_session_create_with_the_sdks_form(video: Video, sent: list[Sent]) -> None:
    room = video.rooms.create("standup")
    assert sent == [("rest", "POST", "/session/create", {})]
    assert video.rooms.get(room).name == "standup" and len(sent) == 1  # a room anyvideo made: no request


def test_the_form_of_a_session_create_is_the_sdks(video: Video) -> None:
    from vonage_video.models import SessionOptions

    from anyvideo_vonage import options

    asked = options.session_options({"media_mode": "relayed", "location": "10.0.0.1"})
    form = SessionOptions(media_mode="relayed", archive_mode="manual", location="10.0.0.1")
    assert options.session_form(asked) == form.model_dump(by_alias=True, exclude_none=True)


def test_room_participant_stream_and_signal_operations_are_one_request_each(
    video: Video, live: Room, sent: list[Sent]
) -> None:
    someone = next(iter(video.participants.list(live)))
    video.participants.get(live, someone)
    list(video.streams.list(live))
    video.signals.send(live, "tick", "now")
    video.signals.send(live, "tick", "you", to=someone)
    video.participants.disconnect(live, someone)
    video.rooms.end(live)
    session, connection = f"/session/{live.id}", f"/session/{live.id}/connection"
    assert sent == [
        ("rest", "GET", connection, {}),
        ("rest", "GET", connection, {}),
        ("rest", "GET", f"{session}/stream", {}),
        ("rest", "POST", f"{session}/signal", {}),
        ("rest", "POST", f"{connection}/{someone.id}/signal", {}),
        ("rest", "DELETE", f"{connection}/{someone.id}", {}),
        ("rest", "GET", connection, {}),  # ending: who is still there (no one)
    ]


def test_recording_and_composition_operations_are_one_request_each(video: Video, live: Room, sent: list[Sent]) -> None:
    recording = video.recordings.stop(video.recordings.start(live))
    video.recordings.get(recording)
    list(video.recordings.list(room=live))
    composition = video.compositions.stop(video.compositions.start(live, output="live", hls=True))
    assert sent == [
        ("rest", "POST", "/archive", {}),
        ("rest", "POST", f"/archive/{recording.id}/stop", {}),
        ("rest", "GET", f"/archive/{recording.id}", {}),
        ("rest", "GET", "/archive", {"sessionId": live.id, "offset": "0", "count": "50"}),
        ("rest", "POST", "/broadcast", {}),
        ("rest", "POST", f"/broadcast/{composition.id}/stop", {}),
    ]


def test_tokens_and_callbacks_send_no_request(connect_vonage: Callable[..., Video]) -> None:
    video = connect_vonage(signature_secret=VONAGE_SECRET)
    room = video.rooms.create("quiet")
    transport = video.backend.transport
    seen: list[str] = []
    for session in (transport.rest._session(), transport.sdk().http_client._session):
        session.hooks["response"].append(lambda answer, *args, **kwargs: seen.append(answer.request.url))
    video.tokens.create(room, "ann")
    callback = {
        "sessionId": room.id,
        "event": "connectionCreated",
        "timestamp": 1_700_000_000_000,
        "connection": {"id": "c0nn", "createdAt": 1_700_000_000_000, "data": '{"identity":"ann"}'},
    }
    [event] = video.webhooks.parse("POST", "https://app.example.com/hooks", *vonage_signed(callback))
    assert event.subject.identity == "ann" and seen == []
