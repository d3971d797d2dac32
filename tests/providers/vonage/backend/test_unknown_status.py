"""A status the provider adds later must not break a listing: it maps to UNKNOWN, the raw value kept.

The emulator only answers statuses it knows, so a small HTTPS server on
loopback plays a provider that has a new one ("archiving"), behind the same
backend code path (no patching).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme

import anyvideo
from anyvideo import CompositionStatus, RecordingStatus
from anyvideo_vonage.emulator.auth import ApplicationCredentials

APPLICATION = ApplicationCredentials()


def _archive(archive_id: str, status: str) -> dict[str, Any]:
    return {
        "id": archive_id,
        "status": status,
        "name": "",
        "sessionId": "1_MX5zZXNzaW9u",
        "applicationId": APPLICATION.application_id,
        "createdAt": 1_700_000_000_000,
        "size": 0,
        "duration": 0,
        "outputMode": "composed",
        "streamMode": "auto",
        "hasAudio": True,
        "hasVideo": True,
        "resolution": "640x480",
        "url": None,
    }


# Archive ids shaped as the provider's, which the backend checks before asking
NEW, OLD = "b0000000-0000-4000-8000-000000000000", "a0000000-0000-4000-8000-000000000000"
ANSWERS = {
    "archive": {"count": 2, "items": [_archive(NEW, "archiving"), _archive(OLD, "available")]},
    f"archive/{NEW}": _archive(NEW, "archiving"),
    "broadcast": {
        "count": 1,
        "items": [{"id": "c", "sessionId": "1_MX5zZXNzaW9u", "createdAt": 1_700_000_000_000, "status": "pausing"}],
    },
}


class _Provider(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        prefix = f"/v2/project/{APPLICATION.application_id}/"
        key = self.path.split("?")[0].removeprefix(prefix)
        body = json.dumps(ANSWERS[key]).encode() if key in ANSWERS else b'{"code":404,"message":"nope"}'
        self.send_response(200 if key in ANSWERS else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider(tmp_path, monkeypatch) -> Iterator[str]:
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def video(provider):
    with anyvideo.connect(
        "vonage",
        environ={},
        application_id=APPLICATION.application_id,
        private_key=APPLICATION.private_key,
        video_host=provider,
    ) as video:
        yield video


def test_a_new_archive_status_is_unknown_and_kept_raw(video) -> None:
    listed = {r.id: r for r in video.recordings.list()}
    assert listed[NEW].status is RecordingStatus.UNKNOWN and listed[NEW].raw["status"] == "archiving"
    assert listed[OLD].status is RecordingStatus.AVAILABLE
    assert video.recordings.get(NEW).raw["status"] == "archiving"


def test_the_listing_is_oldest_first(video) -> None:
    assert [r.id for r in video.recordings.list()] == [OLD, NEW]


def test_a_new_broadcast_status_is_unknown(video) -> None:
    [composition] = video.compositions.list()
    assert composition.status is CompositionStatus.UNKNOWN and composition.raw["status"] == "pausing"


def test_the_sdk_itself_would_refuse_the_listing(video) -> None:
    """The defect designed around: the SDK's strict enum rejects the new value."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        video.native.video.list_archives()
