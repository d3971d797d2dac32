"""Export throughput against a plain parallel download of the same files, on each emulator.

Run on demand (the default test run does not collect it):

    PYTHONPATH=core:backends:tests python -m pytest tests/benchmarks/bench_export.py -s -p no:randomly

Each provider's emulator runs in a process of its own (``served``), seeded with
``ASSETS`` recordings of about ``SECONDS`` kB each. Two contenders, interleaved round by
round with the order rotating (``Contest``), each with ``WORKERS`` threads:

- **export**: ``export_assets`` of the recordings into a new folder, as a user
  runs it: the listing, then each file downloaded, hashed against the
  provider's size and sha256, stored under a temporary name and renamed,
  ``raw.json`` and ``asset.json`` written, the journal appended, and the fsyncs
  of its commit points (the last one before it returns);
- **plain download**: ``requests`` GETs of each file's media URL (as the
  provider gives it in the listing, read before the clock starts: the signed
  archive URL on Vonage, the ``/Media`` link on Twilio, whose redirect
  ``requests`` follows), one session per thread, each body written to a file,
  and nothing else.

``LATENCY`` seconds are added to every HTTP request of both, in this process
(:class:`~benchmarks.harness.Network`), as a round trip to the provider would:
the emulators' own latency faults leave out the Vonage emulator's download
path, so they would delay one side more than the other. The ratio is the
median over rounds of the plain download's time over the export's, in the same
round: the export's share of the plain download's throughput. The benchmark
checks that both sides stored the same bytes, and counts their requests: the
export makes the plain download's requests plus its listing's pages, nothing
per asset beyond the media. It also prints the CPU this process spent per
asset on each side, which is what a missed goal's note explains the gap by.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from benchmarks.harness import Contest, Network, Report, Row, Served, ms, per_op, ratio, served

from anyvideo import Video
from anyvideo.migrate.destinations import FolderDestination
from anyvideo.migrate.export import export_assets
from anyvideo.models import StreamKind

ASSETS = 192
SECONDS = 150  # of recording: the simulated media grows about 1 kB per second
ROOMS = 16
WORKERS = 8
#: Seconds added to every request, as a round trip to the provider.
LATENCY = 0.05
ROUNDS = 5
TARGET = 0.9


def _seed(video: Video, served_: Served, room: Callable[[Video, Any], Callable[[], Callable[[], None]]]) -> None:
    """ROOMS rooms, each recording in turn: start everywhere, let SECONDS pass, stop everywhere."""
    browser = video.backend.browser()
    with ThreadPoolExecutor(ROOMS) as pool:
        rooms = list(pool.map(lambda _: room(video, browser), range(ROOMS)))
        for _ in range(ASSETS // ROOMS):
            stops = list(pool.map(lambda start: start(), rooms))
            served_.control.advance(SECONDS)
            list(pool.map(lambda stop: stop(), stops))
    served_.control.advance(60)


def _vonage_room(video: Video, browser: Any) -> Callable[[], Callable[[], None]]:
    room = video.rooms.create()
    browser.join(video.tokens.create(room, "ann")).publish()

    def start() -> Callable[[], None]:
        recording = video.recordings.start(room)
        return lambda: video.recordings.stop(recording)

    return start


def _twilio_room(video: Video, browser: Any) -> Callable[[], Callable[[], None]]:
    room = video.rooms.create(provider_options={"record_participants_on_connect": True})
    ann = browser.join(video.tokens.create(room, "ann"))

    def start() -> Callable[[], None]:
        track = ann.publish(StreamKind.AUDIO)  # the room's rules start a track recording
        return lambda: ann.unpublish(track)

    return start


PROVIDERS = {
    # provider: (seed one room, the media URL in a listed recording's payload, credentials for it)
    "vonage": (_vonage_room, lambda raw: raw["url"], lambda environ: None),
    "twilio": (
        _twilio_room,
        lambda raw: raw["links"]["media"],
        lambda environ: (environ["TWILIO_API_KEY_SID"], environ["TWILIO_API_KEY_SECRET"]),
    ),
}


def _plain_download(urls: list[str], folder: Path, auth: tuple[str, str] | None) -> None:
    folder.mkdir(parents=True)
    local = threading.local()

    def fetch(item: tuple[int, str]) -> None:
        index, url = item
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.auth = auth
        answer = session.get(url, timeout=60)
        answer.raise_for_status()
        (folder / f"{index}.bin").write_bytes(answer.content)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(fetch, enumerate(urls)))


def _digests(files: list[Path]) -> list[str]:
    return sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in files)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_export_throughput(provider: str, report: Report, tmp_path: Path) -> None:
    seed_room, media_url, auth_of = PROVIDERS[provider]
    with served(provider, processing_delay=0) as emulator, emulator.connect() as video:
        _seed(video, emulator, seed_room)
        listed = list(video.recordings.list())
        assert len(listed) == ASSETS and all(r.files for r in listed)
        urls = [media_url(r.raw) for r in listed]
        auth = auth_of(emulator.environ)
        made: dict[str, list[Path]] = {"export": [], "plain download": []}
        requests_made: dict[str, list[int]] = {"export": [], "plain download": []}
        cpu: dict[str, list[float]] = {"export": [], "plain download": []}  # this process's, per asset

        with Network(LATENCY) as network:

            def counted(name: str, work: Callable[[Path], object]) -> Callable[[int], None]:
                def run(i: int) -> None:
                    folder = tmp_path / f"{name}-{i}"
                    before, times = network.requests, os.times()
                    work(folder)
                    after = os.times()
                    requests_made[name].append(network.requests - before)
                    cpu[name].append((after.user + after.system - times.user - times.system) / ASSETS)
                    made[name].append(folder)

                return run

            def export(folder: Path) -> None:
                done = export_assets(video, FolderDestination(folder), workers=WORKERS, kinds=("recordings",))
                assert len(done.exported) == ASSETS and done.complete

            contest = Contest(rounds=ROUNDS, per_round=1, warmup=1)
            contest.add("export", counted("export", export))
            contest.add("plain download", counted("plain download", lambda f: _plain_download(urls, f, auth)))
            results = contest.run()

    # Both sides stored the same media, and the export asked for nothing per asset beyond it.
    exported = sorted(p for p in made["export"][-1].rglob("*") if p.is_file() and p.suffix not in (".json", ".jsonl"))
    assert _digests(exported) == _digests(sorted(made["plain download"][-1].iterdir()))
    (plain_requests,) = set(requests_made["plain download"])
    (listing,) = {n - plain_requests for n in requests_made["export"]}
    assert 1 <= listing <= ASSETS // 50 + 2, requests_made  # the listing's pages
    for folder in made["export"] + made["plain download"]:
        shutil.rmtree(folder)

    plain_over_export = 1 / ratio(results, "export", "plain download")
    ours, theirs = statistics.median(cpu["export"]), statistics.median(cpu["plain download"])
    print(f"\n  {provider}: CPU of this process per asset: export {ms(ours)}, plain download {ms(theirs)}")
    note = ""
    if plain_over_export < TARGET:
        note = (
            f"{TARGET - plain_over_export:.2f} short of {TARGET}. The export made the plain download's requests plus "
            f"{listing} for the listing (those before its first item are not overlapped with the copy). Per asset it "
            f"also hashes the file, writes raw.json and asset.json beside it and three journal lines, and its commit "
            f"points fsync them (the writeback is charged to it): {ms(ours)} of CPU per asset in this process against "
            f"{ms(theirs)} for the plain download; with the emulator on the same cores, when they are busy, that "
            f"CPU is time."
        )
    row = Row(
        f"export throughput, {provider} ({ASSETS} × {SECONDS} kB, {WORKERS} workers, {LATENCY * 1000:.0f} ms each)",
        per_op(results["export"]),
        per_op(results["plain download"]),
        plain_over_export,
        TARGET,
        lower_is_better=False,
        note=note,
    )
    report.add("export", row)
