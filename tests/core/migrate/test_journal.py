"""The journal (manifest.jsonl), the rate limiter and the JSON form of models, on their own."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from anyvideo import ConfigurationError
from anyvideo.migrate.jsonform import to_jsonable
from anyvideo.migrate.manifest import Journal, last_states, read_entries
from anyvideo.models import Layout, MediaFile, Recording, RecordingMode, RecordingStatus, Resolution
from anyvideo.ratelimit import RateLimiter


def test_each_line_can_be_read_back_when_append_returns(tmp_path):
    path = tmp_path / "manifest.jsonl"
    with Journal(path) as journal:
        journal.append("started", key="recordings/local:rec_1")
        assert [e["event"] for e in read_entries(path)] == ["started"]


def test_a_torn_last_line_is_ignored_then_cut_before_the_next_append(tmp_path):
    path = tmp_path / "manifest.jsonl"
    with Journal(path) as journal:
        journal.append("started", key="a")
    with path.open("ab") as handle:
        handle.write(b'{"event":"complete","key":"a","fil')  # killed mid-write
    assert [e["event"] for e in read_entries(path)] == ["started"]
    with Journal(path) as journal:
        journal.append("skipped", key="b", reason="processing")
    assert [(e["event"], e["key"]) for e in read_entries(path)] == [("started", "a"), ("skipped", "b")]
    assert path.read_bytes().endswith(b"\n")


def test_a_journal_torn_before_its_first_newline_starts_empty(tmp_path):
    path = tmp_path / "manifest.jsonl"
    path.write_bytes(b'{"event":"ru')
    with Journal(path) as journal:
        journal.append("run")
    assert [e["event"] for e in read_entries(path)] == ["run"]


def test_garbage_lines_are_passed_over(tmp_path):
    path = tmp_path / "manifest.jsonl"
    path.write_bytes(b'not json\n[1, 2]\n{"no": "event"}\n{"event": "run"}\n')
    assert list(read_entries(path)) == [{"event": "run"}]


def test_the_last_line_of_an_asset_is_its_state_and_its_stored_files_are_remembered():
    entries = [
        {"event": "started", "key": "k"},
        {"event": "file", "key": "k", "name": "a.mp4", "size": 3, "sha256": "aa"},
        {"event": "failed", "key": "k", "error": "boom"},
        {"event": "started", "key": "k"},
        {"event": "skipped", "key": "other", "reason": "processing"},
        {"event": "run"},
    ]
    states = last_states(entries)
    assert states["k"]["event"] == "started"
    assert states["k"]["stored"]["a.mp4"]["sha256"] == "aa"
    assert states["other"]["event"] == "skipped"


class _FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_bucket_allows_a_burst_then_the_rate():
    fake = _FakeTime()
    bucket = RateLimiter(10, burst=5, clock=lambda: fake.now, sleep=fake.sleep)
    for _ in range(5):
        assert bucket.acquire() == 0
    waits = [bucket.acquire() for _ in range(10)]
    assert waits == pytest.approx([0.1] * 10)
    assert fake.now == pytest.approx(1.0)


def test_the_bucket_refills_while_idle_up_to_the_burst():
    fake = _FakeTime()
    bucket = RateLimiter(2, clock=lambda: fake.now, sleep=fake.sleep)
    bucket.acquire(2)
    fake.now += 100
    assert bucket.acquire(2) == 0
    assert bucket.acquire(1) == pytest.approx(0.5)


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan"), True, "10"])
def test_the_bucket_wants_a_positive_rate(rate):
    with pytest.raises(ConfigurationError):
        RateLimiter(rate)


def test_a_model_becomes_plain_json_with_iso_datetimes_and_without_raw():
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    recording = Recording(
        id="rec_1",
        provider="local",
        room_id="rm_1",
        mode=RecordingMode.COMPOSED,
        status=RecordingStatus.AVAILABLE,
        layout=Layout.pip(),
        resolution=Resolution(1280, 720),
        started_at=started,
        files=[MediaFile("a.mp4", "video/mp4", 3, "ab")],
        raw={"nested": {"x": [1, 2]}},
    )
    data = to_jsonable(recording, exclude=("raw",))
    assert json.loads(json.dumps(data)) == data
    assert data["started_at"] == "2026-01-02T03:04:05+00:00"
    assert data["mode"] == "composed" and data["layout"] == {"kind": "pip", "regions": [], "screenshare": None}
    assert data["resolution"] == {"width": 1280, "height": 720}
    whose = dict.fromkeys(("stream_id", "participant_id", "kind", "video_source", "offset", "duration"))
    assert data["files"] == [{"name": "a.mp4", "content_type": "video/mp4", "size": 3, "sha256": "ab", **whose}]
    assert "raw" not in data
    assert to_jsonable(recording.raw) == {"nested": {"x": [1, 2]}}


def test_a_second_run_into_the_same_journal_is_refused_while_the_first_holds_it(tmp_path):
    path = tmp_path / "manifest.jsonl"
    with Journal(path):
        with pytest.raises(ConfigurationError, match="another export is running"):
            Journal(path)
    with Journal(path) as journal:  # free again once the first is closed
        journal.append("run")
