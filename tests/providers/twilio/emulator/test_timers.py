"""When rooms and participants end by themselves: the face's timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from anyvideo_twilio.emulator.state import Timers

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_due_timers_come_earliest_first_and_only_once():
    timers = Timers()
    timers.set(("room", "RM2"), at(5))
    timers.set(("participant", "PA1"), at(1))
    timers.set(("room", "RM1"), at(5))
    timers.set(("room", "RM3"), at(9))
    assert timers.pop_due(at(0)) == []
    assert timers.pop_due(at(5)) == [("participant", "PA1"), ("room", "RM1"), ("room", "RM2")]
    assert timers.pop_due(at(5)) == []
    assert timers.pop_due(at(60)) == [("room", "RM3")]


def test_a_cancelled_timer_never_fires():
    timers = Timers()
    timers.set(("room", "RM1"), at(5))
    timers.cancel(("room", "RM1"))
    timers.cancel(("room", "RM-never-set"))
    assert timers.pop_due(at(60)) == []


def test_a_timer_set_again_fires_once_at_its_last_time():
    timers = Timers()
    timers.set(("room", "RM1"), at(5))
    timers.set(("room", "RM1"), at(10))  # later
    timers.set(("room", "RM2"), at(10))
    timers.set(("room", "RM2"), at(3))  # earlier
    assert timers.pop_due(at(5)) == [("room", "RM2")]
    assert timers.pop_due(at(10)) == [("room", "RM1")]
    timers.set(("room", "RM3"), at(5))
    timers.cancel(("room", "RM3"))
    timers.set(("room", "RM3"), at(5))  # the same time again, after a cancel
    assert timers.pop_due(at(60)) == [("room", "RM3")]


def test_many_timers_set_and_cancelled_still_fire_right():
    timers = Timers()
    for n in range(1000):
        timers.set(("room", f"RM{n}"), at(n % 7))
        if n % 3:
            timers.cancel(("room", f"RM{n}"))
    due = timers.pop_due(at(100))
    assert due == sorted((("room", f"RM{n}") for n in range(0, 1000, 3)), key=lambda k: (int(k[1][2:]) % 7, k))
