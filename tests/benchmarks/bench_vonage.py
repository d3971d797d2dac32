"""anyvideo's Vonage backend against the ``vonage`` SDK used directly, on the emulator, in one run.

Run on demand (the default test run does not collect it):

    pytest tests/benchmarks/bench_vonage.py -s

Operations: the same three REST calls each way (create a session, list its
streams, send it a signal), so what differs is what the client does around a
request. Client tokens: the SDK's ``generate_client_token`` against
``video.tokens.create``. Both sides talk to the same emulator over HTTPS on
loopback, so the printed ratios hold on any machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from vonage import Auth, HttpClientOptions, Vonage
from vonage_video.models import SignalData, TokenOptions

import anyvideo
from anyvideo.testing import emulator

ROUNDS = 60  # of three operations each
SDK_TOKENS = 100
ANYVIDEO_TOKENS = 2000


def _rate(count: int, work: Callable[[int], object]) -> float:
    work(-1)  # warm up: imports, connection pools, the first JWT
    started = time.perf_counter()
    for i in range(count):
        work(i)
    return count / (time.perf_counter() - started)


@pytest.fixture
def vonage(monkeypatch: pytest.MonkeyPatch):
    with emulator("vonage", tls=True) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running


def test_vonage_speed(vonage) -> None:
    host = urlsplit(vonage.base_url).netloc
    application_id, private_key = vonage.credentials["application_id"], vonage.credentials["private_key"]
    sdk = Vonage(Auth(application_id=application_id, private_key=private_key), HttpClientOptions(video_host=host)).video
    video = anyvideo.connect(
        "vonage", environ={}, application_id=application_id, private_key=private_key, video_host=host
    )
    sdk_session = sdk.create_session().session_id
    room = video.rooms.create("bench")

    def sdk_round(i: int) -> None:
        session_id = sdk.create_session().session_id
        sdk.list_streams(session_id)
        sdk.send_signal(session_id, SignalData(type="tick", data=str(i)))

    def anyvideo_round(i: int) -> None:
        created = video.rooms.create()
        list(video.streams.list(created))
        video.signals.send(created, "tick", str(i))

    def sdk_token(i: int) -> None:
        sdk.generate_client_token(TokenOptions(session_id=sdk_session, role="publisher", connection_data="ann"))

    def anyvideo_token(i: int) -> None:
        video.tokens.create(room, "ann")

    # interleaved, so a noisy neighbour slows both sides alike
    sdk_ops = _rate(ROUNDS, sdk_round) * 3
    anyvideo_ops = _rate(ROUNDS, anyvideo_round) * 3
    sdk_tokens = _rate(SDK_TOKENS, sdk_token)
    anyvideo_tokens = _rate(ANYVIDEO_TOKENS, anyvideo_token)
    video.close()

    print(
        f"\nVonage emulator on loopback (HTTPS); {ROUNDS * 3} operations, tokens {SDK_TOKENS} SDK / {ANYVIDEO_TOKENS}"
    )
    print(
        f"  operations/s     SDK {sdk_ops:8.1f}   anyvideo {anyvideo_ops:8.1f}   ratio {anyvideo_ops / sdk_ops:5.2f}x"
    )
    print(
        f"  ms/operation     SDK {1000 / sdk_ops:8.2f}   anyvideo {1000 / anyvideo_ops:8.2f}"
        f"   saved {1000 / sdk_ops - 1000 / anyvideo_ops:6.2f} ms"
    )
    print(
        f"  client tokens/s  SDK {sdk_tokens:8.1f}   anyvideo {anyvideo_tokens:8.1f}"
        f"   ratio {anyvideo_tokens / sdk_tokens:5.1f}x"
    )
    print(f"  application JWTs signed by anyvideo: {video.backend.transport.jwt.signed}")
    assert anyvideo_tokens >= 20 * sdk_tokens
    assert anyvideo_ops >= sdk_ops
