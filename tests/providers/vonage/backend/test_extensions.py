"""Vonage-only operations, reached through video.ext: SIP dial, DTMF, live captions,
Experience Composer, session migration."""

from __future__ import annotations

import pytest

from anyvideo import Conflict, InvalidRequest, NotFound
from anyvideo.testing.faults import Fault
from anyvideo_vonage import Captions, RenderSpec, SipCall


@pytest.fixture
def live_room(video, browser, room):
    browser.join(video.tokens.create(room, "ann")).publish()
    return room


def test_dial_sip(video, room, vonage_emulator) -> None:
    call = video.ext.dial_sip(room.id, SipCall("sip:conf@sip.example.com;transport=tls", identity="phone"))
    assert call.room_id == room.id
    assert call.connection_id in {p.id for p in video.participants.list(room)}
    assert vonage_emulator.world.get_participant(call.connection_id).identity == "phone"
    assert call.stream_id in {s.id for s in video.streams.list(room)}


def test_sip_password_stays_out_of_reprs() -> None:
    call = SipCall("sip:a@b.example.com", username="u", password="hunter2")
    assert "hunter2" not in repr(call)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"uri": "tel:+441234"}, "sip.uri"),
        ({"uri": "sip:a@b.com", "from_": "not an address"}, "sip.from_"),
        ({"uri": "sip:a@b.com", "headers": {"Via": "x"}}, "sip.headers"),
        ({"uri": "sip:a@b.com", "username": "u"}, "sip.password"),
    ],
)
def test_bad_sip_calls_fail_before_any_request(fields, field) -> None:
    with pytest.raises(InvalidRequest) as caught:
        SipCall(**fields)
    assert caught.value.field == field


def test_dtmf(video, room, vonage_emulator) -> None:
    call = video.ext.dial_sip(room.id, SipCall("sip:conf@sip.example.com"))
    video.ext.play_dtmf(room.id, "1234#p*")
    video.ext.play_dtmf(room.id, "9", participant_id=call.connection_id)
    with pytest.raises(NotFound):
        video.ext.play_dtmf(room.id, "9", participant_id="00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize("digits", ["", "12a", "1 2", None])
def test_bad_dtmf_fails_before_any_request(video, room, vonage_emulator, digits) -> None:
    vonage_emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest, match="DTMF"):
        video.ext.play_dtmf(room.id, digits)


def test_captions(video, live_room) -> None:
    captions = video.ext.start_captions(live_room.id, language="fr-FR", max_duration=600)
    assert isinstance(captions, Captions) and captions.room_id == live_room.id
    with pytest.raises(Conflict, match="already enabled"):
        video.ext.start_captions(live_room.id)
    video.ext.stop_captions(captions)
    with pytest.raises(NotFound):
        video.ext.stop_captions(captions.id)


def test_captions_options_are_checked(video, room) -> None:
    with pytest.raises(InvalidRequest, match="language"):
        video.ext.start_captions(room.id, language="xx-XX")
    with pytest.raises(InvalidRequest, match="max_duration"):
        video.ext.start_captions(room.id, max_duration=60)


def test_render(video, room) -> None:
    render = video.ext.start_render(room.id, RenderSpec("https://app.example.com/board", name="board"))
    assert render.status == "starting" and render.room_id == room.id
    current = video.ext.get_render(render.id)
    assert current.status == "started" and current.stream_id in {s.id for s in video.streams.list(room)}
    assert [r.id for r in video.ext.list_renders()] == [render.id]
    video.ext.stop_render(render.id)
    assert video.ext.get_render(render.id).status == "stopped"


@pytest.mark.parametrize(
    "fields",
    [{"url": "ftp://example.com/page"}, {"url": "https://x.io"}, {"url": "https://example.com/p", "max_duration": 5}],
)
def test_bad_renders_fail_before_any_request(fields) -> None:
    with pytest.raises(InvalidRequest):
        RenderSpec(**fields)


def test_migrate(video, live_room) -> None:
    video.ext.migrate_room(live_room.id)


def test_migrating_an_empty_room_is_not_found(video, room) -> None:
    with pytest.raises(NotFound, match="No clients"):
        video.ext.migrate_room(room.id)
