"""The service on PostgreSQL, and many instances of it on one database: the engine's URL, the
registry in the service's database, migrations started at once, and two ``anyvideo serve``
processes on one PostgreSQL database and one emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker
from support.meetings import SECRET, Api, bearer, service_environment, serving, signed
from support.postgres import sqlalchemy_url

from anyvideo import Video
from anyvideo.meetings.db import Meeting, database_url, make_engine, migrate
from anyvideo.meetings.service import MeetingService
from anyvideo.meetings.settings import Settings, registry_location
from anyvideo.testing import Emulator


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@db.example/meetings", "postgresql+psycopg"),
        ("postgres://u@db.example/meetings", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/meetings", "postgresql+psycopg"),
        ("sqlite:///meetings.db", "sqlite"),
    ],
)
def test_postgresql_is_reached_through_psycopg_3(given: str, driver: str) -> None:
    assert database_url(given).drivername == driver


@pytest.mark.parametrize(
    ("database", "registry"),
    [
        ("sqlite:///anyvideo-meetings.db", "sqlite:///anyvideo-meetings.db"),
        ("postgresql+psycopg://svc@db/meetings", "postgresql+psycopg://svc@db/meetings"),
        ("postgres://svc@db/meetings", "postgres://svc@db/meetings"),
        ("sqlite://", None),  # in memory: the registry stays the backend's own
        ("mysql://svc@db/meetings", None),  # anyvideo's registry cannot live there
    ],
)
def test_the_registry_is_the_services_database_unless_configured(database: str, registry: str | None) -> None:
    assert registry_location(database) == registry
    environ = {"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, "ANYVIDEO_MEETINGS_DATABASE_URL": database}
    assert Settings.from_env(environ).environ.get("ANYVIDEO_REGISTRY") == registry
    chosen = Settings.from_env({**environ, "ANYVIDEO_REGISTRY": "/var/lib/registry.db"})
    assert chosen.environ["ANYVIDEO_REGISTRY"] == "/var/lib/registry.db"


def test_instances_starting_at_once_migrate_once(database_url: str) -> None:
    """Of four instances migrating one new database at once, one makes the schema, the others find it made."""
    engines = [make_engine(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))

    def start(engine: object) -> None:
        barrier.wait()
        migrate(engine)  # type: ignore[arg-type]

    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            list(pool.map(start, engines))
        with engines[0].connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    finally:
        for engine in engines:
            engine.dispose()


def test_text_postgresql_cannot_hold_is_refused_or_not_found_on_every_database(service: tuple[FastAPI, Api]) -> None:
    """A NUL character: PostgreSQL's text cannot hold one, so a body with one is refused naming the
    field (422), and an id with one names nothing (404), never a 500 from the database."""
    _, api = service
    link = api.create()
    for path, body, field in [
        ("/session", {"extId": "a\x00b"}, "extId"),
        (f"/session/{link}/token", {"identity": "ann\x00"}, "identity"),
        ("/webhooks/session", {"meetingLinkId": link, "attendee": "\x00", "event": "joined"}, "attendee"),
    ]:
        if path == "/webhooks/session":
            answer = api.webhook(body)
        else:
            answer = api.client.post(path, json=body, headers=api.headers)
        assert answer.status_code == 422 and field in answer.text, (path, answer.text)
    for path in ["/session/a%00b/attendees", "/archives/local:rec%00"]:
        assert api.client.get(path, headers=api.headers).status_code == 404, path
    assert api.client.patch("/session/a%00b/end", headers=api.headers).status_code == 404


def test_a_room_another_request_filed_first_is_the_meetings_room(service: tuple[FastAPI, Api]) -> None:
    """Two requests (of one instance or two) making a scheduled meeting's room at once: the room
    filed first is the one every token is for, whatever room the later request was handed."""
    app, api = service
    link = api.create(isScheduled=True, scheduleTime="2099-01-01T09:00:00Z")
    meetings: MeetingService = app.state.service
    sessions: sessionmaker = meetings.sessions  # type: ignore[type-arg]
    with sessions.begin() as session:
        meeting_id = session.scalar(select(Meeting.id).where(Meeting.meeting_link == link))
        assert meeting_id is not None
    original = meetings._make_room

    def made_meanwhile(link: str, e2ee: bool) -> str:
        room = original(link, e2ee)
        with sessions.begin() as session:  # another instance files its room in between
            session.execute(update(Meeting).where(Meeting.id == meeting_id).values(session_id="filed-first"))
        return room

    meetings._make_room = made_meanwhile  # type: ignore[method-assign]
    assert meetings._room_of(meeting_id, link, e2ee=False) == "filed-first"


@pytest.mark.parametrize("provider", ["vonage", "twilio"])
def test_backends_sharing_the_services_database_make_one_room_under_one_name(
    provider: str, database_url: str, request: pytest.FixtureRequest
) -> None:
    """Four connections (as of four instances) with the registry in the service's database, making a
    room under one name at once: one room. Twilio refuses a second room under a name itself; for
    Vonage, which does not, the registry's transaction is what makes the name unique."""
    emulator: Emulator = request.getfixturevalue(f"{provider}_emulator")
    videos = [emulator.connect(registry=database_url) for _ in range(4)]
    barrier = threading.Barrier(len(videos))
    if provider == "vonage":
        # Every connection has made its session before any files it: the race, every time.
        made_all = threading.Barrier(len(videos))
        for video in videos:
            rest = video.backend.transport.rest
            rest.call = _then_wait(rest.call, made_all)

    def make(video: Video) -> str:
        barrier.wait()
        return video.rooms.create("standup").id

    with ThreadPoolExecutor(len(videos)) as pool:
        made = set(pool.map(make, videos))
    assert len(made) == 1
    for video in videos:
        assert [room.id for room in video.rooms.list(name="standup")] == list(made)


