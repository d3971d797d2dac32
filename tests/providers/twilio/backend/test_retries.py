"""The retry policy through the Twilio backend, against the emulator: what is
tried again and what is not, Retry-After, the bounds on tries and time,
timeouts, lost answers (adopted, never made twice) and the rate limit.

Requests are counted where they arrive: the emulator's injected faults, and
the backend's own count of requests sent (every try)."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from anyvideo import StreamKind
from anyvideo.errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    NotFound,
    ProviderError,
    RateLimited,
)
from anyvideo.ratelimit import RateLimiter
from anyvideo.retry import RetryPolicy
from anyvideo.testing.faults import Fault


class Waits(list[float]):
    """A policy's ``sleep`` that keeps time still and remembers each wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


def policy(waits: Waits, **overrides: float) -> RetryPolicy:
    return RetryPolicy(sleep=waits, **overrides)


def composable_room(video, join, control, name: str = "composed"):
    """An ended room whose audio was recorded and processed: ready to compose."""
    room = video.rooms.create(name)
    join(room, "ann").publish(StreamKind.AUDIO)
    video.recordings.stop(video.recordings.start(room, mode="individual"))
    video.rooms.end(room)
    control.advance(3)
    return room


# --- what is tried again -----------------------------------------------------------------


def test_retry_after_is_honoured(connect_twilio, emulator, waits):
    video = connect_twilio(retries=policy(waits))
    emulator.faults.script("/v1/Rooms$", [Fault(status=429, retry_after=2.5), Fault(status=429, retry_after=0.5)])
    assert video.rooms.create("patient").name == "patient"
    assert waits == [2.5, 0.5]  # exactly what Twilio asked for, not the backoff
    assert len(emulator.faults.injected) == 2


def test_retry_after_is_waited_for_in_real_time(connect_twilio, emulator):
    video = connect_twilio()
    emulator.faults.script("/v1/Rooms$", [Fault(status=429, retry_after=0.4)], method="POST")
    started = time.monotonic()
    video.rooms.create("waited")
    assert time.monotonic() - started >= 0.4


def test_a_retry_after_beyond_the_time_bound_is_raised_at_once(connect_twilio, emulator, waits):
    video = connect_twilio(retries=policy(waits, max_time=5))
    emulator.faults.script("/v1/Rooms$", [Fault(status=429, retry_after=60)], method="POST")
    with pytest.raises(RateLimited) as caught:
        video.rooms.create("later")
    assert caught.value.retry_after == 60 and waits == []


def test_the_number_of_tries_is_bounded(connect_twilio, emulator, room, waits):
    video = connect_twilio(retries=policy(waits, attempts=3))
    sent = video.backend.requests_sent
    emulator.faults.add(Fault(status=503), path=f"/v1/Rooms/{room.id}$")
    with pytest.raises(ProviderError) as caught:
        video.rooms.get(room)
    assert caught.value.status == 503
    assert len(emulator.faults.injected) == 3 and video.backend.requests_sent - sent == 3
    assert len(waits) == 2


def test_the_retries_setting_counts_retries(connect_twilio, emulator, room):
    video = connect_twilio(retries=1)
    emulator.faults.add(Fault(status=500), path=f"/v1/Rooms/{room.id}$")
    with pytest.raises(ProviderError):
        video.rooms.get(room)
    assert len(emulator.faults.injected) == 2


def test_the_time_spent_is_bounded(connect_twilio, emulator, room):
    video = connect_twilio(retries=RetryPolicy(attempts=1000, max_time=0.6, initial=0.1, maximum=0.1))
    emulator.faults.add(Fault(status=500), path=f"/v1/Rooms/{room.id}$")
    started = time.monotonic()
    with pytest.raises(ProviderError):
        video.rooms.get(room)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5  # max_time, plus the last try
    assert 2 <= len(emulator.faults.injected) < 1000


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, ProviderError), (401, AuthenticationError), (403, AuthenticationError), (404, NotFound), (409, Conflict)],
)
def test_a_refusal_is_raised_at_once_without_retry(connect_twilio, emulator, room, waits, status, error):
    video = connect_twilio(retries=policy(waits))
    sent = video.backend.requests_sent
    emulator.faults.add(Fault(status=status), path=f"/v1/Rooms/{room.id}$")
    with pytest.raises(error):
        video.rooms.get(room)
    assert len(emulator.faults.injected) == 1 and video.backend.requests_sent - sent == 1
    assert waits == []


