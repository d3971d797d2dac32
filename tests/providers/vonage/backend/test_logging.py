"""No private key, application JWT or client token in any log record, at DEBUG, from any logger."""

from __future__ import annotations

import logging
import re

import pytest

from anyvideo import NotFound
from anyvideo_vonage import RenderSpec, SipCall

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def test_nothing_secret_is_logged(video, browser, room, vonage_emulator, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger's records reach caplog
    key_lines = [line for line in vonage_emulator.credentials["private_key"].splitlines() if "-----" not in line]
    tokens = []
    token = video.tokens.create(room, "ann", role="moderator")
    tokens.append(token.token)
    browser.join(token).publish()
    list(video.streams.list(room))  # the SDK logs its headers dict: the previous request's Authorization
    list(video.streams.list(room))
    video.signals.send(room, "chat", "hello")
    video.ext.dial_sip(room.id, SipCall("sip:conf@sip.example.com"))  # a client token in the body
    video.ext.start_captions(room.id)  # and a moderator one
    video.ext.start_render(room.id, RenderSpec("https://app.example.com/board"))
    with pytest.raises(NotFound):  # the SDK logs error answers at WARNING
        video.streams.get(room, "00000000-0000-0000-0000-000000000000")
    application_jwt = video.backend.transport.jwt.token().decode()

    messages = [record.getMessage() for record in caplog.records]
    assert any("headers" in m and "<redacted>" in m for m in messages), "the SDK's header line was not seen"
    for message in messages:
        assert not _JWT.search(message), message
        assert application_jwt not in message
        assert not any(t in message for t in tokens)
        assert not any(line in message for line in key_lines), message


def test_the_filter_keeps_records_and_their_meaning() -> None:
    from anyvideo.redaction import redact

    line = (
        "GET request to https://x/y, with data: {'token': 'eyJa.eyJb.c'}; "
        "headers: {'Authorization': b'Bearer eyJa.eyJb.c'}"
    )
    assert redact(line) == (
        "GET request to https://x/y, with data: {'token': '<redacted>'}; headers: {'Authorization': b'<redacted>'}"
    )
