"""The example applications in docs/examples pass their own tests, unchanged,
on every backend: only environment variables differ between the runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from support import REPO
from support.serving import closed_port

from anyvideo.testing import Emulator

EXAMPLES = REPO / "docs" / "examples"

#: example -> backend -> (passed, skipped): a skip is a ``video.supports(...)`` answer, so it is pinned too.
OUTCOMES = {
    "classroom": {"local": (5, 0), "vonage": (5, 0), "twilio": (5, 0)},
    "webinar": {"local": (7, 1), "vonage": (8, 0), "twilio": (4, 4)},
    "telehealth": {"local": (3, 0), "vonage": (2, 1), "twilio": (3, 0)},
}


def run_example(name: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder = EXAMPLES / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    env.update(environ)
    return subprocess.run(
        # The example imports its application as a sibling module, as a project of its own would;
        # anyvideo's own suite imports test files by path (importlib), which would hide it.
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--import-mode=prepend"]
        + ["--rootdir", str(folder), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def check(result: subprocess.CompletedProcess[str], name: str, backend: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    counts = dict.fromkeys(("passed", "skipped"), 0) | {
        word: int(n) for n, word in re.findall(r"(\d+) (passed|skipped)", result.stdout.splitlines()[-1])
    }
    assert (counts["passed"], counts["skipped"]) == OUTCOMES[name][backend], result.stdout


def webhook_port(name: str, port: int) -> dict[str, str]:
    """Where the example's own conftest serves its webhook endpoint."""
    return {f"{name.upper()}_WEBHOOK_PORT": str(port)}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_the_example_passes_on_the_local_backend(name: str) -> None:
    result = run_example(name, {"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_PROCESSING_DELAY": "0.2"})
    check(result, name, "local")


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_the_example_passes_on_the_vonage_emulator(name: str, vonage_emulator: Emulator) -> None:
    port, secret = closed_port(), f"{name}-callback-signature-secret"
    url = f"http://127.0.0.1:{port}/callbacks"
    vonage_emulator.control.call(
        "PUT",
        "/vonage/callbacks",
        {kind: url for kind in ("session", "archive", "broadcast")} | {"signature_secret": secret},
    )
    settings = vonage_emulator.backend_settings
    environ = {
        "ANYVIDEO_BACKEND": "vonage",
        "VONAGE_APPLICATION_ID": settings["application_id"],
        "VONAGE_PRIVATE_KEY": settings["private_key"],
        "VONAGE_VIDEO_HOST": settings["video_host"],
        "VONAGE_SIGNATURE_SECRET": secret,
        "REQUESTS_CA_BUNDLE": str(vonage_emulator.ca_bundle),
    }
    check(run_example(name, environ | webhook_port(name, port)), name, "vonage")


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_the_example_passes_on_the_twilio_emulator(name: str, twilio_emulator: Emulator) -> None:
    port = closed_port()
    settings = twilio_emulator.backend_settings
    environ = {
        "ANYVIDEO_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": settings["account_sid"],
        "TWILIO_AUTH_TOKEN": settings["auth_token"],
        "TWILIO_API_KEY_SID": settings["api_key_sid"],
        "TWILIO_API_KEY_SECRET": settings["api_key_secret"],
        "TWILIO_VIDEO_BASE_URL": settings["base_url"],
        "TWILIO_STATUS_CALLBACK": f"http://127.0.0.1:{port}/callbacks",
    }
    check(run_example(name, environ | webhook_port(name, port)), name, "twilio")
