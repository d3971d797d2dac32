"""Helpers of the Twilio backend tests (imported by name: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

#: The providers' specifications (outside the repository); ANYVIDEO_SPECS points elsewhere.
SPECS = Path(os.environ.get("ANYVIDEO_SPECS", Path(__file__).resolve().parents[3] / "shared" / "specs"))
TWILIO_SPEC = SPECS / "twilio_video_v1.yaml"


def load_spec() -> dict[str, Any]:
    """``twilio_video_v1.yaml``, parsed; skips the test when the specs are absent."""
    if not TWILIO_SPEC.exists():
        pytest.skip(f"the provider specifications are not at {SPECS} (set ANYVIDEO_SPECS)")
    return _parsed()


@functools.cache
def _parsed() -> dict[str, Any]:
    return yaml.safe_load(TWILIO_SPEC.read_text())


def spec_enum(schema: str) -> list[str]:
    """The values of one enum schema of the spec (empty when the specs are absent: the test then skips)."""
    if not TWILIO_SPEC.exists():
        return []
    return list(_parsed()["components"]["schemas"][schema]["enum"])
