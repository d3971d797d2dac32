"""Two ``anyvideo serve`` processes on one PostgreSQL database, one killed with SIGKILL in the
middle of storage copies: every recording lands in the target exactly once, with its bytes.

The recordings are made in this process, by the service on the same database and the Twilio
emulator (its callbacks delivered to the service served on loopback), without a job worker:
when they are available, their copies are jobs in the database. Then two ``anyvideo serve``
processes on that database and emulator take the copies; a proxy in front of the object store
(moto's S3, or Azurite) holds every upload, so each process is caught mid-copy. The test kills
one (``kill -9``), lets the other's upload through, and waits (for conditions, never for time)
until every copy is done: the killed worker's job is claimed again once its lease (two seconds
in the instances' environment) has expired, and the upload the dead process had started is
never forwarded, so each object is uploaded once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support.meetings import Api, Instance, served, service_environment, serving, settings_for, wait_for
from support.postgres import sqlalchemy_url
from support.serving import closed_port
from support.storage import AZURITE_ACCOUNT, HoldingProxy, Store, azure_store, s3_store

from anyvideo import StreamKind, Video
from anyvideo.meetings.app import PROVIDER_WEBHOOKS, create_app
from anyvideo.meetings.db import Job, make_engine
from anyvideo.meetings.storage import COPY
from anyvideo.testing import Emulator, SettledDevices

#: Recordings made; more than the two processes copy at once, so the survivor copies several.
RECORDINGS = 4


class Http:
    """``requests`` against one base URL, as :class:`Api` calls its client."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __getattr__(self, method: str) -> Callable[..., requests.Response]:
        def call(path: str, **options: Any) -> requests.Response:
            return requests.request(method, self.base + path, timeout=60, **options)

        return call


@pytest.fixture(params=["s3", "azure"])
def proxied_store(request: pytest.FixtureRequest) -> Iterator[tuple[Store, HoldingProxy]]:
    """A new bucket (moto) or container (Azurite), reached by the service through a holding proxy."""
    if request.param == "s3":
        endpoint: str = request.getfixturevalue("s3_endpoint")
        with HoldingProxy(endpoint, hold="/recordings/") as proxy:
            yield s3_store(endpoint, via=proxy.url), proxy
        return
    account_url: str = request.getfixturevalue("azurite")
    with HoldingProxy(account_url, hold="/recordings/") as proxy:
        yield azure_store(account_url, via=f"{proxy.url}/{AZURITE_ACCOUNT}"), proxy


def test_killing_one_of_two_instances_mid_copy_copies_every_recording_once(
    postgres_database: str, twilio_emulator: Emulator, proxied_store: tuple[Store, HoldingProxy], tmp_path: Path
) -> None:
    store, proxy = proxied_store
    database = sqlalchemy_url(postgres_database)
    expected = _available_recordings(database, postgres_database, twilio_emulator, store)
    engine = make_engine(database)
    sessions = sessionmaker(engine)

    def copies() -> list[Job]:
        with sessions() as session:
            return list(session.scalars(select(Job).where(Job.kind == COPY).order_by(Job.id)))

    def held_by(instance: Instance) -> list[Job]:
        return [
            job for job in copies() if job.state == "running" and f":{instance.process.pid}:" in (job.lease_owner or "")
        ]

    assert [job.state for job in copies()] == ["pending"] * RECORDINGS
    environ = service_environment(database, twilio_emulator.app_environment | {"ANYVIDEO_MEETINGS_JOB_LEASE": "2"})
    try:
        with ExitStack() as stack:
            killed, survivor = (stack.enter_context(serving(environ, tmp_path)) for _ in range(2))
            processes = [killed.process, survivor.process]
            # Each instance holds a copy, its upload held by the proxy.
            wait_for(lambda: proxy.waiting() == 2, "an upload held from each instance", processes)
            wait_for(lambda: len(held_by(killed)) == len(held_by(survivor)) == 1, "a copy held by each", processes)
            [lost] = held_by(killed)
            killed.process.kill()  # kill -9, mid-copy
            killed.process.wait(60)
            wait_for(lambda: proxy.waiting() == 1, "the killed instance's connection closed", [survivor.process])
            assert store.objects() == {}

            proxy.holding = False
            proxy.release.set()  # the survivor's upload goes on; the dead instance's is dropped
            wait_for(lambda: all(job.state == "done" for job in copies()), "every copy done", [survivor.process])
        done = {job.id: job for job in copies()}
        assert all(job.last_error is None for job in done.values())
        assert done[lost.id].attempts == 2  # claimed again after the killed worker's lease expired
        assert store.objects() == expected
        uploaded = sorted(path[path.index("/meetings/") + 1 :].split("?")[0] for path in proxy.forwarded)
        assert uploaded == sorted(expected), "each object uploaded once"
    finally:
        engine.dispose()


def _available_recordings(database: str, registry: str, emulator: Emulator, store: Store) -> dict[str, bytes]:
    """In this process, on the service's database without its job worker: the storage target set,
    :data:`RECORDINGS` meetings recorded and ended, their recordings available (so their copies
    are jobs in the database). Answers the objects the copies must make."""
    control, port = emulator.control, closed_port()
    hooks = f"http://127.0.0.1:{port}{PROVIDER_WEBHOOKS}"
    with emulator.connect(status_callback=hooks, registry=registry) as video:
        return _record(video, control, port, database, store)


def _record(video: Video, control: Any, port: int, database: str, store: Store) -> dict[str, bytes]:
    app = create_app(settings_for(database), video=video)
    devices = SettledDevices(control)
    with served(app, port) as base:
        api = Api(Http(base), jobs=app.state.jobs)
        assert api.client.put("/archives/storage-target", json=store.body, headers=api.headers).status_code == 200
        links = [api.create(enableArchiving=True) for _ in range(RECORDINGS)]
        for link in links:
            client = devices.join(api.token(link, identity="ann")["token"])
            for kind in (StreamKind.AUDIO, StreamKind.VIDEO):
                client.publish(kind)
        control.callbacks()
        archives = [archive["archiveId"] for archive in api.archives()["items"]]  # the streams started them
        assert len(archives) == RECORDINGS
        control.advance(5)
        for link in links:
            api.end(link)
        control.callbacks()

        def statuses() -> list[str]:
            return [api.client.get(f"/archives/{a}", headers=api.headers).json()["status"] for a in archives]

        # The recordings complete, then each composition processes (from the request that sees them
        # complete): each a processing delay later. Their events are jobs too, left to the instances.
        control.advance(30)
        statuses()
        control.advance(30)
        control.callbacks()
        assert statuses() == ["available"] * RECORDINGS  # seen available: their copies are enqueued
        expected = {}
        for archive in archives:
            recording = video.recordings.get(archive)
            for media in recording.files:
                key = f"meetings/recordings/{recording.provider}/{recording.id}/{media.name}"
                expected[key] = b"".join(video.recordings.iter_bytes(recording, file_name=media.name))
    return expected
