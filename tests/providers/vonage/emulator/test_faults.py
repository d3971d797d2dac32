"""Vonage emulator: injected faults as the official SDK experiences them.

The SDK's transport retries idempotent requests answered 429/503 with a
``Retry-After`` (urllib3), and any request whose connection was dropped
before an answer (its own loop); everything else reaches the caller.
"""

from __future__ import annotations

import pytest
from vonage_http_client.errors import HttpRequestError, RateLimitedError, ServerError
from vonage_video.models import CreateArchiveRequest

from anyvideo.testing.faults import Fault


def test_a_429_reaches_the_caller_of_a_post_with_its_retry_after(vonage_server, vonage_video, vonage_session):
    vonage_server.faults.script(r"/archive$", [Fault(status=429, retry_after=3)], method="POST")
    with pytest.raises(RateLimitedError) as caught:
        vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session))
    assert caught.value.response.headers["Retry-After"] == "3"
    assert caught.value.response.json()["code"] == 429


def test_a_refused_request_changes_nothing(vonage_server, vonage_video, vonage_session, vonage_join):
    vonage_join(vonage_session)
    vonage_server.faults.script(r"/archive$", [Fault(status=503)], method="POST")
    with pytest.raises(HttpRequestError) as caught:
        vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session))
    assert caught.value.response.status_code == 503
    assert list(vonage_server.world.recordings()) == []
    assert vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session)).id


def test_a_429_on_a_get_is_retried_after_retry_after(vonage_server, vonage_video, vonage_session):
    vonage_server.faults.script(r"/stream$", [Fault(status=429, retry_after=0), None], method="GET")
    assert vonage_video.list_streams(vonage_session) == []
    assert [fault.status for _, _, fault in vonage_server.faults.injected] == [429]


def test_a_get_refused_every_time_reaches_the_caller_after_the_sdks_retries(
    vonage_server, vonage_video, vonage_session
):
    vonage_server.faults.add(Fault(status=503, retry_after=0), path=r"/stream$", method="GET")
    with pytest.raises(HttpRequestError) as caught:
        vonage_video.list_streams(vonage_session)
    assert caught.value.response.status_code == 503
    assert len(vonage_server.faults.injected) == 4  # the request and the SDK transport's three retries


def test_a_500_is_a_server_error(vonage_server, vonage_video, vonage_session):
    vonage_server.faults.script(r"/stream$", [Fault(status=500)])
    with pytest.raises(ServerError):
        vonage_video.list_streams(vonage_session)


def test_a_dropped_connection_is_retried_by_the_sdk(vonage_server, vonage_video):
    vonage_server.faults.script(r"^/session/create$", [Fault(drop=True), None])
    assert vonage_video.create_session().session_id.startswith("1_")
    assert [fault.drop for _, _, fault in vonage_server.faults.injected] == [True]
    assert len(list(vonage_server.world.rooms())) == 1


def test_faults_are_set_over_the_control_api(vonage_server, vonage_video):
    vonage_server.control.set_faults({"rules": [{"path": "^/session/create$", "script": [{"status": 500}]}]})
    with pytest.raises(ServerError):
        vonage_video.create_session()
    assert vonage_video.create_session().session_id
