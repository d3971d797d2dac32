"""The call layer: lost answers reconciled, gone and refused read as done, one try inside a try,
Retry-After, provider_options allow-lists, backend settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.scripted import Script

from anyvideo import deadline as deadlines
from anyvideo.calls import BackendSettings, Caller, allowed_options, done, inside_a_try, is_conflict, retry_after
from anyvideo.errors import (
    AnyVideoError,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
)
from anyvideo.ratelimit import RateLimiter
from anyvideo.retry import RetryPolicy, Safety


def caller(**options: object) -> Caller:
    return Caller(RetryPolicy(sleep=lambda seconds: None), "p", **options)  # type: ignore[arg-type]


def dropped() -> ProviderError:
    return ProviderError("connection dropped", provider="p")


def test_a_transient_failure_of_a_safe_request_is_retried() -> None:
    script = Script(dropped(), ProviderError("unavailable", provider="p", status=503))
    assert caller().call("get room", script) == "done"
    assert script.calls == 3


def test_a_removal_repeated_after_a_lost_answer_and_found_gone_was_done() -> None:
    script = Script(dropped(), NotFound("no such archive"))
    assert caller().call("delete archive", script, gone=lambda: "deleted") == "deleted"
    assert script.calls == 2


def test_a_stop_found_gone_after_a_lost_answer_returns_nothing() -> None:
    assert caller().call("stop captions", Script(dropped(), NotFound("no captions")), gone=done) is None


@pytest.mark.parametrize(
    "failures, gone",
    [((NotFound("never there"),), True), ((dropped(), NotFound("gone")), False)],
    ids=["no lost answer", "no gone result"],
)
def test_not_found_is_raised_unless_a_lost_try_removed_it(failures: tuple[Exception, ...], gone: bool) -> None:
    with pytest.raises(NotFound):
        caller().call("delete archive", Script(*failures), gone=done if gone else None)


def test_a_create_refused_after_a_lost_answer_adopts_what_the_lost_try_made() -> None:
    # the lost try lands after the first lookup: the repeat is refused as a duplicate
    lookups = iter([None, "archive-1"])
    script = Script(dropped(), Conflict("already archiving"))
    result = caller().call("start archive", script, safety=Safety.UNSAFE, reconcile=lookups.__next__)
    assert (result, script.calls) == ("archive-1", 2)


def test_a_duplicate_a_late_try_made_after_the_create_is_removed_before_the_next_create(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = caller()
    running = {"archive-2"}  # the repeat's; the lost try has not landed yet
    stopped: list[str] = []

    def duplicates(made: object) -> list[tuple[str, Callable[[], object]]]:
        return [(other, lambda other=other: stopped.append(other)) for other in sorted(running - {str(made)})]

    script = Script(dropped(), result="archive-2")
    assert calls.call("start archive", script, safety=Safety.UNSAFE, reconcile=lambda: None, duplicates=duplicates)
    assert stopped == []
    running.add("archive-1")  # the lost try lands late
    calls.call("start broadcast", Script(), safety=Safety.UNSAFE)  # another operation: not looked at
    assert stopped == []
    calls.call("start archive", Script(result="archive-3"), safety=Safety.UNSAFE)
    assert stopped == ["archive-1"]
    assert any(
        r.levelname == "WARNING" and "archive-1 is a duplicate" in r.getMessage() and r.name == "anyvideo.retry"
        for r in caplog.records
    )


def test_a_create_without_a_lost_answer_is_not_watched() -> None:
    looked: list[object] = []
    script = Script(result="archive-1")
    caller().call("start archive", script, safety=Safety.UNSAFE, duplicates=lambda made: looked.append(made) or [])
    assert looked == []


def test_settling_looks_once_more_and_stops_watching() -> None:
    calls = caller()
    looks: list[object] = []
    script = Script(dropped(), result="r-2")
    calls.call(
        "start render", script, safety=Safety.UNSAFE, reconcile=lambda: None, duplicates=lambda m: looks.append(m) or []
    )
    assert calls.settle() == 0
    calls.settle()
    assert looks == ["r-2", "r-2"]  # after the create, then the last look


def test_a_duplicate_lookup_that_fails_is_tried_again_later(caplog: pytest.LogCaptureFixture) -> None:
    calls = caller()
    answers: list[object] = [ProviderError("unavailable", provider="p", status=503), [("r-1", lambda: None)]]

    def duplicates(made: object) -> list[tuple[str, Callable[[], object]]]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    calls.call("start render", Script(dropped()), safety=Safety.UNSAFE, reconcile=lambda: None, duplicates=duplicates)
    assert calls.settle() == 1
    assert "could not look for duplicates" in caplog.text


def test_a_refusal_reconcile_cannot_explain_is_raised() -> None:
    script = Script(dropped(), Conflict("already archiving"))
    with pytest.raises(Conflict):
        caller().call("start archive", script, safety=Safety.UNSAFE, reconcile=lambda: None)


def test_a_refusal_without_a_lost_answer_is_raised_without_reconciling() -> None:
    asked: list[int] = []
    with pytest.raises(Conflict):
        caller().call("start archive", Script(Conflict("busy")), reconcile=lambda: asked.append(1))
    assert asked == []


def test_which_refusals_mean_done_is_the_backends_choice() -> None:
    def bad_request(error: AnyVideoError) -> bool:
        return is_conflict(error) or isinstance(error, InvalidRequest)

    script = Script(dropped(), InvalidRequest("name", "taken"))
    result = caller(refused_as_done=bad_request).call(
        "create room", script, safety=Safety.UNSAFE, reconcile=iter([None, "room-1"]).__next__
    )
    assert result == "room-1"


def test_a_request_inside_a_try_is_tried_once() -> None:
    outer_calls = 0
    inner = Script(*(dropped() for _ in range(6)))
    calls = caller()

    def outer() -> object:
        nonlocal outer_calls
        outer_calls += 1
        assert inside_a_try()
        return calls.call("lookup", inner)

    with pytest.raises(ProviderError):
        calls.call("start", outer)
    # every outer try made exactly one inner request: retries are not multiplied by retries
    assert outer_calls == inner.calls == 4 and not inside_a_try()


def test_a_try_under_way_in_one_thread_does_not_make_another_threads_requests_single_tries() -> None:
    seen: list[bool] = []
    release = threading.Event()

    def other_thread() -> None:
        seen.append(inside_a_try())
        release.set()

    def operation() -> str:
        thread = threading.Thread(target=other_thread)
        thread.start()
        release.wait(5)
        thread.join()
        return "done"

    caller().call("start", operation)
    assert seen == [False]


def test_each_try_waits_its_turn_and_errors_are_translated_at_the_edge() -> None:
    turns: list[int] = []

    class Limiter:
        def acquire(self, requests: float = 1.0, *, within: float | None = None) -> float:
            turns.append(1)
            return 0.0

    @contextmanager
    def edge() -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise ProviderError("dropped", provider="p") from exc

    script = Script(OSError("reset"))
    assert caller(limiter=Limiter(), edge=edge).call("get room", script) == "done"
    assert len(turns) == 2


def test_a_rate_limited_create_is_retried_after_retry_after() -> None:
    waits: list[float] = []
    calls = Caller(RetryPolicy(sleep=waits.append), "p")
    script = Script(RateLimited("slow", retry_after=1.5))
    assert calls.call("start archive", script, safety=Safety.UNSAFE) == "done"
    assert waits == [1.5]


# --- Retry-After ------------------------------------------------------------------------

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "header, seconds",
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("0", 0.0),
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("-4", 0.0),
        ("nan", None),
        ("inf", None),
        ("Fri, 02 Jan 2026 03:04:35 GMT", 30.0),
        ("Friday, 02-Jan-26 03:04:15 GMT", 10.0),
        ("Fri Jan  2 03:04:25 2026", 20.0),
        ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0),
        ("Fri, 99 Jan 2026 03:00:00 GMT", None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert retry_after(header, now=NOW) == seconds


@given(st.integers(min_value=0, max_value=10**9))
def test_retry_after_in_seconds_is_read_as_given(seconds: int) -> None:
    assert retry_after(str(seconds)) == seconds


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_retry_after_as_a_date_is_the_time_until_it(offset: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert retry_after(header, now=NOW) == max(0, offset)


@given(st.text(max_size=40))
def test_any_retry_after_is_a_wait_of_zero_or_more_or_nothing(header: str) -> None:
    seconds = retry_after(header, now=NOW)
    assert seconds is None or 0 <= seconds < float("inf")


# --- provider_options -------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"dvr": True}, {"dvr": True, "stream_mode": "manual"}])
def test_options_within_the_allowed_set_pass(options: dict[str, object]) -> None:
    assert allowed_options(options, {"dvr", "stream_mode"}, provider="p") is options


def test_unknown_options_are_named_before_any_request() -> None:
    with pytest.raises(InvalidRequest) as caught:
        allowed_options({"dvr": 1, "colour": 2, "accent": 3}, frozenset({"dvr", "tag"}), provider="p")
    assert caught.value.field == "provider_options"
    assert "p does not know accent, colour here (known: dvr, tag)" in str(caught.value)


# --- settings ---------------------------------------------------------------------------

SETTINGS = BackendSettings("p", {"key": "P_KEY", "host": "P_HOST", "page_size": None})


@pytest.mark.parametrize(
    "keywords, environ, loaded",
    [
        ({}, {}, {}),
        ({"key": "k"}, {"P_KEY": "env"}, {"key": "k"}),
        ({}, {"P_KEY": "env", "P_HOST": ""}, {"key": "env"}),
        ({"key": "", "host": None}, {"P_KEY": "env", "P_HOST": "h"}, {"key": "env", "host": "h"}),
        ({"key": ""}, {}, {}),
        ({"page_size": 10}, {}, {"page_size": 10}),
        ({"page_size": ""}, {}, {"page_size": ""}),
    ],
)
def test_keywords_come_first_then_the_environment(
    keywords: dict[str, object], environ: dict[str, str], loaded: dict[str, object]
) -> None:
    assert SETTINGS.load(keywords, environ) == loaded


def test_unknown_settings_are_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown settings for the p backend: colour, size \(known: key,"):
        SETTINGS.load({"size": 1, "colour": 2, "key": "k"}, {})


def test_missing_settings_are_named_with_their_variables() -> None:
    with pytest.raises(ConfigurationError, match=r"the p backend needs key \(P_KEY\) and page_size$"):
        SETTINGS.require({"host": "h"}, "key", "host", "page_size")
    SETTINGS.require({"key": "k"}, "key")


# --- one deadline per operation ------------------------------------------------------------


def deadline_caller(deadline: float, sleep: Callable[[float], None] = lambda seconds: None, **policy: Any) -> Caller:
    return Caller(RetryPolicy(deadline=deadline, sleep=sleep, **policy), "p")


class Slow:
    """Fails with ``failure`` after ``seconds``, every time; counts its calls."""

    def __init__(self, failure: Exception, seconds: float = 0.3) -> None:
        self.failure, self.seconds, self.calls = failure, seconds, 0

    def __call__(self) -> object:
        self.calls += 1
        time.sleep(self.seconds)
        raise self.failure


def test_a_transient_failure_at_the_deadline_is_deadline_exceeded_and_not_tried_again() -> None:
    operation = Slow(dropped())
    with pytest.raises(DeadlineExceeded) as raised:
        deadline_caller(0.2).call("get room", operation)
    assert operation.calls == 1
    assert (raised.value.operation, raised.value.deadline, raised.value.provider) == ("get room", 0.2, "p")
    assert isinstance(raised.value.__cause__, ProviderError)


def test_no_try_starts_past_the_deadline() -> None:
    script = Script(dropped(), dropped(), result="late")
    # A wait that overran what was left (a busy machine): the next try would start past the deadline.
    with pytest.raises(DeadlineExceeded):
        deadline_caller(0.2, sleep=lambda seconds: time.sleep(0.3), initial=5).call("get room", script)
    assert script.calls == 1


def test_a_backoff_is_cut_to_what_is_left_of_the_deadline() -> None:
    waits: list[float] = []
    with pytest.raises(ProviderError):
        deadline_caller(1.0, sleep=waits.append, initial=5, maximum=8).call("get room", Script(*[dropped()] * 4))
    assert waits and all(wait <= 1.0 for wait in waits)


def test_a_retry_after_past_the_deadline_is_raised_at_once_for_the_caller_to_schedule() -> None:
    waits: list[float] = []
    script = Script(RateLimited("slow down", retry_after=5))
    with pytest.raises(RateLimited):
        deadline_caller(1.0, sleep=waits.append).call("get room", script)
    assert (script.calls, waits) == (1, [])


def test_a_create_cut_off_at_the_deadline_adopts_what_it_made() -> None:
    seen: list[float | None] = []

    def reconcile() -> object:
        seen.append(deadlines.time_left())
        return "made"

    outcome = deadline_caller(0.2, timeout=(1.0, 1.0)).call(
        "create room", Slow(dropped()), safety=Safety.UNSAFE, reconcile=reconcile
    )
    assert outcome == "made"
    assert len(seen) == 1 and seen[0] is not None and seen[0] > 0  # the lookup had time of its own


def test_a_create_cut_off_whose_lookup_finds_nothing_or_fails_is_deadline_exceeded() -> None:
    for reconcile in (lambda: None, Script(dropped())):
        with pytest.raises(DeadlineExceeded, match="create room"):
            deadline_caller(0.2).call("create room", Slow(dropped()), safety=Safety.UNSAFE, reconcile=reconcile)


def test_a_deadline_met_by_a_lookup_names_the_operation() -> None:
    calls = deadline_caller(0.2)

    def lookup() -> object:
        return calls.call("fetch room by name", Slow(dropped()))

    with pytest.raises(DeadlineExceeded) as raised:
        calls.call("create room", Script(dropped(), result="late"), safety=Safety.UNSAFE, reconcile=lookup)
    assert raised.value.operation == "create room"


def test_without_a_deadline_a_request_has_no_time_limit_but_its_timeouts() -> None:
    left: list[float | None] = []
    Caller(RetryPolicy(deadline=None), "p").call("get room", lambda: left.append(deadlines.time_left()))
    assert left == [None]


def test_what_a_lost_try_of_a_create_that_raised_made_is_removed() -> None:
    """The caller was told the create failed: whatever its lost tries made is not theirs to keep."""
    calls = Caller(RetryPolicy(attempts=2, sleep=lambda seconds: None), "p")
    stopped: list[str] = []
    seen: list[object] = []

    def duplicates(made: object) -> list[tuple[str, Callable[[], object]]]:
        seen.append(made)
        return [("archive-1", lambda: stopped.append("archive-1"))]

    with pytest.raises(ProviderError):
        calls.call(
            "start archive",
            Script(dropped(), dropped()),
            safety=Safety.UNSAFE,
            reconcile=lambda: None,
            duplicates=duplicates,
        )
    assert (seen, stopped) == ([None], ["archive-1"])


def test_a_request_the_rate_limit_would_hold_past_the_deadline_fails_now() -> None:
    slept: list[float] = []
    limiter = RateLimiter(0.1, burst=1, clock=lambda: 0.0, sleep=slept.append)  # one request per 10 s
    calls = Caller(RetryPolicy(deadline=5), "p", limiter=limiter)
    assert calls.call("get room", lambda: "first") == "first"
    with pytest.raises(DeadlineExceeded) as raised:
        calls.call("get room", lambda: "second")
    assert (raised.value.operation, raised.value.deadline) == ("get room", 5)
    assert slept == []  # not a 10 s sleep before failing
    assert limiter.acquire() == pytest.approx(10.0)  # and it reserved nothing: the next request waits 10 s, not 20
