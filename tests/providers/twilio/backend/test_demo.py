"""``anyvideo demo`` runs on the Twilio emulator."""

from __future__ import annotations

from anyvideo import RecordingStatus
from anyvideo.demo import run_demo


def test_the_demo_runs_on_the_twilio_emulator(video, tmp_path):
    lines: list[str] = []
    recording = run_demo(video, lines.append, output=tmp_path, record_seconds=0.2)
    assert recording.status is RecordingStatus.AVAILABLE
    assert recording.files and (tmp_path / recording.files[0].name).exists()
    assert any("room ended" in line for line in lines)
