"""``anyvideo demo`` runs on the Twilio emulator and keeps the one mixed file of its
composed recording (the composition), not a track recording."""

from __future__ import annotations

from anyvideo import RecordingStatus
from anyvideo.demo import run_demo


def test_the_demo_runs_on_the_twilio_emulator(video, control, tmp_path):
    lines: list[str] = []

    def advance_clock(waited: float) -> None:  # the emulator's processing finishes when its clock moves
        control.advance(5)

    recording = run_demo(video, lines.append, output=tmp_path, record_seconds=0.2, progress=advance_clock)
    assert recording.status is RecordingStatus.AVAILABLE
    (file,) = recording.files
    assert file.name.startswith("CJ") and file.name.endswith(".mp4")  # the composition, not an RT… track
    assert [p.name for p in tmp_path.iterdir()] == [file.name]
    assert any("room ended" in line for line in lines)
    assert any("recording available" in line and "1 file," in line for line in lines)
