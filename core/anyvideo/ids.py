"""Object ids checked against their provider's formats before any request.

A backend puts ids into URL paths (its own, or the SDK's), so an id that is
not one of the provider's (``x/../../broadcast/<id>``, ``a?b=c``) would reach
another resource than the one named. Each backend declares the format of
each kind of id it takes, as data (kind → compiled pattern), and checks every
id against it with :class:`IdFormats` before sending anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from anyvideo.errors import InvalidRequest

__all__ = ["IdFormats"]

#: How much of a refused id an error message shows: the value may be anything a caller passed.
_SHOWN = 60


class IdFormats:
    """The formats of one provider's ids, by kind (``"room"``, ``"recording"``, …)."""

    def __init__(self, provider: str, formats: Mapping[str, re.Pattern[str]]) -> None:
        self.provider = provider
        self.formats = formats

    def __repr__(self) -> str:
        return f"IdFormats({self.provider!r}, kinds={sorted(self.formats)!r})"

    def accepts(self, kind: str, value: str) -> bool:
        """Whether ``value`` is shaped like one of the provider's ``kind`` ids."""
        # fullmatch: a pattern's ``$`` would also match before a trailing newline
        return self.formats[kind].fullmatch(value) is not None

    def check(self, kind: str, value: object, field: str | None = None) -> str:
        """``value``, if it is shaped like a ``kind`` id; else :class:`InvalidRequest`
        naming ``field`` (the caller's name for it; the kind by default)."""
        if isinstance(value, str) and self.accepts(kind, value):
            return value
        shown = repr(value) if not isinstance(value, str) or len(value) <= _SHOWN else repr(value[:_SHOWN]) + "…"
        raise InvalidRequest(field or kind, f"{shown} is not a {self.provider} {kind} id")

    def check_all(self, kind: str, values: Iterable[object], field: str) -> tuple[str, ...]:
        """Each of ``values`` checked as a ``kind`` id (see :meth:`check`)."""
        return tuple(self.check(kind, value, field) for value in values)
