"""Shared fixtures: the local backend on a clock the test moves by hand, and the
providers' offline connections that the core and the provider tests both parse callbacks with."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, UNREACHABLE, VONAGE_SECRET

import anyvideo
from anyvideo import Room, Video
from anyvideo.sim import Browser, ManualClock
from anyvideo_vonage.emulator.auth import ApplicationCredentials


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
