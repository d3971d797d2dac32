"""Durable jobs in the service's database: work that must not be lost, run at least once.

A job is a row of ``jobs`` (:class:`anyvideo.meetings.db.Job`): its kind, a JSON payload and an
idempotency key (enqueuing under a key that exists does nothing). A worker *claims* a due job
with one statement that only one claimer can win, holds it under a lease it renews while the
handler runs, and marks it ``done``, or, when the handler raises, ``pending`` again after an
exponential backoff (:class:`Backoff`), until its attempts are spent and it is ``failed`` with
the error. A worker that dies (``kill -9``) stops renewing: once its lease has expired the job
is claimable again, so handlers must be idempotent.

The claim is ``UPDATE jobs SET state='running', lease_owner=…, attempts=attempts+1 WHERE id =
(SELECT id … LIMIT 1) RETURNING …``: on PostgreSQL the inner ``SELECT`` is ``FOR UPDATE SKIP
LOCKED``, so concurrent claimers skip a row another is taking; on SQLite, which has no row
locks, the statement is one write under the database's single writer lock, and its ``WHERE``
repeats the claimable condition, so of two claimers only one changes the row.

:class:`Worker` runs a queue in a thread (the service starts and stops it with the app);
:meth:`JobQueue.run_once` and :meth:`JobQueue.drain` run it in the caller's thread, so tests
never wait on a timer.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import attrs
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from anyvideo.meetings.db import Job, utcnow

__all__ = ["Backoff", "ClaimedJob", "JobQueue", "JobState", "Worker"]

log = logging.getLogger("anyvideo.meetings.jobs")

#: A job's handler: given its payload; raising makes the job retry (or fail, its attempts spent).
Handler = Callable[[Mapping[str, Any]], None]
#: The longest error text kept in ``last_error``.
MAX_ERROR = 2000


class JobState(StrEnum):
    """Where a job is."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@attrs.frozen
