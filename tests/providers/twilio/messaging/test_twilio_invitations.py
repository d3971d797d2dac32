"""Invitations on the Twilio backend, against the emulator (Programmable Messaging, REST API
2010): what reaches its message log, what is refused before any request; every Messages
request the emulator took and every answer it gave are checked against ``twilio_api_v2010.yaml``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from support.spec_exchanges import SpecExchanges
from support.specs import SPECS, RecordsExchanges

import anyvideo
from anyvideo import DialIn, Feature, InvalidRequest, UnsupportedFeature
from anyvideo.testing.messages import MESSAGES_PATH
from anyvideo_twilio.emulator import TwilioEmulator

SENDER = "+15550001111"
TO = "+15551234567"
API_2010 = SpecExchanges(SPECS / "twilio_api_v2010.yaml", under="/2010-04-01/Accounts/{AccountSid}/Messages")


class Recording(RecordsExchanges, TwilioEmulator):
    """The emulator, keeping its exchanges."""


@pytest.fixture
def emulator() -> Iterator[Recording]:
    with Recording() as running:
        yield running
    problems = []
    for request, response in running.exchanges:
        if request.path.startswith("/2010-04-01/"):
            problems += API_2010.problems(request, response)
    assert problems == []


@pytest.fixture
def video(emulator: Recording) -> anyvideo.Video:
    return emulator.connect(message_sender=SENDER)


def test_an_invitation_reaches_the_log_with_the_link_number_and_pin(video, emulator):
    room = video.rooms.create("weekly")
    invitation = video.invite(
        room, TO, link="https://app.example/join/{room}", dial_in=DialIn("+15557654321", "424242")
    )
    assert invitation.status == "queued" and invitation.id.startswith("SM")
    (message,) = requests.get(emulator.base_url + MESSAGES_PATH, timeout=30).json()["messages"]
    assert (message["to"], message["sender"], message["channel"]) == (TO, SENDER, "sms")
    assert f"https://app.example/join/{room.id}" in message["text"]
    assert "+15557654321" in message["text"] and "424242" in message["text"]


def test_whatsapp_goes_to_whatsapp_addresses(video, emulator):
    room = video.rooms.create("weekly")
    video.invite(room, TO, "whatsapp", link="https://app.example/{room}")
    assert [(m.channel, m.to) for m in emulator.messages.sent()] == [("whatsapp", TO)]


def test_viber_is_unsupported_with_the_reason(video, emulator):
    room = video.rooms.create("weekly")
    with pytest.raises(UnsupportedFeature, match="no Viber channel"):
        video.invite(room, TO, "viber", link="https://app.example/{room}")
    assert emulator.messages.sent() == []


def test_a_number_not_in_e164_is_refused_before_any_request(video, emulator):
    room = video.rooms.create("weekly")
    before = len(emulator.exchanges)
    with pytest.raises(InvalidRequest) as refused:
        video.invite(room, "555-1234", link="https://app.example/{room}")
    assert refused.value.field == "to"
    assert len(emulator.exchanges) == before


def test_without_a_sender_the_configuration_is_named(emulator):
    video = emulator.connect()
    room = video.rooms.create("weekly")
    with pytest.raises(anyvideo.ConfigurationError, match="TWILIO_MESSAGE_SENDER"):
        video.invite(room, TO, link="https://app.example/{room}")


def test_verification_is_unsupported_with_the_reason(video):
    assert not video.supports(Feature.PHONE_VERIFICATION)
    with pytest.raises(UnsupportedFeature, match="outside the specifications"):
        video.verify.start(TO)
