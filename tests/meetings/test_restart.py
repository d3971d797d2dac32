"""A service killed mid-copy finishes the copy after restart.

``anyvideo serve`` runs in a real process; its worker takes the copy of an available recording
to the storage target (moto's S3) and starts the upload, which a proxy the test controls holds;
the test ``kill -9``s the process there, starts a new one, and sees the object in the bucket
exactly once, with its bytes, uploaded once: the job was claimed again when the dead worker's
lease expired. Every wait is for a condition (the held upload, the job's state), with a
generous deadline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support import REPO
from support.meetings import SECRET, STORAGE_KEY, Api, bearer, settings_for
from support.serving import closed_port
from support.storage import HoldingProxy, moto_server

import anyvideo
from anyvideo.meetings.app import create_app
from anyvideo.meetings.db import Job, make_engine

#: Long enough to wait for anything on a loaded machine; never reached when all is well.
DEADLINE = 180.0


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def wait_for(condition: Callable[[], bool], what: str, processes: list[subprocess.Popen[bytes]]) -> None:
    """Until ``condition()`` holds, looking again every 50 ms; fails at the deadline or when a process exits."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"anyvideo serve exited ({process.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {DEADLINE} s")
        time.sleep(0.05)


def test_a_service_killed_mid_copy_finishes_the_copy_after_restart(tmp_path: Path, s3_endpoint: str) -> None:
    database, platform = tmp_path / "meetings.db", tmp_path / "local.db"
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    bucket = f"restart-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    with HoldingProxy(s3_endpoint, hold="/recordings/") as proxy:
        expected = _an_available_recording(database, platform, proxy.url, bucket)

        environ = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
        environ |= {
            "PYTHONPATH": os.pathsep.join([str(REPO / "core"), str(REPO / "backends")]),
            "ANYVIDEO_BACKEND": "local",
            "ANYVIDEO_LOCAL_DB": str(platform),
            "ANYVIDEO_MEETINGS_DATABASE_URL": f"sqlite:///{database}",
            "ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET,
            "ANYVIDEO_MEETINGS_STORAGE_KEY": STORAGE_KEY,
            "ANYVIDEO_MEETINGS_JOB_LEASE": "2",
        }
        engine = make_engine(f"sqlite:///{database}")
        sessions = sessionmaker(engine)

        def copy_job() -> Job:
            with sessions() as session:
                row = session.scalar(select(Job).where(Job.kind == "storage.copy"))
                assert row is not None
                return row

        def serve(log: str) -> subprocess.Popen[bytes]:
            command = [sys.executable, "-m", "anyvideo", "serve", "--port", str(closed_port())]
            with open(tmp_path / log, "wb") as output:
                return subprocess.Popen(command, cwd=tmp_path, env=environ, stdout=output, stderr=subprocess.STDOUT)

        first = serve("first.log")
        try:
            wait_for(proxy.held.is_set, "upload held by the proxy", [first])
            held = copy_job()
            assert (held.state, held.attempts) == ("running", 1)
            first.kill()  # kill -9, mid-copy: the object is not in the bucket
        finally:
            first.kill()
            first.wait(60)
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
        proxy.holding = False

        second = serve("second.log")
        try:
            wait_for(lambda: copy_job().state == "done", "copy done after the restart", [second])
        finally:
            second.terminate()
            second.wait(60)
        engine.dispose()
        done = copy_job()
        assert (done.attempts, done.last_error) == (2, None)
        listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
        stored = {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}
        assert len(listed) == len(stored) == len(expected) and stored == expected
        assert sorted(proxy.forwarded) == sorted(f"/{bucket}/{key}" for key in expected)  # each uploaded once


def _an_available_recording(database: Path, platform: Path, endpoint: str, bucket: str) -> dict[str, bytes]:
    """In this process, on the service's files but without its worker: the storage target set, a
    meeting recorded and ended, its recording available (so its copy is a job in the database).
    Answers the objects its copy must make."""
    with anyvideo.connect("local", environ={"ANYVIDEO_LOCAL_DB": str(platform)}, processing_delay=0) as video:
        app = create_app(settings_for(str(database), run_worker=False), video=video)
        with TestClient(app) as client:
            api = Api(client)
            target = {
                "type": "s3",
                "bucket": bucket,
                "prefix": "archive",
                "endpointUrl": endpoint,
                "region": "us-east-1",
                "accessKeyId": "k",
                "secretAccessKey": "restart-secret",
            }
            assert client.put("/archives/storage-target", json=target, headers=bearer()).status_code == 200
            link = api.create(enableArchiving=True)
            video.backend.browser().join(api.token(link, identity="ann")["token"]).publish()
            app.state.jobs.drain()  # the stream's event starts the recording
            [archive] = api.archives()["items"]
            api.end(link)
            fetched = client.get(f"/archives/{archive['archiveId']}", headers=api.headers).json()
            assert fetched["status"] == "available"
            recording = video.recordings.get(archive["archiveId"])
            expected = {
                f"archive/recordings/local/{recording.id}/{media.name}": b"".join(
                    video.recordings.iter_bytes(recording, file_name=media.name)
                )
                for media in recording.files
            }
        with app.state.service.sessions() as session:
            [copy] = session.scalars(select(Job).where(Job.kind == "storage.copy")).all()
            assert copy.state == "pending"
    return expected
