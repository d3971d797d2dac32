"""Export throughput on the emulators, next to a plain parallel download of the same media with ``requests``.

Run on demand (the default test run does not collect it):

    pytest tests/benchmarks/bench_export.py -s

For each provider's emulator: seed ``ASSETS`` recordings of about 300 kB each,
then time

- ``anyvideo export`` (:func:`export_assets` to a folder) with 1 and with 8 workers:
  listing, then per asset the facade's ``iter_bytes`` (which fetches the asset, then
  its media), the media written to a temporary file, fsynced, checked against the
  provider's size and sha256 and renamed, ``raw.json`` and ``asset.json`` written,
  three journal lines (started, file, complete) fsynced;
- a plain download of the same media URLs (taken from the listing, before the clock
  starts) with one ``requests.Session`` per thread, 1 and 8 threads, each body
  written to a file: no listing, no metadata, no checks, no journal.

Each is measured twice: as is (the emulator runs in this process, so on a small
machine the server's own work bounds both), and with 50 ms added to every provider
request (a network round trip), where the worker pool has something to overlap.
The printed ratio is the export's throughput over the plain download's, measured
in the same run, so it holds on any machine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

import anyvideo
from anyvideo import Video
from anyvideo.migrate.destinations import FolderDestination
from anyvideo.migrate.export import export_assets
from anyvideo.models import StreamKind
from anyvideo.testing.faults import Fault

ASSETS = 96
SECONDS = 300  # of recording: the simulated media grows 1 kB per second
ROOMS = 8
#: Seconds added to every provider request in the second round, as a network round trip would.
LATENCY = 0.05


def _seed(video: Video, control, record: Callable[[Video, object], Callable[[], None]]) -> None:
    """ROOMS rooms, each recording in turn: start everywhere, let SECONDS pass, stop everywhere."""
    browser = video.backend.browser()
    rooms = [record(video, browser) for _ in range(ROOMS)]
    for _ in range(ASSETS // ROOMS):
        stops = [start() for start in rooms]
        control.advance(SECONDS)
        for stop in stops:
            stop()
    control.advance(60)


def _vonage_room(video: Video, browser) -> Callable[[], Callable[[], None]]:
    room = video.rooms.create()
    browser.join(video.tokens.create(room, "ann")).publish()

    def start() -> Callable[[], None]:
        recording = video.recordings.start(room)
        return lambda: video.recordings.stop(recording)

    return start


def _twilio_room(video: Video, browser) -> Callable[[], Callable[[], None]]:
    room = video.rooms.create(provider_options={"record_participants_on_connect": True})
    ann = browser.join(video.tokens.create(room, "ann"))

    def start() -> Callable[[], None]:
        track = ann.publish(StreamKind.AUDIO)  # the room's rules start a track recording
        return lambda: ann.unpublish(track)

    return start


def _plain_download(urls: list[str], folder: Path, threads: int, auth: tuple[str, str] | None) -> tuple[float, int]:
    folder.mkdir(parents=True)
    local = threading.local()
    total = 0
    lock = threading.Lock()

    def fetch(item: tuple[int, str]) -> None:
        nonlocal total
        index, url = item
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.auth = auth
        answer = session.get(url, timeout=60)
        answer.raise_for_status()
        (folder / f"{index}.bin").write_bytes(answer.content)
        with lock:
            total += len(answer.content)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, enumerate(urls)))
    return time.perf_counter() - started, total


def _measure(name: str, emulator, video: Video, urls: list[str], auth: tuple[str, str] | None, tmp_path: Path) -> None:
    for latency in (0.0, LATENCY):
        emulator.faults.clear()
        if latency:
            emulator.faults.add(Fault(latency=latency))
        _table(f"{name}, {latency * 1000:.0f} ms added to each request", video, urls, auth, tmp_path / f"{latency}")
    emulator.faults.clear()


def _table(title: str, video: Video, urls: list[str], auth: tuple[str, str] | None, tmp_path: Path) -> None:
    rows = []
    for workers in (1, 8):
        report = export_assets(video, FolderDestination(tmp_path / f"export-{workers}"), workers=workers)
        assert len(report.exported) == ASSETS and report.complete
        seconds, size = _plain_download(urls, tmp_path / f"plain-{workers}", workers, auth)
        assert size == report.bytes
        rows.append((workers, report.seconds, seconds, report.bytes))
    print(f"\n{title}: {ASSETS} recordings, {rows[0][3] / 1e6:.1f} MB")
    print("  workers  export s  assets/s   MB/s   requests s  assets/s   MB/s   export/requests")
    for workers, export_s, plain_s, size in rows:
        print(
            f"  {workers:7d}  {export_s:8.2f}  {ASSETS / export_s:8.1f}  {size / export_s / 1e6:5.2f}"
            f"   {plain_s:10.2f}  {ASSETS / plain_s:8.1f}  {size / plain_s / 1e6:5.2f}"
            f"   {plain_s / export_s:15.2f}x"
        )


def test_export_throughput_on_the_vonage_emulator(vonage_emulator, tmp_path):
    pytest.importorskip("anyvideo_vonage")
    credentials = vonage_emulator.credentials
    with anyvideo.connect(
        "vonage",
        environ={},
        application_id=credentials["application_id"],
        private_key=credentials["private_key"],
        video_host=urlsplit(vonage_emulator.base_url).netloc,
    ) as video:
        _seed(video, vonage_emulator.control, _vonage_room)
        urls = [r.raw["url"] for r in video.recordings.list()]  # signed media URLs, no credentials needed
        assert os.environ["REQUESTS_CA_BUNDLE"]  # the fixture makes requests trust the emulator
        _measure("vonage", vonage_emulator, video, urls, None, tmp_path)


def test_export_throughput_on_the_twilio_emulator(twilio_emulator, tmp_path):
    pytest.importorskip("anyvideo_twilio")
    credentials = twilio_emulator.credentials
    with anyvideo.connect("twilio", environ={}, **credentials, base_url=twilio_emulator.base_url) as video:
        _seed(video, twilio_emulator.control, _twilio_room)
        urls = [r.raw["links"]["media"] for r in video.recordings.list()]  # redirects to the signed media URL
        auth = (credentials["api_key_sid"], credentials["api_key_secret"])
        _measure("twilio", twilio_emulator, video, urls, auth, tmp_path)
