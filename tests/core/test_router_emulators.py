"""A mixed fleet on the two emulators: Twilio Video being left for Vonage Video.

Rooms that exist on Twilio keep being served there, new ones open where the
policy says, listings span both, and every token works on the emulator that
holds its room."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.ids import requests_to

import anyvideo
from anyvideo import InvalidRequest, RoomStatus, Video
from anyvideo.router import RouterBackend, parse_policy
from anyvideo.testing import Emulator


@pytest.fixture
def twilio(twilio_emulator: Emulator) -> Iterator[Video]:
    with anyvideo.connect("twilio", environ={}, **twilio_emulator.backend_settings) as video:
        yield video


@pytest.fixture
def vonage(vonage_emulator: Emulator) -> Iterator[Video]:
    with anyvideo.connect("vonage", environ={}, **vonage_emulator.backend_settings) as video:
        yield video


def fleet(twilio: Video, vonage: Video, policy: str) -> Video:
    return Video(RouterBackend(primary=vonage.backend, legacy=twilio.backend, policy=parse_policy(policy)))


@pytest.mark.parametrize("policy", ["primary", "percent:50", "name:^beta-"])
def test_existing_rooms_stay_on_twilio_and_new_ones_follow_the_policy(
    twilio: Video, vonage: Video, policy: str
) -> None:
    existing = twilio.rooms.create("weekly")
    video = fleet(twilio, vonage, policy)
    assert video.rooms.get(existing.ref).provider == "twilio"
    assert video.rooms.create("weekly").ref == existing.ref  # an open room keeps living where it is
    placement = parse_policy(policy)
    for name in ("beta-standup", "retro", "planning", "beta-demo"):
        expected = "vonage" if placement.to_primary(name) else "twilio"
        assert video.rooms.create(name).provider == expected, name


def test_listings_span_both_providers(twilio: Video, vonage: Video) -> None:
    existing = twilio.rooms.create("weekly")
    video = fleet(twilio, vonage, "primary")
    new = video.rooms.create("standup")
    listed = [r.ref for r in video.rooms.list(status=RoomStatus.OPEN)]
    assert existing.ref in listed and new.ref in listed
    assert {r.provider for r in video.rooms.list()} == {"twilio", "vonage"}


def test_each_token_joins_on_the_emulator_that_holds_its_room(
    twilio: Video, vonage: Video, twilio_emulator: Emulator, vonage_emulator: Emulator
) -> None:
    existing = twilio.rooms.create("weekly")
    video = fleet(twilio, vonage, "primary")
    new = video.rooms.create("standup")
    devices = video.backend.browser()
    for room, emulator in ((existing, twilio_emulator), (new, vonage_emulator)):
        token = video.tokens.create(room, "ann")
        assert token.provider == room.provider  # the browser loads that provider's client SDK
        client = devices.join(token)
        assert client.room_id == room.id
        assert any(p.room_id == room.id for p in emulator.world.participants(room.id))


def test_operations_on_a_twilio_room_go_to_twilio_by_ref(twilio: Video, vonage: Video) -> None:
    existing = twilio.rooms.create("weekly")
    video = fleet(twilio, vonage, "primary")
    ended = video.rooms.end(existing.ref)
    assert (ended.provider, ended.status) == ("twilio", RoomStatus.ENDED)
    assert twilio.rooms.get(existing).status is RoomStatus.ENDED


@pytest.mark.parametrize(
    "ref",
    ["vonage:x/../../broadcast/{vonage}", "twilio:{twilio}/Participants/PA{hex}", "x/../../broadcast/{vonage}"],
    ids=["vonage ref", "twilio ref", "bare id"],
)
def test_a_hostile_ref_is_refused_by_the_member_before_any_request(
    twilio: Video, vonage: Video, twilio_emulator: Emulator, vonage_emulator: Emulator, ref: str
) -> None:
    video = fleet(twilio, vonage, "primary")
    ids = {"vonage": "be7712a4-3a63-4ed7-a2c6-7ffaebefd4a6", "twilio": "RM" + "0" * 32, "hex": "0" * 32}
    with requests_to(twilio_emulator) as to_twilio, requests_to(vonage_emulator) as to_vonage:
        with pytest.raises(InvalidRequest) as refused:
            video.rooms.end(ref.format(**ids))
    assert refused.value.field == "room"
    assert to_twilio == to_vonage == []


def test_a_phone_is_called_into_a_room_where_the_fleet_holds_it(twilio: Video, vonage: Video) -> None:
    existing = twilio.rooms.create("weekly")
    video = fleet(twilio, vonage, "primary")
    called = video.phone.call(existing.ref, "+15551234567", caller_id="+15550001111")
    assert called.provider == "twilio" and called.phone
    video.participants.disconnect(existing.ref, called)
    assert video.participants.get(existing.ref, called.ref).status is anyvideo.ParticipantStatus.DISCONNECTED
