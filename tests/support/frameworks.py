"""Helpers of the in-process framework tests (tests/core/frameworks): a signed Twilio
callback for any URL, and an ASGI application called with a scope as uvicorn makes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, twilio_signed

#: The room every callback here is about.
ROOM_SID = "RM" + "1" * 32


def room_event(sequence: int = 1, **fields: str) -> dict[str, str]:
    """A Twilio room status callback's parameters (``room-created`` unless ``fields`` say otherwise)."""
    return {
        "AccountSid": TWILIO_ACCOUNT,
        "RoomSid": ROOM_SID,
        "RoomName": "frameworks",
        "RoomStatus": "in-progress",
        "StatusCallbackEvent": "room-created",
        "SequenceNumber": str(sequence),
        **fields,
    }


def participant_connected(identity: str) -> dict[str, str]:
    """``participant-connected`` of ``identity``, sent now (inside the replay window)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return room_event(
        2,
        StatusCallbackEvent="participant-connected",
        ParticipantSid="PA" + "2" * 32,
        ParticipantIdentity=identity,
        ParticipantStatus="connected",
        Timestamp=now,
    )


def signed(url: str, params: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """Headers and form body of a Twilio POST to ``url`` (``room_event()`` unless ``params``)."""
    return twilio_signed(TWILIO_TOKEN, url, room_event() if params is None else params)


def call_asgi(app: Any, method: str, host: str, path: str, root_path: str, headers: dict[str, str], body: str) -> int:
    """Call ``app`` once as uvicorn ``--root-path <root_path>`` does (``path`` holds the root
    path, as the ASGI specification says); the status it answered."""
    messages = [{"type": "http.request", "body": body.encode(), "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", host.encode())] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])
