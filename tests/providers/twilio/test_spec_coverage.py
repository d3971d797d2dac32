"""Every operation of the Twilio Video spec is reachable through anyvideo.

The spec (``twilio_video_v1.yaml``) is enumerated: each operation (method and path
template) must have an entry in :data:`TABLE`, a step that exercises it through the
core API or the typed extensions (``video.ext``), never ``video.native``. Driving the
table against an emulator that records every exchange must make the emulator see a
request matching each operation. An operation added to the spec without an entry fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.specs import TWILIO_SPEC, RecordsExchanges, load_spec

from anyvideo import Video
from anyvideo.models import StreamKind
from anyvideo.testing import RemoteClient
from anyvideo_twilio.emulator import TwilioEmulator
from anyvideo_twilio.models import StorageSettings, TranscriptionConfig

METHODS = ("get", "post", "delete", "put", "patch")


class RecordingTwilio(RecordsExchanges, TwilioEmulator):
    """A Twilio emulator that keeps every REST exchange."""


class Scene:
    """What the steps share: anyvideo connected to the emulator, a room with two
    browsers publishing, and what earlier steps made (by name)."""

    def __init__(self, emulator: RecordingTwilio) -> None:
        self.emulator = emulator
        self.video: Video = emulator.connect()
        self.room = self.video.rooms.create("covered")
        devices = self.video.backend.browser()
        self.ann: RemoteClient = devices.join(self.video.tokens.create(self.room, "ann"))
        self.bob: RemoteClient = devices.join(self.video.tokens.create(self.room, "bob"))
        self.cy: RemoteClient = devices.join(self.video.tokens.create(self.room, "cy"))  # leaves early
        self.ann_track = self.ann.publish(StreamKind.AUDIO, name="ann-mic")
        self.bob.publish(StreamKind.AUDIO, name="bob-mic")
        self.made: dict[str, Any] = {}

    def recorded(self, key: str = "kept") -> str:
        """A finished track recording (RT…) of the room, one per ``key``: recorded, stopped, processed."""
        if key not in self.made:
            before = {r.id for r in self.video.ext.list_room_recordings(self.room)}
            window = self.video.recordings.start(self.room, mode="individual")
            self.video.recordings.stop(window)
            self.emulator.control.advance(60)
            made = [r.id for r in self.video.ext.list_room_recordings(self.room) if r.id not in before]
            self.made[key] = made[0]
        return str(self.made[key])

    def ended(self) -> None:
        if "ended" not in self.made:
            self.recorded()
            self.made["ended"] = self.video.rooms.end(self.room)
            self.emulator.control.advance(60)


def _composition(scene: Scene) -> str:
    if "composition" not in scene.made:
        scene.ended()
        scene.made["composition"] = scene.video.compositions.start(scene.room).id
        scene.emulator.control.advance(60)
    return str(scene.made["composition"])


def _hook(scene: Scene) -> str:
    if "hook" not in scene.made:
        scene.made["hook"] = scene.video.ext.create_composition_hook("covered-hook").id
    return str(scene.made["hook"])


def _transcription(scene: Scene) -> str:
    if "transcription" not in scene.made:
        started = scene.video.ext.start_transcriptions(scene.room, TranscriptionConfig(language="en-US"))
        scene.made["transcription"] = started.id
    return str(scene.made["transcription"])


def _participant(scene: Scene) -> str:
    return scene.ann.participant_id


#: (METHOD, path template) -> a step that exercises it through anyvideo.
TABLE: dict[tuple[str, str], Callable[[Scene], Any]] = {
    # rooms
    ("POST", "/v1/Rooms"): lambda s: s.video.rooms.create("another"),
    ("GET", "/v1/Rooms"): lambda s: list(s.video.rooms.list()),
    ("GET", "/v1/Rooms/{Sid}"): lambda s: s.video.rooms.get(s.room),
    ("POST", "/v1/Rooms/{Sid}"): lambda s: s.video.rooms.end(s.video.rooms.create("to-end")),
    # participants
    ("GET", "/v1/Rooms/{RoomSid}/Participants"): lambda s: list(s.video.participants.list(s.room)),
    ("GET", "/v1/Rooms/{RoomSid}/Participants/{Sid}"): lambda s: s.video.participants.get(s.room, _participant(s)),
    ("POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}"): lambda s: s.video.participants.disconnect(
        s.room, s.cy.participant_id
    ),
    ("POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}/Anonymize"): lambda s: (
        s.video.participants.disconnect(s.room, s.cy.participant_id),
        s.video.ext.anonymize_participant(s.room, s.cy.participant_id),
    ),
    ("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks"): lambda s: list(
        s.video.streams.list(s.room)
    ),
    ("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks/{Sid}"): lambda s: (
        s.video.ext.get_published_track(s.room, _participant(s), s.ann_track)
    ),
    ("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribedTracks"): lambda s: list(
        s.video.ext.list_subscribed_tracks(s.room, _participant(s))
    ),
    ("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribedTracks/{Sid}"): lambda s: (
        s.video.ext.get_subscribed_track(s.room, s.bob.participant_id, s.ann_track)
    ),
    ("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribeRules"): lambda s: (
        s.video.ext.get_subscribe_rules(s.room, _participant(s))
    ),
    ("POST", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribeRules"): lambda s: (
        s.video.ext.set_subscribe_rules(s.room, _participant(s), [{"type": "include", "all": True}])
    ),
    # recording rules and recordings
    ("GET", "/v1/Rooms/{RoomSid}/RecordingRules"): lambda s: s.video.ext.get_recording_rules(s.room),
    ("POST", "/v1/Rooms/{RoomSid}/RecordingRules"): lambda s: s.video.ext.set_recording_rules(
        s.room, [{"type": "exclude", "all": True}]
    ),
    ("GET", "/v1/Rooms/{RoomSid}/Recordings"): lambda s: (s.recorded(), list(s.video.ext.list_room_recordings(s.room))),
    ("GET", "/v1/Rooms/{RoomSid}/Recordings/{Sid}"): lambda s: s.video.ext.get_room_recording(s.room, s.recorded()),
    ("DELETE", "/v1/Rooms/{RoomSid}/Recordings/{Sid}"): lambda s: s.video.ext.delete_room_recording(
        s.room, s.recorded("deleted in the room")
    ),
    ("GET", "/v1/Recordings"): lambda s: list(s.video.recordings.list()),
    ("GET", "/v1/Recordings/{Sid}"): lambda s: s.video.recordings.get(s.recorded()),
    ("DELETE", "/v1/Recordings/{Sid}"): lambda s: s.video.recordings.delete(s.recorded("deleted")),
    # transcriptions
    ("POST", "/v1/Rooms/{RoomSid}/Transcriptions"): _transcription,
    ("GET", "/v1/Rooms/{RoomSid}/Transcriptions"): lambda s: list(s.video.ext.list_transcriptions(s.room)),
    ("GET", "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}"): lambda s: s.video.ext.get_transcriptions(
        s.room, _transcription(s)
    ),
    ("POST", "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}"): lambda s: s.video.ext.update_transcriptions(
        s.room, _transcription(s), status="stopped"
    ),
    # compositions
    ("POST", "/v1/Compositions"): _composition,
    ("GET", "/v1/Compositions"): lambda s: list(s.video.compositions.list()),
    ("GET", "/v1/Compositions/{Sid}"): lambda s: s.video.compositions.get(_composition(s)),
    ("DELETE", "/v1/Compositions/{Sid}"): lambda s: s.video.compositions.delete(_composition(s)),
    # composition hooks
    ("POST", "/v1/CompositionHooks"): _hook,
    ("GET", "/v1/CompositionHooks"): lambda s: list(s.video.ext.list_composition_hooks()),
    ("GET", "/v1/CompositionHooks/{Sid}"): lambda s: s.video.ext.get_composition_hook(_hook(s)),
    ("POST", "/v1/CompositionHooks/{Sid}"): lambda s: s.video.ext.update_composition_hook(_hook(s), "covered-hook-2"),
    ("DELETE", "/v1/CompositionHooks/{Sid}"): lambda s: s.video.ext.delete_composition_hook(_hook(s)),
    # settings
    ("GET", "/v1/RecordingSettings/Default"): lambda s: s.video.ext.get_recording_settings(),
    ("POST", "/v1/RecordingSettings/Default"): lambda s: s.video.ext.set_recording_settings(
        StorageSettings(friendly_name="covered")
    ),
    ("GET", "/v1/CompositionSettings/Default"): lambda s: s.video.ext.get_composition_settings(),
    ("POST", "/v1/CompositionSettings/Default"): lambda s: s.video.ext.set_composition_settings(
        StorageSettings(friendly_name="covered")
    ),
}


def _operations() -> list[tuple[str, str]]:
    spec = load_spec(TWILIO_SPEC)
    return sorted(
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if method in METHODS
    )


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts) + "$")


@pytest.fixture
def emulator() -> Iterator[RecordingTwilio]:
    with RecordingTwilio(processing_delay=30) as running:
        yield running


def test_every_spec_operation_has_an_entry() -> None:
    operations = _operations()
    assert len(operations) == 39
    assert sorted(set(operations) - set(TABLE)) == [], "spec operations without a way through anyvideo"
    assert sorted(set(TABLE) - set(operations)) == [], "entries for operations the spec does not have"


def test_driving_the_table_reaches_every_operation(emulator: RecordingTwilio) -> None:
    scene = Scene(emulator)
    seen: set[tuple[str, str]] = set()
    for operation, step in TABLE.items():
        del emulator.exchanges[:]
        step(scene)
        method, path = operation
        pattern = _template(path)
        answered = [
            (request.method, response.status)
            for request, response in emulator.exchanges
            if request.method == method and pattern.match(request.path)
        ]
        assert answered, f"{method} {path}: the step sent no such request"
        assert all(status < 400 for _, status in answered), f"{method} {path}: {answered}"
        seen.add(operation)
    assert seen == set(_operations())
    assert len(seen) == 39
