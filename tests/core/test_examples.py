"""The example applications in docs/examples pass their own tests, unchanged,
on every backend: only environment variables differ between the runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from support import REPO

from anyvideo.testing import Emulator

EXAMPLES = REPO / "docs" / "examples"


def run_example(name: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder = EXAMPLES / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    env.update(environ)
    return subprocess.run(
        # The example imports its application as a sibling module, as a project of its own would;
        # anyvideo's own suite imports test files by path (importlib), which would hide it.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=prepend"]
        + ["--rootdir", str(folder), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_classroom_passes_on_the_local_backend() -> None:
    result = run_example("classroom", {"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_PROCESSING_DELAY": "0.2"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_classroom_passes_on_the_vonage_emulator(vonage_emulator: Emulator) -> None:
    port, secret = free_port(), "classroom-callback-signature-secret"
    url = f"http://127.0.0.1:{port}/callbacks"
    vonage_emulator.control.call(
        "PUT",
        "/vonage/callbacks",
        {kind: url for kind in ("session", "archive", "broadcast")} | {"signature_secret": secret},
    )
    settings = vonage_emulator.backend_settings
    result = run_example(
        "classroom",
        {
            "ANYVIDEO_BACKEND": "vonage",
            "VONAGE_APPLICATION_ID": settings["application_id"],
            "VONAGE_PRIVATE_KEY": settings["private_key"],
            "VONAGE_VIDEO_HOST": settings["video_host"],
            "VONAGE_SIGNATURE_SECRET": secret,
            "REQUESTS_CA_BUNDLE": str(vonage_emulator.ca_bundle),
            "CLASSROOM_WEBHOOK_PORT": str(port),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_the_classroom_passes_on_the_twilio_emulator(twilio_emulator: Emulator) -> None:
    port = free_port()
    settings = twilio_emulator.backend_settings
    result = run_example(
        "classroom",
        {
            "ANYVIDEO_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": settings["account_sid"],
            "TWILIO_AUTH_TOKEN": settings["auth_token"],
            "TWILIO_API_KEY_SID": settings["api_key_sid"],
            "TWILIO_API_KEY_SECRET": settings["api_key_secret"],
            "TWILIO_VIDEO_BASE_URL": settings["base_url"],
            "TWILIO_STATUS_CALLBACK": f"http://127.0.0.1:{port}/callbacks",
            "CLASSROOM_WEBHOOK_PORT": str(port),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
