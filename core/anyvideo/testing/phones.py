"""The simulated phones of the emulators' voice side.

A phone number answers a call or lets it ring out, as the control API scripts it
(``PUT /_emulator/phones/{number}`` ``{"answers": false}``; every number answers
until told otherwise). A call is a :class:`SimCall`: placed by the provider's voice
API (a call out to a phone) or by the control API (a phone calling a number of the
account, ``POST /_emulator/phones/{number}/call``), it asks the application what to
do through its voice webhook (:func:`fetch`, answered synchronously, as a provider
does), may wait for the digits the phone keys (``POST /_emulator/calls/{id}/dtmf``),
and, once in a room, is a participant there: the participant leaving hangs the
call up, and the call hanging up takes the participant out.
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from anyvideo.testing.callbacks import Callbacks, Delivery, _is_loopback

__all__ = ["ENDED", "Phones", "SimCall", "fetch"]

_NUMBER = re.compile(r"\+?[0-9]{2,15}")
_DIGITS = re.compile(r"[0-9*#]{1,64}")
#: Call statuses after which nothing more happens.
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled", "unanswered", "rejected", "timeout"})


@attrs.define
class SimCall:
    """One simulated call: who called whom, where it is, and what it waits for."""

    id: str
    direction: str  # "outbound" (the provider calls the phone) or "inbound" (the phone calls the account)
    from_: str
    to: str
    status: str
    created_at: datetime
    participant_id: str | None = None
    ended_at: datetime | None = None
    #: What the provider does with digits the phone keys now (``None``: nothing listens).
    on_digits: Callable[[str], None] | None = None
    #: The provider face's own fields (a conversation id, the TwiML being run …).
    extra: dict[str, Any] = attrs.field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The call as the control API shows it."""
        return {
            "id": self.id,
            "direction": self.direction,
            "from": self.from_,
            "to": self.to,
            "status": self.status,
            "participant_id": self.participant_id,
            "waiting_for_digits": self.on_digits is not None,
        }


class Phones:
    """The emulator's phones (their scripts) and calls."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._silent: set[str] = set()
        self.calls: dict[str, SimCall] = {}

    @staticmethod
    def check_number(number: str) -> str:
        """``number`` (E.164, or its digits as some voice APIs write it) as ``+`` and digits;
        :class:`ValueError` otherwise."""
        if not _NUMBER.fullmatch(number):
            raise ValueError(f"{number!r} is not a phone number")
        return number if number.startswith("+") else "+" + number

    def script(self, number: str, *, answers: bool) -> None:
        """Whether the phone at ``number`` answers the calls it gets from now on."""
        number = self.check_number(number)
        with self.lock:
            (self._silent.discard if answers else self._silent.add)(number)

    def answers(self, number: str) -> bool:
        """Whether the phone at ``number`` answers (every phone does unless scripted not to)."""
        with self.lock:
            return self.check_number(number) not in self._silent

    def add(self, call: SimCall) -> SimCall:
        with self.lock:
            self.calls[call.id] = call
        return call

    def get(self, call_id: str) -> SimCall:
        """The call with this id; :class:`KeyError` if there is none."""
        with self.lock:
            return self.calls[call_id]

    def key(self, call_id: str, digits: str) -> None:
        """The phone on ``call_id`` keys ``digits``: handed to what waits for them.
        :class:`ValueError` for digits a phone cannot key or a call waiting for none."""
        if not _DIGITS.fullmatch(digits):
            raise ValueError(f"DTMF is 1 to 64 of 0-9, * and #, not {digits!r}")
        with self.lock:
            call = self.calls[call_id]
            listener, call.on_digits = call.on_digits, None
        if listener is None:
            raise ValueError(f"call {call_id} is not waiting for digits (it is {call.status})")
        listener(digits)

    def end(self, call: SimCall, status: str, at: datetime) -> bool:
        """End ``call`` with ``status`` unless it has ended; whether this ended it."""
        with self.lock:
            if call.status in ENDED:
                return False
            call.status, call.ended_at, call.on_digits = status, at, None
            return True

    def participant_left(self, participant_id: str, at: datetime) -> None:
        """``participant_id`` left its room: every call that was it there completes."""
        with self.lock:
            carried = [c for c in self.calls.values() if c.participant_id == participant_id]
        for call in carried:
            self.end(call, "completed", at)


def fetch(
    callbacks: Callbacks, url: str, method: str, headers: Mapping[str, str], body: bytes, *, timeout: float = 10.0
) -> tuple[int | None, bytes]:
    """Ask the application's voice webhook at ``url`` and wait for its answer, as a provider
    does while a call waits: the status (``None``: no answer) and body. Recorded with the
    callbacks (``GET /_emulator/callbacks``); only loopback addresses are called."""
    record = Delivery(url, method, dict(headers), body, datetime.now(UTC))
    status: int | None = None
    answer = b""
    if not _is_loopback(url):
        record = attrs.evolve(record, error="not delivered: emulators only call loopback addresses")
    else:
        data: bytes | None = body
        target = url
        if method == "GET":
            target, data = (f"{url}{'&' if '?' in url else '?'}{body.decode()}" if body else url), None
        request = urllib.request.Request(target, data=data, headers=dict(headers), method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                status, answer = reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            record = attrs.evolve(record, error=f"{type(exc).__name__}: {exc}")
        record = attrs.evolve(record, status=status)
    callbacks.delivered.append(record)
    return status, answer
