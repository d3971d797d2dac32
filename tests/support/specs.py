"""Where the providers' specifications are, and an emulator that keeps its exchanges
for checking against them.

The specifications and sample bodies live outside the repository
(``../shared/specs``, see ``DESIGN.md``); ``ANYVIDEO_SPECS`` points elsewhere.
Tests that need them are skipped when they are missing, so a fresh clone
passes with skips.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from anyvideo.testing.server import CONTROL_PREFIX, Request, Response
from support import REPO

SPECS = Path(os.environ.get("ANYVIDEO_SPECS", REPO.parent / "shared" / "specs"))
VONAGE_SPEC = SPECS / "vonage_video.yml"
VONAGE_SAMPLES = SPECS / "samples" / "vonage"
TWILIO_SPEC = SPECS / "twilio_video_v1.yaml"
TWILIO_SAMPLES = SPECS / "samples" / "twilio"


def needs_spec(*paths: Path) -> None:
    """Skip the test unless every file in ``paths`` (default: both providers' specs) is there."""
    for path in paths or (VONAGE_SPEC, TWILIO_SPEC):
        if not path.exists():
            pytest.skip(f"the provider specifications are not at {SPECS} (set ANYVIDEO_SPECS)")


def load_spec(path: Path) -> Any:
    """The specification at ``path``, parsed; skips the test when it is absent."""
    needs_spec(path)
    return _parsed(path)


@functools.cache
def _parsed(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def spec_enum(path: Path, *keys: str) -> list[str]:
    """The ``enum`` at ``keys`` in the specification at ``path``, or an empty list when the
    specs are absent (a test parametrised with it then reports a skip)."""
    if not path.exists():
        return []
    node = _parsed(path)
    for key in keys:
        node = node[key]
    return list(node["enum"])


def sample_body(folder: Path, name: str) -> Any:
    """One of the provider's real bodies (``folder/name``); skips the test without the specs."""
    needs_spec(folder / name)
    return json.loads((folder / name).read_text())


class RecordsExchanges:
    """Mixed into an emulator: keeps every REST exchange (not the control API's) for checking against the spec."""

    exchanges: list[tuple[Request, Response]]

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[call-arg]
        self.exchanges = []

    def handle(self, request: Request) -> Response:
        response = super().handle(request)  # type: ignore[misc]
        if not request.path.startswith(CONTROL_PREFIX):
            self.exchanges.append((request, response))
        return response
