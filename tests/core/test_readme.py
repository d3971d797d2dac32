"""README.md's "In your code" example runs as written, on the embedded local backend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO

README = REPO / "README.md"


def readme_example() -> str:
    """The python block of the README's "In your code" section."""
    section = README.read_text(encoding="utf-8").split("## In your code", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "the 'In your code' section has one python block"
    return blocks[0]


def test_the_readme_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # it downloads to "recordings/", relative to where it runs
    for name in ("ANYVIDEO_BACKEND", "ANYVIDEO_LOCAL_DB", "ANYVIDEO_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANYVIDEO_LOCAL_PROCESSING_DELAY", "0.05")
    namespace: dict[str, object] = {}
    exec(compile(readme_example(), str(README), "exec"), namespace)
    recording = namespace["recording"]
    (saved,) = (tmp_path / "recordings").iterdir()
    assert saved.name == recording.files[0].name and saved.stat().st_size == recording.files[0].size  # type: ignore[attr-defined]
    assert capsys.readouterr().out == "local cannot broadcast live\n"
    namespace["video"].close()  # type: ignore[attr-defined]
