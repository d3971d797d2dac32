"""The key is loaded once, the application JWT reused until shortly before it expires."""

from __future__ import annotations

import threading
import time

import jwt

from anyvideo_vonage.credentials import ApplicationJwt, load_private_key
from anyvideo_vonage.emulator.auth import ApplicationCredentials

APPLICATION = ApplicationCredentials()


def test_one_application_jwt_serves_many_requests(video, room) -> None:
    for _ in range(20):
        list(video.streams.list(room))
    video.rooms.create()
    assert video.backend.transport.jwt.signed == 1


def test_the_jwt_is_replaced_shortly_before_it_expires() -> None:
    cache = ApplicationJwt(APPLICATION.application_id, load_private_key(APPLICATION.private_key), lifetime=3, margin=2)
    first = cache.token()
    assert cache.token() == first
    claims = jwt.decode(first, APPLICATION.public_key, algorithms=["RS256"])
    assert claims["exp"] - claims["iat"] == 3 and claims["application_id"] == APPLICATION.application_id
    time.sleep(1.1)
    assert cache.token() != first and cache.signed == 2


def test_concurrent_first_requests_sign_once() -> None:
    cache = ApplicationJwt(APPLICATION.application_id, load_private_key(APPLICATION.private_key))
    barrier = threading.Barrier(16)
    seen: list[bytes] = []

    def ask() -> None:
        barrier.wait()
        seen.append(cache.token())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.signed == 1 and len(set(seen)) == 1
