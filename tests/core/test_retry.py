"""The retry policy: what is retried, how often, how long, and what never is."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.scripted import Script

from anyvideo.errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
)
from anyvideo.ratelimit import RateLimiter, limiter_from_settings
from anyvideo.retry import RetryEvent, RetryPolicy, Safety, is_transient, policy_from_settings


class Sleeper:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def policy(**options) -> tuple[RetryPolicy, Sleeper]:
    sleeper = Sleeper()
    return RetryPolicy(sleep=sleeper, **options), sleeper


def unavailable() -> ProviderError:
    return ProviderError("unavailable", provider="p", status=503)


def dropped() -> ProviderError:
    return ProviderError("connection dropped", provider="p")


def test_a_transient_failure_of_a_safe_operation_is_retried() -> None:
    retry, sleeper = policy()
    script = Script(unavailable(), dropped())
    assert retry.run(script, what="get room") == "done"
    assert script.calls == 3 and len(sleeper.waits) == 2


def test_retry_after_is_honoured() -> None:
    retry, sleeper = policy()
    script = Script(RateLimited("slow down", retry_after=3.5))
    retry.run(script, what="list rooms")
    assert sleeper.waits == [3.5]


def test_a_retry_after_beyond_the_time_budget_is_raised_at_once() -> None:
    retry, sleeper = policy(max_time=10)
    script = Script(RateLimited("slow down", retry_after=60))
    with pytest.raises(RateLimited):
        retry.run(script, what="list rooms")
    assert (script.calls, sleeper.waits) == (1, [])


def test_the_attempt_bound_is_respected() -> None:
    retry, sleeper = policy(attempts=3)
    script = Script(*(unavailable() for _ in range(5)))
    with pytest.raises(ProviderError):
        retry.run(script, what="get room")
    assert script.calls == 3 and len(sleeper.waits) == 2


def test_backoff_stays_within_its_bounds() -> None:
    retry, sleeper = policy(attempts=8, initial=0.5, maximum=2.0, max_time=1000)
    retry.run(Script(*(unavailable() for _ in range(7))), what="get room")
    assert all(0 <= wait <= 2.0 for wait in sleeper.waits)


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequest("name", "bad"),
        AuthenticationError("no"),
        NotFound("gone"),
        Conflict("already recording"),
        ProviderError("bad request", provider="p", status=400),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_failure_that_will_not_pass_is_raised_at_once(error: Exception) -> None:
    retry, sleeper = policy()
    script = Script(error)
    with pytest.raises(type(error)):
        retry.run(script, what="get room")
    assert (script.calls, sleeper.waits) == (1, [])


def test_an_unsafe_operation_is_not_retried_after_a_lost_answer() -> None:
    retry, _ = policy()
    script = Script(dropped())
    with pytest.raises(ProviderError):
        retry.run(script, what="start archive", safety=Safety.UNSAFE)
    assert script.calls == 1


def test_an_unsafe_operation_is_retried_after_a_refusal() -> None:
    retry, _ = policy()
    script = Script(RateLimited("slow down", retry_after=0))
    assert retry.run(script, what="start archive", safety=Safety.UNSAFE) == "done"
    assert script.calls == 2


def test_what_a_lost_try_made_is_adopted_not_made_twice() -> None:
    retry, _ = policy()
    made: list[str] = []

    def start() -> str:
        made.append("archive")
        raise dropped()  # it took effect; the answer was lost

    result = retry.run(start, what="start archive", safety=Safety.UNSAFE, reconcile=lambda: made[0] if made else None)
    assert (result, made) == ("archive", ["archive"])


def test_a_lost_try_that_made_nothing_is_tried_again() -> None:
    retry, _ = policy()
    script = Script(dropped())
    result = retry.run(script, what="start archive", safety=Safety.UNSAFE, reconcile=lambda: None)
    assert (result, script.calls) == ("done", 2)


def test_each_retry_is_told_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    told: list[RetryEvent] = []
    retry, _ = policy(on_retry=told.append)
    with caplog.at_level(logging.INFO, logger="anyvideo.retry"):
        retry.run(Script(unavailable()), what="get room")
    assert [(e.what, e.attempt, type(e.error)) for e in told] == [("get room", 1, ProviderError)]
    assert "get room: try 1 failed" in caplog.text


def test_one_attempt_means_no_retry() -> None:
    retry, _ = policy(attempts=1)
    script = Script(unavailable())
    with pytest.raises(ProviderError):
        retry.run(script, what="get room")
    assert script.calls == 1


@pytest.mark.parametrize("option", ["attempts", "max_time", "initial", "maximum"])
def test_bounds_must_be_positive(option: str) -> None:
    with pytest.raises(ConfigurationError, match=option):
        RetryPolicy(**{option: 0})


@given(st.lists(st.sampled_from(["503", "drop", "429", "404"]), max_size=6), st.sampled_from(list(Safety)))
def test_an_operation_ends_in_its_result_or_an_anyvideo_error(failures: list[str], safety: Safety) -> None:
    make: dict[str, Callable[[], Exception]] = {
        "503": unavailable,
        "drop": dropped,
        "429": lambda: RateLimited("slow", retry_after=0.01),
        "404": lambda: NotFound("gone"),
    }
    retry, sleeper = policy(attempts=4)
    script = Script(*(make[f]() for f in failures))
    try:
        assert retry.run(script, what="op", safety=safety) == "done"
    except (ProviderError, RateLimited, NotFound) as exc:
        assert is_transient(exc) or isinstance(exc, RateLimited | NotFound)
    else:
        assert script.failures == []
    assert script.calls <= 4
    assert len(sleeper.waits) == script.calls - 1  # a wait between tries, none after the last


# --- configuration -----------------------------------------------------------------


def test_retries_and_timeout_come_from_settings_then_the_environment() -> None:
    settings = {"retries": 2, "timeout": 7, "other": 1}
    chosen = policy_from_settings(settings, {"ANYVIDEO_RETRIES": "9"})
    assert (chosen.attempts, chosen.timeout, settings) == (3, (7.0, 7.0), {"other": 1})
    from_env = policy_from_settings({}, {"ANYVIDEO_RETRIES": "0", "ANYVIDEO_TIMEOUT": "2.5"})
    assert (from_env.attempts, from_env.timeout) == (1, (2.5, 2.5))
    assert policy_from_settings({"timeout": (1, 20)}, {}).timeout == (1.0, 20.0)
    custom = RetryPolicy(attempts=9)
    assert policy_from_settings({"retries": custom}, {}) is custom


@pytest.mark.parametrize(
    ("settings", "environ"),
    [({"retries": -1}, {}), ({"retries": "3"}, {}), ({"timeout": 0}, {}), ({}, {"ANYVIDEO_TIMEOUT": "soon"})],
)
def test_bad_retry_settings_are_configuration_errors(settings, environ) -> None:
    with pytest.raises(ConfigurationError):
        policy_from_settings(dict(settings), environ)


# --- the client-side rate limit -----------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_burst_passes_then_requests_are_spaced_at_the_rate() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, burst=5, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.acquire() for _ in range(25)]
    assert waits[:5] == [0.0] * 5
    assert fake.now == pytest.approx(2.0)  # 20 more requests at 10 per second


def test_a_wait_longer_than_what_is_left_reserves_nothing() -> None:
    fake = FakeTime()
    limiter = RateLimiter(1, burst=1, clock=fake.clock, sleep=fake.sleep)
    assert limiter.acquire(within=0) == 0.0
    assert limiter.acquire(within=0.5) is None and fake.now == 0.0
    assert limiter.acquire(within=1.0) == pytest.approx(1.0) and fake.now == pytest.approx(1.0)


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ConfigurationError):
        RateLimiter(0)


def test_a_rate_limit_comes_from_settings_then_the_environment() -> None:
    settings = {"rate": 5, "other": 1}
    assert limiter_from_settings(settings, {"ANYVIDEO_RATE_LIMIT": "9"}).rate == 5
    assert settings == {"other": 1}
    assert limiter_from_settings({}, {"ANYVIDEO_RATE_LIMIT": "2.5"}).rate == 2.5
    assert limiter_from_settings({}, {}) is None
    for bad in ({"rate": "fast"}, {"rate": -1}, {"rate": True}):
        with pytest.raises(ConfigurationError):
            limiter_from_settings(dict(bad), {})


def test_a_lost_answer_is_reconciled_even_after_a_later_refusal() -> None:
    retry, _ = policy()
    made: list[str] = []
    tries = iter([unavailable(), RateLimited("slow", retry_after=0)])
    looked = []

    def start() -> str:
        error = next(tries, None)
        if error is None:
            made.append("second archive")
            return "second archive"
        if isinstance(error, ProviderError):
            made.append("archive")  # the first try took effect, its answer was lost
        raise error

    def reconcile() -> str | None:
        looked.append(len(looked))
        return made[0] if made and len(looked) > 1 else None  # the provider shows it only on the second look

    result = retry.run(start, what="start archive", safety=Safety.UNSAFE, reconcile=reconcile)
    assert (result, made) == ("archive", ["archive"])


def test_the_deadline_comes_from_settings_then_the_environment() -> None:
    assert RetryPolicy().deadline == 60.0
    assert policy_from_settings({"deadline": 5}, {"ANYVIDEO_DEADLINE": "9"}).deadline == 5.0
    assert policy_from_settings({}, {"ANYVIDEO_DEADLINE": "2.5"}).deadline == 2.5
    assert policy_from_settings({"retries": RetryPolicy(deadline=7)}, {}).deadline == 7.0


@pytest.mark.parametrize("settings, environ", [({"deadline": 0}, {}), ({}, {"ANYVIDEO_DEADLINE": "0"})])
def test_a_deadline_of_zero_means_none(settings, environ) -> None:
    assert policy_from_settings(dict(settings), environ).deadline is None


@pytest.mark.parametrize(
    "settings, environ",
    [({"deadline": -1}, {}), ({"deadline": "5"}, {}), ({"deadline": True}, {}), ({}, {"ANYVIDEO_DEADLINE": "later"})],
)
def test_bad_deadlines_are_configuration_errors(settings, environ) -> None:
    with pytest.raises(ConfigurationError, match="DEADLINE|deadline"):
        policy_from_settings(dict(settings), environ)


def test_a_passed_deadline_is_final_not_transient() -> None:
    assert not is_transient(DeadlineExceeded("get room", 2.0, provider="p"))
