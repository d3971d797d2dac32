"""Retries, timeouts and the rate limit, through the backend against the emulator.

Requests are counted on the emulator: a fault rule that matches every request of a
path (``Fault()`` with nothing in it lets the request through) records each one in
``faults.injected``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import pytest
from support import host_of
from vonage import Auth, HttpClientOptions, Vonage
from vonage_video.models import CreateArchiveRequest

import anyvideo
from anyvideo import (
    AuthenticationError,
    CompositionStatus,
    ConfigurationError,
    Conflict,
    NotFound,
    ParticipantStatus,
    ProviderError,
    RateLimited,
    RecordingStatus,
)
from anyvideo.retry import RetryEvent, RetryPolicy
from anyvideo.testing.faults import Fault
from anyvideo_vonage.emulator.auth import ApplicationCredentials

SESSION_CREATE = r"/session/create$"
STREAMS = r"/stream$"
ARCHIVES = r"/archive$"
#: What an archive and a broadcast are called while they run.
RUNNING = {RecordingStatus.RECORDING.value, CompositionStatus.LIVE.value}


def _received(emulator, path: str, method: str | None = None) -> Callable[[], int]:
    """Count the requests the emulator receives on ``path`` from now on (faults already
    matching the path keep precedence: they are counted too)."""
    emulator.faults.add(Fault(), path=path, method=method)
    pattern = re.compile(path)
    return lambda: sum(
        1 for m, p, _ in emulator.faults.injected if pattern.search(p) and (method is None or m == method)
    )


def _policy(events: list[RetryEvent] | None = None, **options) -> RetryPolicy:
    """A policy that waits for real but briefly (Retry-After is honoured as given)."""
    options.setdefault("initial", 0.01)
    options.setdefault("maximum", 0.05)
    return RetryPolicy(on_retry=None if events is None else events.append, **options)


@pytest.fixture
def live_room(video, browser, room):
    browser.join(video.tokens.create(room, "ann")).publish()
    return room


# --- what is retried, and how long it waits ------------------------------------------


def test_retry_after_is_honoured_and_each_retry_logged(connect_vonage, vonage_emulator, caplog) -> None:
    events: list[RetryEvent] = []
    video = connect_vonage(retries=_policy(events))
    room = video.rooms.create("r")
    vonage_emulator.faults.script(STREAMS, [Fault(status=429, retry_after=0.4)])
    caplog.set_level(logging.INFO, logger="anyvideo.retry")
    started = time.monotonic()
    assert list(video.streams.list(room)) == []
    assert time.monotonic() - started >= 0.4
    [event] = events
    assert event.wait == 0.4 and isinstance(event.error, RateLimited) and event.what == "vonage: list_streams"
    [line] = [r.getMessage() for r in caplog.records if r.name == "anyvideo.retry"]
    assert line.startswith("vonage: list_streams: try 1 failed") and "retrying in 0.40s" in line


def test_5xx_and_dropped_reads_are_retried(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(retries=_policy())
    room = video.rooms.create("r")
    vonage_emulator.faults.script(STREAMS, [Fault(status=500), Fault(status=503), Fault(drop=True)])
    assert list(video.streams.list(room)) == []
    vonage_emulator.faults.script(r"/connection$", [Fault(status=502), Fault(drop=True)])  # the REST helper
    assert list(video.participants.list(room)) == []


def test_attempts_are_bounded(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(retries=_policy(attempts=3))
    room = video.rooms.create("r")
    vonage_emulator.faults.add(Fault(status=503), path=STREAMS)
    with pytest.raises(ProviderError) as caught:
        list(video.streams.list(room))
    assert caught.value.status == 503
    assert len(vonage_emulator.faults.injected) == 3


def test_time_is_bounded(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(retries=_policy(attempts=50, max_time=1.0))
    room = video.rooms.create("r")
    vonage_emulator.faults.add(Fault(status=429, retry_after=0.3), path=STREAMS)
    started = time.monotonic()
    with pytest.raises(RateLimited):
        list(video.streams.list(room))
    assert time.monotonic() - started < 1.3
    assert 3 <= len(vonage_emulator.faults.injected) <= 4  # tries at 0, 0.3, 0.6 (0.9): the next wait ends past 1 s


@pytest.mark.parametrize(
    "status, error", [(400, ProviderError), (401, AuthenticationError), (404, NotFound), (409, Conflict)]
)
def test_a_refusal_is_raised_at_once(connect_vonage, vonage_emulator, status, error) -> None:
    video = connect_vonage(retries=_policy(attempts=5))
    room = video.rooms.create("r")
    vonage_emulator.faults.add(Fault(status=status), path=STREAMS)
    with pytest.raises(error) as caught:
        list(video.streams.list(room))
    assert len(vonage_emulator.faults.injected) == 1
    assert not isinstance(caught.value, ProviderError) or caught.value.status == status


def test_real_refusals_are_raised_at_once(connect_vonage, vonage_emulator, browser) -> None:
    video = connect_vonage(retries=_policy(attempts=5))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    streams = _received(vonage_emulator, r"/stream/")
    with pytest.raises(NotFound):  # 404
        video.streams.get(room, "00000000-0000-0000-0000-000000000000")
    assert streams() == 1
    video.recordings.start(room)
    archives = _received(vonage_emulator, ARCHIVES, "POST")
    with pytest.raises(Conflict):  # 409: one archive at a time
        video.recordings.start(room)
    assert archives() == 1
    stranger = connect_vonage(retries=_policy(attempts=5), private_key=ApplicationCredentials().private_key)
    sessions = _received(vonage_emulator, SESSION_CREATE)
    with pytest.raises(AuthenticationError):  # 401/403
        stranger.rooms.create()
    assert sessions() == 1


# --- no hidden retries underneath ------------------------------------------------------


def test_the_sdk_does_not_resend_a_dropped_request(connect_vonage, vonage_emulator) -> None:
    """The SDK re-sends a request whose connection dropped up to pool_maxsize times, POSTs
    included; anyvideo gives it one connection per pool, so nothing is multiplied."""
    video = connect_vonage(retries=0)
    vonage_emulator.faults.add(Fault(drop=True), path=SESSION_CREATE)
    with pytest.raises(ProviderError):
        video.rooms.create()
    assert len(vonage_emulator.faults.injected) == 1
    options = video.native.http_client.http_client_options
    assert options.max_retries == 0 and options.pool_maxsize == 1


def test_retries_are_not_multiplied(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(retries=_policy(attempts=3))
    room = video.rooms.create("r")
    vonage_emulator.faults.add(Fault(drop=True), path=STREAMS)
    vonage_emulator.faults.add(Fault(drop=True), path=r"/connection$")
    with pytest.raises(ProviderError):
        list(video.streams.list(room))
    with pytest.raises(ProviderError):
        list(video.participants.list(room))
    assert len(vonage_emulator.faults.injected) == 6  # 3 tries each, one request per try


# --- what may not be repeated -----------------------------------------------------------


@pytest.mark.parametrize("fault", [Fault(status=503), Fault(drop=True), Fault(lost=True), Fault(late=1)])
def test_a_session_create_is_repeated_after_an_ambiguous_failure(connect_vonage, vonage_emulator, fault) -> None:
    """A session a lost try made is only an id nobody knows: nothing joins it, nothing runs in it."""
    video = connect_vonage(retries=_policy(attempts=5), timeout=(5, 0.1))
    vonage_emulator.faults.script(SESSION_CREATE, [fault])
    room = video.rooms.create("standup")
    assert video.rooms.get(room.id).name == "standup"
    assert len(vonage_emulator.faults.injected) == 1


def test_a_signal_is_not_sent_twice(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(retries=_policy(attempts=5))
    room = video.rooms.create("r")
    vonage_emulator.faults.script(r"/signal$", [Fault(status=500)])
    with pytest.raises(ProviderError):
        video.signals.send(room, "chat", "hi")
    assert len(vonage_emulator.faults.injected) == 1


# --- creates whose answer was lost: what the lost try made is adopted -------------------


def _start_archive_directly(vonage_emulator, session_id: str) -> str:
    """Start an archive with the SDK alone, as a try whose answer was lost would have."""
    credentials = vonage_emulator.credentials
    sdk = Vonage(
        Auth(application_id=credentials["application_id"], private_key=credentials["private_key"]),
        HttpClientOptions(video_host=host_of(vonage_emulator)),
    )
    return sdk.video.start_archive(CreateArchiveRequest(session_id=session_id)).id


def _archive_ids(vonage_emulator, room_id: str) -> list[str]:
    return [r.id for r in vonage_emulator.world.recordings(room_id=room_id)]


def test_an_archive_a_failed_try_started_is_adopted(connect_vonage, vonage_emulator, browser) -> None:
    """The first start fails with 503 but (as a real platform may) started the archive anyway;
    before trying again the backend finds it running and adopts it instead of starting another."""
    made: list[str] = []

    def lost_try_took_effect(seconds: float) -> None:
        if not made:
            made.append(_start_archive_directly(vonage_emulator, room.id))

    video = connect_vonage(retries=RetryPolicy(sleep=lost_try_took_effect))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    vonage_emulator.faults.script(ARCHIVES, [Fault(status=503)], method="POST")
    recording = video.recordings.start(room)
    assert [recording.id] == made == _archive_ids(vonage_emulator, room.id)
    assert video.recordings.stop(recording).status is RecordingStatus.PROCESSING


def test_an_archive_is_not_adopted_when_it_is_not_the_one_asked_for(connect_vonage, vonage_emulator, browser) -> None:
    video = connect_vonage(retries=RetryPolicy(sleep=lambda s: None))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    mine = video.recordings.start(room)  # known: in the registry
    vonage_emulator.faults.script(ARCHIVES, [Fault(status=503)], method="POST")
    with pytest.raises(Conflict):  # a repeat is refused: one archive at a time; the running one is not adopted
        video.recordings.start(room)
    assert _archive_ids(vonage_emulator, room.id) == [mine.id]


def test_a_start_whose_answer_timed_out_is_adopted(connect_vonage, vonage_emulator, browser) -> None:
    """The real case: the answer never came (read timeout) but the platform started the archive."""
    video = connect_vonage(timeout=(5, 0.3), retries=RetryPolicy(sleep=lambda s: time.sleep(0.5)))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    posts = _received(vonage_emulator, ARCHIVES, "POST")
    vonage_emulator.faults.script(ARCHIVES, [Fault(latency=0.6)], method="POST")  # done at 0.6 s, after the timeout
    recording = video.recordings.start(room)
    assert _archive_ids(vonage_emulator, room.id) == [recording.id]
    assert posts() == 1  # found before a second start was sent


def test_a_repeat_refused_because_the_lost_try_won_adopts_it(connect_vonage, vonage_emulator, browser) -> None:
    """The lost try lands after the backend looked and before its repeat is handled: the repeat is
    refused (409, one archive at a time), and the backend looks again and adopts the lost try's archive."""
    video = connect_vonage(timeout=(5, 0.1), retries=RetryPolicy(sleep=lambda s: None))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    vonage_emulator.faults.script(ARCHIVES, [Fault(late=1)], method="POST")
    recording = video.recordings.start(room)
    assert _archive_ids(vonage_emulator, room.id) == [recording.id]


