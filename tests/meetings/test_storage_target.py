"""``PUT /archives/storage-target``: an S3 bucket or an Azure Blob container, validated, its
credentials encrypted at rest and never answered, logged or shown; from then on every
recording that becomes available is copied there by a durable job, with its bytes.

S3 is moto's server; Azure is Azurite, Microsoft's emulator (npm ``azurite``; ``.ci/run``
installs it): without it, outside CI, the Azure cases skip, saying how to install it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from support.meetings import SECRET, STORAGE_KEY, Api, bearer, local_service, settings_for
from support.storage import S3_SECRET, Store, azure_store, s3_store

from anyvideo import RecordingStatus, Video
from anyvideo.errors import ConfigurationError
from anyvideo.meetings.app import create_app
from anyvideo.meetings.db import Job, Meeting, StorageTarget
from anyvideo.meetings.settings import Settings
from anyvideo.meetings.storage import AzureTarget, S3Target
from anyvideo.sim import ManualClock

#: The secrets the tests give; none may show anywhere but encrypted in the database.


@pytest.fixture(params=["s3", "azure"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "s3":
        return s3_store(request.getfixturevalue("s3_endpoint"))
    return azure_store(request.getfixturevalue("azurite"))


def recorded(api: Api, video: Video, clock: ManualClock) -> tuple[str, str]:
    """A meeting recorded for 10 s and ended; its link and archive id (processing)."""
    link = api.create(enableArchiving=True)
    video.backend.browser().join(api.token(link, identity="ann")["token"]).publish()
    [archive] = [a for a in api.archives(limit=500)["items"] if a["meetingLinkId"] == link]
    clock.advance(seconds=10)
    api.end(link)
    return link, archive["archiveId"]


def recording_bytes(video: Video, archive_id: str) -> dict[str, bytes]:
    recording = video.recordings.get(archive_id)
    assert recording.status is RecordingStatus.AVAILABLE and recording.files
    return {
        f"meetings/recordings/{recording.provider}/{recording.id}/{media.name}": b"".join(
            video.recordings.iter_bytes(recording, file_name=media.name)
        )
        for media in recording.files
    }


def test_an_available_recording_lands_in_the_target_with_its_bytes(
    service: tuple[FastAPI, Api], local_video: Video, clock: ManualClock, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app, api = service
    answer = api.client.put("/archives/storage-target", json=store.body, headers=bearer(["SetMeetingUploadTarget"]))
    assert answer.status_code == 200, answer.text
    assert answer.text == store.url and answer.headers["content-type"].startswith("text/plain")
    link, archive_id = recorded(api, local_video, clock)
    assert store.objects() == {}
    clock.advance(seconds=2)  # the local platform's processing delay: the recording becomes available
    fetched = api.client.get(f"/archives/{archive_id}", headers=api.headers).json()
    assert fetched["status"] == "available"
    api.drain()
    assert store.objects() == recording_bytes(local_video, archive_id)
    with app.state.service.sessions() as session:
        [copy] = session.scalars(select(Job).where(Job.kind == "storage.copy")).all()
        assert (copy.state, copy.attempts, copy.payload["archiveId"]) == ("done", 1, archive_id)
        meeting = session.scalar(select(Meeting).where(Meeting.meeting_link == link))
        assert meeting is not None and meeting.upload_target == store.url
        [target] = session.scalars(select(StorageTarget)).all()
        assert store.secret not in target.credentials and target.created_by == "tester"
    assert store.secret not in caplog.text


def test_a_new_target_replaces_the_one_before(service: tuple[FastAPI, Api], s3_endpoint: str) -> None:
    app, api = service
    first, second = s3_store(s3_endpoint), s3_store(s3_endpoint)
    for store in (first, second):
        assert api.client.put("/archives/storage-target", json=store.body, headers=api.headers).status_code == 200
    with app.state.service.sessions() as session:
        rows = session.scalars(select(StorageTarget).order_by(StorageTarget.id)).all()
        assert [(row.container, row.deleted) for row in rows] == [
            (first.body["bucket"], True),
            (second.body["bucket"], False),
        ]


def test_without_a_storage_key_the_endpoint_says_how_to_set_one(tmp_path: Path, local_video: Video) -> None:
    with local_service(str(tmp_path / "m.db"), local_video, storage_key=None) as (_, client):
        body = {"type": "s3", "bucket": "abc", "accessKeyId": "k", "secretAccessKey": S3_SECRET}
        answer = client.put("/archives/storage-target", json=body, headers=bearer())
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
    detail = answer.json()["detail"]
    assert "ANYVIDEO_MEETINGS_STORAGE_KEY is not set" in detail and "Fernet.generate_key()" in detail
    assert S3_SECRET not in answer.text


S3 = {"type": "s3", "bucket": "my-bucket", "accessKeyId": "k", "secretAccessKey": "s"}
AZURE = {"type": "azure", "container": "my-container", "connectionString": "UseDevelopmentStorage=true"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "s3", "accessKeyId": "k", "secretAccessKey": "s"}, 422, "bucket"),
        (S3 | {"bucket": "Not_A_Bucket"}, 422, "bucket"),
        (S3 | {"bucket": "ab"}, 422, "bucket"),
        (S3 | {"prefix": "../elsewhere"}, 422, "prefix"),
        (S3 | {"prefix": "/absolute"}, 422, "prefix"),
        (S3 | {"endpointUrl": "ftp://127.0.0.1"}, 422, "endpointUrl"),
        (S3 | {"secretAccessKey": ""}, 422, "secretAccessKey"),
        ({k: v for k, v in S3.items() if k != "secretAccessKey"}, 422, "secretAccessKey"),
        (S3 | {"password": "x"}, 422, "password"),
        (S3 | {"type": "gcs"}, 422, "body"),
        (AZURE | {"container": "two--hyphens"}, 422, "container"),
        (AZURE | {"accountKey": "k"}, 400, "accountKey"),
        ({"type": "azure", "container": "my-container"}, 400, "accountUrl"),
        (
            {"type": "azure", "container": "abc", "accountUrl": "http://127.0.0.1:1/a", "accountKey": "k"},
            400,
            "accountName",
        ),
        ({"type": "azure", "container": "abc", "accountUrl": "http://127.0.0.1:1/a"}, 400, "accountKey"),
    ],
    ids=[
        "no-bucket",
        "bucket-uppercase",
        "bucket-short",
        "prefix-escapes",
        "prefix-absolute",
        "endpoint-not-http",
        "secret-empty",
        "secret-missing",
        "unknown-field",
        "unknown-type",
        "container-hyphens",
        "connection-string-and-key",
        "azure-no-credentials",
        "key-without-account",
        "url-without-key",
    ],
)
def test_the_target_is_validated_naming_the_field(api: Api, body: dict[str, Any], status: int, field: str) -> None:
    answer = api.client.put("/archives/storage-target", json=body, headers=api.headers)
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert problem["field"].split(".")[-1] == field, problem
    assert "UseDevelopmentStorage" not in answer.text  # a given credential is not echoed


def test_the_credentials_are_in_no_repr() -> None:
    s3 = S3Target.model_validate(S3 | {"secretAccessKey": S3_SECRET, "sessionToken": "session-secret"})
    azure = AzureTarget.model_validate(AZURE | {"connectionString": "AccountKey=azure-secret"})
    for body in (s3, azure):
        assert S3_SECRET not in repr(body) and "session-secret" not in repr(body)
        assert "azure-secret" not in repr(body) and "azure-secret" not in str(body)
    assert "'k'" not in repr(s3)  # the access key id names the account: not shown either


def test_a_storage_key_that_is_not_a_fernet_key_stops_the_start(tmp_path: Path, local_video: Video) -> None:
    with pytest.raises(ConfigurationError, match="ANYVIDEO_MEETINGS_STORAGE_KEY: not a Fernet key") as refused:
        create_app(settings_for(str(tmp_path / "m.db"), storage_key="not-a-key-at-all"), video=local_video)
    assert "not-a-key-at-all" not in str(refused.value)


def test_the_environment_gives_the_storage_key_and_the_job_lease() -> None:
    settings = Settings.from_env(
        {
            "ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET,
            "ANYVIDEO_MEETINGS_STORAGE_KEY": STORAGE_KEY,
            "ANYVIDEO_MEETINGS_JOB_LEASE": "7.5",
        }
    )
    assert (settings.storage_key, settings.job_lease, settings.run_worker) == (STORAGE_KEY, 7.5, True)
    assert STORAGE_KEY not in repr(settings)
    for lease in ("soon", "0", "-1"):
        with pytest.raises(ConfigurationError, match="ANYVIDEO_MEETINGS_JOB_LEASE"):
            Settings.from_env({"ANYVIDEO_MEETINGS_AUTH_SECRET": SECRET, "ANYVIDEO_MEETINGS_JOB_LEASE": lease})
