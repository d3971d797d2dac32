"""Shared fixtures: the local backend on a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import anyvideo
from anyvideo import Room, Video
from anyvideo.sim import Browser, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def video(clock: ManualClock) -> Iterator[Video]:
    """The local backend, in memory, whatever the environment says (``environ={}``)."""
    with anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video:
        yield video


@pytest.fixture
def browser(video: Video) -> Browser:
    return video.backend.browser()


@pytest.fixture
def room(video: Video) -> Room:
    return video.rooms.create(name="weekly")
