"""Shared fixtures: the local backend on a clock the test moves by hand, and the
providers' offline connections that the core and the provider tests both parse callbacks with.
Also the one summary line for the tests skipped without the specification that is not
vendored (``support.specs``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import specs
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, UNREACHABLE, VONAGE_SECRET

import anyvideo
from anyvideo import Room, Video
from anyvideo.sim import Browser, ManualClock
from anyvideo_vonage.emulator.auth import ApplicationCredentials


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test parametrised with an enum of the missing unlicensed spec has no parameters:
    it is skipped for that reason, not for pytest's generic "empty parameter set"."""
    for item in items:
        module = getattr(item, "module", None)
        if module is None or module.__name__ not in specs.absent_enums_in:
            continue
        reasons = [str(mark.kwargs.get("reason", "")) for mark in item.iter_markers("skip")]
        if any(reason.startswith("got empty parameter set") for reason in reasons):
            item.add_marker(pytest.mark.skip(reason=specs.UNLICENSED_SKIP), append=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: how many tests were skipped for want of the spec that is not vendored, and what to do."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and specs.UNLICENSED_SKIP in report.longrepr[2]
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} tests skipped: they need vonage_video.yml (the Vonage Video spec 0.3.2), whose licence "
            f"is not stated, so it is not vendored in specs/; to run them, set ANYVIDEO_SPECS to a folder that holds "
            f"it (CI uses ../shared/specs)"
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def video(clock: ManualClock) -> Iterator[Video]:
    """The local backend, in memory, whatever the environment says (``environ={}``)."""
    with anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video:
        yield video


@pytest.fixture
def browser(video: Video) -> Browser:
    return video.backend.browser()


@pytest.fixture
def room(video: Video) -> Room:
    return video.rooms.create(name="weekly")


@pytest.fixture(scope="session")
def vonage_application() -> ApplicationCredentials:
    """One Vonage application key for the run: making an RSA key takes a while."""
    return ApplicationCredentials()


@pytest.fixture
def offline_vonage(vonage_application: ApplicationCredentials) -> Iterator[Video]:
    """A Vonage connection that only parses callbacks (no emulator: nothing to ask the provider)."""
    with anyvideo.connect(
        "vonage",
        environ={},
        application_id=vonage_application.application_id,
        private_key=vonage_application.private_key,
        video_host=UNREACHABLE,
        signature_secret=VONAGE_SECRET,
    ) as video:
        yield video


@pytest.fixture
def offline_twilio() -> Iterator[Video]:
    """A Twilio connection that only parses callbacks signed with ``TWILIO_TOKEN``."""
    with anyvideo.connect(
        "twilio",
        environ={},
        account_sid=TWILIO_ACCOUNT,
        auth_token=TWILIO_TOKEN,
        base_url=f"http://{UNREACHABLE}",
    ) as video:
        yield video
