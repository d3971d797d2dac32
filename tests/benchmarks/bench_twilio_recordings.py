"""Twilio recording windows and status callbacks against the ``twilio`` SDK doing the provider work.

Run on demand (the default test run does not collect it):

    PYTHONPATH=core:backends:tests python -m pytest tests/benchmarks/bench_twilio_recordings.py -s -p no:randomly

The Twilio emulator runs in a process of its own (:func:`~benchmarks.harness.served`);
the SDK is a ``twilio.rest.Client`` with its own (counting) HTTP client pointed at it
with the same API key. Contenders are interleaved round by round
(:class:`~benchmarks.harness.Contest`), ratios are medians of per-round ratios.

- **start+stop**: ``recordings.stop(recordings.start(room))`` on a room where one
  participant publishes a microphone, against the SDK's two rule updates
  (``include all`` then ``exclude all``) on a room of its own like it. Requests are
  counted on both sides and asserted (2 against 2: anyvideo made the room, so it knows
  its rules and does not read them; the stop leaves the window's tracks to its first read).
- **reading windows at two activity sizes**: a room's first window, once 1 and once
  50 more windows recorded after it (a track each), read with ``recordings.get``
  against the SDK fetching the window's two track recordings, and listed with
  ``recordings.list(room=…)`` against the SDK listing the room's track recordings
  (same page size, one page). The requests a ``get`` sends are asserted the same
  (none: its tracks were filed by its first read) at both sizes, and the listing's equal
  to the SDK's.
- **status callbacks**, in process, no server: ``recording-completed`` of a window's
  last track (delivered again and again: the callback that announced the window's
  ``recording.available`` announces it again, so the window's recording is built each
  time), of its other track (the outcome is another callback's: no recording built), and
  ``participant-connected``, signed as Twilio signs, parsed by ``video.webhooks.parse``
  against the bare ``RequestValidator.validate`` of the same requests; asserted to send
  no request and to give the same events each time.
- **listing memory**: ``recordings.list(room=…)`` of a room with 100 and then 1k track
  recordings (seeded through a running room: one participant publishing and unpublishing,
  the room recording everything), 1 to a page, with ``tracemalloc``'s peak during the listing (this
  process only: the emulator runs in its own); the listing is asserted to give every
  recording. The standard library caches the last URLs it split and quoted on the way of
  each request (``urllib.parse.urlsplit`` keeps 128), and a listing's page URLs replace
  what they hold: allocated while the listing runs, freed only as later URLs push them out.
  So each listing starts with the caches full of other URLs (``requests`` preparing as many
  other requests, unsent), as in an application that made other requests before, and both
  walk more pages than the caches hold (100 and 1,000): with fewer, the ratio would measure
  how full the caches got, not what grows with the listing. Each room is listed once
  before it is measured, as in a running application. One measured run each (memory is not
  noisy as time is).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
import requests
from benchmarks.harness import Contest, Report, Row, Served, per_op, ratio, served
from benchmarks.twilio_sdk import CountingHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

import anyvideo
from anyvideo import StreamKind, Video
from anyvideo.testing import EmulatorControl

SECTION = "twilio recordings"
ROUNDS = 9
LATER = (1, 50)
INCLUDE_ALL, EXCLUDE_ALL = [{"type": "include", "all": True}], [{"type": "exclude", "all": True}]


@pytest.fixture(scope="module")
def twilio() -> Iterator[Served]:
    with served("twilio") as running:
        yield running


@pytest.fixture(scope="module")
def video(twilio: Served) -> Iterator[Video]:
    with twilio.connect(page_size=100) as connected:
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


def control(twilio: Served) -> EmulatorControl:
    """The emulator's control API (joins, publishing, its clock)."""
    return EmulatorControl(twilio.base_url, ca_bundle=twilio.environ.get("REQUESTS_CA_BUNDLE"))


def counted(sent: Callable[[], int], work: Callable[[], object]) -> int:
    before = sent()
    work()
    return sent() - before


