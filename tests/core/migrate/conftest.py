"""Fixtures of the export tests: a seeded local account in a SQLite file, and an S3 API server on loopback."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from support.export import Account, seed, seed_uncopyable

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


#: Runs moto's ThreadedMotoServer in a process of its own, so the S3 server's work does not share
#: this process's interpreter lock with the emulators and the export; prints the port, serves until stdin closes.
_S3_SERVER = """
import logging, sys
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.WARNING)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API server (moto's ThreadedMotoServer) on loopback; its URL."""
    server = subprocess.Popen(
        [sys.executable, "-c", _S3_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdin is not None
    with server:
        port = server.stdout.readline().strip()
        if not port.isdigit():
            server.kill()
            pytest.fail("the S3 server did not start")
        yield f"http://127.0.0.1:{port}"
        server.stdin.close()
        server.wait(timeout=10)


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
