"""A service killed mid-copy finishes the copy after restart.

``anyvideo serve`` runs in a real process; its worker takes the copy of an available recording
to the storage target (moto's S3) and starts the upload, which a proxy the test controls holds;
the test ``kill -9``s the process there, starts a new one, and sees the object in the bucket
exactly once, with its bytes, uploaded once: the job was claimed again when the dead worker's
lease expired. Every wait is for a condition (the held upload, the job's state), with a
generous deadline."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support.meetings import Api, bearer, service_environment, serving, settings_for, wait_for
from support.storage import HoldingProxy

import anyvideo
from anyvideo.meetings.app import create_app
from anyvideo.meetings.db import Job, make_engine


def test_a_service_killed_mid_copy_finishes_the_copy_after_restart(tmp_path: Path, s3_endpoint: str) -> None:
    database, platform = tmp_path / "meetings.db", tmp_path / "local.db"
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    bucket = f"restart-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    with HoldingProxy(s3_endpoint, hold="/recordings/") as proxy:
        expected = _an_available_recording(database, platform, proxy.url, bucket)

        settings = {"ANYVIDEO_BACKEND": "local", "ANYVIDEO_LOCAL_DB": str(platform), "ANYVIDEO_MEETINGS_JOB_LEASE": "2"}
        environ = service_environment(f"sqlite:///{database}", settings)
        engine = make_engine(f"sqlite:///{database}")
        sessions = sessionmaker(engine)

        def copy_job() -> Job:
            with sessions() as session:
                row = session.scalar(select(Job).where(Job.kind == "storage.copy"))
                assert row is not None
                return row

        with serving(environ, tmp_path) as first:
            wait_for(proxy.held.is_set, "upload held by the proxy", [first.process])
            held = copy_job()
            assert (held.state, held.attempts) == ("running", 1)
            first.process.kill()  # kill -9, mid-copy: the object is not in the bucket
            first.process.wait(60)
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
        proxy.holding = False

        with serving(environ, tmp_path) as second:
            wait_for(lambda: copy_job().state == "done", "copy done after the restart", [second.process])
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
