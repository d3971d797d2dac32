"""A provider that fails is no 500: each kind of anyvideo error answers its problem (503 with
Retry-After when the provider said when, 502, 400 naming the backend), driven by the
emulators' real fault injection and by a port nothing listens on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.meetings import Api, local_service
from support.serving import closed_port

from anyvideo.backend import Feature
from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
    Unreachable,
    UnsupportedFeature,
    WaitTimeout,
)
from anyvideo.meetings.problems import LIBRARY_STATUSES, library_problem
from anyvideo.testing import Emulator
from anyvideo.testing.faults import Fault

#: The request that makes a room, on each provider (the one provider call of ``POST /session``).
ROOM_CREATE = {"twilio": (r"/Rooms$", "POST"), "vonage": (r"/session/create$", "POST")}
#: The request that ends a room.
ROOM_END = {"twilio": (r"/Rooms/RM\w+$", "POST"), "vonage": (r"/session/[^/]+/connection$", "GET")}
#: The setting that says where the provider is.
WHERE = {
    "twilio": lambda port: {"base_url": f"http://127.0.0.1:{port}"},
    "vonage": lambda port: {"video_host": f"127.0.0.1:{port}"},
}


@pytest.fixture(params=["twilio", "vonage"])
def emulator(request: pytest.FixtureRequest) -> Emulator:
    emulator: Emulator = request.getfixturevalue(f"{request.param}_emulator")
    return emulator


@pytest.fixture
def served(emulator: Emulator, tmp_path: Path) -> Iterator[tuple[Api, Emulator]]:
    """The service on the emulator, each request tried once (a failure comes straight out)."""
    video = emulator.connect(retries=0, timeout=(5, 0.5))
    with local_service(str(tmp_path / "m.db"), video, emulator.clock) as (_, client):
        yield Api(client, clock=emulator.clock), emulator


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return dict(answer.json())


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        (Fault(status=429, retry_after=7), 503, "7"),
        (Fault(status=429, retry_after=0.2), 503, "1"),
        (Fault(status=503), 503, None),
        (Fault(status=500), 502, None),
        (Fault(status=401), 502, None),
        (Fault(drop=True), 502, None),
        (Fault(late=1), 503, None),
    ],
    ids=["429-retry-after", "429-under-a-second", "503", "500", "credentials-refused", "dropped", "no-answer-in-time"],
)
def test_a_failing_provider_answers_a_problem_not_a_500(
    served: tuple[Api, Emulator], fault: Fault, status: int, retry_after: str | None
) -> None:
    api, emulator = served
    path, method = ROOM_CREATE[emulator.name]
    emulator.faults.script(path, [fault], method=method)
    answer = api.client.post("/session", json={}, headers=api.headers)
    document = problem(answer, status)
    assert "the video provider failed the request" in document["detail"]
    assert answer.headers.get("retry-after") == retry_after
    assert [f.kind for _, _, f in emulator.faults.injected] == [fault.kind]
    assert api.create()  # the provider is back: so is the service


def test_an_unreachable_provider_is_a_503(emulator: Emulator, tmp_path: Path) -> None:
    video = emulator.connect(retries=0, **WHERE[emulator.name](closed_port()))
    with local_service(str(tmp_path / "m.db"), video, emulator.clock) as (_, client):
        api = Api(client)
        document = problem(api.client.post("/session", json={}, headers=api.headers), 503)
        assert "could not connect" in document["detail"]


def test_ending_a_meeting_whose_room_the_provider_no_longer_has_ends_it(served: tuple[Api, Emulator]) -> None:
    api, emulator = served
    link = api.create()
    path, method = ROOM_END[emulator.name]
    emulator.faults.script(path, [Fault(status=404)], method=method)
    api.end(link)  # 204: nobody can be in a room the provider does not have
    assert [f.kind for _, _, f in emulator.faults.injected] == ["404"]
    problem(api.client.patch(f"/session/{link}/end", headers=api.headers), 409)


def test_a_meeting_whose_closed_room_the_provider_no_longer_has_gets_a_new_room(
    twilio_emulator: Emulator, tmp_path: Path
) -> None:
    """The provider closed the room, then answers 404 when asked about it: the meeting is still
    open, so its next token is in a new room (was a 500)."""
    video = twilio_emulator.connect(retries=0)
    with local_service(str(tmp_path / "m.db"), video, twilio_emulator.clock) as (_, client):
        api = Api(client, clock=twilio_emulator.clock)
        link = api.create()
        closed = api.token(link)["sessionId"]
        video.rooms.end(closed)
        twilio_emulator.faults.script(r"/Rooms/RM\w+$", [Fault(status=404)], method="GET")
        answer = api.token(link, identity="ann")
        assert answer["sessionId"] != closed
        assert [f.kind for _, _, f in twilio_emulator.faults.injected] == ["404"]


def test_what_the_backend_cannot_do_is_a_400_naming_it(served: tuple[Api, Emulator]) -> None:
    api, emulator = served
    link = api.create()
    body = {"data": "seat 4"}
    answer = api.client.post(f"/session/{link}/token", json=body, headers=api.headers)
    if emulator.name == "twilio":
        document = problem(answer, 400)
        assert document["detail"].startswith("the twilio backend cannot do token_data") and document["field"] == "data"
    else:
        assert answer.status_code == 200


# --- the table, error by error -----------------------------------------------------------


def _errors() -> list[tuple[AnyVideoError, int]]:
    provider = "acme"
    return [
        (InvalidRequest("ttl", "too long"), 400),
        (UnsupportedFeature(Feature.E2EE, provider, "ask acme"), 400),
        (Conflict("room ended"), 409),
        (NotFound("acme: no such room"), 502),
        (AuthenticationError("acme: bad key"), 502),
        (Forbidden("acme: not yours"), 502),
        (RateLimited("slow down", retry_after=2.5), 503),
        (Unreachable("could not connect", provider=provider), 503),
        (DeadlineExceeded("create_room", 30, provider=provider), 503),
        (ProviderError("bad gateway", provider=provider, status=502), 503),
        (ProviderError("unavailable", provider=provider, status=503), 503),
        (ProviderError("gateway timeout", provider=provider, status=504), 503),
        (ProviderError("internal", provider=provider, status=500), 502),
        (ProviderError("unreadable answer", provider=provider), 502),
    ]


@pytest.mark.parametrize(
    ("error", "status"),
    _errors(),
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_library_error_answers_its_status(error: AnyVideoError, status: int) -> None:
    problem_ = library_problem(error)
    assert problem_.status == status
    if isinstance(error, UnsupportedFeature):
        assert problem_.detail == "the acme backend cannot do e2ee: ask acme"
    if isinstance(error, RateLimited):
        assert problem_.headers == {"Retry-After": "3"}


def test_every_error_of_the_taxonomy_has_an_answer() -> None:
    """An anyvideo error class added later falls to its nearest listed ancestor; none to a 500."""
    assert WaitTimeout in LIBRARY_STATUSES and AnyVideoError in LIBRARY_STATUSES
    assert all(400 <= status < 600 and status != 500 for status in LIBRARY_STATUSES.values())


def test_a_provider_failure_inside_the_served_app_is_logged_without_a_traceback(
    served: tuple[Api, Emulator], caplog: pytest.LogCaptureFixture
) -> None:
    api, emulator = served
    path, method = ROOM_CREATE[emulator.name]
    emulator.faults.script(path, [Fault(status=503)], method=method)
    with caplog.at_level("WARNING", logger="anyvideo.meetings"):
        problem(api.client.post("/session", json={}, headers=api.headers), 503)
    [record] = [r for r in caplog.records if r.name == "anyvideo.meetings"]
    assert record.exc_info is None and "answered 503" in record.getMessage()
