"""docs/concepts.md's examples that stand alone, run as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from support import REPO

PAGE = REPO / "docs" / "concepts.md"


def block_containing(text: str) -> str:
    """The python block of the page (indented in a list or not) that contains ``text``."""
    for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL):
        if text in block:
            return textwrap.dedent(block)
    raise AssertionError(f"docs/concepts.md has no python block containing {text!r}")


def test_an_extension_the_backend_lacks_is_refused_as_the_page_shows(capsys: pytest.CaptureFixture[str]) -> None:
    exec(block_containing("video.ext.dial_sip"), {})
    assert capsys.readouterr().out.startswith("the local backend has no extension 'dial_sip'; it offers none")


def test_the_portable_recording_example_runs_as_written(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(block_containing('video.recordings.download(recording, "retro/")'), namespace)
    assert namespace["folder"] == Path("retro")  # as given, relative to where it ran
    assert sorted(p.suffix for p in (tmp_path / "retro").iterdir()) == [".json", ".sim"]
    namespace["video"].close()  # type: ignore[attr-defined]


def test_a_participant_who_left_is_listed_as_the_page_shows() -> None:
    exec(block_containing("status=ParticipantStatus.DISCONNECTED"), {})
