"""anyvideo.testing.SettledDevices: each action of a device returns only once the
callbacks it caused reached the application, however slowly the application answers."""

from __future__ import annotations

import time

import pytest
from support.webhooks import Collector, types

from anyvideo import Event, EventType, StreamKind, Video
from anyvideo.hookspecs import hookimpl
from anyvideo.testing import Emulator, SettledDevices, WebhookServer


class SlowCollector(Collector):
    """An application that takes its time over each callback before it knows of it."""

    @hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        time.sleep(0.2)
        super().anyvideo_event(event, video)


@pytest.fixture
def application(twilio_emulator: Emulator):
    video = twilio_emulator.connect()
    collector = SlowCollector()
    video.plugins.manager.register(collector)
    with WebhookServer(video, path="/twilio/callbacks") as server:
        room = video.rooms.create("standup", provider_options={"status_callback": server.url})
        yield video, room, collector.events


def test_each_action_returns_once_its_callbacks_were_delivered(application, twilio_emulator: Emulator) -> None:
    video, room, events = application
    ann = SettledDevices(twilio_emulator.control).join(video.tokens.create(room, "ann"))
    assert types(events)[-1] == EventType.PARTICIPANT_JOINED
    stream_id = ann.publish(StreamKind.AUDIO)
    assert types(events)[-1] == EventType.STREAM_PUBLISHED
    ann.unpublish(stream_id)
    assert types(events)[-1] == EventType.STREAM_UNPUBLISHED
    ann.leave()
    assert types(events)[-1] == EventType.PARTICIPANT_LEFT


def test_a_settled_client_is_the_participant_it_joined_as(application, twilio_emulator: Emulator) -> None:
    video, room, _ = application
    ann = SettledDevices(twilio_emulator.control).join(video.tokens.create(room, "ann"))
    participant = video.participants.get(room, ann.participant_id)
    assert (ann.identity, ann.room_id) == (participant.identity, room.id)
