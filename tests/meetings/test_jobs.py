"""The durable job table: one claim per job under concurrent claimers, the backoff schedule,
retries until a failing job is failed with its error, idempotent enqueue, leases that expire
(a killed worker's job runs again) and the worker thread, started and stopped cleanly.

On SQLite and on PostgreSQL (``database_url``, from conftest), where a claim is
``FOR UPDATE SKIP LOCKED``."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from support.meetings import Api

from anyvideo import EventType, Video
from anyvideo.meetings.db import Job, make_engine, migrate
from anyvideo.meetings.jobs import Backoff, JobQueue, JobState, Worker
from anyvideo.models import Event, Participant, ParticipantStatus
from anyvideo.sim import ManualClock


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    migrate(made)
    yield made
    made.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def queue(sessions: sessionmaker[Session], clock: ManualClock, **options: Any) -> JobQueue:
    return JobQueue(sessions, clock=clock.now, **options)


def job(sessions: sessionmaker[Session], key: str) -> Job:
    with sessions() as session:
        found = session.scalar(select(Job).where(Job.idempotency_key == key))
        assert found is not None
        return found


def test_each_job_is_claimed_once_by_two_concurrent_claimers(database_url: str, engine: Engine, clock: ManualClock):
    """Two claimers, each with its own engine (as two service processes), race over 60 jobs."""
    jobs = queue(sessionmaker(engine), clock)
    for number in range(60):
        jobs.enqueue("work", {"n": number}, key=f"work:{number}")
    engines = [make_engine(database_url) for _ in range(2)]
    claimers = [queue(sessionmaker(e), clock, owner=f"claimer-{i}") for i, e in enumerate(engines)]
    claimed: dict[str, list[int]] = {claimer.owner: [] for claimer in claimers}
    start = threading.Barrier(len(claimers))
    errors: list[BaseException] = []

    def claim_all(claimer: JobQueue) -> None:
        start.wait()
        try:
            while (held := claimer.claim()) is not None:
                claimed[claimer.owner].append(held.payload["n"])
        except BaseException as exc:  # shown by the assertion below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=claim_all, args=(claimer,)) for claimer in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for made in engines:
        made.dispose()
    assert errors == []
    every = [number for numbers in claimed.values() for number in numbers]
    assert sorted(every) == list(range(60))  # each job once: none twice, none lost
    with sessionmaker(engine)() as session:
        rows = session.scalars(select(Job)).all()
        assert {(row.state, row.attempts) for row in rows} == {("running", 1)}
        assert {row.lease_owner for row in rows} <= set(claimed)


@pytest.mark.parametrize(
    ("backoff", "delays"),
    [
        (Backoff(), [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]),
        (Backoff(base=1, factor=3, cap=30), [1, 3, 9, 27, 30, 30]),
        (Backoff(base=5, factor=1, cap=5), [5, 5, 5]),
        (Backoff(base=0.5, factor=2, cap=3), [0.5, 1, 2, 3, 3]),
    ],
    ids=["default", "triple", "constant", "fractional"],
)
def test_the_backoff_schedule(backoff: Backoff, delays: list[float]) -> None:
    assert [backoff.delay(attempt).total_seconds() for attempt in range(1, len(delays) + 1)] == delays


@pytest.mark.parametrize(
    "options",
    [{"base": 0}, {"factor": 0.5}, {"base": 10, "cap": 5}, {"max_attempts": 0}],
    ids=["no-base", "shrinking", "cap-below-base", "no-attempts"],
)
def test_a_backoff_that_cannot_work_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(**options)  # type: ignore[arg-type]


def test_a_failing_job_is_retried_after_its_backoff_then_failed_with_its_error(
    sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    jobs = queue(sessions, clock, backoff=Backoff(base=2, factor=2, cap=60, max_attempts=3))
    calls: list[Mapping[str, Any]] = []

    def broken(payload: Mapping[str, Any]) -> None:
        calls.append(payload)
        raise OSError(f"the store refused attempt {len(calls)}")

    jobs.register("broken", broken)
    jobs.enqueue("broken", {"what": "copy"}, key="broken:1")
    started = clock.now()
    for attempt, wait in ((1, 2), (2, 4)):
        assert jobs.run_once()
        row = job(sessions, "broken:1")
        assert (row.state, row.attempts, row.lease_owner) == ("pending", attempt, None)
        assert row.last_error == f"OSError: the store refused attempt {attempt}"
        assert row.run_at == clock.now() + timedelta(seconds=wait)
        assert not jobs.run_once()  # not due before its backoff
        clock.advance(seconds=wait)
    assert jobs.run_once()
    row = job(sessions, "broken:1")
    assert (row.state, row.attempts, row.last_error) == ("failed", 3, "OSError: the store refused attempt 3")
    clock.advance(seconds=3600)
    assert not jobs.run_once() and jobs.drain() == 0  # a failed job stays failed
    assert calls == [{"what": "copy"}] * 3 and clock.now() - started == timedelta(seconds=3606)


def test_a_job_that_fails_once_succeeds_at_its_retry(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    jobs = queue(sessions, clock)
    attempts: list[int] = []

    def flaky(payload: Mapping[str, Any]) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("reset")

    jobs.register("flaky", flaky)
    jobs.enqueue("flaky", {}, key="flaky")
    assert jobs.drain() == 1 and job(sessions, "flaky").state == "pending"
    clock.advance(seconds=2)
    assert jobs.drain() == 1
    row = job(sessions, "flaky")
    assert (row.state, row.attempts, row.last_error) == ("done", 2, "ConnectionError: reset")


def test_a_job_of_no_known_kind_fails_saying_so(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    jobs = queue(sessions, clock, backoff=Backoff(max_attempts=1))
    jobs.enqueue("mystery", {}, key="mystery")
    assert jobs.run_once()
    row = job(sessions, "mystery")
    assert row.state == "failed" and row.last_error == "LookupError: no handler for jobs of kind 'mystery'"


def test_enqueuing_under_a_key_that_exists_does_nothing(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    jobs = queue(sessions, clock)
    assert jobs.enqueue("work", {"n": 1}, key="work:once")
    assert not jobs.enqueue("work", {"n": 2}, key="work:once")
    done: list[Mapping[str, Any]] = []
    jobs.register("work", done.append)
    assert jobs.drain() == 1 and done == [{"n": 1}]
    assert not jobs.enqueue("work", {"n": 3}, key="work:once")  # once done, still once
    assert jobs.drain() == 0
    with sessions() as session:
        assert len(session.scalars(select(Job)).all()) == 1


def test_an_expired_lease_makes_the_job_claimable_again(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    lease = timedelta(seconds=30)
    dead, alive = (queue(sessions, clock, lease=lease, owner=name) for name in ("dead", "alive"))
    dead.enqueue("copy", {}, key="copy")
    taken = dead.claim()  # ... and its worker is killed: it never renews, completes nor fails
    assert taken is not None and alive.claim() is None
    clock.advance(seconds=29)
    assert alive.claim() is None  # the lease holds
    clock.advance(seconds=2)
    again = alive.claim()
    assert again is not None and (again.id, again.attempt, again.owner) == (taken.id, 2, "alive")
    dead.complete(taken)  # a worker that lost its lease changes nothing
    assert not dead.renew(taken) and job(sessions, "copy").lease_owner == "alive"
    assert alive.renew(again)
    alive.complete(again)
    row = job(sessions, "copy")
    assert (row.state, row.attempts, row.lease_owner) == ("done", 2, None)


def test_the_worker_thread_runs_jobs_and_stops_cleanly(sessions: sessionmaker[Session]) -> None:
    jobs = JobQueue(sessions)  # the system clock, as in the service
    ran = threading.Event()
    jobs.register("ping", lambda payload: ran.set())
    worker = Worker(jobs, poll=60)  # it must not need the poll: enqueuing wakes it
    worker.start()
    try:
        with pytest.raises(RuntimeError, match="running already"):
            worker.start()
        jobs.enqueue("ping", {}, key="ping")
        assert ran.wait(60)
    finally:
        worker.stop()
    assert not any(thread.name == "anyvideo-meetings-jobs" for thread in threading.enumerate())
    jobs.drain()  # the job's completion was written before the worker stopped
    assert job(sessions, "ping").state == JobState.DONE


def test_a_backend_event_is_one_job_however_often_it_is_delivered(
    service: tuple[FastAPI, Api], local_video: Video, clock: ManualClock
) -> None:
    app, api = service
    link = api.create()
    room = local_video.rooms.get(name=f"meeting-{link}")
    event = Event(
        type=EventType.PARTICIPANT_JOINED,
        provider="local",
        event_id="evt-redelivered",
        occurred_at=datetime(2026, 5, 1, 9, 30, tzinfo=UTC),
        room_id=room.id,
        subject=Participant(
            id="PA1", provider="local", room_id=room.id, identity="ann", status=ParticipantStatus.CONNECTED
        ),
    )
    for _ in range(3):  # a provider redelivers until it is answered
        app.state.service.on_event(event)
    with app.state.service.sessions() as session:
        [row] = session.scalars(select(Job).where(Job.idempotency_key == "event:local:evt-redelivered")).all()
        assert row.state == "pending" and row.payload["participant"] == {"id": "PA1", "identity": "ann"}
    [ann] = api.attendees(link)  # processed by the worker (drained here), not when delivered
    assert (ann["attendee"], ann["participantId"], ann["joinedOn"]) == ("ann", "PA1", "2026-05-01T09:30:00Z")
