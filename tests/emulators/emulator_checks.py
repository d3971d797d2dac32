"""What the Vonage and Twilio emulator tests share: where the providers'
specifications are, and an emulator that keeps its exchanges for checking.

The specifications and sample bodies live outside the repository
(``../shared/specs``, see ``DESIGN.md``); ``ANYVIDEO_SPECS`` points elsewhere.
Tests that need them are skipped when they are missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anyvideo.testing.server import CONTROL_PREFIX, Request, Response

SPECS = Path(os.environ.get("ANYVIDEO_SPECS", Path(__file__).resolve().parents[3] / "shared" / "specs"))


def needs_spec(path: Path) -> None:
    """Skip the test unless the specification file ``path`` is there."""
    if not path.exists():
        pytest.skip(f"the provider specifications are not at {SPECS} (set ANYVIDEO_SPECS)")


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