def test_start_and_stop(twilio: Served, video: Video, sdk: tuple[Client, CountingHttpClient], report: Report) -> None:
    client, http = sdk
    ours, theirs = video.rooms.create("ours"), video.rooms.create("theirs")
    for room in (ours, theirs):
        control(twilio).join(video.tokens.create(room, "ann")).publish(StreamKind.AUDIO)
    rules = client.video.v1.rooms(theirs.id).recording_rules
    ours_sent = lambda: video.backend.requests_sent  # type: ignore[attr-defined]  # noqa: E731
    assert counted(ours_sent, lambda: video.recordings.stop(video.recordings.start(ours))) == 2
    assert counted(lambda: http.sent, lambda: (rules.update(rules=INCLUDE_ALL), rules.update(rules=EXCLUDE_ALL))) == 2
    contest = Contest(rounds=ROUNDS, per_round=5)
    contest.add("anyvideo", lambda i: video.recordings.stop(video.recordings.start(ours)))
    contest.add("sdk", lambda i: (rules.update(rules=INCLUDE_ALL), rules.update(rules=EXCLUDE_ALL)))
    results = contest.run()
    measured = ratio(results, "anyvideo", "sdk")
    report.add(
        SECTION,
        Row(
            "Twilio recording start+stop (vs the SDK's two rule updates)",
            per_op(results["anyvideo"]),
            per_op(results["sdk"]),
            measured,
            1.2,
            note=(
                f"{measured:.2f}×: 2 requests against 2; the rest is the registry, four writes (the room's claim "
                "and the window filed; the window closed and the room's rules), each a SQLite commit of the "
                "registry's file, and building the two Recordings"
            )
            if measured > 1.2
            else "",
        ),
    )


def recorded_room(twilio: Served, video: Video, later: int) -> tuple[str, str, list[str]]:
    """A room whose first window has two settled tracks, with ``later`` windows of a track each after it."""
    room = video.rooms.create(f"busy-{later}")
    ann = control(twilio).join(video.tokens.create(room, "ann"))
    tracks = [ann.publish(StreamKind.AUDIO), ann.publish(StreamKind.VIDEO)]
    first = video.recordings.stop(video.recordings.start(room, mode="individual")).id
    for _ in range(later):
        control(twilio).advance(1)  # Twilio dates in whole seconds: each window a second of its own
        for track in tracks:
            ann.unpublish(track)
        tracks = [ann.publish(StreamKind.AUDIO)]
        video.recordings.stop(video.recordings.start(room, mode="individual"))
    control(twilio).advance(3)  # every track processed
    got = video.recordings.get(first)  # files what the stop found still processing
    assert got.status is anyvideo.RecordingStatus.AVAILABLE
    return room.id, first, got.raw["window"]["tracks"]


def test_reading_windows_stays_flat(
    twilio: Served, video: Video, sdk: tuple[Client, CountingHttpClient], report: Report
) -> None:
    client, http = sdk
    v1 = client.video.v1
    ours_sent = lambda: video.backend.requests_sent  # type: ignore[attr-defined]  # noqa: E731
    contest = Contest(rounds=ROUNDS, per_round=10)
    for later in LATER:
        room_sid, first, tracks = recorded_room(twilio, video, later)
        assert counted(ours_sent, lambda first=first: video.recordings.get(first)) == 0
        assert counted(lambda: http.sent, lambda tracks=tracks: [v1.recordings(t).fetch() for t in tracks]) == 2
        listed = counted(ours_sent, lambda room_sid=room_sid: list(video.recordings.list(room=room_sid)))
        sdk_listed = counted(
            lambda: http.sent, lambda room_sid=room_sid: v1.rooms(room_sid).recordings.list(page_size=100)
        )
        assert listed == sdk_listed == 1
        contest.add(f"get {later}", lambda i, first=first: video.recordings.get(first))
        contest.add(f"sdk get {later}", lambda i, tracks=tracks: [v1.recordings(t).fetch() for t in tracks])
        contest.add(f"list {later}", lambda i, room_sid=room_sid: list(video.recordings.list(room=room_sid)))
        contest.add(f"sdk list {later}", lambda i, room_sid=room_sid: v1.rooms(room_sid).recordings.list(page_size=100))
    results = contest.run()
    small, large = LATER
    for what, sdk_work in [("get", "fetching its 2 track recordings"), ("list", "listing the room's track recordings")]:
        for later in LATER:
            report.add(
                SECTION,
                Row(
                    f"Twilio `recordings.{what}` of a room's first window, {later} windows after it "
                    f"(vs the SDK {sdk_work})",
                    per_op(results[f"{what} {later}"]),
                    per_op(results[f"sdk {what} {later}"]),
                    ratio(results, f"{what} {later}", f"sdk {what} {later}"),
                    1.05 if what == "get" else 1.5,
                    note="the listing turns each of the room's track recordings into its window (a registry "
                    "lookup each) and the room's windows into recordings: work proportional to the page, "
                    "not more requests"
                    if what == "list"
                    else "",
                ),
            )
        report.add(
            SECTION,
            Row(
                f"Twilio `recordings.{what}` of the first window: {large} windows after it vs {small}",
                per_op(results[f"{what} {large}"]),
                per_op(results[f"{what} {small}"]),
                ratio(results, f"{what} {large}", f"{what} {small}"),
                1.2 if what == "get" else float(large + 3) / (small + 3),
                note=""
                if what == "get"
                else "the room's listing holds each window's tracks: it grows with them, "
                "the requests it sends with its pages only (asserted: one page, as the SDK's)",
            ),
        )


