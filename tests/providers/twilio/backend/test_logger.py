"""The ``anyvideo.twilio`` logger: each request sent and each failed try, at INFO, as
``anyvideo.vonage`` has them for Vonage; never a credential."""

from __future__ import annotations

import base64
import logging

from anyvideo.retry import RetryPolicy
from anyvideo.testing.faults import Fault


def test_requests_and_retries_are_logged_without_a_secret(connect_twilio, twilio_emulator, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, to look for secrets in all of them
    video = connect_twilio(retries=RetryPolicy(initial=0.01, maximum=0.05))
    twilio_emulator.faults.script("/v1/Rooms$", [Fault(status=503)], method="POST")
    room = video.rooms.create("weekly")
    video.tokens.create(room, "ann")

    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "anyvideo.twilio"]
    assert (logging.INFO, "twilio: create room: try 1 sent") in lines
    assert any(
        level == logging.INFO and m.startswith("twilio: create room: try 1 failed: ProviderError") for level, m in lines
    )
    assert (logging.INFO, "twilio: create room: try 2 sent") in lines

    credentials = twilio_emulator.credentials
    secrets = [credentials["auth_token"], credentials["api_key_secret"]]
    for user, password in (
        (credentials["api_key_sid"], credentials["api_key_secret"]),
        (credentials["account_sid"], credentials["auth_token"]),
    ):
        secrets.append(base64.b64encode(f"{user}:{password}".encode()).decode())
    for record in caplog.records:
        assert not any(secret in record.getMessage() for secret in secrets), record.getMessage()
