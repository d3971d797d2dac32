"""Invitations and phone verification on the Vonage backend, against the emulator: what
reaches its message log, what is refused before any request, Verify's start, check and wrong
codes; every request the emulator took and every answer it gave is checked against the spec
of its API (``vonage_sms.yml``, ``vonage_messages.yml``, ``vonage_verify.yml``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from support.spec_exchanges import SpecExchanges
from support.specs import SPECS, RecordsExchanges

import anyvideo
from anyvideo import Channel, DialIn, InvalidRequest, NotFound, VerificationStatus
from anyvideo.testing.messages import MESSAGES_PATH
from anyvideo.testing.server import CONTROL_PREFIX
from anyvideo_vonage.emulator import VonageEmulator

SENDER = "15550001111"
TO = "+15551234567"

#: Each API's spec, mounted at its server's path (``https://rest.nexmo.com/sms``,
#: ``https://api.nexmo.com/v0.1/messages``, ``https://api.nexmo.com/verify``).
SPECS_BY_PATH = {
    "/sms/": SpecExchanges(SPECS / "vonage_sms.yml", mount="/sms"),
    "/v0.1/messages": SpecExchanges(SPECS / "vonage_messages.yml", mount="/v0.1/messages"),
    "/verify/": SpecExchanges(SPECS / "vonage_verify.yml", mount="/verify"),
}
#: The Video API's paths and the control API's: not messaging, checked elsewhere.
VIDEO_PATHS = ("/v2/project/", "/session/", CONTROL_PREFIX)


class Recording(RecordsExchanges, VonageEmulator):
    """The emulator, keeping its exchanges."""


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recording]:
    with Recording(tls=True) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running
    assert spec_problems(running) == []


def spec_problems(emulator: Recording) -> list[str]:
    """What is wrong, by its spec, with each messaging exchange the emulator had (none may be unchecked)."""
    problems = []
    for request, response in emulator.exchanges:
        if request.path.startswith(VIDEO_PATHS):
            continue
        specs = [spec for start, spec in SPECS_BY_PATH.items() if request.path.startswith(start)]
        if not specs:
            problems.append(f"{request.method} {request.path}: an API none of the specs defines")
        for spec in specs:
            problems += spec.problems(request, response)
    return problems


@pytest.fixture
def video(emulator: Recording) -> anyvideo.Video:
    key, secret = emulator.application.api_key, emulator.application.api_secret
    return emulator.connect(api_key=key, api_secret=secret, message_sender=SENDER)


def sent_requests(emulator: Recording) -> list[str]:
    return [f"{r.method} {r.path}" for r, _ in emulator.exchanges if not r.path.startswith("/session")]


def test_an_invitation_reaches_the_log_with_the_link_number_and_pin(video, emulator):
    room = video.rooms.create("weekly")
    dial_in = DialIn("+15557654321", "424242")
    invitation = video.invite(room, TO, link="https://app.example/join/{name}?id={room}", dial_in=dial_in)
    assert invitation.channel is Channel.SMS and invitation.status == "submitted"
    answer = requests.get(emulator.base_url + MESSAGES_PATH, params={"to": TO[1:]}, timeout=30)
    (message,) = answer.json()["messages"]
    assert message["id"] == invitation.id
    assert (message["channel"], message["sender"], message["status"]) == ("sms", SENDER, "submitted")
    assert message["api"] == "sms" and "POST /sms/json" in sent_requests(emulator)
    assert f"https://app.example/join/weekly?id={room.id}" in message["text"]
    assert "+15557654321" in message["text"] and "424242" in message["text"]
    assert "4567" in repr(invitation) and TO not in repr(invitation)


@pytest.mark.parametrize(("channel", "sent_as"), [("whatsapp", "whatsapp"), ("viber", "viber_service_msg")])
def test_other_channels_go_through_messages_v0_1(video, emulator, channel, sent_as):
    room = video.rooms.create("weekly")
    invitation = video.invite(room, TO, channel, link="https://app.example/{room}", sender="acme")
    (message,) = emulator.messages.sent()
    assert (message.id, message.channel, message.api) == (invitation.id, sent_as, "messages")
    assert (message.to, message.sender) == (TO[1:], "acme")
    assert sent_requests(emulator) == ["POST /v0.1/messages"]


def test_sms_needs_the_api_key_and_secret(emulator):
    video = emulator.connect(message_sender=SENDER)
    room = video.rooms.create("weekly")
    with pytest.raises(anyvideo.ConfigurationError, match="api_key and api_secret.*VONAGE_API_KEY, VONAGE_API_SECRET"):
        video.invite(room, TO, link="https://app.example/{room}")
    assert emulator.messages.sent() == []


def test_sms_with_wrong_credentials_is_status_4(emulator):
    video = emulator.connect(api_key=emulator.application.api_key, api_secret="not-the-secret", message_sender=SENDER)
    room = video.rooms.create("weekly")
    with pytest.raises(anyvideo.ProviderError, match="status 4"):
        video.invite(room, TO, link="https://app.example/{room}")
    assert emulator.messages.sent() == []


def test_the_sms_api_answers_errors_in_the_body(emulator):
    account = (emulator.application.api_key, emulator.application.api_secret)
    missing = requests.post(
        emulator.base_url + "/sms/json", data={"from": "acme", "to": TO[1:]}, auth=account, timeout=30
    )
    invalid = requests.post(
        emulator.base_url + "/sms/json", data={"from": "acme", "to": "12", "text": "hi"}, auth=account, timeout=30
    )
    assert missing.status_code == invalid.status_code == 200
    assert missing.json()["messages"] == [{"status": "2", "error-text": "Missing text param"}]
    assert invalid.json()["messages"][0]["status"] == "3"
    assert emulator.messages.sent() == []


def bearer(video: anyvideo.Video) -> dict[str, str]:
    """The application's JWT, as the SDK sends it."""
    return {"Authorization": f"Bearer {video.native.http_client.auth.generate_application_jwt().decode()}"}


