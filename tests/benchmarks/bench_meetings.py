"""The meeting service (``anyvideo serve``): requests per second for meeting creation and token
issuance over HTTP, and the service's own cost over the bare library call doing the same
provider work.

Run on demand (the default test run does not collect it):

    PYTHONPATH=core:backends:tests python -m pytest tests/benchmarks/bench_meetings.py -s -p no:randomly

For each backend (``local``, and the Twilio emulator in a process of its own, ``served``) and
each database (a SQLite file, and a throw-away PostgreSQL as the service's tests start it),
``anyvideo serve`` runs in a process of its own, configured from its environment as an operator
would (the backend's registry in the service's database, its default). Four contenders,
interleaved round by round with the order rotating (``Contest``), each round a batch of
:data:`BATCH` operations spread over :data:`THREADS` client threads (one keep-alive HTTP session
each):

- ``POST /session`` (an unscheduled meeting: its room is made now), against
  ``video.rooms.create`` from this process;
- ``POST /session/{id}/token`` for one meeting, against ``video.tokens.create`` for one room.

The library side is ``anyvideo.connect`` in this process against the same backend as the
service: the same emulator, or the same local platform file, with the same registry; the same
threads, the same lifetime and role of a token. Requests per second are the batch over the
median round (spread over rounds in brackets); the overhead is the median of the per-round
ratios service/library. These are figures, not goals: no goal of the performance issue sets a
target for the service, and its rows say so.

It checks the work, never the time: every request answered 200, as many rooms on the backend as
meetings and library rooms were made, each meeting's room under its name, and a sample of each
side's tokens joins its room.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from benchmarks.harness import REPO, Contest, Report, Result, figure, ratio, served
from support.meetings import SECRET, bearer, serving
from support.postgres import postgres, postgres_database, sqlalchemy_url  # noqa: F401 - fixtures

import anyvideo

#: Client threads on each side.
THREADS = 4
#: Operations per contender per round, spread over the threads.
BATCH = 60
ROUNDS = 7
#: The service's default token lifetime, given to the library side too.
TTL = 3600.0
#: What each row's ratio weighs, for its note.
NOTES = {
    "create": (
        "both sides make the provider's room; the service adds an HTTP round trip from another process,"
        " the bearer token's check and the meeting's row"
    ),
    "token": (
        "the library side signs a token in the client with no request to the provider (on Twilio, one"
        " read of its registry); the service adds an HTTP round trip from another process, the bearer"
        " token's check and a read of the meeting, so the ratio is mostly the cost of a request"
    ),
}
#: Configurations: (backend, database).
CONFIGURATIONS = [("local", "sqlite"), ("local", "postgresql"), ("twilio", "sqlite"), ("twilio", "postgresql")]


def _clean_environment() -> dict[str, str]:
    """This process's environment without any anyvideo or provider setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}


class Batches:
    """Batches of operations spread over a pool of threads, each thread with its own HTTP session."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        self._local = threading.local()

    def http(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session  # type: ignore[no-any-return]

    def contender(self, operation: Callable[[int], str], done: list[str]) -> Callable[[int], None]:
        """A contender running :data:`BATCH` ``operation(n)`` per call, keeping what each answered in ``done``."""

        def batch(i: int) -> None:
            done.extend(self.pool.map(operation, range(i * BATCH, (i + 1) * BATCH)))

        return batch


def _rate(result: Result) -> str:
    """Requests per second over the median round, with the spread over rounds."""
    low, high = result.spread
    return f"{BATCH / result.median:.0f}/s ({BATCH / high:.0f}–{BATCH / low:.0f})"


@pytest.mark.parametrize(("backend", "database"), CONFIGURATIONS)
def test_meeting_service_throughput_and_overhead(
    backend: str, database: str, report: Report, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'meetings.db'}"
    else:
        database_url = sqlalchemy_url(request.getfixturevalue("postgres_database"))
    headers = bearer()
    with ExitStack() as stack:
        if backend == "local":
            backend_environ = {"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_DB": str(tmp_path / "platform.db")}
        else:
            backend_environ = dict(stack.enter_context(served(backend)).environ)
        # The library side as the service configures its backend: the registry in the service's database.
        backend_environ["ANYVIDEO_REGISTRY"] = database_url
        environ = _clean_environment() | backend_environ
        environ |= {
            "PYTHONPATH": os.pathsep.join([str(REPO / "core"), str(REPO / "backends")]),
            "ANYVIDEO_MEETINGS_DATABASE_URL": database_url,
            "ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET,
        }
        base = stack.enter_context(serving(environ, tmp_path)).url
        video = stack.enter_context(anyvideo.connect(backend, environ=backend_environ))
        batches = Batches(stack.enter_context(ThreadPoolExecutor(THREADS)))

        def create_meeting(n: int) -> str:
            answer = batches.http().post(f"{base}/session", json={}, headers=headers, timeout=120)
            assert answer.status_code == 200, answer.text
            return answer.text

        def create_room(n: int) -> str:
            return video.rooms.create(f"bench-{n}").id

        meeting = create_meeting(-1)
        room = create_room(-1)

        def service_token(n: int) -> str:
            body = {"identity": f"guest-{n}"}
            answer = batches.http().post(f"{base}/session/{meeting}/token", json=body, headers=headers, timeout=120)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["token"])

        def library_token(n: int) -> str:
            return video.tokens.create(room, f"guest-{n}", ttl=TTL).token

        links: list[str] = []
        rooms: list[str] = []
        service_tokens: list[str] = []
        library_tokens: list[str] = []
        contest = Contest(rounds=ROUNDS, per_round=1)
        contest.add("service: create", batches.contender(create_meeting, links))
        contest.add("library: create", batches.contender(create_room, rooms))
        contest.add("service: token", batches.contender(service_token, service_tokens))
        contest.add("library: token", batches.contender(library_token, library_tokens))
        results = contest.run()

        # The same work on both sides: every meeting has its own room under its name, beside the
        # library's rooms, and nothing else was made; tokens of both sides join their rooms.
        made = (contest.warmup + contest.rounds) * BATCH
        assert len(set(links)) == len(set(rooms)) == made
        assert len(service_tokens) == len(library_tokens) == made
        listed = {r.id: r.name for r in video.rooms.list()}
        library_rooms = set(rooms) | {room}
        assert len(listed) == 2 * made + 2 and library_rooms <= set(listed)
        meeting_rooms = {name for room_id, name in listed.items() if room_id not in library_rooms}
        assert meeting_rooms == {f"meeting-{link}" for link in [*links, meeting]}
        browser = video.backend.browser()
        for token in [*service_tokens[:: made // 3], *library_tokens[:: made // 3]]:
            browser.join(token).leave()

    where = f"{backend}, {'SQLite' if database == 'sqlite' else 'PostgreSQL'}"
    print(f"\nmeeting service on {where} ({THREADS} client threads, {ROUNDS} rounds of {BATCH}):")
    for operation, library in [("create", "`video.rooms.create`"), ("token", "`video.tokens.create`")]:
        ours, theirs = f"service: {operation}", f"library: {operation}"
        label = "`POST /session`" if operation == "create" else "`POST /session/{id}/token`"
        report.add(
            "meetings",
            figure(
                f"Meeting service {label} requests/s, {where} (vs {library})",
                _rate(results[ours]),
                _rate(results[theirs]),
                ratio(results, ours, theirs),
                note=f"a figure, with no target; {THREADS} client threads on each side; {NOTES[operation]}",
            ),
        )