def test_a_twilio_room_another_instance_made_keeps_the_entry_that_instance_filed(
    database_url: str, twilio_emulator: Emulator
) -> None:
    """The instance that finds the name taken (Twilio 53113) hands back the room and files nothing
    over what the instance that made it filed (the room's recording rules, a window's claim)."""
    making, finding = (twilio_emulator.connect(registry=database_url) for _ in range(2))
    room = making.rooms.create("standup", provider_options={"record_participants_on_connect": True})
    filed = making.backend.registry.get("room", room.id)
    assert filed is not None and filed["rules"]
    assert finding.rooms.create("standup").id == room.id
    assert finding.backend.registry.get("room", room.id) == filed


def _then_wait(call: Callable[..., Any], barrier: threading.Barrier) -> Callable[..., Any]:
    """``call``, which after creating a session waits until every other connection has made one."""

    def calling(*args: Any, **options: Any) -> Any:
        answer = call(*args, **options)
        if options.get("what") == "create_session":
            barrier.wait(120)
        return answer

    return calling


# --- two processes ------------------------------------------------------------------------


def instance_environment(database: str, emulator: Emulator) -> dict[str, str]:
    """The environment of an ``anyvideo serve`` on ``database`` and ``emulator``, nothing else configured."""
    return service_environment(sqlalchemy_url(database), emulator.app_environment)