@pytest.mark.parametrize("kind", ["archive", "broadcast"])
def test_a_start_that_lands_after_its_repeat_was_answered_is_stopped(
    connect_vonage, vonage_emulator, browser, caplog, kind
) -> None:
    """The slow answer: the lost try lands once the repeat's archive is stopped, when the session is
    free again (here: before the next start is handled). The next start looks for it first; closing
    the connection looks once more; either way it is stopped, and the warning says so."""
    video = connect_vonage(timeout=(5, 0.1), retries=RetryPolicy(sleep=lambda s: None))
    rooms = [video.rooms.create(f"r{i}") for i in range(3)]
    for room in rooms:
        browser.join(video.tokens.create(room, "ann")).publish()
    start, stop, listed = {
        "archive": (video.recordings.start, video.recordings.stop, vonage_emulator.world.recordings),
        "broadcast": (
            lambda room: video.compositions.start(room, output="live", hls=True),
            video.compositions.stop,
            vonage_emulator.world.compositions,
        ),
    }[kind]
    vonage_emulator.faults.script(f"/{kind}$", [Fault(late=2)], method="POST")
    first = start(rooms[0])  # the repeat's: the lost try is still held
    stop(first)
    start(rooms[1])  # the lost try lands in rooms[0], free again, before this start is handled
    late = [r for r in listed(room_id=rooms[0].id) if r.id != first.id]
    assert [r.status.value in RUNNING for r in late] == [True]  # a duplicate, running
    start(rooms[2])
    assert [r.status.value in RUNNING for r in listed(room_id=rooms[0].id) if r.id != first.id] == [False]
    assert any(r.levelname == "WARNING" and f"{kind} {late[0].id} is a duplicate" in r.message for r in caplog.records)


