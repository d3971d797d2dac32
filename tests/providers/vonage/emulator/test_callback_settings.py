"""Vonage emulator: ``PUT /_emulator/vonage/callbacks`` changes the settings it names.
Leaving ``signature_secret`` out keeps callbacks signed (an application that checks
signatures would refuse unsigned ones, and lose their events); turning signing off
is said with ``"signature_secret": null``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests

from anyvideo.testing import Emulator

SECRET = "the-application-signature-secret-of-32-bytes"
SESSION_URL, ARCHIVE_URL = "http://127.0.0.1:9/session", "http://127.0.0.1:9/archive"


@pytest.fixture
def emulator(anyvideo_emulator: Callable[..., Emulator]) -> Emulator:
    return anyvideo_emulator("vonage", processing_delay=0)


def put(emulator: Emulator, settings: dict[str, Any]) -> dict[str, Any]:
    """The control API's answer to ``settings``, sent as any HTTP client sends them."""
    answer = requests.put(
        f"{emulator.base_url}/_emulator/vonage/callbacks", json=settings, verify=str(emulator.ca_bundle), timeout=30
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def session_callbacks_of_a_join(emulator: Emulator) -> list[dict[str, Any]]:
    """The session-monitoring callbacks one browser joining sends."""
    video = emulator.connect()
    room = video.rooms.create("signed")
    before = len(emulator.control.callbacks())
    emulator.control.join(video.tokens.create(room, "ann"))
    return [c for c in emulator.control.callbacks()[before:] if c["url"] == SESSION_URL]


def signed_with(callback: dict[str, Any]) -> str | None:
    authorization = callback["headers"].get("Authorization")
    if authorization is None:
        return None
    token = authorization.removeprefix("Bearer ")
    jwt.decode(token, SECRET, algorithms=["HS256"])  # raises unless signed with SECRET
    return SECRET


def test_changing_a_url_without_the_secret_keeps_callbacks_signed(emulator: Emulator) -> None:
    put(emulator, {"session": SESSION_URL, "signature_secret": SECRET})
    shown = put(emulator, {"archive": ARCHIVE_URL})
    assert shown == {"session": SESSION_URL, "archive": ARCHIVE_URL, "broadcast": None, "render": None, "signed": True}
    callbacks = session_callbacks_of_a_join(emulator)
    assert [json.loads(c["body"])["event"] for c in callbacks] == ["sessionCreated", "connectionCreated"]
    assert all(signed_with(c) == SECRET for c in callbacks)


def test_signing_is_turned_off_only_when_said(emulator: Emulator) -> None:
    put(emulator, {"session": SESSION_URL, "signature_secret": SECRET})
    assert put(emulator, {"signature_secret": None})["signed"] is False
    callbacks = session_callbacks_of_a_join(emulator)
    assert callbacks and all(signed_with(c) is None for c in callbacks)


def test_a_url_is_unset_with_null_and_the_others_stay(emulator: Emulator) -> None:
    put(emulator, {"session": SESSION_URL, "archive": ARCHIVE_URL, "signature_secret": SECRET})
    shown = put(emulator, {"session": None})
    assert shown == {"session": None, "archive": ARCHIVE_URL, "broadcast": None, "render": None, "signed": True}
