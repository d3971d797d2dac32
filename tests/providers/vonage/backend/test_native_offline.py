"""``video.native`` on an emulator stays offline: the SDK's other APIs (applications, voice,
numbers, …) would reach the real Vonage, so they fail at once with a ConfigurationError
naming the API, before any network activity; the Video API goes to the emulator as always."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from vonage import Auth, Vonage
from vonage_messages import Sms
from vonage_sms import SmsMessage

from anyvideo import ConfigurationError
from anyvideo.deadline import DeadlineAdapter
from anyvideo_vonage import transport
from anyvideo_vonage.transport import OTHER_APIS, VideoOnlyAdapter, is_vonage_host

#: Hosts looked up or connected to while a test watches (an audit hook cannot be removed: it records only then).
_SEEN: list[str] = []
_WATCHING = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHING.is_set() and event in ("socket.getaddrinfo", "socket.connect"):
        target = args[0] if event == "socket.getaddrinfo" else args[1]
        _SEEN.append(str(target[0] if isinstance(target, tuple) else target))


sys.addaudithook(_audit)


@pytest.fixture
def network() -> Iterator[list[str]]:
    """The hosts the code under test looked up or connected to."""
    _SEEN.clear()
    _WATCHING.set()
    try:
        yield _SEEN
    finally:
        _WATCHING.clear()


#: One request of each of the SDK's other clients, and the API its refusal names.
OTHER_CALLS: list[tuple[str, Callable[[Vonage], Any], str]] = [
    ("numbers", lambda sdk: sdk.numbers.list_owned_numbers(), "the Numbers API"),
    ("account", lambda sdk: sdk.account.get_balance(), "the Account API"),
    ("users", lambda sdk: sdk.users.list_users(), "the Users API"),
    ("verify v2", lambda sdk: sdk.verify.cancel_verification("c11236f4-00bf-4b89-84ba-88b25df97315"), "the Verify API"),
    ("verify search", lambda sdk: sdk.verify_legacy.search("abcdef0123456789abcdef0123456789"), "legacy Verify API"),
    # the SDK's Messages v1: no spec here defines it, so the emulator does not serve it (invitations use v0.1)
    ("messages v1", lambda sdk: sdk.messages.send(Sms(to="15551234567", from_="acme", text="hi")), "the Messages API"),
]


@pytest.mark.parametrize("call, api", [(call, api) for _, call, api in OTHER_CALLS], ids=[n for n, *_ in OTHER_CALLS])
def test_the_sdks_other_apis_fail_fast_on_an_emulator(video, network, call, api) -> None:
    with pytest.raises(ConfigurationError) as caught:
        call(video.native)
    message = str(caught.value)
    assert api in message and "not emulated" in message and "does not emulate it" in message
    assert not [host for host in network if "nexmo.com" in host or "vonage.com" in host]


def test_the_video_api_still_reaches_the_emulator(video, vonage_emulator, network) -> None:
    session_id = video.native.video.create_session().session_id
    assert vonage_emulator.world.get_room(session_id)
    assert set(network) <= {"127.0.0.1"}


def test_an_api_the_emulator_serves_goes_to_it_from_any_vonage_host(
    video, vonage_emulator, network, monkeypatch
) -> None:
    # the Video API's own path, addressed to another Vonage host, stands in for an emulated API
    monkeypatch.setattr(transport, "EMULATED_APIS", ("/v2/project/",))
    session_id = video.native.video.create_session().session_id
    path = f"/v2/project/{video.native.video._http_client.auth.application_id}/session/{session_id}/stream"
    answer = video.native.http_client.get("api.nexmo.com", path)
    assert answer == {"count": 0, "items": []}
    assert set(network) <= {"127.0.0.1"}


def test_sms_the_emulator_serves_reach_it_through_native(connect_vonage, vonage_emulator, network) -> None:
    """The SMS API is one of ``EMULATED_APIS``: the SDK's ``sms.send`` goes to the emulator."""
    account = vonage_emulator.application
    video = connect_vonage(api_key=account.api_key, api_secret=account.api_secret)
    answer = video.native.sms.send(SmsMessage(to="15551234567", from_="acme", text="hi"))
    assert [m.id for m in vonage_emulator.messages.sent()] == [answer.messages[0].message_id]
    assert set(network) <= {"127.0.0.1"}


def test_the_application_api_goes_to_the_emulator(video, network) -> None:
    # served by the emulator (EMULATED_APIS): the SDK's Application client reaches it, not Vonage
    assert "/v2/applications" in transport.EMULATED_APIS
    with pytest.raises(Exception) as refused:  # the application's JWT is not the account's Basic credentials
        video.native.application.list_applications()
    assert "401" in str(refused.value) and not isinstance(refused.value, ConfigurationError)


def test_the_voice_api_the_emulator_serves_reaches_it(video, network) -> None:
    # phone participants: the Voice API's calls (EMULATED_APIS), through the SDK
    calls, _ = video.native.voice.list_calls()
    assert calls == []
    assert set(network) <= {"127.0.0.1"}


def test_a_refusal_never_shows_the_query_string(video) -> None:
    # the legacy APIs send api_key and api_secret as query parameters: the message has the path only
    with pytest.raises(ConfigurationError) as caught:
        video.native.http_client.get("rest.nexmo.com", "/account/get-balance?api_secret=hunter2", auth_type="basic")
    assert "hunter2" not in str(caught.value) and "/account/get-balance" in str(caught.value)


def test_on_vonage_itself_nothing_is_refused(connect_vonage) -> None:
    video = connect_vonage(video_host="video.api.vonage.com")
    adapter = video.native.http_client._session.get_adapter("https://api.nexmo.com/v2/applications")
    assert isinstance(adapter, DeadlineAdapter) and not isinstance(adapter, VideoOnlyAdapter)


@pytest.mark.parametrize(
    "host, vonage",
    [
        ("video.api.vonage.com", True),
        ("VIDEO.API.VONAGE.COM:443", True),
        ("https://video.api.vonage.com", True),
        ("127.0.0.1:8443", False),
        ("localhost", False),
        ("video.api.vonage.com.example.org", False),
        ("notvonage.com", False),
    ],
)
def test_which_hosts_are_vonages(host, vonage) -> None:
    assert is_vonage_host(host) is vonage


def test_every_api_named_is_one_of_the_sdks_clients() -> None:
    sdk_clients = {name for name in vars(Vonage(Auth(api_key="key", api_secret="secret"))) if not name.startswith("_")}
    named = {name for api in OTHER_APIS.values() for name in re.findall(r"(?:video\.native|, )\.(\w+)", api)}
    assert named and named <= sdk_clients