def test_two_instances_on_one_postgresql_share_meetings_and_make_one_room(
    postgres_database: str, twilio_emulator: Emulator, tmp_path: Path
) -> None:
    environ = instance_environment(postgres_database, twilio_emulator)
    headers = bearer()
    with ExitStack() as stack:
        first, second = (stack.enter_context(serving(environ, tmp_path)).url for _ in range(2))
        made = requests.post(
            f"{first}/session", json={"isScheduled": True, "scheduleTime": "2099-01-01T09:00:00Z"}, headers=headers
        )
        assert made.status_code == 200, made.text
        link = made.text

        # Both instances asked at once for tokens of the scheduled meeting: its room is made then.
        barrier = threading.Barrier(8)

        def token(n: int) -> dict[str, str]:
            base = (first, second)[n % 2]
            barrier.wait()
            answer = requests.post(
                f"{base}/session/{link}/token", json={"identity": f"guest-{n}"}, headers=headers, timeout=120
            )
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        with ThreadPoolExecutor(8) as pool:
            tokens = list(pool.map(token, range(8)))
        rooms = {answer["sessionId"] for answer in tokens}
        assert len(rooms) == 1
        with twilio_emulator.connect() as video:
            assert [room.id for room in video.rooms.list(name=f"meeting-{link}")] == list(rooms)

        # What one instance writes, the other reads.
        third_party = {"meetingLinkId": link, "attendee": "ann", "event": "joined"}
        request = signed(third_party, datetime.now(UTC))
        joined = requests.post(f"{second}/webhooks/session", data=request["content"], headers=request["headers"])
        assert joined.status_code == 204, joined.text
        assert [a["attendee"] for a in Api(_Http(first), headers).attendees(link)] == ["ann"]
        assert requests.patch(f"{first}/session/{link}/end", headers=headers).status_code == 204
        refused = requests.post(f"{second}/session/{link}/token", json={}, headers=headers)
        assert refused.status_code == 409, refused.text

    # The backend's registry is in the service's database: one room entry, filed by both instances.
    with psycopg.connect(postgres_database) as connection:
        filed = connection.execute(
            "SELECT count(*) FROM anyvideo_registry WHERE kind = 'room' AND key = %s", (rooms.pop(),)
        ).fetchone()
    assert filed == (1,)
    engine = make_engine(postgres_database)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Meeting)) == 1
    engine.dispose()


@pytest.mark.parametrize("provider", ["twilio", "vonage"])
def test_two_instances_under_load_answer_every_request_and_make_one_room_per_meeting(
    provider: str, postgres_database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """200 scheduled meetings created and 2,000 tokens asked for (ten per meeting, side by side),
    spread across two instances on one PostgreSQL database: every request answered, and each
    meeting's tokens for one room, the only one the provider has under its name."""
    emulator: Emulator = request.getfixturevalue(f"{provider}_emulator")
    headers, local = bearer(), threading.local()

    def http() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session  # type: ignore[no-any-return]

    environ = instance_environment(postgres_database, emulator)
    with ExitStack() as stack:
        bases = [stack.enter_context(serving(environ, tmp_path)).url for _ in "ab"]

        def create(n: int) -> requests.Response:
            body = {"isScheduled": True, "scheduleTime": "2099-01-01T09:00:00Z"}
            return http().post(f"{bases[n % 2]}/session", json=body, headers=headers, timeout=120)

        def token(n: int) -> tuple[str, requests.Response]:
            link = links[n // 10]
            return link, http().post(f"{bases[n % 2]}/session/{link}/token", json={}, headers=headers, timeout=120)

        with ThreadPoolExecutor(16) as pool:
            created = list(pool.map(create, range(200)))
            assert [answer.status_code for answer in created] == [200] * 200, [a.text for a in created][:3]
            links = [answer.text for answer in created]
            tokens = list(pool.map(token, range(2000)))
    assert [answer.status_code for _, answer in tokens] == [200] * 2000, [a.text for _, a in tokens][:3]
    rooms: dict[str, set[str]] = {}
    for link, answer in tokens:
        rooms.setdefault(link, set()).add(answer.json()["sessionId"])
    assert all(len(held) == 1 for held in rooms.values()) and len(rooms) == 200
    with emulator.connect(registry=postgres_database) as video:
        named = {link: [room.id for room in video.rooms.list(name=f"meeting-{link}")] for link in links}
    assert named == {link: list(held) for link, held in rooms.items()}


class _Http:
    """``requests`` against one base URL, as :class:`Api` calls its client."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **options: object) -> requests.Response:
        return requests.get(self.base + path, timeout=60, **options)  # type: ignore[arg-type]
