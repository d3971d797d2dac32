"""docs/providers/vonage.md, run as written: a block that is a test module passes as a
user's suite with only anyvideo's pytest plugin; every other block runs against the
Vonage emulator, its settings (``VONAGE_…``) in the environment, as an application's."""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support import REPO
from support.docs import module_blocks, run_as_test_modules

from anyvideo import Video
from anyvideo_vonage.emulator import VonageEmulator

PAGE = REPO / "docs" / "providers" / "vonage.md"
BLOCKS = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)]
TEST_MODULES = module_blocks(BLOCKS)
SCRIPTS = [block for block in BLOCKS if block not in TEST_MODULES]


def test_the_page_has_both_kinds_of_block() -> None:
    assert TEST_MODULES and SCRIPTS and len(TEST_MODULES) + len(SCRIPTS) == len(BLOCKS)


@pytest.fixture
def vonage_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[VonageEmulator]:
    """A running emulator, and the environment an application pointed at it reads."""
    for variable in [name for name in os.environ if name.startswith(("ANYVIDEO_", "VONAGE_"))]:
        monkeypatch.delenv(variable)
    with VonageEmulator(tls=True) as emulator:
        for variable, value in emulator.client_environment.items():
            if value is not None:
                monkeypatch.setenv(variable, value)
        monkeypatch.setenv("VONAGE_APPLICATION_ID", emulator.credentials["application_id"])
        monkeypatch.setenv("VONAGE_PRIVATE_KEY", emulator.credentials["private_key"])
        monkeypatch.setenv("VONAGE_VIDEO_HOST", urlsplit(emulator.base_url).netloc)
        yield emulator


@pytest.mark.parametrize("number", range(len(SCRIPTS)))
def test_every_script_block_runs_against_the_emulator(number: int, vonage_environment: VonageEmulator) -> None:
    namespace: dict[str, object] = {"__name__": "vonage_docs_block"}
    try:
        exec(SCRIPTS[number], namespace)
    finally:
        for value in namespace.values():
            if isinstance(value, Video):
                value.close()
    assert list(vonage_environment.world.rooms()), "the block made no room on the emulator"


def test_every_test_module_block_passes(tmp_path: Path) -> None:
    run_as_test_modules(TEST_MODULES, tmp_path, "-p", "no:randomly")
