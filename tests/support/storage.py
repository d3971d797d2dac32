"""Object stores for the meeting service's storage-target tests, each a real server on loopback:
S3 through moto's server, Azure Blob Storage through Azurite (Microsoft's emulator, from npm),
and a proxy in front of either that can hold an upload while the test acts."""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import boto3
import pytest

from support.proxy import HOP_BY_HOP, relay
from support.serving import ServedInBackground

#: How Azurite is installed for these tests (``.ci/run`` does it).
AZURITE_INSTALL = "npm install --prefix <dir> azurite, then put <dir>/node_modules/.bin on PATH (or ANYVIDEO_AZURITE)"
#: The S3 secret the tests give; it may show nowhere but encrypted in the database.
S3_SECRET = "s3-secret-access-key-never-shown-0123"
#: Azurite's well-known development account (published in its README; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

#: moto's S3 server in a process of its own; prints its port, serves until stdin closes.
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


@contextmanager
def moto_server() -> Iterator[str]:
    """A real S3 API server (moto) on 127.0.0.1; its URL."""
    server = subprocess.Popen(
        [sys.executable, "-c", _S3_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdin is not None
    with server:
        port = server.stdout.readline().strip()
        if not port.isdigit():
            server.kill()
            raise RuntimeError("the S3 server did not start")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stdin.close()
            server.wait(timeout=30)


def azurite_command() -> str | None:
    """Azurite's blob server: ``ANYVIDEO_AZURITE`` (the ``azurite-blob`` or ``azurite`` program),
    else ``azurite-blob`` on PATH; ``None`` when it is not installed."""
    configured = os.environ.get("ANYVIDEO_AZURITE")
    if configured:
        return configured
    return shutil.which("azurite-blob")


@contextmanager
def azurite_server(command: str, folder: Path) -> Iterator[str]:
    """Azurite's blob service on a free loopback port, its data in ``folder``; its account URL."""
    arguments = [command, "--blobHost", "127.0.0.1"]
    if Path(command).name == "azurite":  # the program of all three services: the others on free ports too
        arguments += ["--queuePort", "0", "--tablePort", "0"]
    arguments += ["--blobPort", "0", "--location", str(folder), "--silent", "--skipApiVersionCheck"]
    arguments += ["--disableTelemetry", "--loose"]
    with subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as server:
        assert server.stdout is not None
        drain = threading.Thread(target=server.stdout.read, daemon=True)  # keeps its pipe from filling
        try:
            url = None
            for line in server.stdout:
                if "Blob service successfully listens on" in line:
                    url = line.rsplit(" ", 1)[-1].strip()
                    break
            if url is None:
                raise RuntimeError(f"Azurite did not start (exit status {server.wait()})")
            drain.start()
            yield f"{url}/{AZURITE_ACCOUNT}"
        finally:
            server.terminate()
            server.wait(timeout=30)
            if drain.is_alive():
                drain.join(30)


def azurite_connection_string(account_url: str) -> str:
    """The connection string of Azurite's development account at ``account_url``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={account_url};"
    )


def _connected(sender: socket.socket) -> bool:
    """Whether the other end of ``sender`` (whose request was read whole) is still there: a closed
    connection reads as end-of-file (or an error) at once, an open one has nothing to read."""
    readable, _, _ = select.select([sender], [], [], 0)
    if not readable:
        return True
    try:
        return bool(sender.recv(1, socket.MSG_PEEK))
    except OSError:
        return False


class HoldingProxy(ServedInBackground):
    """A forwarding proxy on loopback in front of ``upstream`` that, while :attr:`holding`, keeps
    every ``PUT`` whose path contains ``hold`` waiting, unanswered; the test sees it arrive
    (:attr:`held`, :meth:`waiting`) and decides what happens to the process that sent it. Once
    :attr:`release` is set (at the latest when the proxy stops), a held upload whose sender is
    still connected is forwarded; one whose sender is gone (killed) is dropped, never forwarded.
    Everything else is forwarded; :attr:`forwarded` lists the forwarded ``PUT`` paths."""

    def __init__(self, upstream: str, hold: str) -> None:
        target = urlsplit(upstream)
        if target.hostname != "127.0.0.1":
            raise ValueError("the test proxy forwards to loopback only")
        self.holding = True
        self.held = threading.Event()
        self.release = threading.Event()
        self.forwarded: list[str] = []
        self._senders: list[socket.socket] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "PUT" and hold in self.path and proxy.holding:
                    proxy._senders.append(self.connection)
                    proxy.held.set()
                    proxy.release.wait()  # the test kills the sender meanwhile, or lets it go on
                    proxy._senders.remove(self.connection)
                    if not _connected(self.connection):
                        self.close_connection = True
                        return
                if self.command == "PUT":
                    proxy.forwarded.append(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                relay(self, target.netloc, self.path, body, headers)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._serve(server)

    def waiting(self) -> int:
        """How many held uploads' senders are still connected, waiting for an answer."""
        return sum(_connected(sender) for sender in list(self._senders))

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        super().__exit__(*exc_info)


# --- stores as the service's storage target ----------------------------------------------


@attrs.frozen
class Store:
    """A storage target as the API takes it, and what its bucket or container holds."""

    body: dict[str, Any]
    url: str
    objects: Callable[[], dict[str, bytes]]
    secret: str


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server for the tests of a module; its URL."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite for the tests of a module (skipped when it is not installed); its account URL."""
    command = azurite_command()
    if command is None:
        pytest.skip(f"Azurite is not installed: {AZURITE_INSTALL}")
    with azurite_server(command, tmp_path_factory.mktemp("azurite")) as account_url:
        yield account_url


def s3_store(endpoint: str, via: str | None = None) -> Store:
    """A new bucket on the S3 server at ``endpoint``; the target's body names ``via`` (a proxy in
    front of it) when given."""
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    bucket = f"meetings-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}

    body = {
        "type": "s3",
        "bucket": bucket,
        "prefix": "meetings/",
        "region": "us-east-1",
        "endpointUrl": via or endpoint,
        "accessKeyId": "test-access-key",
        "secretAccessKey": S3_SECRET,
    }
    return Store(body, f"s3://{bucket}/meetings", objects, S3_SECRET)


def azure_store(account_url: str, via: str | None = None) -> Store:
    """A new container of Azurite's account at ``account_url``; the target's body names ``via``
    (a proxy in front of it, with the account's path) when given."""
    from azure.storage.blob import ContainerClient

    name = f"meetings-{uuid.uuid4().hex[:12]}"
    container = ContainerClient(
        account_url, name, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
    )
    container.create_container()

    def objects() -> dict[str, bytes]:
        return {blob.name: container.download_blob(blob.name).readall() for blob in container.list_blobs()}

    body = {
        "type": "azure",
        "container": name,
        "prefix": "meetings",
        "accountUrl": via or account_url,
        "accountName": AZURITE_ACCOUNT,
        "accountKey": AZURITE_KEY,
    }
    return Store(body, f"azure://{name}/meetings", objects, AZURITE_KEY)
