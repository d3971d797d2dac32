"""The control API's bulk seeding: ``POST /_emulator/recordings/seed`` makes many
finished recordings in one room at once, as if the room had run that long, so a
test or a benchmark can list a large account without running it.

Each emulator answers the route with its own kind of recording (an archive, a
track recording); what they share is the request and the answer, here.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from anyvideo.sim.world import Seeded
from anyvideo.testing.server import CONTROL_PREFIX, HttpError, Request

__all__ = ["MAX_SEEDED", "SEED_PATH", "SeedRequest"]

SEED_PATH = CONTROL_PREFIX + "/recordings/seed"
#: The most recordings one request seeds.
MAX_SEEDED = 1_000_000


@attrs.frozen
class SeedRequest:
    """``{"room": id, "count": n, "seconds": s}``: ``n`` recordings of room ``id``, ``s`` seconds each (default 1)."""

    room: str
    count: int
    seconds: float = 1.0

    @classmethod
    def parse(cls, request: Request) -> SeedRequest:
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "expected a JSON object")
        room, count, seconds = body.get("room"), body.get("count"), body.get("seconds", 1.0)
        if not isinstance(room, str) or not room:
            raise HttpError(400, "room must be a room id")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_SEEDED:
            raise HttpError(400, f"count must be a whole number from 0 to {MAX_SEEDED}")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds <= 0
        ):
            raise HttpError(400, "seconds must be a number > 0")
        return cls(room, count, float(seconds))

    @staticmethod
    def answer(seeded: Seeded) -> dict[str, Any]:
        """What the route answers: how many were made, the first and last, and their stream's publisher."""
        return attrs.asdict(seeded)