@pytest.mark.parametrize("status", [400, 404, 409])
def test_a_refused_create_is_not_repeated(connect_twilio, emulator, waits, status):
    video = connect_twilio(retries=policy(waits))
    emulator.faults.add(Fault(status=status), path="/v1/Rooms$", method="POST")
    with pytest.raises(ProviderError if status == 400 else (NotFound, Conflict)):
        video.rooms.create("refused")
    assert len(emulator.faults.injected) == 1 and waits == []


def test_the_sdk_adds_no_hidden_retries(connect_twilio, emulator, room):
    """One try, one request: neither the SDK nor requests/urllib3 tries again by itself."""
    video = connect_twilio(retries=0)
    emulator.faults.script(f"/v1/Rooms/{room.id}$", [Fault(drop=True)] * 5)
    with pytest.raises(ProviderError, match="could not reach Twilio") as caught:
        video.rooms.get(room)
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert len(emulator.faults.injected) == 1
    adapters = {
        scheme: video.backend.native.http_client.session.get_adapter(scheme) for scheme in ("http://x", "https://x")
    }
    assert all(adapter.max_retries.total == 0 for adapter in adapters.values())


def test_each_retry_is_logged(connect_twilio, emulator, room, waits, caplog):
    video = connect_twilio(retries=policy(waits))
    emulator.faults.script(f"/v1/Rooms/{room.id}$", [Fault(status=503), Fault(drop=True), None])
    with caplog.at_level(logging.INFO, logger="anyvideo.retry"):
        video.rooms.get(room)
    lines = [r.getMessage() for r in caplog.records if r.name == "anyvideo.retry"]
    assert len(lines) == 2 and all("twilio: fetch room" in line for line in lines)


def test_a_failed_create_without_a_name_is_not_repeated(connect_twilio, emulator, waits):
    video = connect_twilio(retries=policy(waits))
    emulator.faults.script("/v1/Rooms$", [Fault(status=503)], method="POST")
    with pytest.raises(ProviderError):
        video.rooms.create()  # a nameless room cannot be found again: repeating could make two
    assert list(emulator.world.rooms()) == []


# --- timeouts -------------------------------------------------------------------------------


def test_every_request_has_a_timeout(connect_twilio, emulator, room):
    assert connect_twilio().backend.native.http_client.timeout == (5.0, 30.0)  # the default
    video = connect_twilio(retries=0, timeout=(2, 0.2))
    emulator.faults.script(f"/v1/Rooms/{room.id}$", [Fault(latency=1.0)])
    started = time.monotonic()
    with pytest.raises(ProviderError, match="could not reach Twilio") as caught:
        video.rooms.get(room)
    assert time.monotonic() - started < 0.9
    assert isinstance(caught.value.__cause__, requests.Timeout)
    assert caught.value.status is None  # no answer: transient


def test_the_timeout_comes_from_the_environment(twilio_emulator):

    import anyvideo

    environ = {"ANYVIDEO_TIMEOUT": "7", "ANYVIDEO_RETRIES": "2", "ANYVIDEO_RATE_LIMIT": "12.5"}
    with anyvideo.connect("twilio", environ=environ, **twilio_emulator.backend_settings) as video:
        assert video.backend.native.http_client.timeout == (7.0, 7.0)
        assert video.backend.policy.attempts == 3
        assert video.backend.limiter.rate == 12.5


# --- lost answers: what the lost try made is adopted, never made twice -----------------------


