"""docs/export.md's Python example, run as written against the Twilio emulator."""

from __future__ import annotations

import re

import pytest
from support import REPO
from support.export import seed_twilio

import anyvideo

PAGE = REPO / "docs" / "export.md"
(BLOCK,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def test_the_python_api_example_runs_as_written(twilio_emulator, tmp_path, monkeypatch, capsys):
    pytest.importorskip("anyvideo_twilio")
    with anyvideo.connect("twilio", environ={}, **twilio_emulator.backend_settings) as video:
        expected = seed_twilio(video, twilio_emulator.control, 3, 1, rooms=1)
    for name, value in twilio_emulator.backend_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(BLOCK, namespace)
    out = capsys.readouterr().out
    assert f"{len(expected)} assets: {len(expected)} exported" in out
    assert namespace["differences"] == []
