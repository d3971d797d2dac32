"""Where a new room goes in a mixed fleet: the placement policies of the router."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Protocol

import attrs

from anyvideo.errors import ConfigurationError

__all__ = ["AllToPrimary", "NameRule", "Percentage", "Placement", "parse_policy"]


class Placement(Protocol):
    """Decides, for a new room's name (or ``None``), whether it opens on the primary backend."""

    def to_primary(self, name: str | None) -> bool: ...


@attrs.frozen
class AllToPrimary:
    """Every new room opens on the primary backend (``"primary"``)."""

    def to_primary(self, name: str | None) -> bool:
        return True

    def __str__(self) -> str:
        return "primary"


@attrs.frozen
class Percentage:
    """``percent`` of new rooms open on the primary (``"percent:25"``).

    A named room is placed by a hash of its name, so creating it again (a
    retry, another app instance) sends it to the same backend; an unnamed
    room is placed at random.
    """

    percent: float = attrs.field()

    @percent.validator
    def _between(self, attribute: attrs.Attribute[float], value: float) -> None:
        if not 0 <= value <= 100:
            raise ConfigurationError(f"the router's percentage must be between 0 and 100, got {value:g}")

    def to_primary(self, name: str | None) -> bool:
        if name is None:
            draw = secrets.randbelow(10_000)
        else:
            draw = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % 10_000
        return draw < self.percent * 100

    def __str__(self) -> str:
        return f"percent:{self.percent:g}"


@attrs.frozen
class NameRule:
    """Rooms whose name matches ``pattern`` open on the primary, others on the legacy
    backend (``"name:^beta-"``); unnamed rooms go to the primary."""

    pattern: re.Pattern[str]

    def to_primary(self, name: str | None) -> bool:
        return name is None or self.pattern.search(name) is not None

    def __str__(self) -> str:
        return f"name:{self.pattern.pattern}"


def parse_policy(text: str) -> Placement:
    """A policy from its text: ``primary``, ``percent:<0-100>`` or ``name:<regular expression>``."""
    kind, _, argument = text.strip().partition(":")
    if kind == "primary" and not argument:
        return AllToPrimary()
    if kind == "percent":
        try:
            return Percentage(float(argument))
        except ValueError:
            raise ConfigurationError(f"the router's percentage must be a number, got {argument!r}") from None
    if kind == "name":
        try:
            return NameRule(re.compile(argument))
        except re.error as exc:
            raise ConfigurationError(f"the router's name rule {argument!r} is no regular expression: {exc}") from None
    raise ConfigurationError(
        f"unknown router policy {text!r}; use 'primary', 'percent:<0-100>' or 'name:<regular expression>'"
    )