def test_a_start_that_lands_late_is_stopped_when_the_connection_closes(
    connect_vonage, vonage_emulator, browser
) -> None:
    video = connect_vonage(timeout=(5, 0.1), retries=RetryPolicy(sleep=lambda s: None))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    vonage_emulator.faults.script(ARCHIVES, [Fault(late=2)], method="POST")
    video.recordings.stop(video.recordings.start(room))
    vonage_emulator.faults.land()  # the lost try lands, and nothing comes after it
    assert sum(r.status is RecordingStatus.RECORDING for r in vonage_emulator.world.recordings(room_id=room.id)) == 1
    video.close()
    assert not any(r.status is RecordingStatus.RECORDING for r in vonage_emulator.world.recordings(room_id=room.id))


def test_a_broadcast_whose_answer_timed_out_is_adopted(connect_vonage, vonage_emulator, browser) -> None:
    video = connect_vonage(timeout=(5, 0.3), retries=RetryPolicy(sleep=lambda s: time.sleep(0.5)))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    vonage_emulator.faults.script(r"/broadcast$", [Fault(latency=0.6)], method="POST")
    composition = video.compositions.start(room, output="live", hls=True)
    assert [c.id for c in vonage_emulator.world.compositions(room_id=room.id)] == [composition.id]
    assert composition.status is CompositionStatus.LIVE


