"""Reading Twilio request parameters: form bodies and query strings.

Twilio takes ``PascalCase`` parameters, booleans as ``true``/``false``, lists
as repeated parameters (``AudioSources=a&AudioSources=b``) and JSON objects
as JSON text (``VideoLayout``, ``Rules``); unknown parameters are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, overload

from anyvideo.testing.server import HttpError
from anyvideo_twilio.emulator import errors

__all__ = ["Params", "Refusal"]

_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)

#: Makes the exception a refused value raises: called only then, so good parameters build no error.
Refusal = Callable[[], HttpError]


class Params:
    """The parameters of one request, read with Twilio's conventions."""

    def __init__(self, values: Mapping[str, Sequence[str]]) -> None:
        self._values = values

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        values = self._values.get(name)
        if not values:
            if required:
                raise errors.invalid(f"Missing required parameter {name} in the post body")
            return default
        return values[0]

    def strings(self, name: str) -> list[str] | None:
        """A repeated parameter, or ``None`` when it is absent."""
        values = self._values.get(name)
        return None if values is None else list(values)

    @overload
    def choice(self, name: str, choices: Sequence[str], default: str, *, error: Refusal | None = None) -> str: ...

    @overload
    def choice(
        self, name: str, choices: Sequence[str], default: None = None, *, error: Refusal | None = None
    ) -> str | None: ...

    def choice(
        self, name: str, choices: Sequence[str], default: str | None = None, *, error: Refusal | None = None
    ) -> str | None:
        value = self.text(name, default)
        if value is not None and value not in choices:
            raise error() if error else errors.invalid(f"{name} must be one of: {', '.join(choices)}")
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise errors.invalid(f"{name} must be true or false, not {value!r}")
        return value.lower() == "true"

    @overload
    def integer(self, name: str, default: int, *, low: int, high: int, error: Refusal | None = None) -> int: ...

    @overload
    def integer(
        self, name: str, default: None = None, *, low: int, high: int, error: Refusal | None = None
    ) -> int | None: ...

    def integer(
        self, name: str, default: int | None = None, *, low: int, high: int, error: Refusal | None = None
    ) -> int | None:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise errors.invalid(f"{name} must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise error() if error else errors.invalid(f"{name} must be from {low} to {high}, not {number}")
        return number

    def url(self, name: str, *, error: Refusal) -> str | None:
        value = self.text(name)
        if value is not None and not _URL.fullmatch(value):
            raise error()
        return value

    def json(self, name: str, *, error: Refusal | None = None) -> Any:
        value = self.text(name)
        if value is None:
            return None
        try:
            return json.loads(value, object_pairs_hook=_no_duplicates)
        except ValueError:
            raise (error() if error else errors.invalid(f"{name} is not valid JSON")) from None

    def moment(self, name: str) -> datetime | None:
        """An ISO 8601 date-time (or a date, meaning its midnight UTC)."""
        value = self.text(name)
        if value is None:
            return None
        try:
            if len(value) == 10:
                return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise errors.invalid(f"{name} is not an ISO 8601 date-time: {value!r}") from None
        return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)

    def filters(self, *paging: str) -> list[tuple[str, str]]:
        """Every parameter except ``paging``, in the order given (to build page URLs)."""
        return [(name, value) for name, values in self._values.items() if name not in paging for value in values]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Rules must not repeat a filter ({"kind": "audio", "kind": "video"}); json
    # would silently keep the last one.
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate keys")
    return dict(pairs)
