"""A hostile server gets a typed anyvideo error out of every backend, in time.

Each backend is pointed at a real HTTP server on 127.0.0.1 that answers every
request one bad way (:class:`support.hostile.Way`), with a short deadline
(from ``ANYVIDEO_DEADLINE``) and a read timeout longer than the server's gap
between two trickled bytes. A create (an SDK call, tried again only where the
backend can reconcile) and a read (retried) must each end in a
:class:`~anyvideo.ProviderError` (:class:`~anyvideo.DeadlineExceeded` is one)
well before a generous bound; the call runs in a thread, so a regression fails
the test instead of hanging it. No minimum time is asserted. Silence must be
cut at the deadline too when the read timeout is far longer than it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.hostile import HostileServer, Way

import anyvideo
from anyvideo import ProviderError, Video

DEADLINE = 2.0
#: Far above the deadline plus the lookup a create gets after it: only a hang or a lost deadline reaches it.
BOUND = DEADLINE + 10
#: (connect, read): the read timeout lets a byte every 0.5 s through, as a real slow answer would.
TIMEOUT = (1.0, 1.0)


def _vonage(server: HostileServer, timeout: tuple[float, float] = TIMEOUT) -> Video:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return anyvideo.connect(
        "vonage",
        environ={"ANYVIDEO_DEADLINE": str(DEADLINE)},
        application_id="00000000-0000-4000-8000-000000000000",
        private_key=pem.decode(),
        video_host=server.address,
        timeout=timeout,
    )


def _twilio(server: HostileServer, timeout: tuple[float, float] = TIMEOUT) -> Video:
    return anyvideo.connect(
        "twilio",
        environ={"ANYVIDEO_DEADLINE": str(DEADLINE)},
        account_sid="AC" + "0" * 32,
        auth_token="f" * 32,
        base_url=f"http://{server.address}",
        timeout=timeout,
    )


#: backend -> (whether its SDK insists on HTTPS, how to connect, a composition id of its shape)
BACKENDS: dict[str, tuple[bool, Callable[..., Video], str]] = {
    "vonage": (True, _vonage, "5e1a3b52-3f6e-4a5b-9c1d-2f3e4a5b6c7d"),
    "twilio": (False, _twilio, "CJ" + "0" * 32),
}

OPERATIONS: dict[str, Callable[[Video, str], Any]] = {
    "create room": lambda video, composition: video.rooms.create("hostile"),
    "get composition": lambda video, composition: video.compositions.get(composition),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(params=list(Way), ids=[way.value for way in Way])
def server(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HostileServer]:
    with HostileServer(request.param, tls=BACKENDS[backend][0], scratch=tmp_path) as running:
        if running.ca_bundle is not None:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running


def _outcome(call: Callable[[], Any]) -> tuple[bool, BaseException | None, float]:
    """Run ``call`` in a thread: (whether it ended within BOUND, what it raised, seconds taken)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: B036 - whatever it is, the test reports it
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(BOUND)
    return not worker.is_alive(), (raised[0] if raised else None), time.monotonic() - started


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_hostile_answer_ends_in_a_typed_error_in_time(backend: str, server: HostileServer, operation: str) -> None:
    _, connect, composition = BACKENDS[backend]
    video = connect(server)
    _check(video, server, lambda: OPERATIONS[operation](video, composition), f"{operation} on {backend}")


@pytest.mark.parametrize("server", [Way.SILENCE], ids=["silence"], indirect=True)
def test_a_read_timeout_longer_than_the_deadline_does_not_hold_a_call(backend: str, server: HostileServer) -> None:
    _, connect, composition = BACKENDS[backend]
    video = connect(server, timeout=(1.0, 30.0))
    _check(video, server, lambda: video.compositions.get(composition), f"get composition on {backend}")


def _check(video: Video, server: HostileServer, call: Callable[[], Any], what: str) -> None:
    try:
        ended, raised, took = _outcome(call)
    finally:
        server.stopping.set()  # a call still running (a regression) is let go before the connection closes
        video.close()
    assert ended, f"{what} was still running after {BOUND} s"
    assert isinstance(raised, ProviderError), f"{what} ended in {raised!r} after {took:.1f} s"