TOKEN = "b" * 32
ACCOUNT = "AC" + "a" * 32
URL = "https://app.example.com/twilio"
#: The track of the benchmark's window that completed first.
OTHER_TRACK = "RT" + "3" * 32


def signed(params: dict[str, str]) -> tuple[str, dict[str, str], str]:
    body = urlencode(params)
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    return URL, {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}, body


def callback_backend() -> tuple[Video, dict[str, str]]:
    """anyvideo with a stopped window of two tracks filed in its registry (one completed,
    one processing): what a window's tracks' callbacks meet. No server: nothing may be asked."""
    video = anyvideo.connect(
        "twilio",
        environ={},
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        base_url="http://127.0.0.1:9",  # nothing listens: a request would fail the benchmark
    )
    room, window = "RM" + "1" * 32, "win_" + "2" * 24
    tracks = [OTHER_TRACK, "RT" + "4" * 32]
    registry = video.backend.registry  # type: ignore[attr-defined]
    seen = {
        sid: {"sid": sid, "status": status, "type": "audio", "grouping_sids": {"room_sid": room}}
        for sid, status in zip(tracks, ("completed", "processing"), strict=True)
    }
    registry.put(
        "window",
        window,
        {
            "room_sid": room,
            "mode": "individual",
            "started_at": "2026-01-01T00:00:00+00:00",
            "stopped_at": "2026-01-01T00:01:00+00:00",
            "name": None,
            "layout": None,
            "resolution": None,
            "format": "mp4",
            "has_audio": True,
            "has_video": True,
            "tracks": tracks,
            "composition": None,
            "deleted": False,
            "open": False,
            "seen": seen,
            "composed": None,
        },
    )
    for sid in tracks:
        registry.put("track", sid, {"window": window, "room_sid": room})
    params = {
        "AccountSid": ACCOUNT,
        "RoomSid": room,
        "RoomName": "weekly",
        "RoomType": "group",
        "StatusCallbackEvent": "recording-completed",
        "RecordingSid": tracks[1],
        "ParticipantSid": "PA" + "5" * 32,
        "SourceSid": "MT" + "6" * 32,
        "TrackName": "mic",
        "Type": "audio",
        "Container": "mka",
        "Codec": "opus",
        "Duration": "60",
        "Size": "123456",
        "MediaUri": f"/v1/Recordings/{tracks[1]}/Media",
        "RecordingUri": f"/v1/Recordings/{tracks[1]}",
    }
    return video, params


