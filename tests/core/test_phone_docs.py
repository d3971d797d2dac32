"""docs/phone.md, run as written: every Python block runs (each starts its own emulator)."""

from __future__ import annotations

import re
import textwrap

import pytest
from support import REPO

from anyvideo import Video

PAGE = REPO / "docs" / "phone.md"
BLOCKS = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)]


def test_the_page_shows_dial_out_and_dial_in() -> None:
    assert len(BLOCKS) == 2 and "phone.call" in BLOCKS[0] and "phone.dial_in" in BLOCKS[1]


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_every_block_runs(number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("TWILIO_REGION", "TWILIO_EDGE"):
        monkeypatch.delenv(variable, raising=False)
    namespace: dict[str, object] = {"__name__": "phone_docs_block"}
    try:
        exec(BLOCKS[number], namespace)
    finally:
        for value in namespace.values():
            if isinstance(value, Video):
                value.close()