def test_a_lost_room_create_that_lands_late_makes_no_second_room(connect_twilio, emulator):
    # No wait between tries: the lookup and the next try run before the lost one lands.
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: None))
    emulator.faults.script("/v1/Rooms$", [Fault(latency=0.6)], method="POST")
    room = video.rooms.create("late")
    time.sleep(0.5)  # the lost try lands now, and is refused (the name is taken)
    assert [r.id for r in emulator.world.rooms(name="late")] == [room.id]


def test_a_lost_hook_create_is_adopted(connect_twilio, emulator):
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: time.sleep(0.5)))
    emulator.faults.script("/v1/CompositionHooks$", [Fault(latency=0.6)], method="POST")
    hook = video.ext.create_composition_hook("nightly")
    assert [h.sid for h in emulator.state.hooks.values()] == [hook.id]


def test_a_lost_hook_create_that_lands_late_makes_no_second_hook(connect_twilio, emulator):
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: None))
    emulator.faults.script("/v1/CompositionHooks$", [Fault(latency=0.6)], method="POST")
    hook = video.ext.create_composition_hook("nightly")
    time.sleep(0.5)
    assert [h.sid for h in emulator.state.hooks.values()] == [hook.id]


def test_a_repeat_refused_because_the_lost_try_landed_first_adopts_it(connect_twilio, emulator, caplog):
    # try 1 times out at 0.5 s and lands at 0.8 s; the lookup at 0.5 s finds nothing; try 2 waits
    # 0.4 s at the emulator, so Twilio refuses it (name taken) after the first landed: the lookup adopts it.
    video = connect_twilio(timeout=(2, 0.5), retries=RetryPolicy(sleep=lambda seconds: None))
    emulator.faults.script("/v1/CompositionHooks$", [Fault(latency=0.8), Fault(latency=0.4)], method="POST")
    with caplog.at_level(logging.INFO, logger="anyvideo.retry"):
        hook = video.ext.create_composition_hook("raced")
    assert [h.sid for h in emulator.state.hooks.values()] == [hook.id]
    assert any("adopting" in record.getMessage() for record in caplog.records)


def test_a_lost_composition_create_is_adopted_not_repeated(connect_twilio, emulator, join, control):
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: time.sleep(0.5)))
    room = composable_room(video, join, control)
    emulator.faults.script("/v1/Compositions$", [Fault(latency=0.6)], method="POST")
    composition = video.compositions.start(room)
    assert [c.sid for c in emulator.state.compositions.values()] == [composition.id]


def test_a_composition_whose_lost_create_never_lands_is_an_error_not_a_second_try(
    connect_twilio, emulator, join, control, waits
):
    video = connect_twilio(retries=policy(waits))
    room = composable_room(video, join, control)
    emulator.faults.script("/v1/Compositions$", [Fault(drop=True)], method="POST")
    with pytest.raises(ProviderError, match="could not reach Twilio"):
        video.compositions.start(room)
    posts = [f for method, path, f in emulator.faults.injected if method == "POST"]
    assert len(posts) == 1 and emulator.state.compositions == {}
    assert len(waits) == 3  # the room's compositions looked up on each remaining try


def test_a_rate_limited_composition_create_is_tried_again(connect_twilio, emulator, join, control, waits):
    video = connect_twilio(retries=policy(waits))
    room = composable_room(video, join, control)
    emulator.faults.script("/v1/Compositions$", [Fault(status=429, retry_after=1)], method="POST")
    composition = video.compositions.start(room)
    assert waits == [1.0] and list(emulator.state.compositions) == [composition.id]


def test_a_composition_is_found_among_the_rooms_older_ones(connect_twilio, emulator, join, control):
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: time.sleep(0.5)))
    room = composable_room(video, join, control)
    older = video.compositions.start(room, resolution="320x240")
    emulator.faults.script("/v1/Compositions$", [Fault(latency=0.6)], method="POST")
    newer = video.compositions.start(room, resolution="320x240")
    assert newer.id != older.id and set(emulator.state.compositions) == {older.id, newer.id}


