"""``anyvideo demo`` on the Vonage emulator."""

from __future__ import annotations

from anyvideo import RecordingStatus
from anyvideo.demo import run_demo


def test_the_demo_runs(video, vonage_emulator) -> None:
    lines: list[str] = []

    def advance_clock(waited: float) -> None:  # the emulator's processing finishes when its clock moves
        vonage_emulator.control.advance(5)

    recording = run_demo(video, lines.append, record_seconds=0.1, progress=advance_clock)
    assert recording.status is RecordingStatus.AVAILABLE
    text = "\n".join(lines)
    assert "publish refused" in text and "room ended" in text
