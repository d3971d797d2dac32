"""Fixtures of the meeting service's tests: the service on the local backend, on a clock the
test moves, with its database fresh for each test: a SQLite file, and a PostgreSQL database
(every test that uses ``database_url`` runs on both, ids ``sqlite`` and ``postgresql``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from support.meetings import Api, local_service
from support.postgres import postgres, postgres_database, sqlalchemy_url  # noqa: F401 - fixtures
from support.storage import azurite, s3_endpoint  # noqa: F401 - fixtures

import anyvideo
from anyvideo import Video
from anyvideo.sim import ManualClock

#: The databases the service runs on.
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database's SQLAlchemy URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meetings.db'}"
    return sqlalchemy_url(request.getfixturevalue("postgres_database"))


@pytest.fixture
def local_video(clock: ManualClock) -> Iterator[Video]:
    with anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video:
        yield video


@pytest.fixture
def service(database_url: str, local_video: Video, clock: ManualClock) -> Iterator[tuple[FastAPI, Api]]:
    with local_service(database_url, local_video, clock) as (app, client):
        yield app, Api(client, clock=clock, jobs=app.state.jobs)


@pytest.fixture
def api(service: tuple[FastAPI, Api]) -> Api:
    return service[1]
