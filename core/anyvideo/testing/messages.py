"""What an emulator's messaging APIs sent: one log of messages, read through the control API.

A provider's messaging API hands a message to a phone network; an emulator has
no phone network, so it keeps each message it accepted (recipient, sender,
channel, text, status) in a :class:`MessageLog`, in order, and serves the log at
``GET /_emulator/messages`` (:class:`MessageLogRoutes`, mixed into an emulator).
Tests "receive" an invitation or a verification code by reading it there.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import attrs

from anyvideo.testing.server import CONTROL_PREFIX, Emulator, Request, route

__all__ = ["MESSAGES_PATH", "MessageLog", "MessageLogRoutes", "SentMessage"]

#: Where the control API serves the log.
MESSAGES_PATH = CONTROL_PREFIX + "/messages"


@attrs.frozen
class SentMessage:
    """One message an emulator accepted: its id (the provider's), recipient and sender as the
    API was given them, the channel by the provider's name, the text, and the status it has."""

    id: str
    to: str
    sender: str
    channel: str
    text: str
    status: str
    sent_at: datetime
    #: The API that sent it (``"messages"``, ``"verify"`` …).
    api: str = "messages"

    def as_json(self) -> dict[str, Any]:
        """As the control API serves it."""
        return {**attrs.asdict(self, filter=lambda a, _: a.name != "sent_at"), "sent_at": self.sent_at.isoformat()}


class MessageLog:
    """The messages an emulator accepted, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[SentMessage] = []

    def __repr__(self) -> str:
        return f"MessageLog({len(self._sent)} messages)"

    def add(self, message: SentMessage) -> SentMessage:
        with self._lock:
            self._sent.append(message)
        return message

    def sent(self, *, to: str | None = None) -> list[SentMessage]:
        """Every message, or those to ``to``, oldest first."""
        with self._lock:
            return [m for m in self._sent if to is None or m.to == to]


class MessageLogRoutes(Emulator):
    """Mixed into an emulator: its :class:`MessageLog` (``messages``) and the control route
    ``GET /_emulator/messages[?to=NUMBER]``, answering ``{"messages": [...]}``."""

    messages: MessageLog

    def __init__(self, **options: Any) -> None:
        self.messages = MessageLog()
        super().__init__(**options)

    @route("GET", MESSAGES_PATH)
    def _control_messages(self, request: Request) -> Any:
        return {"messages": [m.as_json() for m in self.messages.sent(to=request.arg("to"))]}
