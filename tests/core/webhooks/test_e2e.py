"""End to end: each emulator drives the same scripted meeting and delivers its callbacks over
HTTP to the application's webhook app (:class:`~anyvideo.testing.receiver.WebhookServer`); the
``anyvideo_event`` hook receives the same sequence of core events from both providers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from support.webhooks import CORE_TYPES, VONAGE_SECRET, Collector, Wiring, meeting, no_refusals, projection, types

import anyvideo
from anyvideo import Event, EventType, StreamKind, hookimpl
from anyvideo.sim import ManualClock
from anyvideo.testing.receiver import WebhookServer

#: What the meeting must look like, on every provider, through :func:`projection`.
EXPECTED = [
    ("room.started", "Room"),
    ("participant.joined", "Participant", "ann"),
    ("participant.joined", "Participant", "bob"),
    ("stream.published", "Stream", "ann"),
    ("stream.published", "Stream", "ann"),
    ("stream.published", "Stream", "bob"),
    ("stream.published", "Stream", "bob"),
    ("recording.started", "Recording"),
    ("recording.available", "Recording"),
    ("stream.unpublished", "Stream", "bob"),
    ("stream.unpublished", "Stream", "bob"),
    ("participant.left", "Participant", "bob"),
    ("stream.unpublished", "Stream", "ann"),
    ("stream.unpublished", "Stream", "ann"),
    ("participant.left", "Participant", "ann"),
    ("room.ended", "Room"),
]


@pytest.fixture(params=["vonage", "twilio"])
def wired(request: pytest.FixtureRequest) -> Wiring:
    return request.getfixturevalue(f"{request.param}_wired")


def test_the_meeting_reaches_the_hook_as_core_events(wired: Wiring) -> None:
    room, recording = meeting(wired)
    events = wired.collector.events
    assert no_refusals(wired.control) == []  # every callback verified and answered 204
    assert projection(events) == EXPECTED, types(events)
    provider = wired.video.backend_name
    for event in events:
        assert event.provider == provider and event.raw and event.occurred_at.tzinfo is not None
        assert event.room_id == room.id
    # the core objects are the meeting's: the room, the recording anyvideo started
    recorded = [e.subject for e in events if e.type in (EventType.RECORDING_STARTED, EventType.RECORDING_AVAILABLE)]
    assert {r.id for r in recorded} == {recording.id}
    available = [r for r in recorded if r.status == "available"]
    assert available and all(r.files for r in available)  # with the files to download
    assert {e.subject.id for e in events if e.type in (EventType.ROOM_STARTED, EventType.ROOM_ENDED)} == {room.id}


def test_both_providers_send_the_same_sequence(vonage_wired: Wiring, twilio_wired: Wiring) -> None:
    meeting(vonage_wired)
    meeting(twilio_wired)
    vonage, twilio = projection(vonage_wired.collector.events), projection(twilio_wired.collector.events)
    assert vonage == twilio


def test_event_times_follow_the_meeting(wired: Wiring) -> None:
    meeting(wired)
    times = [e.occurred_at for e in wired.collector.events if e.type in (EventType.ROOM_STARTED, EventType.ROOM_ENDED)]
    assert times == sorted(times) and len(times) == 2


@pytest.fixture(params=["vonage", "twilio"])
def deployed(
    request: pytest.FixtureRequest, tmp_path, connect_vonage, connect_twilio, vonage_emulator, twilio_emulator
):
    """As deployed: the callback endpoint is another ``Video`` than the application's (another
    process, say), sharing its registry file; Twilio's URL comes from the ``status_callback`` setting."""
    registry = str(tmp_path / "registry.sqlite")
    connect = connect_vonage if request.param == "vonage" else connect_twilio
    receiver = connect(registry=registry)
    collector = Collector()
    receiver.plugins.manager.register(collector)
    with WebhookServer(receiver) as server:
        if request.param == "vonage":
            control = vonage_emulator.control
            settings = {kind: server.url for kind in ("session", "archive", "broadcast", "render")}
            control.call("PUT", "/vonage/callbacks", settings | {"signature_secret": VONAGE_SECRET})
            app = connect(registry=registry)
        else:
            control = twilio_emulator.control
            app = connect(registry=registry, status_callback=server.url)
        yield Wiring(app, control, {}, collector)
        control.callbacks()


def test_a_separate_receiver_sharing_the_registry_hears_the_same(deployed: Wiring) -> None:
    meeting(deployed)
    assert no_refusals(deployed.control) == []
    assert projection(deployed.collector.events) == EXPECTED