def test_a_stop_whose_answer_was_lost_is_done(connect_vonage, vonage_emulator, browser) -> None:
    """Vonage answers 404 to stopping a stopped broadcast: after a lost answer that means done."""
    video = connect_vonage(timeout=(5, 0.3), retries=RetryPolicy(sleep=lambda s: time.sleep(0.5)))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    composition = video.compositions.start(room, output="live", hls=True)
    vonage_emulator.faults.script(r"/stop$", [Fault(latency=0.6)], method="POST")
    assert video.compositions.stop(composition).status is CompositionStatus.STOPPED
    with pytest.raises(Conflict):  # stopping it again, knowingly, is still a mistake
        video.compositions.stop(composition)


def test_a_disconnect_whose_answer_was_lost_is_done(connect_vonage, vonage_emulator, browser) -> None:
    video = connect_vonage(timeout=(5, 0.3), retries=RetryPolicy(sleep=lambda s: time.sleep(0.5)))
    room = video.rooms.create("r")
    ann = browser.join(video.tokens.create(room, "ann"))
    vonage_emulator.faults.script(r"/connection/", [Fault(latency=0.6)], method="DELETE")
    video.participants.disconnect(room, ann.participant_id)
    assert list(video.participants.list(room, status="connected")) == []
    assert video.participants.get(room, ann.participant_id).status is ParticipantStatus.DISCONNECTED


# --- timeouts -------------------------------------------------------------------------


