"""``video.native`` against an emulator is offline: the SDK's parts other than Video
(the 2010 API, messaging, voice, ...) fail fast and clearly instead of reaching the
real Twilio, refused by the backend's HTTP client before any network activity."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import anyvideo
from anyvideo import Video
from anyvideo.errors import ConfigurationError
from anyvideo_twilio import transport
from anyvideo_twilio.emulator import TwilioEmulator

#: The SDK calls that would leave the Video API: what, and the SDK domain it belongs to.
ELSEWHERE: dict[str, tuple[Callable[[Any], Any], str]] = {
    "accounts": (lambda native: native.api.v2010.accounts.list(limit=1), "api"),
    "message fetch": (lambda native: native.messages("SM" + "0" * 32).fetch(), "api"),
    "messaging services": (lambda native: native.messaging.v1.services.list(limit=1), "messaging"),
    "voice": (lambda native: native.voice.v1.dialing_permissions.countries.list(limit=1), "voice"),
    "video's own domain elsewhere": (lambda native: native.insights.v1.rooms.list(limit=1), "insights"),
}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any attempt to reach a host other than loopback (its name looked up) is recorded and refused."""
    attempts: list[Any] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1"):
            attempts.append(host)
            raise OSError(f"test: no network to {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield attempts


@pytest.mark.parametrize("what", sorted(ELSEWHERE))
def test_a_request_to_another_twilio_api_is_refused_before_any_network(
    video: Video, no_network: list[Any], what: str
) -> None:
    call, domain = ELSEWHERE[what]
    with pytest.raises(ConfigurationError) as raised:
        call(video.native)
    message = str(raised.value)
    assert "does not emulate it" in message and f"{domain!r}" in message and "not sent" in message
    assert no_network == []


def test_messages_the_emulator_serves_reach_it_through_native(video: Video, no_network: list[Any]) -> None:
    """Sending a message (REST API 2010, Messages) is one of ``EMULATED_PATHS``: it goes to the emulator."""
    message = video.native.messages.create(to="+15005550006", from_="+15005550001", body="hi")
    assert message.sid.startswith("SM") and message.status == "queued"
    assert no_network == []


def test_the_video_api_through_native_still_reaches_the_emulator(video: Video, no_network: list[Any]) -> None:
    room = video.native.video.v1.rooms.create(unique_name="native")
    assert video.native.video.v1.rooms(room.sid).fetch().unique_name == "native"
    assert no_network == []


def test_a_path_the_emulator_serves_goes_to_it_from_any_twilio_domain(
    video: Video, no_network: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the Video API's own path, addressed to the 2010 API's domain, stands in for an emulated one
    monkeypatch.setattr(transport, "EMULATED_PATHS", (re.compile("/v1/Rooms"),))
    room = video.native.video.v1.rooms.create(unique_name="routed")
    answer = video.native.request("GET", f"https://api.twilio.com/v1/Rooms/{room.sid}")
    assert answer.status_code == 200 and json.loads(answer.text)["unique_name"] == "routed"
    assert no_network == []


@pytest.mark.parametrize(
    "call",
    [
        lambda native: native.calls.list(limit=1),
        lambda native: native.api.v2010.account.incoming_phone_numbers.list(limit=1),
    ],
    ids=["calls", "incoming numbers"],
)
def test_the_voice_apis_the_emulator_serves_reach_it(video: Video, no_network: list[Any], call: Any) -> None:
    # phone participants: Programmable Voice calls and the account's numbers (EMULATED_PATHS)
    assert call(video.native) == []
    assert no_network == []


@pytest.mark.parametrize("base_url", [None, "https://video.twilio.com"])
def test_pointed_at_twilio_every_domain_goes_out(
    emulator: TwilioEmulator, no_network: list[Any], base_url: str | None
) -> None:
    """Only a backend configured for an emulator refuses: pointed at Twilio, the 2010 API is Twilio's."""
    settings = {k: v for k, v in emulator.backend_settings.items() if k != "base_url"}
    with anyvideo.connect("twilio", environ={}, **settings, **({"base_url": base_url} if base_url else {})) as video:
        with pytest.raises(Exception) as raised:
            video.native.api.v2010.accounts.list(limit=1)
    assert not isinstance(raised.value, ConfigurationError)
    assert no_network == ["api.twilio.com"]


def test_the_keys_api_is_served_by_the_emulator_and_accounts_still_are_not(
    video: Video, emulator: TwilioEmulator, no_network: list[Any]
) -> None:
    account = video.native.api.v2010.accounts(emulator.credentials["account_sid"])
    assert any(
        pattern.match(f"/2010-04-01/Accounts/{account._solution['sid']}/Keys.json")
        for pattern in transport.EMULATED_PATHS
    )
    with pytest.raises(ConfigurationError, match="does not emulate it"):
        account.fetch()
    assert no_network == []
