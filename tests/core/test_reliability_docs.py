"""docs/reliability.md's python blocks, run as written: the settings they show
give the policies their comments promise. Each block only connects, so the
credentials in the environment are an offline account's and nothing is requested."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest
from support import REPO
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, UNREACHABLE

import anyvideo
from anyvideo.retry import RetryPolicy

PAGE = REPO / "docs" / "reliability.md"
BLOCKS = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)]


@pytest.fixture
def offline_accounts(monkeypatch: pytest.MonkeyPatch, vonage_application: Any) -> None:
    """What ``anyvideo.connect("vonage" | "twilio")`` in the blocks reads from the environment."""
    for variable in ("ANYVIDEO_RETRIES", "ANYVIDEO_TIMEOUT", "ANYVIDEO_DEADLINE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VONAGE_APPLICATION_ID", vonage_application.application_id)
    monkeypatch.setenv("VONAGE_PRIVATE_KEY", vonage_application.private_key)
    monkeypatch.setenv("VONAGE_VIDEO_HOST", UNREACHABLE)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("TWILIO_VIDEO_BASE_URL", f"http://{UNREACHABLE}")


def run(text: str) -> dict[str, Any]:
    """The block containing ``text``, executed; its connections, for the checks."""
    block = next(block for block in BLOCKS if text in block)
    namespace: dict[str, Any] = {}
    exec(block, namespace)
    return {name: value for name, value in namespace.items() if isinstance(value, anyvideo.Video)}


def policy(video: anyvideo.Video) -> RetryPolicy:
    return video.backend.transport.policy  # type: ignore[attr-defined, no-any-return]


def test_the_page_has_the_blocks_this_test_runs() -> None:
    assert len(BLOCKS) == 2


def test_retries_and_timeouts_are_what_the_comments_say(offline_accounts: None) -> None:
    videos = run("retries=0")
    try:
        assert (policy(videos["vonage"]).attempts, policy(videos["vonage"]).timeout) == (3, (10.0, 10.0))
        assert (policy(videos["patient"]).attempts, policy(videos["patient"]).max_time) == (6, 120)
        assert policy(videos["impatient"]).attempts == 1
    finally:
        for video in videos.values():
            video.close()


def test_deadlines_are_what_the_comments_say(offline_accounts: None) -> None:
    videos = run("deadline=0")
    try:
        assert policy(videos["bounded"]).deadline == 10
        assert policy(videos["unbounded"]).deadline is None
        assert policy(videos["unbounded"]).timeout == (3, 20)
    finally:
        for video in videos.values():
            video.close()
