"""Hostile ids, and a record of the requests an emulator received, for the tests
that every id is checked before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
