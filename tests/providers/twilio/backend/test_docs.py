"""docs/providers/twilio.md's standalone example of the extensions runs as written."""

from __future__ import annotations

import re

import pytest
from support import REPO

PAGE = REPO / "docs" / "providers" / "twilio.md"


def test_the_extensions_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    (block,) = [block for block in blocks if "start_transcriptions" in block]
    exec(block, {})
    assert capsys.readouterr().out.splitlines() == [
        "mic",
        "[True]",
        "audio",
        "started {'languageCode': 'en-US', 'partialResults': True}",
        "stopped",
        "[True]",
        "stopped",
        "completed",
        "True",
    ]
