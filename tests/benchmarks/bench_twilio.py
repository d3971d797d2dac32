"""anyvideo's Twilio backend against the ``twilio`` SDK making the same calls, on one emulator.

Run on demand (the default test run does not collect it):

    PYTHONPATH=core:backends:tests python -m pytest tests/benchmarks/bench_twilio.py -s -p no:randomly

The Twilio emulator runs in a process of its own (:func:`~benchmarks.harness.served`).
For each core operation, anyvideo (``video.rooms.create`` …, through the facade)
and the SDK (``client.video.v1.rooms.create`` …, a ``twilio.rest.Client`` with its
own HTTP client, pointed at the same emulator with the same API key) do the same
provider work, interleaved round by round (:class:`~benchmarks.harness.Contest`);
the ratio is the median of the per-round ratios. Both sides list with the same
page size. Every operation's requests are counted on both sides (a counting
HTTP client under the SDK; ``requests_sent`` under anyvideo) and asserted equal:
the same requests, so what differs is what each does around them.

What an operation acts on is made before the contest, outside the timing: the
rooms each side ends, the participants each side disconnects (joined through
the emulator's control API).

Client tokens: ``video.tokens.create`` against the SDK's
``AccessToken(...)`` + ``add_grant(VideoGrant(room=...))`` + ``to_jwt()``; and
the backend's ``tokens.mint`` alone against the same, to show the signing costs
what the SDK's does; and tokens from a backend whose registry is a file, which
reads it once per token (another process may have ended the room).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.harness import Contest, Report, Row, Served, TimedSql, per_op, ratio, served
from benchmarks.twilio_sdk import CountingHttpClient
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant
from twilio.rest import Client

from anyvideo import ParticipantStatus, RoomStatus, Video
from anyvideo_twilio import tokens

SECTION = "twilio"
#: Rounds and operations per round of each contest (the first round warms up): many short
#: rounds, so that both sides of a ratio ran within milliseconds of each other.
ROUNDS, PER_ROUND = 25, 4
#: Participants per room when joining many (a group room takes 50).
ROOM_SEATS = 40


@pytest.fixture(scope="module")
def twilio() -> Iterator[Served]:
    with served("twilio") as running:
        yield running


@pytest.fixture(scope="module")
def video(twilio: Served) -> Iterator[Video]:
    with twilio.connect() as connected:
        yield connected


@pytest.fixture(scope="module")
def sdk(twilio: Served) -> tuple[Client, CountingHttpClient]:
    environ = twilio.environ
    http = CountingHttpClient()
    client = Client(
        environ["TWILIO_API_KEY_SID"], environ["TWILIO_API_KEY_SECRET"], environ["TWILIO_ACCOUNT_SID"], http_client=http
    )
    client.video.base_url = environ["TWILIO_VIDEO_BASE_URL"]
    return client, http


class _Counted:
    """``work`` that also records how many requests each call sent."""

    def __init__(self, sent: Callable[[], int], work: Callable[[int], object]) -> None:
        self._sent, self._work = sent, work
        #: The numbers of requests a call sent (one number when every call sent the same).
        self.counts: set[int] = set()

    def __call__(self, i: int) -> object:
        before = self._sent()
        result = self._work(i)
        self.counts.add(self._sent() - before)
        return result


def _contest(
    report: Report,
    goal: str,
    video: Video,
    http: CountingHttpClient,
    ours: Callable[[int], object],
    theirs: Callable[[int], object],
    *,
    target: float = 1.05,
    rounds: int = ROUNDS,
    per_round: int = PER_ROUND,
    why: str = "what anyvideo does around the request: the facade's checks, the retry and deadline layer, "
    "the translation to a core model",
) -> None:
    """One operation, anyvideo against the SDK; asserts both sent the same requests per call.
    ``why`` says what the rest is, for the note of a missed target."""
    registry = video.backend.registry
    sql = registry._db if isinstance(registry._db, TimedSql) else TimedSql.install(registry)
    sql.reset()
    counted_ours = _Counted(lambda: video.backend.requests_sent, ours)
    counted_theirs = _Counted(lambda: http.sent, theirs)
    contest = Contest(rounds=rounds, per_round=per_round)
    contest.add("anyvideo", sql.per(counted_ours))
    contest.add("sdk", counted_theirs)
    results = contest.run()
    sent_ours, sent_theirs = counted_ours.counts, counted_theirs.counts
    assert sent_ours == sent_theirs, f"{goal}: anyvideo sent {sent_ours} requests a call, the SDK {sent_theirs}"
    found = ratio(results, "anyvideo", "sdk")
    note = ""
    if found > target:
        gap = results["anyvideo"].median - results["sdk"].median
        note = (
            f"{found / target - 1:.0%} over the target (paired ratio, median of {rounds} rounds); "
            f"the same requests each way, so the rest is {why} (of the {gap * 1e3:.3g} ms difference, "
            f"{sql.describe()})"
        )
    report.add(
        SECTION,
        Row(goal, per_op(results["anyvideo"]), per_op(results["sdk"]), found, target, note=note),
    )


def test_rooms(report: Report, video: Video, sdk: tuple[Client, CountingHttpClient]) -> None:
    client, http = sdk
    v1 = client.video.v1
    page = video.backend.page_size
    for i in range(20):  # something to get and list
        video.rooms.create(f"listed-{i}")
    listed = video.rooms.create("got")

    _contest(
        report,
        "Twilio: create a room (vs `rooms.create`)",
        video,
        http,
        lambda i: video.rooms.create(f"a-{i}"),
        lambda i: v1.rooms.create(unique_name=f"s-{i}", type="group"),  # anyvideo names the type
        why="the room filed in the registry (one SQLite commit of the registry's file, which the emulator's "
        "export lines name: its locks, six fcntl calls, and its pages written to the WAL, seven pwrite calls), "
        "then the facade's checks, the retry and deadline layer (its read timeout, which the SDK does not set, "
        "has each read of the answer wait in poll()), the translation. Profiled in process (callgrind), the "
        "calling thread runs 8% more instructions than the SDK's (330k on 4.1M), a sixth of them SQLite's",
    )
    _contest(
        report,
        "Twilio: get a room (vs `rooms(sid).fetch`)",
        video,
        http,
        lambda i: video.rooms.get(listed.id),
        lambda i: v1.rooms(listed.id).fetch(),
    )
    ended = iter([video.rooms.create(f"end-{i}").id for i in range(2 * (ROUNDS + 1) * PER_ROUND)])
    _contest(
        report,
        "Twilio: end a room (vs `rooms(sid).update(status='completed')`)",
        video,
        http,
        lambda i: video.rooms.end(next(ended)),
        lambda i: v1.rooms(next(ended)).update(status="completed"),
        why="the end filed in the registry (one SQLite commit of the registry's file: tokens for the room are "
        "refused in every process sharing it) and the windows waiting for it looked up",
    )
    # the rooms in progress now: the listed ones, those created above (a page or more)
    _contest(
        report,
        "Twilio: list rooms in progress (vs `rooms.list(status='in-progress')`)",
        video,
        http,
        lambda i: list(video.rooms.list(status=RoomStatus.OPEN)),
        lambda i: v1.rooms.list(status="in-progress", page_size=page),
        per_round=1,
    )


def test_participants_and_streams(
    report: Report, twilio: Served, video: Video, sdk: tuple[Client, CountingHttpClient]
) -> None:
    client, http = sdk
    v1 = client.video.v1
    page = video.backend.page_size
    devices = video.backend.browser()  # the emulator's control API, as Twilio clients publish
    room = video.rooms.create("meeting")
    people = [devices.join(video.tokens.create(room, f"p{i}")) for i in range(10)]
    for person in people:
        person.publish()  # an audio and a video track each
    someone = people[0].participant_id

    _contest(
        report,
        "Twilio: list participants (vs `participants.list(status='connected')` + `'reconnecting'`)",
        video,
        http,
        lambda i: list(video.participants.list(room, status=ParticipantStatus.CONNECTED)),
        lambda i: [
            *v1.rooms(room.id).participants.list(status="connected", page_size=page),
            *v1.rooms(room.id).participants.list(status="reconnecting", page_size=page),
        ],
    )
    _contest(
        report,
        "Twilio: get a participant (vs `participants(sid).fetch`)",
        video,
        http,
        lambda i: video.participants.get(room, someone),
        lambda i: v1.rooms(room.id).participants(someone).fetch(),
    )

    def sdk_streams(i: int) -> list[Any]:
        participants = v1.rooms(room.id).participants
        connected = [
            *participants.list(status="connected", page_size=page),
            *participants.list(status="reconnecting", page_size=page),
        ]
        return [track for p in connected for track in participants(p.sid).published_tracks.list(page_size=page)]

    _contest(
        report,
        "Twilio: list streams (vs the participants' `published_tracks.list`)",
        video,
        http,
        lambda i: list(video.streams.list(room)),
        sdk_streams,
        per_round=1,
    )

    needed = 2 * (ROUNDS + 1) * PER_ROUND
    seats = []
    for first in range(0, needed, ROOM_SEATS):
        crowded = video.rooms.create(f"crowded-{first}")
        seats += [
            (crowded.id, devices.join(video.tokens.create(crowded, f"c{i}")).participant_id)
            for i in range(first, min(first + ROOM_SEATS, needed))
        ]
    leaving = iter(seats)

    def sdk_disconnect(i: int) -> None:
        room_sid, participant_sid = next(leaving)
        v1.rooms(room_sid).participants(participant_sid).update(status="disconnected")

    _contest(
        report,
        "Twilio: disconnect a participant (vs `participants(sid).update(status='disconnected')`)",
        video,
        http,
        lambda i: video.participants.disconnect(*next(leaving)),
        sdk_disconnect,
    )


def test_tokens(
    report: Report, twilio: Served, video: Video, sdk: tuple[Client, CountingHttpClient], tmp_path: Path
) -> None:
    _, http = sdk
    environ = twilio.environ
    account, key, secret = (
        environ["TWILIO_ACCOUNT_SID"],
        environ["TWILIO_API_KEY_SID"],
        environ["TWILIO_API_KEY_SECRET"],
    )
    room = video.rooms.create("tokens")

    def sdk_token(i: int) -> str:
        token = AccessToken(account, key, secret, identity="ann", ttl=3600)
        token.add_grant(VideoGrant(room=room.id))
        return str(token.to_jwt())

    many = {"rounds": 41, "per_round": 50}
    _contest(
        report,
        "Twilio: client token (vs `AccessToken.to_jwt()`)",
        video,
        http,
        lambda i: video.tokens.create(room, "ann"),
        sdk_token,
        target=1.5,
        why="the facade's checks of the token's spec, and the result's model",
        **many,
    )
    _contest(
        report,
        "Twilio: `tokens.mint` alone (vs `AccessToken.to_jwt()`)",
        video,
        http,
        lambda i: tokens.mint(account, (key, secret), room=room.id, identity="ann", ttl=3600),
        sdk_token,
        target=1.1,
        why="the returned AccessToken model (its expiry checked) and the random suffix that keeps "
        "two tokens of one second distinct",
        **many,
    )
    with twilio.connect(registry=str(tmp_path / "registry.sqlite")) as shared:
        shared_room = shared.rooms.create("tokens")
        _contest(
            report,
            "Twilio: client token, registry in a file (vs `AccessToken.to_jwt()`)",
            shared,
            http,
            lambda i: shared.tokens.create(shared_room, "ann"),
            sdk_token,
            target=1.5,
            why="one SQLite read per token: whether another process sharing the registry ended the room",
            **many,
        )
