"""The JSON form of core models: attrs classes to plain data, datetimes as ISO 8601 strings.

Core has no such helper yet (``anyvideo.sim.store`` keeps a private codec for
its own records), so the export carries this one until it moves to core.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import attrs
import cattrs

__all__ = ["to_jsonable"]


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    return converter


_CONVERTER = _make_converter()


def to_jsonable(value: Any, *, exclude: tuple[str, ...] = ()) -> Any:
    """``value`` (a core model, or anything inside one) as JSON-ready data.

    ``exclude`` drops top-level fields of an attrs instance (e.g. ``raw``,
    which the export writes to a file of its own).
    """
    if attrs.has(type(value)):
        data = {
            field.name: _plain(_CONVERTER.unstructure(getattr(value, field.name)))
            for field in attrs.fields(type(value))
            if field.name not in exclude
        }
        return data
    return _plain(_CONVERTER.unstructure(value))


def _plain(value: Any) -> Any:
    # cattrs keeps read-only mappings (``raw``) and enums' StrEnum subclasses as they are;
    # JSON wants dicts, lists and the bare string values.
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
