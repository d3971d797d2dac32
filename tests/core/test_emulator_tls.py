"""An HTTPS emulator and clients that go away: a client hanging up, mid-handshake or
mid-request, is nothing to report; a failure of the emulator itself still is."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from anyvideo.testing import Emulator

#: The start of a TLS ClientHello record: a handshake the client never finishes.
PARTIAL_HELLO = b"\x16\x03\x01\x00\xa5\x01\x00"


@pytest.fixture
def emulator(anyvideo_emulator: Callable[..., Emulator]) -> Emulator:
    return anyvideo_emulator("twilio", tls=True)


@pytest.fixture
def finished(emulator: Emulator) -> Iterator[threading.Semaphore]:
    """Released each time the server is done with a connection (after any error was reported)."""
    server: Any = emulator._server  # the stdlib server: its last step for every connection
    done = threading.Semaphore(0)
    close = server.shutdown_request

    def shutdown_request(request: Any) -> None:
        close(request)
        done.release()

    server.shutdown_request = shutdown_request
    yield done
    server.shutdown_request = close


def address(emulator: Emulator) -> tuple[str, int]:
    host, port = emulator.base_url.removeprefix("https://").rsplit(":", 1)
    return host, int(port)


def still_serves(emulator: Emulator) -> bool:
    answer = requests.get(f"{emulator.base_url}/_emulator/callbacks", verify=str(emulator.ca_bundle), timeout=30)
    return answer.status_code == 200


def test_a_client_closing_mid_handshake_prints_nothing(
    emulator: Emulator, finished: threading.Semaphore, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_connection(address(emulator)) as raw:
        raw.sendall(PARTIAL_HELLO)
    assert finished.acquire(timeout=30), "the server never finished with the connection"
    assert capsys.readouterr().err == ""
    assert still_serves(emulator)


def test_a_client_hanging_up_mid_request_prints_nothing(
    emulator: Emulator, finished: threading.Semaphore, capsys: pytest.CaptureFixture[str]
) -> None:
    context = ssl.create_default_context(cafile=str(emulator.ca_bundle))
    with context.wrap_socket(socket.create_connection(address(emulator)), server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET /_emulator/callbacks HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: hangs up
    assert finished.acquire(timeout=30), "the server never finished with the connection"
    assert capsys.readouterr().err == ""
    assert still_serves(emulator)


def test_a_client_that_never_finishes_its_handshake_holds_up_nobody(emulator: Emulator) -> None:
    with socket.create_connection(address(emulator)) as silent:
        silent.sendall(PARTIAL_HELLO)
        assert still_serves(emulator)


def test_a_failure_of_the_emulator_itself_is_still_reported(
    emulator: Emulator,
    finished: threading.Semaphore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(emulator, "handle", broken)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.base_url}/v1/Rooms", verify=str(emulator.ca_bundle), timeout=30)
    assert finished.acquire(timeout=30), "the server never finished with the connection"
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug in a handler" in err
