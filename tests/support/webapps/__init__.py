"""Applications of each web framework that receive provider callbacks as docs/webhooks.md
shows, for the tests that serve them in a real server process (tests/core/frameworks).

Each is configured from the environment, as a deployed application is: the provider's
settings (``ANYVIDEO_BACKEND`` and what the backend reads), ``WEBAPP_EVENTS`` (the file
every event received is appended to, one JSON object a line) and, behind a proxy,
``WEBAPP_PUBLIC_URL`` (the proxy's address with its prefix) or ``WEBAPP_PREFIX``.
Every application answers ``GET /health``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import anyvideo
from anyvideo import Event, hookimpl

_lock = threading.Lock()


def record(event: Event) -> None:
    """Append ``event`` to ``WEBAPP_EVENTS``: type, provider, room, and whose it is."""
    line = {
        "type": str(event.type),
        "provider": event.provider,
        "room_id": event.room_id,
        "identity": getattr(event.subject, "identity", None),
    }
    with _lock, Path(os.environ["WEBAPP_EVENTS"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


class EventLog:
    """The ``anyvideo_event`` hook that records every event."""

    @hookimpl
    def anyvideo_event(self, event: Event, video: Any) -> None:
        record(event)


def connect() -> anyvideo.Video:
    """``anyvideo.connect()`` as the docs' applications do, with the event log as a plugin."""
    return anyvideo.connect(plugins=anyvideo.Plugins(extra=[EventLog()]))


def public_url(mount: str = "") -> str | None:
    """The public address of ``mount`` behind the proxy (``None`` when served directly)."""
    site = os.environ.get("WEBAPP_PUBLIC_URL")
    return site + mount if site else None
