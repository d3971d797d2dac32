"""Invitations and phone verification on the Vonage backend, against the emulator: what
reaches its message log, what is refused before any request, Verify's start, check and wrong
codes; every answer the emulator gave is checked against ``vonage_messages.yml`` and
``vonage_verify.yml``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from support.specs import SPECS, RecordsExchanges, SpecAnswers

import anyvideo
from anyvideo import Channel, DialIn, InvalidRequest, NotFound, VerificationStatus
from anyvideo.testing.messages import MESSAGES_PATH
from anyvideo.testing.server import CONTROL_PREFIX
from anyvideo_vonage.emulator import VonageEmulator

SENDER = "15550001111"
TO = "+15551234567"

#: The Messages spec (0.4.0) describes ``/v0.1/messages``; the SDK sends ``/v1/messages``: the same
#: operation and answer (``202 {message_uuid}``), an older request body (see the emulator's module).
MESSAGES = SpecAnswers(SPECS / "vonage_messages.yml", aliases={"/v1/messages": "/"})
VERIFY = SpecAnswers(SPECS / "vonage_verify.yml", prefix="/verify")


class Recording(RecordsExchanges, VonageEmulator):
    """The emulator, keeping its exchanges."""


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recording]:
    with Recording(tls=True) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running
    problems = []
    for request, response in running.exchanges:
        if request.path.startswith(("/v1/messages", "/verify/")):
            spec = MESSAGES if request.path.startswith("/v1/") else VERIFY
            problems += spec.problems(request, response)
    assert problems == []


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
    assert f"https://app.example/join/weekly?id={room.id}" in message["text"]
    assert "+15557654321" in message["text"] and "424242" in message["text"]
    assert "4567" in repr(invitation) and TO not in repr(invitation)


@pytest.mark.parametrize(("channel", "sent_as"), [("whatsapp", "whatsapp"), ("viber", "viber_service")])
def test_other_channels_of_the_messages_api(video, emulator, channel, sent_as):
    room = video.rooms.create("weekly")
    video.invite(room, TO, channel, link="https://app.example/{room}", sender="acme")
    assert [m.channel for m in emulator.messages.sent()] == [sent_as]


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
