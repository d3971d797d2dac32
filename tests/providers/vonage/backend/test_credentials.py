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


def test_signing_keeps_the_claims_given_and_completes_only_the_missing(monkeypatch) -> None:
    import uuid

    cache = ApplicationJwt(APPLICATION.application_id, load_private_key(APPLICATION.private_key))
    made: list[uuid.UUID] = []
    real = uuid.uuid4
    monkeypatch.setattr(uuid, "uuid4", lambda: made.append(real()) or made[-1])
    given = jwt.decode(
        cache.sign({"jti": "mine", "iat": 1_700_000_000, "exp": 1_700_000_060}),
        APPLICATION.public_key,
        algorithms=["RS256"],
        options={"verify_exp": False},
    )
    assert (given["jti"], given["iat"], given["exp"]) == ("mine", 1_700_000_000, 1_700_000_060) and made == []
    completed = jwt.decode(cache.sign({"scope": "x"}), APPLICATION.public_key, algorithms=["RS256"])
    assert completed["jti"] == str(made[0]) and completed["exp"] - completed["iat"] == 15 * 60
    assert completed["application_id"] == APPLICATION.application_id