def test_the_messages_api_refuses_a_body_not_the_specs(video, emulator):
    headers = bearer(video)
    v1_body = {"message_type": "text", "channel": "sms", "to": TO[1:], "from": "acme", "text": "hi"}
    answer = requests.post(emulator.base_url + "/v0.1/messages", json=v1_body, headers=headers, timeout=30)
    assert answer.status_code == 400 and answer.json()["title"] == "Invalid params"
    assert emulator.messages.sent() == []
    # the request-side check sees it too: the v1 body is none of the spec's message shapes
    (problem,) = spec_problems(emulator)
    assert problem.startswith("POST /v0.1/messages -> 400 request:") and "anyOf" in problem
    emulator.exchanges.clear()


def test_the_check_flags_an_operation_no_spec_defines(video, emulator):
    requests.post(emulator.base_url + "/v1/messages", json={}, headers=bearer(video), timeout=30)
    assert spec_problems(emulator) == ["POST /v1/messages: an API none of the specs defines"]
    emulator.exchanges.clear()


@pytest.mark.parametrize("number", ["15551234567", "+1 555 123 4567", "+0155512345", "", "+1555123456789012"])
def test_a_number_not_in_e164_is_refused_before_any_request(video, emulator, number):
    room = video.rooms.create("weekly")
    before = sent_requests(emulator)
    with pytest.raises(InvalidRequest) as refused:
        video.invite(room, number, link="https://app.example/{room}")
    assert refused.value.field == "to"
    with pytest.raises(InvalidRequest):
        video.verify.start(number)
    assert sent_requests(emulator) == before
    assert emulator.messages.sent() == []


def test_bad_templates_and_channels_are_refused_before_any_request(video, emulator):
    room = video.rooms.create("weekly")
    with pytest.raises(InvalidRequest, match="may name only"):
        video.invite(room, TO, link="https://app.example/{who}")
    with pytest.raises(InvalidRequest, match="no dial_in"):
        video.invite(room, TO, link="https://app.example/{room}", text="Call {number}")
    with pytest.raises(InvalidRequest, match="channel"):
        video.invite(room, TO, "pigeon", link="https://app.example/{room}")
    with pytest.raises(InvalidRequest, match="link"):
        video.invite(room, TO)
    assert emulator.messages.sent() == []


def test_the_link_template_comes_from_the_environment(video, emulator, monkeypatch):
    monkeypatch.setenv("ANYVIDEO_INVITE_URL", "https://clinic.example/visit/{room}")
    room = video.rooms.create("weekly")
    video.invite(room, TO)
    assert emulator.messages.sent()[0].text == f"Join the video meeting: https://clinic.example/visit/{room.id}"


def code_of(emulator: Recording, verification_id: str) -> str:
    answer = requests.get(emulator.base_url + CONTROL_PREFIX + "/vonage/verifications", timeout=30)
    return next(v["code"] for v in answer.json()["verifications"] if v["id"] == verification_id)


def test_verify_start_then_the_right_code(video, emulator):
    verification = video.verify.start(TO, brand="Clinic")
    assert verification.status is VerificationStatus.PENDING and verification.number == TO
    code = code_of(emulator, verification.id)
    (sms,) = emulator.messages.sent(to=TO[1:])
    assert code in sms.text and "Clinic" in sms.text
    assert video.verify.check(verification, code).verified
    with pytest.raises(NotFound):  # verified already: over
        video.verify.check(verification, code)


def test_wrong_codes_leave_it_pending_then_fail_it(video, emulator):
    verification = video.verify.start(TO, code_length=4)
    code = code_of(emulator, verification.id)
    wrong = "0000" if code != "0000" else "1111"
    assert video.verify.check(verification, wrong).status is VerificationStatus.PENDING
    assert video.verify.check(verification.id, wrong).status is VerificationStatus.PENDING
    assert video.verify.check(verification, wrong).status is VerificationStatus.FAILED
    with pytest.raises(NotFound):
        video.verify.check(verification, code)


def test_a_malformed_code_is_refused_before_any_request(video, emulator):
    verification = video.verify.start(TO)
    before = sent_requests(emulator)
    for code in ("12", "1234567", "12a4", 1234):
        with pytest.raises(InvalidRequest) as refused:
            video.verify.check(verification, code)
        assert refused.value.field == "code"
    assert sent_requests(emulator) == before


def test_verify_needs_the_api_key_and_secret(emulator):
    video = emulator.connect()
    with pytest.raises(anyvideo.ConfigurationError, match="VONAGE_API_KEY"):
        video.verify.start(TO)


def test_wrong_credentials_are_verify_status_4(emulator):
    video = emulator.connect(api_key=emulator.application.api_key, api_secret="not-the-secret")
    with pytest.raises(anyvideo.ProviderError, match="status 4"):
        video.verify.start(TO)
