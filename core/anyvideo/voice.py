"""Phone participants, the provider-neutral part: what ``video.phone`` validates and
backends take (:class:`PhoneCallSpec`), how a room is joined by phone
(:class:`DialIn`, its PIN kept in the backend's registry by :class:`Pins`), what a
voice webhook is answered with (:class:`VoiceReply`), and the dial-in dialogue
every backend follows (:func:`judge_pin`): the caller keys the room's PIN, then
``#``; a wrong PIN is asked again, and the call ends after :data:`PIN_ATTEMPTS`.

Numbers are E.164 (:mod:`anyvideo.phone_numbers`) and shown masked only.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo.messaging import DialIn
from anyvideo.phone_numbers import e164, masked
from anyvideo.registry import Registry

__all__ = [
    "ASK_PIN",
    "GOODBYE",
    "PIN_ATTEMPTS",
    "PIN_LENGTH",
    "WRONG_PIN",
    "DialIn",
    "PhoneCallSpec",
    "PinVerdict",
    "Pins",
    "VoiceReply",
    "dtmf_digits",
    "judge_pin",
]

#: Digits in a dial-in PIN.
PIN_LENGTH = 6
#: Wrong PINs a caller may key before the call ends.
PIN_ATTEMPTS = 3
#: What a caller hears, in every backend's voice.
ASK_PIN = "Welcome. Please enter your meeting PIN, then press the hash key."
WRONG_PIN = "That PIN is not right. Please try again, then press the hash key."
GOODBYE = "That PIN is not right. Goodbye."
#: DTMF as phones send it: digits, ``*`` and ``#``.
_DTMF = re.compile(r"[0-9*#]{1,64}")
_IDENTITY_MAX = 128


def dtmf_digits(value: object, field: str = "digits") -> str:
    """``value`` if it is DTMF a phone can key (``0-9``, ``*``, ``#``; 1 to 64 of them);
    :class:`~anyvideo.InvalidRequest` naming ``field`` otherwise, before any request."""
    if not isinstance(value, str) or _DTMF.fullmatch(value) is None:
        raise InvalidRequest(field, f"DTMF is 1 to 64 of 0-9, * and #, not {value!r}")
    return value


def _to(value: str) -> str:
    return e164(value, "to")


def _caller_id(value: str) -> str:
    return e164(value, "caller_id")


@attrs.frozen
class PhoneCallSpec:
    """A phone number to call into a room: ``to`` (E.164), the ``caller_id`` it shows (a
    number of the provider account, E.164), and the ``identity`` the call joins with
    (default: the number, masked)."""

    to: str = attrs.field(converter=_to)
    caller_id: str = attrs.field(converter=_caller_id)
    identity: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        if not self.identity:
            object.__setattr__(self, "identity", masked(self.to))
        if not isinstance(self.identity, str) or len(self.identity) > _IDENTITY_MAX:
            raise InvalidRequest("identity", f"a string of at most {_IDENTITY_MAX} characters")


@attrs.frozen
class VoiceReply:
    """What a voice webhook (a call's answer, its keyed digits) is answered with: the
    provider's call-control document (JSON actions, XML verbs: whatever the provider reads)."""

    content_type: str
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")


class Pins:
    """Dial-in PINs in a backend's registry: one per room and number, unique per number."""

    #: Registry kinds: PIN by room and number, room by number and PIN.
    ROOM_KIND, PIN_KIND = "dial_in_room", "dial_in_pin"

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def issue(self, room_id: str, number: str) -> str:
        """The PIN that joins ``room_id`` through ``number``: the room's own if it has one."""
        room_key = f"{number}|{room_id}"
        known = self._registry.get(self.ROOM_KIND, room_key)
        if known is not None:
            return str(known["pin"])
        while True:
            pin = f"{secrets.randbelow(10**PIN_LENGTH):0{PIN_LENGTH}d}"
            if self._registry.add(self.PIN_KIND, f"{number}|{pin}", {"room_id": room_id}):
                break
        held = self._registry.add_or_get(self.ROOM_KIND, room_key, {"pin": pin})
        if held is not None:  # another process issued one meanwhile: theirs holds
            self._registry.delete(self.PIN_KIND, f"{number}|{pin}")
            return str(held["pin"])
        return pin

    def room(self, number: str, pin: str) -> str | None:
        """The room ``pin`` opens through ``number``; ``None``: no such PIN."""
        entry = self._registry.get(self.PIN_KIND, f"{number}|{pin}")
        return None if entry is None else str(entry["room_id"])


class PinVerdict(StrEnum):
    """What a keyed PIN leads to."""

    JOIN = "join"
    RETRY = "retry"
    HANG_UP = "hang_up"


def judge_pin(pins: Pins, number: str, keyed: str, attempt: int) -> tuple[PinVerdict, str | None]:
    """The verdict on ``keyed`` (the digits of the ``attempt``-th try, from 1, a trailing
    ``#`` ignored) for a call to ``number``, and the room it opens when it is ``JOIN``."""
    pin = keyed.rstrip("#")
    room_id = pins.room(number, pin) if pin.isdigit() and len(pin) == PIN_LENGTH else None
    if room_id is not None:
        return PinVerdict.JOIN, room_id
    return (PinVerdict.RETRY if attempt < PIN_ATTEMPTS else PinVerdict.HANG_UP), None
