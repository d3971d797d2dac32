"""The service's tables (SQLAlchemy 2), their engine and their migrations (Alembic).

Every table carries seed 001's audit fields (``createdOn/By``, ``modifiedOn/By``) and soft
delete (``deleted``, ``deletedOn/By``): a deleted row stays, marked, and the API no longer
shows it. The schema is made by the Alembic migrations shipped in ``migrations/``, never by
``create_all``, so a database made by one version is upgraded by the next.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Archive",
    "Attendee",
    "Base",
    "Job",
    "Meeting",
    "StorageTarget",
    "database_url",
    "make_engine",
    "migrate",
    "utcnow",
]

#: Where the Alembic environment and its versions are, inside the package (so they ship in the wheel).
MIGRATIONS = Path(__file__).with_name("migrations")
#: The PostgreSQL advisory lock a migration holds (:func:`migrate`).
MIGRATION_LOCK = 0x6D656574  # "meet"


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite keeps none: it is stored as UTC and read back aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of the service's tables."""


class Audited:
    """Seed 001's audit fields and soft delete, on every table."""

    created_on: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(256))
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    modified_by: Mapped[str | None] = mapped_column(String(256))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(256))

    def soft_delete(self, by: str | None) -> None:
        """Mark the row deleted, by whom and when; it stays in the table."""
        self.deleted, self.deleted_on, self.deleted_by = True, utcnow(), by


class Meeting(Audited, Base):
    """A meeting (seed 001's ``VideoChatSession``): its link id, schedule, options and room."""

    __tablename__ = "video_chat_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_link: Mapped[str] = mapped_column(String(64), unique=True)
    #: The provider's room id (as the backend gives it); none until the room is made.
    session_id: Mapped[str | None] = mapped_column(String(256), index=True)
    #: The anyvideo backend the room is on (``local`` or a provider's).
    provider: Mapped[str] = mapped_column(String(64))
    is_scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    e2ee: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The recording of the meeting, once started (an anyvideo ref).
    archive_id: Mapped[str | None] = mapped_column(String(256))
    upload_target: Mapped[str | None] = mapped_column(String(256))
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ext_id: Mapped[str | None] = mapped_column(String(256))
    ext_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Attendee(Audited, Base):
    """Someone who joined a meeting (seed 001's ``SessionAttendees``), active while connected."""

    __tablename__ = "session_attendees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("video_chat_sessions.id"), index=True)
    session_id: Mapped[str] = mapped_column(String(256))
    #: Who: the identity the token was minted for.
    attendee: Mapped[str] = mapped_column(String(256))
    #: The provider's participant id, where the update came from the backend.
    participant_id: Mapped[str | None] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ext_id: Mapped[str | None] = mapped_column(String(256))
    ext_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Archive(Audited, Base):
    """A recording of a meeting, as last seen (the provider keeps the media)."""

    __tablename__ = "video_chat_archives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The anyvideo recording ref (``<provider>:<id>``): the API's ``archiveId``.
    archive_id: Mapped[str] = mapped_column(String(256), unique=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("video_chat_sessions.id"), index=True)
    #: The room it was recorded in (the meeting's room may since have been reopened as another).
    session_id: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(256))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None] = mapped_column(BigInteger)


class Job(Audited, Base):
    """A durable job (:mod:`anyvideo.meetings.jobs`): work that must not be lost, run at least once.

    ``state`` is ``pending`` (due at ``run_at``), ``running`` (claimed by ``lease_owner`` until
    ``lease_expires``; an expired lease makes it claimable again), ``done`` or ``failed`` (its
    attempts spent; ``last_error`` says why).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Enqueuing a second job under one key does nothing: the first is the job.
    idempotency_key: Mapped[str] = mapped_column(String(512), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(256))
    lease_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class StorageTarget(Audited, Base):
    """Where available recordings are copied (``PUT /archives/storage-target``): the newest row
    not deleted is the target. ``credentials`` is Fernet ciphertext, never the secrets themselves."""

    __tablename__ = "storage_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``s3`` or ``azure``.
    kind: Mapped[str] = mapped_column(String(16))
    #: The S3 bucket or the Azure container.
    container: Mapped[str] = mapped_column(String(256))
    prefix: Mapped[str] = mapped_column(String(1024), default="")
    #: An S3-compatible endpoint, or the Azure account's blob endpoint.
    endpoint_url: Mapped[str | None] = mapped_column(String(1024))
    region: Mapped[str | None] = mapped_column(String(64))
    credentials: Mapped[str] = mapped_column(Text)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    """Foreign keys on, and a writer waits for another instead of failing at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def database_url(url: str) -> URL:
    """``url`` as SQLAlchemy connects to it: PostgreSQL through psycopg 3 (``postgresql://`` and
    ``postgres://`` are ``postgresql+psycopg://``; SQLAlchemy's default would be psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    """The engine for ``url``: SQLite files in WAL mode, so readers never wait for the writer;
    PostgreSQL through psycopg 3, each pooled connection checked before use (a server restarted
    under a running service costs a reconnect, not a failed request)."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if parsed.database not in (None, "", ":memory:"):
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` with the shipped Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        # Of several instances starting at once, one migrates; the others wait for it, then find the
        # schema current. The lock is held until this transaction ends.
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        elif connection.dialect.name == "sqlite":  # the write lock, before Alembic reads the version
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
