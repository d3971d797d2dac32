"""The facade's side of invitations and verification: validation before any backend call,
the local backend's honest refusal, templates."""

from __future__ import annotations

import pytest

import anyvideo
from anyvideo import DialIn, Feature, InvalidRequest, UnsupportedFeature
from anyvideo.messaging import InvitationSpec, invitation_text, join_link


def test_the_local_backend_refuses_with_the_reason():
    with anyvideo.connect("local") as video:
        room = video.rooms.create("weekly")
        assert not video.supports(Feature.INVITATIONS)
        with pytest.raises(UnsupportedFeature, match="no messaging"):
            video.invite(room, "+15551234567", link="https://x.example/{room}")
        with pytest.raises(UnsupportedFeature, match="phone_verification"):
            video.verify.start("+15551234567")


def test_dial_in_is_checked_and_its_pin_never_shown():
    dial_in = DialIn("+15557654321", "0042")
    assert "0042" not in repr(dial_in) and "4321" in repr(dial_in)
    with pytest.raises(InvalidRequest) as refused:
        DialIn("5557654321", "1")
    assert refused.value.field == "dial_in.number"
    with pytest.raises(InvalidRequest):
        DialIn("+15557654321", "12ab")


def test_the_text_carries_the_link_and_dial_in():
    text = invitation_text("https://x.example/r", DialIn("+15557654321", "7"))
    assert text == "Join the video meeting: https://x.example/r\nOr call +15557654321 and enter PIN 7"
    assert invitation_text("https://x.example/r", None, "Visit {link} now") == "Visit https://x.example/r now"
    with pytest.raises(InvalidRequest, match="at most"):
        invitation_text("https://x.example/" + "r" * 1000, None)


def test_join_links():
    assert join_link("https://x.example/{name}/{room}", room="RM1", name="ward") == "https://x.example/ward/RM1"
    with pytest.raises(InvalidRequest, match="no name"):
        join_link("https://x.example/{name}", room="RM1", name=None)
    with pytest.raises(InvalidRequest, match="http"):
        join_link("ftp://x.example/{room}", room="RM1", name=None)


def test_a_spec_masks_its_number():
    spec = InvitationSpec("+15551234567", "sms", "hello")
    assert "+15551234567" not in repr(spec)