class FailsOnce:
    """An application hook that fails on the first event it is handed (its database was down)."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    @hookimpl
    def anyvideo_event(self, event, video) -> None:
        if not self.failed:
            self.failed.append(event.event_id)
            raise RuntimeError("the database is down")


def test_a_callback_whose_hook_failed_is_handled_when_the_provider_delivers_it_again(wired: Wiring) -> None:
    failing = FailsOnce()
    wired.video.plugins.manager.register(failing)  # registered last, so called before the collector
    room = wired.video.rooms.create("flaky-hook", provider_options=wired.room_options)
    ann = wired.control.join(wired.video.tokens.create(room, "ann"))
    ann.publish(StreamKind.AUDIO)
    deliveries = [d for d in wired.control.callbacks() if d["url"].endswith("/callbacks")]
    refused = [d for d in deliveries if d["status"] == 500]
    assert len(refused) == 1 and all(d["status"] == 204 for d in deliveries if d is not refused[0])
    # The provider delivers the refused callback again, exactly as it first sent it.
    again = requests.post(refused[0]["url"], data=refused[0]["body"], headers=refused[0]["headers"], timeout=30)
    assert again.status_code == 204
    handled = [e.event_id for e in wired.collector.events]
    assert failing.failed[0] in handled
    assert len(handled) == len(set(handled))  # and nothing twice
    # A third delivery of it changes nothing.
    requests.post(refused[0]["url"], data=refused[0]["body"], headers=refused[0]["headers"], timeout=30)
    assert [e.event_id for e in wired.collector.events] == handled


class LocalControl:
    """What the meeting asks of an emulator's control API, for the local backend: its clock
    moves when told, and its events are handed to the hooks as they happen (nothing to wait for)."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def advance(self, seconds: float) -> datetime:
        return self._clock.advance(seconds)

    def callbacks(self) -> list[dict[str, Any]]:
        return []


@pytest.fixture
def local_wired() -> Iterator[Wiring]:
    clock = ManualClock()
    with anyvideo.connect("local", clock=clock, environ={}) as video:
        collector = Collector()
        video.plugins.manager.register(collector)
        yield Wiring(video, LocalControl(clock), {}, collector)  # type: ignore[arg-type]


def repeated(events: list[Event]) -> list[tuple[str, str, int]]:
    """(type, subject id, times) of each core event handed more than once for one object."""
    counts = Counter((str(e.type), e.subject.id) for e in events if e.type in CORE_TYPES and e.subject is not None)
    return [(kind, subject, times) for (kind, subject), times in counts.items() if times > 1]


@pytest.mark.parametrize("provider", ["local", "vonage", "twilio"])
def test_each_transition_of_each_object_reaches_the_hook_once(request: pytest.FixtureRequest, provider: str) -> None:
    wired: Wiring = request.getfixturevalue(f"{provider}_wired")
    room, recording = meeting(wired)
    events = wired.collector.events
    assert repeated(events) == []
    assert projection(events) == EXPECTED, types(events)
    recorded = [(str(e.type), e.subject.id) for e in events if e.type.startswith("recording.")]
    assert recorded == [("recording.started", recording.id), ("recording.available", recording.id)]


def test_each_transition_reaches_a_separate_receiver_once(deployed: Wiring) -> None:
    _, recording = meeting(deployed)
    events = deployed.collector.events
    assert repeated(events) == []
    recorded = [(str(e.type), e.subject.id) for e in events if e.type.startswith("recording.")]
    assert recorded == [("recording.started", recording.id), ("recording.available", recording.id)]


def test_twilio_callbacks_parse_to_one_event_per_transition_without_dropping_ids(twilio_wired: Wiring) -> None:
    """Not only once at the hook (which drops a handled ``event_id``): each transition is in one
    callback's events, so an application parsing callbacks itself has nothing to de-duplicate."""
    _, recording = meeting(twilio_wired)
    video = twilio_wired.video
    events = [
        event
        for d in twilio_wired.control.callbacks()
        for event in video.webhooks.parse(d["method"], d["url"], d["headers"], d["body"])
    ]
    assert repeated(events) == []
    assert len({e.event_id for e in events}) == len(events)
    recorded = [(str(e.type), e.subject.id) for e in events if e.type.startswith("recording.")]
    assert recorded == [("recording.started", recording.id), ("recording.available", recording.id)]
