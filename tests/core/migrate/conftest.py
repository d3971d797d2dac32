"""Fixtures of the export tests: a seeded local account in a SQLite file, and an S3 API server on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from support.export import Account, seed, seed_uncopyable
from support.storage import azurite, moto_server  # noqa: F401 - azurite: a fixture (test_azure.py)

from anyvideo import Video
from anyvideo.sim import ManualClock


@pytest.fixture
def account(tmp_path: Path) -> Iterator[Account]:
    """A local account in a SQLite file with 12 meetings (16 assets) and 4 that cannot be copied.

    Its clock runs a day ahead of the machine's, so another process on the same
    file (whose clock is the machine's) finds nothing newly due: the same assets.
    """
    made = Account(tmp_path / "account.db", ManualClock(datetime.now(UTC) + timedelta(days=1)))
    with made.connect() as video:
        seed(made, video, rooms=12)
        seed_uncopyable(made, video)
    return made


@pytest.fixture
def video(account: Account) -> Iterator[Video]:
    with account.connect() as connected:
        yield connected


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API server (moto's, in a process of its own) on loopback; its URL."""
    with moto_server() as url:
        yield url


@pytest.fixture
def s3_client(s3_endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def bucket(s3_client) -> str:
    name = f"export-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name