@pytest.mark.parametrize("path, read", [(STREAMS, "streams"), (r"/connection$", "participants")])
def test_every_request_has_a_read_timeout(connect_vonage, vonage_emulator, path, read) -> None:
    video = connect_vonage(timeout=(5, 0.2), retries=0)
    room = video.rooms.create("r")
    vonage_emulator.faults.add(Fault(latency=1.0), path=path)
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        list(getattr(video, read).list(room))
    assert time.monotonic() - started < 0.8
    assert caught.value.status is None and "timed out" in str(caught.value)


def test_timeouts_have_a_sane_default_and_reach_the_sdk(connect_vonage) -> None:
    video = connect_vonage()
    assert video.backend.transport.calls.policy.timeout == (5.0, 30.0)
    assert video.native.http_client.http_client_options.timeout == (5.0, 30.0)
    assert connect_vonage(timeout=2.5).native.http_client.http_client_options.timeout == (2.5, 2.5)


# --- configuration --------------------------------------------------------------------


def test_retries_timeout_and_rate_come_from_the_environment(vonage_emulator) -> None:
    environ = {
        "VONAGE_APPLICATION_ID": vonage_emulator.credentials["application_id"],
        "VONAGE_PRIVATE_KEY": vonage_emulator.credentials["private_key"],
        "VONAGE_VIDEO_HOST": host_of(vonage_emulator),
        "ANYVIDEO_RETRIES": "0",
        "ANYVIDEO_TIMEOUT": "7",
        "ANYVIDEO_RATE_LIMIT": "12.5",
    }
    with anyvideo.connect("vonage", environ=environ) as video:
        calls = video.backend.transport.calls
        assert calls.policy.attempts == 1 and calls.policy.timeout == (7.0, 7.0)
        assert calls.limiter is not None and calls.limiter.rate == 12.5
    with anyvideo.connect("vonage", environ=environ, retries=2, timeout=(1, 9), rate=3) as video:
        calls = video.backend.transport.calls
        assert calls.policy.attempts == 3 and calls.policy.timeout == (1.0, 9.0) and calls.limiter.rate == 3


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"retries": -1}, "retries"),
        ({"retries": "many"}, "retries"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": (1, 2, 3)}, "timeout"),
        ({"rate": 0}, "rate"),
        ({"rate": "fast"}, "rate"),
        ({"rate": True}, "rate"),
    ],
)
def test_bad_resilience_settings_are_refused(vonage_emulator, setting, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        anyvideo.connect(
            "vonage",
            environ={},
            application_id="app",
            private_key=vonage_emulator.credentials["private_key"],
            **setting,
        )


def test_the_rate_limit_spaces_requests(connect_vonage) -> None:
    video = connect_vonage(rate=20)
    room = video.rooms.create("r")  # 1 request of the burst of 20
    started = time.monotonic()
    for _ in range(29):
        list(video.streams.list(room))
    assert time.monotonic() - started >= 0.45  # 10 past the burst, at 20 per second


def test_looking_for_a_lost_try_is_not_retried_on_its_own(connect_vonage, vonage_emulator, browser) -> None:
    """The listing that looks for a lost try's archive runs inside a try of the start: when it fails,
    that try fails and the policy decides, so retries are not multiplied by retries."""
    video = connect_vonage(retries=_policy(attempts=3))
    room = video.rooms.create("r")
    browser.join(video.tokens.create(room, "ann")).publish()
    vonage_emulator.faults.add(Fault(status=503), path=ARCHIVES)
    with pytest.raises(ProviderError):
        video.recordings.start(room)
    methods = [method for method, _, _ in vonage_emulator.faults.injected]
    assert methods[:3] == ["POST", "GET", "GET"]  # try 1 starts; tries 2 and 3 look for it first, and fail there
    assert methods[3:] == ["GET"] * 3  # then, the start failed, a look for what try 1 made, under the policy
    assert _archive_ids(vonage_emulator, room.id) == []


def test_the_deadline_comes_from_settings_then_the_environment(connect_vonage) -> None:
    assert connect_vonage().backend.transport.calls.policy.deadline == 60.0
    assert connect_vonage(deadline=7).backend.transport.calls.policy.deadline == 7.0
    assert connect_vonage(deadline=0).backend.transport.calls.policy.deadline is None
