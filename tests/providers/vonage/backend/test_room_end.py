"""Ending a Vonage room means the end, as far as Vonage lets anyvideo enforce it.

A Vonage session never ends: a client token minted before ``rooms.end`` still
connects. anyvideo forces such a connection out when its ``connectionCreated``
callback arrives; without callbacks nothing does, until ``rooms.end`` is called
again."""

from __future__ import annotations

import json
import time

import pytest
from support.webhooks import VONAGE_SECRET, vonage_signed

from anyvideo import Conflict, EventType, ParticipantStatus, ProviderError
from anyvideo.testing.faults import Fault

URL = "https://app.example.com/vonage/callbacks"


def sent(vonage_emulator, event: str, connection_id: str) -> list[dict]:
    """The session-monitoring callbacks ``event`` about one connection that the emulator delivered."""
    bodies = [json.loads(d["body"]) for d in vonage_emulator.control.callbacks()]
    return [b for b in bodies if b.get("event") == event and b.get("connection", {}).get("id") == connection_id]


def joined(session_id: str, connection_id: str, identity: str) -> dict:
    """A ``connectionCreated`` callback, as the session-monitoring guide shows it."""
    now = int(time.time() * 1000)
    connection = {"id": connection_id, "createdAt": now, "data": json.dumps({"identity": identity})}
    return {"sessionId": session_id, "event": "connectionCreated", "timestamp": now, "connection": connection}


def test_a_token_minted_before_the_end_is_forced_out_when_its_callback_arrives(wired, vonage_emulator) -> None:
    video, devices, events = wired
    room = video.rooms.create("closing")
    early = video.tokens.create(room, "late", data="seat 9")
    video.rooms.end(room)
    with pytest.raises(Conflict, match="ended"):
        video.tokens.create(room, "later")
    late = devices.join(early)  # Vonage lets it in (a session never ends); its callbacks are delivered
    assert vonage_emulator.world.get_participant(late.participant_id).status is ParticipantStatus.DISCONNECTED
    [destroyed] = sent(vonage_emulator, "connectionDestroyed", late.participant_id)
    assert destroyed["reason"] == "forceDisconnected"
    assert [(e.type, e.subject.status) for e in events if getattr(e.subject, "id", None) == late.participant_id] == [
        (EventType.PARTICIPANT_JOINED, ParticipantStatus.CONNECTED),
        (EventType.PARTICIPANT_LEFT, ParticipantStatus.DISCONNECTED),
    ]
    assert EventType.ROOM_STARTED not in [e.type for e in events]  # an ended room does not start
    [gone] = video.participants.list(room)
    assert (gone.identity, gone.data, gone.status) == ("late", "seat 9", ParticipantStatus.DISCONNECTED)


def test_without_callbacks_nothing_forces_a_late_comer_out_until_the_room_is_ended_again(
    video, browser, room, vonage_emulator
) -> None:
    early = video.tokens.create(room, "late")
    first = video.rooms.end(room)
    late = browser.join(early)
    assert [p.id for p in video.participants.list(room, status="connected")] == [late.participant_id]
    again = video.rooms.end(room)
    assert (again.status, again.ended_at) == (first.status, first.ended_at)
    assert vonage_emulator.world.get_participant(late.participant_id).status is ParticipantStatus.DISCONNECTED
    assert list(video.participants.list(room, status="connected")) == []


def test_a_force_out_that_failed_is_done_on_the_providers_next_delivery(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(signature_secret=VONAGE_SECRET, retries=0)
    room = video.rooms.create("closing")
    early = video.tokens.create(room, "late")
    video.rooms.end(room)
    late = video.backend.browser().join(early)
    headers, body = vonage_signed(joined(room.id, late.participant_id, "late"))
    vonage_emulator.faults.script(r"/connection/", [Fault(status=503)], method="DELETE")
    with pytest.raises(ProviderError):
        video.webhooks.handle("POST", URL, headers, body)  # an adapter answers 500: Vonage delivers it again
    assert vonage_emulator.world.get_participant(late.participant_id).status is ParticipantStatus.CONNECTED
    [event] = video.webhooks.handle("POST", URL, headers, body)  # the same signed request, not a replay
    assert event.type == EventType.PARTICIPANT_JOINED
    assert vonage_emulator.world.get_participant(late.participant_id).status is ParticipantStatus.DISCONNECTED


def test_a_late_callback_of_someone_the_end_already_disconnected_is_handled(connect_vonage) -> None:
    video = connect_vonage(signature_secret=VONAGE_SECRET)
    room = video.rooms.create("closing")
    ann = video.backend.browser().join(video.tokens.create(room, "ann"))
    video.rooms.end(room)  # disconnects ann
    [event] = video.webhooks.handle("POST", URL, *vonage_signed(joined(room.id, ann.participant_id, "ann")))
    assert event.type == EventType.PARTICIPANT_JOINED  # the provider's 404 for ann: already out, done


def test_a_callback_of_an_open_room_forces_no_one_out(connect_vonage, vonage_emulator) -> None:
    video = connect_vonage(signature_secret=VONAGE_SECRET)
    room = video.rooms.create("open")
    ann = video.backend.browser().join(video.tokens.create(room, "ann"))
    video.webhooks.handle("POST", URL, *vonage_signed(joined(room.id, ann.participant_id, "ann")))
    assert vonage_emulator.world.get_participant(ann.participant_id).status is ParticipantStatus.CONNECTED