class Backoff:
    """The wait before a failed job's next attempt: ``base * factor**(attempt - 1)``, at most ``cap``
    seconds; after ``max_attempts`` attempts the job is failed."""

    base: float = 2.0
    factor: float = 2.0
    cap: float = 600.0
    max_attempts: int = 8

    def __attrs_post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < self.base or self.max_attempts < 1:
            raise ValueError("a backoff needs base > 0, factor >= 1, cap >= base and at least one attempt")

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after attempt number ``attempt`` (1 for the first) failed."""
        return timedelta(seconds=min(self.cap, self.base * self.factor ** (attempt - 1)))


@attrs.frozen
class ClaimedJob:
    """A job this worker holds: run it, then complete or fail it."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    #: This attempt's number, 1 for the first.
    attempt: int
    owner: str


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class JobQueue:
    """The ``jobs`` table behind ``sessions``, with the handler of each kind of job.

    ``clock`` says what "now" is for due times and leases (the service's clock; a test's moves
    when the test says); ``lease`` is how long a claim lasts without renewal (renewed every
    third of it while a handler runs).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = timedelta(seconds=60),
        backoff: Backoff = Backoff(),
        owner: str | None = None,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError("a lease must last some time")
        self.sessions = sessions
        self.clock = clock
        self.lease = lease
        self.backoff = backoff
        self.owner = owner or _default_owner()
        self.handlers: dict[str, Handler] = {}
        #: Set whenever this process enqueues a job, so a waiting worker looks at once.
        self.wakeup = threading.Event()

    def register(self, kind: str, handler: Handler) -> None:
        """Run ``handler`` for the jobs of ``kind``."""
        self.handlers[kind] = handler

    # --- enqueuing ----------------------------------------------------------------------

    def enqueue(self, kind: str, payload: Mapping[str, Any], key: str) -> bool:
        """Add a job, due now, unless a job has ``key`` already; whether it was added."""
        now = self.clock()
        values = {
            "kind": kind,
            "payload": dict(payload),
            "idempotency_key": key,
            "state": JobState.PENDING.value,
            "attempts": 0,
            "run_at": now,
            "created_on": now,
            "modified_on": now,
            "deleted": False,
        }
        with self.sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            if dialect in ("sqlite", "postgresql"):
                insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(Job)
                # RETURNING, not rowcount: psycopg's rowcount does not say a conflict inserted nothing.
                statement = insert.values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
                made = session.execute(statement.returning(Job.id)).scalar() is not None
            else:
                try:
                    with session.begin_nested():
                        session.add(Job(**values))
                    made = True
                except IntegrityError:
                    made = False
        if made:
            self.wakeup.set()
        return made

    # --- claiming and finishing -----------------------------------------------------------

    def _claimable(self, now: datetime) -> Any:
        return or_(
            and_(Job.state == JobState.PENDING.value, Job.run_at <= now),
            and_(Job.state == JobState.RUNNING.value, Job.lease_expires < now),
        )

    def claim(self) -> ClaimedJob | None:
        """The next due job (or one whose lease expired), now held by this queue's owner; ``None``
        when there is none. One statement: of concurrent claimers, one wins each job."""
        now = self.clock()
        with self.sessions.begin() as session:
            candidate = select(Job.id).where(self._claimable(now)).order_by(Job.run_at, Job.id).limit(1)
            if session.get_bind().dialect.name == "postgresql":
                candidate = candidate.with_for_update(skip_locked=True)
            row = session.execute(
                update(Job)
                .where(Job.id == candidate.scalar_subquery(), self._claimable(now))
                .values(
                    state=JobState.RUNNING.value,
                    lease_owner=self.owner,
                    lease_expires=now + self.lease,
                    attempts=Job.attempts + 1,
                    modified_on=now,
                )
                .returning(Job.id, Job.kind, Job.payload, Job.attempts)
                .execution_options(synchronize_session=False)
            ).first()
        if row is None:
            return None
        return ClaimedJob(id=row.id, kind=row.kind, payload=row.payload, attempt=row.attempts, owner=self.owner)

    def _mine(self, job: ClaimedJob) -> Any:
        return and_(Job.id == job.id, Job.state == JobState.RUNNING.value, Job.lease_owner == job.owner)

    def renew(self, job: ClaimedJob) -> bool:
        """Extend ``job``'s lease; false when it is no longer this owner's (the lease was lost)."""
        now = self.clock()
        with self.sessions.begin() as session:
            renewed = session.execute(
                update(Job)
                .where(self._mine(job))
                .values(lease_expires=now + self.lease, modified_on=now)
                .execution_options(synchronize_session=False)
            )
            return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def complete(self, job: ClaimedJob) -> None:
        """Mark ``job`` done (if this owner still holds it)."""
        self._finish(job, state=JobState.DONE, lease_owner=None, lease_expires=None)

    def fail(self, job: ClaimedJob, error: str) -> JobState:
        """Record ``error``; the job is due again after the backoff, or failed when its attempts are spent."""
        error = error[:MAX_ERROR]
        if job.attempt >= self.backoff.max_attempts:
            self._finish(job, state=JobState.FAILED, last_error=error, lease_owner=None, lease_expires=None)
            return JobState.FAILED
        run_at = self.clock() + self.backoff.delay(job.attempt)
        self._finish(job, state=JobState.PENDING, run_at=run_at, last_error=error, lease_owner=None, lease_expires=None)
        return JobState.PENDING

    def _finish(self, job: ClaimedJob, *, state: JobState, **values: Any) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Job)
                .where(self._mine(job))
                .values(state=state.value, modified_on=self.clock(), **values)
                .execution_options(synchronize_session=False)
            )

    # --- running ------------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Claim one due job and run it here; whether there was one."""
        job = self.claim()
        if job is None:
            return False
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for jobs of kind {job.kind!r}")
            with self._renewing(job):
                handler(job.payload)
        except Exception as exc:
            state = self.fail(job, f"{type(exc).__name__}: {exc}")
            log.warning("job %s (%s), attempt %d, failed: %s; now %s", job.id, job.kind, job.attempt, exc, state)
        else:
            self.complete(job)
        return True

    @contextmanager
    def _renewing(self, job: ClaimedJob) -> Iterator[None]:
        """Renew ``job``'s lease every third of it while the block runs."""
        done = threading.Event()
        interval = self.lease.total_seconds() / 3

        def renew() -> None:
            while not done.wait(interval):
                try:
                    if not self.renew(job):
                        return
                except Exception:  # the database is away for a moment: try at the next beat
                    log.warning("could not renew the lease of job %s", job.id, exc_info=True)

        beat = threading.Thread(target=renew, name=f"job-{job.id}-lease", daemon=True)
        beat.start()
        try:
            yield
        finally:
            done.set()
            beat.join()

    def pending(self) -> int:
        """How many jobs are due now or held under a live lease (by any worker)."""
        now = self.clock()
        with self.sessions() as session:
            busy = or_(
                and_(Job.state == JobState.PENDING.value, Job.run_at <= now),
                and_(Job.state == JobState.RUNNING.value, Job.lease_expires >= now),
            )
            return session.scalar(select(func.count()).select_from(Job).where(busy)) or 0

    def drain(self, timeout: float = 120.0) -> int:
        """Run due jobs here until none is due or held by another worker; how many ran here.

        A job another worker holds is waited for (it may fail and be due again); a job retrying
        later is not. :class:`TimeoutError` after ``timeout`` seconds of that waiting.
        """
        ran, deadline = 0, time.monotonic() + timeout
        while True:
            if self.run_once():
                ran += 1
                continue
            if not self.pending():
                return ran
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs held by another worker did not finish within {timeout} s")
            self.wakeup.wait(0.05)
            self.wakeup.clear()


class Worker:
    """Runs a :class:`JobQueue` in a thread until stopped: a job at a time, looking again at once
    when this process enqueues one, else every ``poll`` seconds (for other processes' jobs,
    retries that became due and expired leases)."""

    def __init__(self, queue: JobQueue, *, poll: float = 1.0) -> None:
        self.queue = queue
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread."""
        if self._thread is not None:
            raise RuntimeError("the worker is running already")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="anyvideo-meetings-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the job in hand (which is finished, not abandoned) and wait for the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self.queue.wakeup.set()
        thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.queue.run_once():
                    continue
            except Exception:  # the database is away for a moment: look again after the poll
                log.exception("the job worker could not claim a job")
            self.queue.wakeup.wait(self.poll)
            self.queue.wakeup.clear()
