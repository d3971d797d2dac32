"""The example applications in docs/examples pass their own tests, unchanged,
on every backend: only environment variables differ between the runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"


def run_example(name: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder = EXAMPLES / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_classroom_passes_on_the_local_backend() -> None:
    result = run_example("classroom", {"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_PROCESSING_DELAY": "0.2"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
