"""Many threads at once: the SDK's client is per thread, the application JWT shared."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import jwt

from anyvideo import Role
from anyvideo.testing import EmulatorControl

THREADS = 16
OPERATIONS = 50


def test_16_threads_of_50_mixed_operations(video, vonage_emulator) -> None:
    public_key = vonage_emulator.application.public_key
    clients: set[int] = set()
    lock = threading.Lock()

    def work(worker: int) -> int:
        control = EmulatorControl(vonage_emulator.base_url)  # one browser per thread, as in life
        room = video.rooms.create(f"room-{worker}")
        with lock:
            clients.add(id(video.native))
        done = 1
        joined = []
        for step in range(OPERATIONS - 1):
            kind = step % 7
            if kind == 0:
                identity = f"w{worker}-{step}"
                token = video.tokens.create(room, identity, role=Role.PUBLISHER, data=str(worker))
                claims = jwt.decode(token.token, public_key, algorithms=["RS256"])
                assert claims["session_id"] == room.id  # no mixed-up credentials
                joined.append(control.join(token))
                assert joined[-1].identity == identity
            elif kind == 1:
                assert video.rooms.get(room).name == f"room-{worker}"
            elif kind == 2:
                assert {p.id for p in video.participants.list(room)} == {c.participant_id for c in joined}
            elif kind == 3 and joined:
                joined[-1].publish(name=f"w{worker}")
            elif kind == 4:
                assert all(s.room_id == room.id for s in video.streams.list(room))
            elif kind == 5:
                video.signals.send(room, "tick", str(step))
            elif joined and step % 2:
                recording = video.recordings.start(room)
                assert video.recordings.stop(recording).room_id == room.id
            else:
                assert video.rooms.get(name=f"room-{worker}").id == room.id
            done += 1
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    assert results == [OPERATIONS] * THREADS
    assert len(clients) == THREADS  # each thread drove its own SDK client
    assert video.backend.transport.jwt.signed == 1  # and all of them shared one application JWT


def test_two_applications_in_threads_never_mix_credentials(connect_vonage, vonage_emulator, monkeypatch, tmp_path):
    """Two backends (two applications, two emulators) driven from 16 threads at once: every
    request is answered by its own application's emulator, every token signed with its own key."""
    from anyvideo.testing import emulator

    with emulator("vonage", tls=True) as other:
        bundle = tmp_path / "both.pem"
        bundle.write_text(vonage_emulator.ca_bundle.read_text() + other.ca_bundle.read_text())
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        first = connect_vonage()
        second = connect_vonage(
            application_id=other.credentials["application_id"],
            private_key=other.credentials["private_key"],
            video_host=other.base_url.removeprefix("https://"),
        )
        pairs = [(first, vonage_emulator), (second, other)]

        def work(worker: int) -> None:
            video, server = pairs[worker % 2]
            stranger = pairs[1 - worker % 2][1]
            for step in range(OPERATIONS // 2):
                room = video.rooms.create()
                assert server.world.get_room(room.id)
                token = video.tokens.create(room, f"w{worker}-{step}")
                jwt.decode(token.token, server.application.public_key, algorithms=["RS256"])
                try:
                    jwt.decode(token.token, stranger.application.public_key, algorithms=["RS256"])
                except jwt.InvalidSignatureError:
                    pass
                else:
                    raise AssertionError("a token verified with the other application's key")
                assert list(video.streams.list(room)) == []

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(work, range(THREADS)))
