"""docs/provisioning.md, run as written: every Python block of the page is a test module of a
user's suite, and passes with only anyvideo's pytest plugin to serve the emulators."""

from __future__ import annotations

import re
from pathlib import Path

from support import REPO
from support.docs import run_as_test_modules

from anyvideo_vonage.provision import VIDEO_WEBHOOKS

PAGE = REPO / "docs" / "provisioning.md"
TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)


def test_every_python_block_of_the_page_is_a_test_module() -> None:
    assert len(BLOCKS) == 3 and all("\ndef test_" in f"\n{block}" for block in BLOCKS)


def test_every_python_block_of_the_page_passes(tmp_path: Path) -> None:
    run_as_test_modules(BLOCKS, tmp_path, "-W", "error")


def test_the_page_names_every_video_webhook_the_provisioner_sets() -> None:
    assert [slot for slot in VIDEO_WEBHOOKS if f"`{slot}`" not in TEXT] == []
