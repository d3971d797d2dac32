"""DeadlineAdapter: the requests of an operation end by its deadline, whatever the server does."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from support.hostile import HostileServer, Way

from anyvideo.deadline import DeadlineAdapter, DeadlinePassed, length, time_left, within


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.mount("http://", DeadlineAdapter(max_retries=0))
        yield session


def test_a_request_past_its_deadline_is_not_sent(session: requests.Session) -> None:
    with within(-1), pytest.raises(DeadlinePassed):
        session.get("http://127.0.0.1:9/never")


def test_an_answer_trickled_inside_the_read_timeout_is_cut_at_the_deadline(session: requests.Session) -> None:
    with HostileServer(Way.TRICKLE) as server:
        started = time.monotonic()
        with within(1.0), pytest.raises(requests.RequestException):
            session.get(f"http://{server.address}/", timeout=(1, 1))  # its status line comes a byte at a time
        server.stopping.set()
    assert time.monotonic() - started < 10  # not the trickle's minutes


def test_outside_an_operation_there_is_no_deadline() -> None:
    assert (time_left(), length()) == (None, None)
    with within(None):
        assert (time_left(), length()) == (None, None)
