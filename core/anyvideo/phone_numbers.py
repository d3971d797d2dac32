"""Phone numbers as anyvideo takes them: E.164 (``+`` then 2 to 15 digits, no leading
zero in the country code), checked before any request; and shown only masked.

E.164 is the one form every provider's voice and messaging APIs accept, so anyvideo
asks for it rather than guessing a country for a local number. Only the form is
checked: whether a number exists or can be reached is the provider's to say.
"""

from __future__ import annotations

import re

from anyvideo.errors import InvalidRequest

__all__ = ["e164", "masked"]

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
#: Digits a masked number keeps at its end (the rest become ``•``).
SHOWN = 4


def e164(number: object, field: str = "number") -> str:
    """``number`` if it is an E.164 phone number (``"+15551234567"``); otherwise
    :class:`~anyvideo.InvalidRequest` naming ``field``, before any request is made."""
    if not isinstance(number, str):
        raise InvalidRequest(
            field, f"a phone number is a string in E.164 form (+15551234567), not {type(number).__name__}"
        )
    if _E164.fullmatch(number) is None:
        raise InvalidRequest(
            field,
            f"{number!r} is not an E.164 phone number: '+', the country code, then the number, "
            "15 digits at most, no spaces or punctuation (e.g. +15551234567)",
        )
    return number


def masked(number: str) -> str:
    """``number`` with all but its country-code ``+`` and last :data:`SHOWN` digits hidden
    (``"+15551234567"`` → ``"+•••••••4567"``): enough to recognise a caller, not to call them."""
    digits = number.removeprefix("+")
    hidden = max(len(digits) - SHOWN, 0)
    return ("+" if number.startswith("+") else "") + "•" * hidden + digits[hidden:]
