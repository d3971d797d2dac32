"""``recordings.wait`` and ``compositions.wait``: the object once it reaches a status, a clear
error when it never can or time runs out, woken by the events the Video dispatches.

No test here waits: the platform's clock moves when a wait would sleep (``progress``), or
the wait is given a clock and a sleep of its own that only count."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

import anyvideo
from anyvideo import (
    CompositionStatus,
    Conflict,
    Event,
    InvalidRequest,
    RecordingStatus,
    StatusUnreachable,
    WaitTimeout,
    deadline,
)
from anyvideo.waiting import COMPOSITION_LIFE, RECORDING_LIFE, Waits


@pytest.fixture
def processing(video, browser, room, clock):
    """A stopped composed recording, processing for 2 s of the platform's clock."""
    browser.join(video.tokens.create(room, "ann")).publish()
    recording = video.recordings.start(room)
    clock.advance(10)
    return video.recordings.stop(recording)


class Counted:
    """A clock and a sleep for :class:`Waits` that count time instead of spending it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[tuple[float, bool]] = []  # (seconds asked, woken already)

    def clock(self) -> float:
        return self.now

    def sleep(self, wake: threading.Event, seconds: float) -> None:
        self.sleeps.append((seconds, wake.is_set()))
        if not wake.is_set():
            self.now += seconds


def test_wait_returns_the_recording_once_available(video, processing, clock):
    looks: list[float] = []

    def platform_moves(waited: float) -> None:
        looks.append(waited)
        clock.advance(1)

    done = video.recordings.wait(processing, interval=0.001, progress=platform_moves)
    assert done.status is RecordingStatus.AVAILABLE and done.files and done.id == processing.id
    assert len(looks) == 2  # processing at 0 s and 1 s of the platform's clock, available at 2 s


def test_wait_returns_at_once_when_already_there(video, processing, clock):
    clock.advance(2)
    assert video.recordings.wait(processing.ref, timeout=0).status is RecordingStatus.AVAILABLE


def test_a_wait_that_runs_out_of_time_says_where_the_object_stood(video, processing):
    with pytest.raises(WaitTimeout) as caught:
        video.recordings.wait(processing, timeout=0)
    error = caught.value
    assert isinstance(error, TimeoutError) and isinstance(error, anyvideo.AnyVideoError)
    assert error.subject.status is RecordingStatus.PROCESSING and error.until == "available"
    assert f"{processing.id!r} was still processing after 0 s of waiting for available" in str(error)


def test_a_deleted_recording_can_never_become_available(video, processing, clock):
    clock.advance(2)
    video.recordings.delete(processing)
    with pytest.raises(StatusUnreachable, match="is deleted; it can never become available") as caught:
        video.recordings.wait(processing)
    assert isinstance(caught.value, Conflict) and caught.value.subject.status is RecordingStatus.DELETED


def test_a_wait_for_a_status_already_passed_ends_at_once(video, processing, clock):
    clock.advance(2)
    with pytest.raises(StatusUnreachable, match="is available; it can never become processing"):
        video.recordings.wait(processing, until="processing")


@pytest.mark.parametrize(
    ("status", "until", "verdict"),
    [
        (RecordingStatus.AVAILABLE, RecordingStatus.AVAILABLE, True),
        (RecordingStatus.RECORDING, RecordingStatus.AVAILABLE, None),
        (RecordingStatus.PAUSED, RecordingStatus.AVAILABLE, None),
        (RecordingStatus.PROCESSING, RecordingStatus.AVAILABLE, None),
        (RecordingStatus.UNKNOWN, RecordingStatus.AVAILABLE, None),
        (RecordingStatus.FAILED, RecordingStatus.AVAILABLE, False),
        (RecordingStatus.DELETED, RecordingStatus.AVAILABLE, False),
        (RecordingStatus.EXPIRED, RecordingStatus.AVAILABLE, False),
        (RecordingStatus.AVAILABLE, RecordingStatus.PROCESSING, False),
        (RecordingStatus.AVAILABLE, RecordingStatus.DELETED, None),
        (RecordingStatus.DELETED, RecordingStatus.FAILED, False),
    ],
)
def test_a_recordings_life(status, until, verdict):
    assert RECORDING_LIFE.verdict(status, until) is verdict


@pytest.mark.parametrize(
    ("status", "until", "verdict"),
    [
        (CompositionStatus.QUEUED, CompositionStatus.AVAILABLE, None),
        (CompositionStatus.PROCESSING, CompositionStatus.AVAILABLE, None),
        (CompositionStatus.AVAILABLE, CompositionStatus.AVAILABLE, True),
        (CompositionStatus.FAILED, CompositionStatus.AVAILABLE, False),
        (CompositionStatus.DELETED, CompositionStatus.AVAILABLE, False),
        (CompositionStatus.QUEUED, CompositionStatus.LIVE, None),
        (CompositionStatus.LIVE, CompositionStatus.STOPPED, None),
        (CompositionStatus.STOPPED, CompositionStatus.AVAILABLE, False),
        (CompositionStatus.STOPPED, CompositionStatus.LIVE, False),
    ],
)
def test_a_compositions_life(status, until, verdict):
    assert COMPOSITION_LIFE.verdict(status, until) is verdict


def test_every_status_has_a_place_in_its_life():
    assert set(RECORDING_LIFE.stages) == set(RecordingStatus) - {RecordingStatus.UNKNOWN}
    assert set(COMPOSITION_LIFE.stages) == set(CompositionStatus) - {CompositionStatus.UNKNOWN}


def test_polling_backs_off_to_the_longest_interval_and_looks_once_more_at_the_timeout(video, processing):
    counted = Counted()
    video._waits = Waits(clock=counted.clock, sleep=counted.sleep)
    with pytest.raises(WaitTimeout):
        video.recordings.wait(processing, timeout=30, interval=0.5, max_interval=8)
    assert [seconds for seconds, _ in counted.sleeps] == [0.5, 1, 2, 4, 8, 8, 6.5]
    assert counted.now == 30


def _room_event(room_id: str) -> Event:
    return Event(
        type="room.started", provider="local", event_id=f"ev-{room_id}", occurred_at=datetime.now(UTC), room_id=room_id
    )


def test_an_event_of_the_room_wakes_the_wait_at_once(video, processing, clock):
    counted = Counted()
    video._waits = Waits(clock=counted.clock, sleep=counted.sleep)

    def the_platform_finishes_and_says_so(waited: float) -> None:
        clock.advance(2)
        video.dispatch(_room_event(processing.room_id))  # what video.webhooks.handle does with a callback

    done = video.recordings.wait(
        processing, interval=3600, max_interval=3600, progress=the_platform_finishes_and_says_so
    )
    assert done.status is RecordingStatus.AVAILABLE
    assert counted.sleeps == [(600, True)] and counted.now == 0  # woken before sleeping at all (timeout 600)


def test_an_event_of_another_room_does_not_wake_it(video, processing, clock):
    counted = Counted()
    video._waits = Waits(clock=counted.clock, sleep=counted.sleep)

    def elsewhere(waited: float) -> None:
        video.dispatch(_room_event("rm_other"))
        clock.advance(2)

    video.recordings.wait(processing, interval=60, max_interval=60, progress=elsewhere)
    assert counted.sleeps == [(60, False)]


def test_a_wait_inside_an_operation_ends_by_its_deadline(video, processing):
    with deadline.within(0), pytest.raises(WaitTimeout) as caught:
        video.recordings.wait(processing, timeout=600)
    assert caught.value.timeout == 0


def test_compositions_wait_too(video, processing, clock):
    clock.advance(2)
    video.rooms.end(processing.room_id)
    composition = video.compositions.start(processing.room_id)
    done = video.compositions.wait(composition, interval=0.001, progress=lambda waited: clock.advance(1))
    assert done.status is CompositionStatus.AVAILABLE and done.files


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"until": "ready"}, "until"),
        ({"timeout": -1}, "timeout"),
        ({"interval": 0}, "interval"),
        ({"interval": 5, "max_interval": 1}, "interval"),
    ],
)
def test_bad_wait_options_are_refused(video, processing, options, field):
    with pytest.raises(InvalidRequest) as caught:
        video.recordings.wait(processing, **options)
    assert caught.value.field == field
