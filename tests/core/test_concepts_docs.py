"""docs/concepts.md's examples that stand alone, run as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from support import REPO

PAGE = REPO / "docs" / "concepts.md"


#: The page's python blocks, each as written (dedented when it sits in a list).
BLOCKS = [
    textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
]


def block_containing(text: str) -> str:
    """The python block of the page that contains ``text``."""
    for block in BLOCKS:
        if text in block:
            return block
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


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_every_python_block_of_the_page_runs_as_written(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a block may download into a folder of its own
    for variable in ("ANYVIDEO_BACKEND", "ANYVIDEO_LOCAL_DB", "ANYVIDEO_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)
    namespace: dict[str, object] = {"__name__": "concepts_block"}
    exec(BLOCKS[number], namespace)
    video = namespace.get("video")
    if video is not None:
        video.close()  # type: ignore[attr-defined]