def test_status_callbacks(report: Report) -> None:
    video, completed = callback_backend()
    connected = {
        "AccountSid": ACCOUNT,
        "RoomSid": completed["RoomSid"],
        "RoomName": "weekly",
        "RoomStatus": "in-progress",
        "RoomType": "group",
        "StatusCallbackEvent": "participant-connected",
        "SequenceNumber": "3",
        "ParticipantSid": "PA" + "5" * 32,
        "ParticipantIdentity": "ann",
        "ParticipantStatus": "connected",
    }
    other = {**completed, "RecordingSid": OTHER_TRACK, "MediaUri": f"/v1/Recordings/{OTHER_TRACK}/Media"}
    other["RecordingUri"] = f"/v1/Recordings/{OTHER_TRACK}"
    validator = RequestValidator(TOKEN)
    contest = Contest(rounds=ROUNDS, per_round=300)
    cases = {
        "recording-completed": (completed, ["twilio.track_recording_completed", "recording.available"]),
        "recording-completed of another track": (other, ["twilio.track_recording_completed"]),
        "participant-connected": (connected, ["participant.joined"]),
    }
    for name, (params, expected) in cases.items():
        url, headers, body = signed(params)
        for _ in range(2):  # the first delivery files the track; a later one finds it filed, and announces alike
            assert [e.type for e in video.webhooks.parse("POST", url, headers, body)] == expected
        assert video.backend.requests_sent == 0  # type: ignore[attr-defined]
        signature = headers["X-Twilio-Signature"]
        contest.add(name, lambda i, a=(url, headers, body): video.webhooks.parse("POST", *a))
        contest.add(f"validate {name}", lambda i, p=params, s=signature: validator.validate(URL, p, s))
    results = contest.run()
    assert video.backend.requests_sent == 0  # type: ignore[attr-defined]
    for name in cases:
        measured = ratio(results, name, f"validate {name}")
        report.add(
            SECTION,
            Row(
                f"Twilio `{name}` callback: parse + verify + normalise (vs `RequestValidator.validate`)",
                per_op(results[name]),
                per_op(results[f"validate {name}"]),
                measured,
                1.5,
                note=f"{measured:.2f}×: verifying is about an eighth of it (the form decoded, one HMAC "
                "against the SDK's two); the rest is one registry read of the track's window (decoding its "
                "tracks), one of the window's announcement (no write: it is claimed), and the events: the "
                "track's recording and, announced again by this callback, the window's recording with its files"
                if measured > 1.5
                else "",
            ),
        )
    video.close()


#: Seeding runs through the control API, a publish and an unpublish per recording (tens of
#: milliseconds each on a shared 2-core machine): 1k and 20k would take most of an hour.
LISTED = (100, 1_000)
#: Both listings walk more pages (100 and 1,000) than the standard library's URL caches hold (see the
#: module's docstring): what is compared is what grows with the listing, not those caches filling up.
LISTING_PAGE = 1
#: The most URLs the standard library's caches on the way of a request keep (``urlsplit``'s).
URLS_CACHED = 128


def seeded_room(twilio: Served, video: Video, count: int) -> str:
    """A room whose ``count`` track recordings are recorded by its own rules (no window)."""
    room = video.rooms.create(f"many-{count}", provider_options={"record_participants_on_connect": True})
    ann = control(twilio).join(video.tokens.create(room, "ann"))
    for _ in range(count):
        ann.unpublish(ann.publish(StreamKind.AUDIO))
    return room.id


def listing_peak(video: Video, room_sid: str) -> tuple[int, int]:
    """How many recordings ``recordings.list(room=…)`` gives, and the peak bytes allocated meanwhile,
    the URL caches full of other URLs first (see the module's docstring)."""
    for i in range(2 * URLS_CACHED):
        requests.Request("GET", f"https://elsewhere.invalid/page?n={i}").prepare()
    tracemalloc.start()
    try:
        listed = sum(1 for _ in video.recordings.list(room=room_sid))
        return listed, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_listing_memory_stays_flat(twilio: Served, report: Report) -> None:
    peaks = {}
    with twilio.connect(page_size=LISTING_PAGE) as video:
        rooms = {count: seeded_room(twilio, video, count) for count in LISTED}
        for room_sid in rooms.values():  # warm: the process's bounded caches filled, as in a running app
            listing_peak(video, room_sid)
        for count, room_sid in rooms.items():
            listed, peaks[count] = listing_peak(video, room_sid)
            assert listed == count
    small, large = LISTED
    measured = peaks[large] / peaks[small]
    report.add(
        SECTION,
        Row(
            f"Twilio `recordings.list` peak allocations: {large} recordings vs {small}",
            f"{peaks[large] / 1024:.0f} KiB",
            f"{peaks[small] / 1024:.0f} KiB",
            measured,
            1.2,
            note=f"{measured:.2f}× at {small // LISTING_PAGE} against {large // LISTING_PAGE} pages (seeding 20k "
            "through the control API takes too long): what the listing holds does not grow from page to page "
            "(one page's JSON, and the standard library's bounded cache of split URLs, full in both)"
            if measured > 1.2
            else "",
        ),
    )
