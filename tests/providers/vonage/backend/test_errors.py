"""The provider's errors in the anyvideo taxonomy, the SDK's exception chained.

``video`` here never retries (``retries=0``), so each fault is what the caller sees;
retrying is ``test_vonage_retries.py``'s subject."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from vonage_http_client.errors import HttpRequestError

from anyvideo import AuthenticationError, NotFound, ProviderError, RateLimited
from anyvideo.testing.faults import Fault
from anyvideo_vonage import errors
from anyvideo_vonage.emulator.auth import ApplicationCredentials


@pytest.fixture
def video(connect_vonage):
    return connect_vonage(retries=0)


def test_404_is_not_found_with_the_sdk_error_chained(video, room) -> None:
    with pytest.raises(NotFound) as caught:
        video.streams.mute(room, "00000000-0000-0000-0000-000000000000")  # sent by the SDK
    assert isinstance(caught.value.__cause__, HttpRequestError)


def test_404_of_the_rest_helper_is_not_found(video, room) -> None:
    with pytest.raises(NotFound, match="not found"):
        video.streams.get(room, "00000000-0000-0000-0000-000000000000")  # sent by the REST helper


def test_429_is_rate_limited_with_retry_after(video, room, vonage_emulator) -> None:
    vonage_emulator.faults.script(r"/stream$", [Fault(status=429, retry_after=7)])
    with pytest.raises(RateLimited) as caught:
        list(video.streams.list(room))
    assert caught.value.retry_after == 7
    assert list(video.streams.list(room)) == []  # the next one goes through


def test_a_retry_after_given_as_an_http_date_is_waited_for() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=40), usegmt=True)
    error = errors.from_answer(429, b'{"message": "slow down"}', {"Retry-After": later})
    assert isinstance(error, RateLimited) and error.retry_after is not None and 30 < error.retry_after <= 40


def test_429_through_the_rest_helper(video, room, vonage_emulator) -> None:
    vonage_emulator.faults.script(r"/connection$", [Fault(status=429, retry_after=3)])
    with pytest.raises(RateLimited) as caught:
        list(video.participants.list(room))
    assert caught.value.retry_after == 3


def test_a_key_the_application_does_not_have_is_an_authentication_error(connect_vonage) -> None:
    video = connect_vonage(private_key=ApplicationCredentials().private_key)
    with pytest.raises(AuthenticationError, match="Unauthorized"):
        video.rooms.create()


def test_5xx_is_a_provider_error_with_its_status(video, room, vonage_emulator) -> None:
    vonage_emulator.faults.script(r"/stream$", [Fault(status=503)])
    with pytest.raises(ProviderError) as caught:
        list(video.streams.list(room))
    assert caught.value.status == 503 and caught.value.provider == "vonage"


def test_a_dropped_connection_is_a_provider_error(video, room, vonage_emulator) -> None:
    vonage_emulator.faults.add(Fault(drop=True), path=r"/connection$")
    with pytest.raises(ProviderError):
        list(video.participants.list(room))


def test_a_refused_connection_says_so_rather_than_timed_out(connect_vonage) -> None:
    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    video = connect_vonage(retries=0, video_host=f"127.0.0.1:{port}")
    with pytest.raises(ProviderError) as caught:
        video.rooms.create()
    assert "could not connect" in str(caught.value) and "timed out" not in str(caught.value)


@pytest.fixture
def wrong_key() -> str:
    """A private key of no application the emulator knows."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


def test_the_sdks_own_warning_of_an_error_answer_is_not_repeated_beside_the_error(
    connect_vonage, room, wrong_key, caplog
) -> None:
    """The SDK logs each error answer as a WARNING ("Http Response Error! …"), which Python
    prints to stderr when the application configured no logging: beside anyvideo's own
    error, the same failure twice, once in the SDK's words."""
    video = connect_vonage(retries=0, private_key=wrong_key)
    with caplog.at_level(logging.DEBUG, logger="vonage"), pytest.raises(AuthenticationError):
        video.streams.mute(room, "00000000-0000-0000-0000-000000000000")  # sent by the SDK
    assert [r.getMessage() for r in caplog.records if r.name == "vonage" and r.levelno >= logging.WARNING] == []
    # The SDK called directly keeps its warning: the application asked the SDK, not anyvideo.
    with caplog.at_level(logging.DEBUG, logger="vonage"), pytest.raises(HttpRequestError):
        video.native.video.mute_stream(room.id, "00000000-0000-0000-0000-000000000000")
    assert any("Http Response Error" in r.getMessage() for r in caplog.records if r.name == "vonage")
