"""Fixtures of the meeting service's tests: the service on the local backend, on a clock the
test moves, with its database in a temporary SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from support.meetings import Api, local_service

import anyvideo
from anyvideo import Video
from anyvideo.sim import ManualClock


@pytest.fixture
def local_video(clock: ManualClock) -> Iterator[Video]:
    with anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video:
        yield video


@pytest.fixture
def service(tmp_path: Path, local_video: Video, clock: ManualClock) -> Iterator[tuple[FastAPI, Api]]:
    with local_service(str(tmp_path / "meetings.db"), local_video, clock) as (app, client):
        yield app, Api(client, clock=clock, jobs=app.state.jobs)


@pytest.fixture
def api(service: tuple[FastAPI, Api]) -> Api:
    return service[1]
