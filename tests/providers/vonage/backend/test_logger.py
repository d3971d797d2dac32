"""The ``anyvideo.vonage`` logger: each request sent and each failed try, at INFO, as
``anyvideo.twilio`` has them for Twilio; never a credential."""

from __future__ import annotations

import logging

from anyvideo.retry import RetryPolicy
from anyvideo.testing.faults import Fault

STREAMS = r"/stream$"


def test_requests_and_retries_are_logged_without_a_secret(connect_vonage, vonage_emulator, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, to look for secrets in all of them
    video = connect_vonage(retries=RetryPolicy(initial=0.01, maximum=0.05), signature_secret="s" * 40)
    room = video.rooms.create("weekly")
    vonage_emulator.faults.script(STREAMS, [Fault(status=503)])
    assert list(video.streams.list(room)) == []

    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "anyvideo.vonage"]
    assert (logging.INFO, "vonage: list_streams: try 1 sent") in lines
    assert any(
        level == logging.INFO and m.startswith("vonage: list_streams: try 1 failed: ProviderError")
        for level, m in lines
    )
    assert (logging.INFO, "vonage: list_streams: try 2 sent") in lines
    assert any(m.startswith("vonage: create_session: try 1 sent") for _, m in lines), lines

    secrets = [line for line in vonage_emulator.credentials["private_key"].splitlines() if "-----" not in line]
    secrets += [video.backend.transport.jwt.token().decode(), "s" * 40]
    for record in caplog.records:
        assert not any(secret in record.getMessage() for secret in secrets), record.getMessage()
