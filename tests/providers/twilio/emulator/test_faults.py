"""Injected faults as the official twilio SDK experiences them: rate limiting
with Retry-After, server errors, dropped connections, slow answers."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from anyvideo.testing.faults import Fault


def sdk_with(server, http_client: TwilioHttpClient) -> Client:
    """The SDK with an HTTP client of our own (its documented ``http_client`` option)."""
    creds = server.credentials
    client = Client(creds["api_key_sid"], creds["api_key_secret"], creds["account_sid"], http_client=http_client)
    client.video.base_url = server.base_url
    return client


def test_a_429_reaches_the_sdk_with_retry_after_and_code_20429(twilio_server):
    seen: list[requests.Response] = []
    client = sdk_with(twilio_server, TwilioHttpClient(request_hooks={"response": [lambda r, *a, **k: seen.append(r)]}))
    twilio_server.faults.script("/v1/Rooms$", [Fault(status=429, retry_after=2)], method="POST")
    with pytest.raises(TwilioRestException) as caught:
        client.video.v1.rooms.create()
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert seen[-1].headers["Retry-After"] == "2"
    assert client.video.v1.rooms.create().status == "in-progress"  # the script is spent


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503)])
def test_server_errors_reach_the_sdk_as_twilio_errors(twilio_server, twilio_video, status, code):
    room = twilio_video.rooms.create()
    twilio_server.faults.script("/v1/Rooms/", [Fault(status=status)])
    with pytest.raises(TwilioRestException) as caught:
        room.fetch()
    assert (caught.value.status, caught.value.code) == (status, code)


def test_a_dropped_connection_is_a_connection_error_then_the_retry_works(twilio_server, twilio_video):
    twilio_server.control.set_faults({"rules": [{"path": "/v1/Rooms", "method": "POST", "script": [{"drop": True}]}]})
    with pytest.raises(requests.ConnectionError):
        twilio_video.rooms.create(unique_name="standup")
    assert twilio_video.rooms.create(unique_name="standup").unique_name == "standup"


def test_a_slow_answer_times_out_an_sdk_with_a_timeout(twilio_server):
    client = sdk_with(twilio_server, TwilioHttpClient(timeout=0.1))
    twilio_server.faults.script("/v1/Rooms", [Fault(latency=0.3)])
    with pytest.raises(requests.Timeout):
        client.video.v1.rooms.list()


def test_faults_at_a_rate_hit_some_requests_only(twilio_server, twilio_video):
    rule = {"path": "/v1/Rooms", "rate": 0.5, "choices": [{"status": 503}, {"status": 429, "retry_after": 1}]}
    twilio_server.control.set_faults({"seed": 7, "rules": [rule]})
    outcomes = set()
    for _ in range(20):
        try:
            twilio_video.rooms.create()
            outcomes.add(201)
        except TwilioRestException as exc:
            outcomes.add(exc.status)
    assert outcomes == {201, 429, 503}
