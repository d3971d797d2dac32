"""A try that never connected is told apart from one whose answer was lost: it is
``Unreachable``, retried for any operation (nothing was sent), and leaves nothing to
look for; the CLI says so in one line."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest
import requests
import urllib3.exceptions
from support import serving
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

from anyvideo.connections import address, host, unreachable
from anyvideo.errors import ProviderError, Unreachable
from anyvideo.retry import RetryPolicy, Safety


@pytest.fixture
def closed_port() -> int:
    return serving.closed_port()


def failure_of(url: str) -> requests.RequestException:
    with pytest.raises(requests.RequestException) as caught:
        requests.get(url, timeout=5)
    return caught.value


def connect_timeout() -> requests.RequestException:
    """What ``requests`` raises when connecting timed out (built: a timeout on a closed
    network cannot be had on demand)."""
    pool = HTTPConnectionPool("10.9.8.7", 8443)
    reason = urllib3.exceptions.ConnectTimeoutError(HTTPConnection("10.9.8.7", 8443), "timed out")
    return requests.ConnectTimeout(urllib3.exceptions.MaxRetryError(pool, "/", reason))


def test_a_refused_connection_is_unreachable_and_names_the_address(closed_port: int) -> None:
    error = unreachable(failure_of(f"http://127.0.0.1:{closed_port}/v1/Rooms"), provider="twilio")
    assert isinstance(error, Unreachable) and isinstance(error, ConnectionError)
    assert str(error) == f"twilio: could not connect: 127.0.0.1:{closed_port} refused the connection"
    assert error.status is None


def test_a_name_that_does_not_resolve_is_unreachable_and_names_the_host() -> None:
    failure = failure_of("https://video.example.invalid/v2/project")  # .invalid never resolves (RFC 6761)
    error = unreachable(failure, provider="vonage")
    assert str(error) == "vonage: could not connect: the name video.example.invalid does not resolve"
    assert host(failure) == "video.example.invalid"


def test_a_connect_timeout_is_unreachable() -> None:
    failure = connect_timeout()
    error = unreachable(failure, provider="vonage")
    assert str(error) == "vonage: could not connect: connecting to 10.9.8.7:8443 timed out"
    assert address(failure) == "10.9.8.7:8443"


def test_a_failure_once_connected_is_not_unreachable() -> None:
    with socket.socket() as server:  # accepts, then closes without answering: the request was sent
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        session = requests.Session()
        prepared = session.prepare_request(requests.Request("POST", f"http://127.0.0.1:{port}/v1/Rooms"))
        try:
            with pytest.raises(requests.RequestException) as caught:
                # the connection is made at once (listen), the answer never comes
                session.send(prepared, timeout=(5, 0.2))
        finally:
            session.close()
    assert unreachable(caught.value, provider="twilio") is None


class Unanswered:
    """An operation that fails with ``error`` ``times`` times, then succeeds."""

    def __init__(self, error: Callable[[], Exception], times: int) -> None:
        self.error, self.left, self.tries = error, times, 0

    def __call__(self) -> str:
        self.tries += 1
        if self.left:
            self.left -= 1
            raise self.error()
        return "made"


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (lambda: Unreachable("could not connect", provider="twilio"), True),  # never sent: safe to repeat
        (lambda: ProviderError("the answer was lost", provider="twilio"), False),  # may have made it
    ],
    ids=["unreachable", "lost answer"],
)
def test_a_create_is_repeated_after_a_try_that_never_connected(error: Callable[[], Exception], retried: bool) -> None:
    waits: list[float] = []
    operation = Unanswered(error, times=1)
    policy = RetryPolicy(sleep=waits.append)
    if retried:
        assert policy.run(operation, what="create room", safety=Safety.UNSAFE) == "made"
    else:
        with pytest.raises(ProviderError):
            policy.run(operation, what="create room", safety=Safety.UNSAFE)
    assert operation.tries == (2 if retried else 1)


def test_a_create_that_never_connected_leaves_nothing_to_look_for(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    import anyvideo

    video = anyvideo.connect(
        "twilio",
        account_sid="AC" + "1" * 32,
        api_key_sid="SK" + "1" * 32,
        api_key_secret="not-a-secret",
        base_url=f"http://127.0.0.1:{closed_port}",
        retries=0,
    )
    with video, caplog.at_level(logging.INFO, logger="anyvideo"), pytest.raises(Unreachable):
        video.rooms.create("standup")
    # Before, the failed create was watched for duplicates, and looking for them failed too.
    assert not [r for r in caplog.records if "duplicates" in r.getMessage()]