def test_a_lost_end_is_done_once(connect_twilio, emulator, waits):
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: time.sleep(0.5)))
    room = video.rooms.create("ending")
    emulator.faults.script(f"/v1/Rooms/{room.id}$", [Fault(latency=0.6)], method="POST")
    assert video.rooms.end(room).status == "ended"


def test_a_lost_delete_is_done(connect_twilio, emulator):
    video = connect_twilio(timeout=(2, 0.3), retries=RetryPolicy(sleep=lambda seconds: time.sleep(0.5)))
    hook = video.ext.create_composition_hook("short-lived")
    emulator.faults.script(f"/v1/CompositionHooks/{hook.id}$", [Fault(latency=0.6)], method="DELETE")
    video.ext.delete_composition_hook(hook.id)  # the retry finds it gone: that is the lost try's doing
    assert emulator.state.hooks == {}


# --- the client-side rate limit ---------------------------------------------------------------


def test_the_rate_setting_spaces_requests(connect_twilio, room):
    video = connect_twilio(rate=10)
    assert video.backend.limiter.rate == 10
    started = time.monotonic()
    for _ in range(13):  # a burst of 10, then 3 at 10 per second
        video.rooms.get(room)
    assert time.monotonic() - started >= 0.25


@pytest.mark.parametrize("rate", [0, -1, "fast", True, float("inf")])
def test_a_bad_rate_is_a_configuration_error(connect_twilio, rate):
    with pytest.raises(ConfigurationError, match="rate"):
        connect_twilio(rate=rate)


def test_no_rate_means_no_limiter(connect_twilio):
    assert connect_twilio().backend.limiter is None
    assert isinstance(connect_twilio(rate=3).backend.limiter, RateLimiter)


def test_the_deadline_comes_from_settings_then_the_environment(twilio_emulator):
    import anyvideo

    environ = {"ANYVIDEO_DEADLINE": "7"}
    with anyvideo.connect("twilio", environ=environ, **twilio_emulator.backend_settings) as video:
        assert video.backend.policy.deadline == 7.0
    with anyvideo.connect("twilio", environ=environ, deadline=0, **twilio_emulator.backend_settings) as video:
        assert video.backend.policy.deadline is None


def test_a_room_create_that_lands_after_its_room_ended_is_ended(connect_twilio, emulator, caplog):
    """The slow answer: the lost try lands once the repeat's room has ended and its name is free
    (here: before the next room create is handled). The create after it looks first, so the second
    room is ended, with a warning."""
    video = connect_twilio(timeout=(2, 0.1), retries=RetryPolicy(sleep=lambda s: None))
    emulator.faults.script("/v1/Rooms$", [Fault(late=2)], method="POST")
    first = video.rooms.create("standup")  # the repeat's: the lost try is still held
    video.rooms.end(first)
    video.rooms.create("other")  # the lost try lands before this is handled: a second "standup"
    late = [r for r in emulator.world.rooms(name="standup") if r.id != first.id]
    assert [r.status.value for r in late] == ["open"]
    video.rooms.create("third")
    assert [r.status.value for r in emulator.world.rooms(name="standup") if r.id != first.id] == ["ended"]
    assert f"room {late[0].id} is a duplicate" in caplog.text


def test_a_hook_create_that_lands_after_its_hook_was_deleted_is_deleted(connect_twilio, emulator):
    video = connect_twilio(timeout=(2, 0.1), retries=RetryPolicy(sleep=lambda s: None))
    emulator.faults.script("/v1/CompositionHooks$", [Fault(late=2)], method="POST")
    first = video.ext.create_composition_hook("nightly", enabled=False)
    video.ext.delete_composition_hook(first.id)
    video.ext.create_composition_hook("weekly", enabled=False)  # the lost try lands before this
    assert video.ext.find_composition_hook("nightly") is not None
    video.close()  # the last look
    assert [h.friendly_name for h in emulator.state.hooks.values()] == ["weekly"]
