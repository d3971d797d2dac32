"""Hostile ids, and a record of the requests an emulator received, for the tests
that every id is checked before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from anyvideo import InvalidRequest, Video
from anyvideo.testing import Emulator
from anyvideo.testing.server import CONTROL_PREFIX, Request, Response


def hostile(real: str) -> dict[str, str]:
    """Ids that are not the provider's, most built on ``real`` (a well-formed id of the kind
    asked for), so that a check that only looks at a prefix or a part lets them through."""
    return {
        "path traversal": f"x/../../broadcast/{real}",
        "id then a path": f"{real}/../{real}",
        "query": "a?b=c",
        "id then a query": f"{real}?b=c",
        "fragment": f"{real}#x",
        "encoded slash": f"x%2F..%2F{real}",
        "percent": f"{real}%00",
        "space": f"{real} ",
        "inner space": "a b",
        "empty": "",
        "unicode": real[:-1] + "é",
        "unicode digit": real[:-1] + "\u0663",  # ARABIC-INDIC DIGIT THREE: a digit to \d, not to [0-9]
        "CR/LF": f"{real}\r\nX-Injected: 1",
        "trailing newline": f"{real}\n",
        "dot dot": "..",
        "very long": real + "0" * 10_000,
    }


@contextmanager
def requests_to(emulator: Emulator) -> Iterator[list[Request]]:
    """The provider API requests ``emulator`` receives inside the block (its control API's not)."""
    seen: list[Request] = []
    handle = emulator.handle

    def recording(request: Request) -> Response:
        if not request.path.startswith(CONTROL_PREFIX):
            seen.append(request)
        return handle(request)

    emulator.handle = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del emulator.handle


#: An operation that takes an id: the id's kind, the field a refusal names, and the call.
Operation = tuple[str, str, Callable[[Video, str], Any]]


def cases(operations: Mapping[str, Operation], real: Mapping[str, str]) -> list[Any]:
    """Every operation with every hostile id of its kind, as pytest parameters. The facade
    refuses an empty id itself, so the backend never sees one: that case is left out."""
    return [
        pytest.param(operation, case, id=f"{operation}-{case}")
        for operation, (kind, _, _) in operations.items()
        for case in hostile(real[kind])
        if case != "empty"
    ]


def refused_before_any_request(emulator: Emulator, video: Video, operation: Operation, bad: str) -> None:
    """``operation`` with the id ``bad`` raises InvalidRequest naming its field, and sends nothing."""
    _, field, call = operation
    with requests_to(emulator) as seen, pytest.raises(InvalidRequest) as refused:
        call(video, bad)
    assert refused.value.field == field
    assert seen == []
