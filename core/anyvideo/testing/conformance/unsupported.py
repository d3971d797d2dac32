"""Conformance of absence: every feature the core API exposes is either declared
and working, or refused before anything happens, and said so."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import pytest

from anyvideo.backend import FEATURE_DESCRIPTIONS, Device, Devices, Feature
from anyvideo.client import Video
from anyvideo.models import (
    CompositionOutput,
    CompositionStatus,
    RecordingMode,
    RecordingStatus,
    Role,
    Room,
    RoomStatus,
    StreamKind,
)
from anyvideo.testing.conformance.kit import CORE_CALLS, ConformanceKit, Platform, assert_refused, unique_name
from anyvideo.testing.conformance.media import _recorded

__all__ = ["CORE_CALLS", "DECLARED_CALLS", "UnsupportedConformance"]


@attrs.frozen
class Stage:
    """A room where ``ann`` publishes the audio and video ``stream``, on the platform under test."""

    platform: Platform
    video: Video
    devices: Devices
    room: Room
    ann: Device
    stream: str


def _records(stage: Stage) -> None:
    recording = stage.video.recordings.start(stage.room)
    assert (recording.status, recording.room_id, recording.mode) == (
        RecordingStatus.RECORDING,
        stage.room.id,
        RecordingMode.COMPOSED,
    )
    assert stage.video.recordings.get(recording).status is RecordingStatus.RECORDING


def _records_each_stream(stage: Stage) -> None:
    recording = stage.video.recordings.start(stage.room, mode=RecordingMode.INDIVIDUAL)
    assert (recording.status, recording.room_id, recording.mode) == (
        RecordingStatus.RECORDING,
        stage.room.id,
        RecordingMode.INDIVIDUAL,
    )
    assert stage.video.recordings.get(recording).mode is RecordingMode.INDIVIDUAL


def _composes_afterwards(stage: Stage) -> None:
    video = stage.video
    # What is composed after the fact: the streams, recorded each on its own where the backend can.
    mode = RecordingMode.INDIVIDUAL if video.supports(Feature.INDIVIDUAL_RECORDING) else RecordingMode.COMPOSED
    assert _recorded(stage.platform, stage.room, mode=mode).status is RecordingStatus.AVAILABLE
    video.rooms.end(stage.room)
    composition = video.compositions.start(stage.room, output=CompositionOutput.FILE)
    assert (composition.output, composition.room_id) == (CompositionOutput.FILE, stage.room.id)
    assert composition.status in (CompositionStatus.QUEUED, CompositionStatus.PROCESSING, CompositionStatus.AVAILABLE)
    assert composition.id in [c.id for c in video.compositions.list(room=stage.room)]


def _broadcasts(stage: Stage) -> None:
    live = stage.video.compositions.start(stage.room, output=CompositionOutput.LIVE, hls=True)
    assert (live.status, live.output, live.room_id) == (CompositionStatus.LIVE, CompositionOutput.LIVE, stage.room.id)
    assert live.hls_url
    assert stage.video.compositions.stop(live).status is CompositionStatus.STOPPED


def _signals(stage: Stage) -> None:
    stage.video.signals.send(stage.room, "chat", "hello")
    assert [(s.type, s.data) for s in stage.ann.signals()] == [("chat", "hello")]


def _mutes(stage: Stage) -> None:
    assert stage.video.streams.mute(stage.room, stage.stream).audio_muted
    assert stage.video.streams.get(stage.room, stage.stream).audio_muted


def _gives_roles(stage: Stage) -> None:
    token = stage.video.tokens.create(stage.room, "sam", role=Role.SUBSCRIBER)
    assert (token.role, token.identity) == (Role.SUBSCRIBER, "sam")
    sam = stage.devices.join(token)
    assert stage.video.participants.get(stage.room, sam.participant_id).identity == "sam"


def _carries_data(stage: Stage) -> None:
    sam = stage.devices.join(stage.video.tokens.create(stage.room, "sam", data="seat 4"))
    participant = stage.video.participants.get(stage.room, sam.participant_id)
    assert (participant.identity, participant.data) == ("sam", "seat 4")


def _caps_rooms(stage: Stage) -> None:
    capped = stage.video.rooms.create(unique_name(), max_participants=2)
    assert (capped.status, capped.max_participants) == (RoomStatus.OPEN, 2)
    assert stage.video.rooms.get(capped).max_participants == 2


#: For each feature in :data:`CORE_CALLS`: the same call, on a backend that declares
#: the feature, is not refused and does what it says.
DECLARED_CALLS: Mapping[Feature, Callable[[Stage], None]] = {
    Feature.RECORDING: _records,
    Feature.INDIVIDUAL_RECORDING: _records_each_stream,
    Feature.POST_HOC_COMPOSITION: _composes_afterwards,
    Feature.LIVE_STREAMING: _broadcasts,
    Feature.SIGNALS: _signals,
    Feature.MUTE: _mutes,
    Feature.TOKEN_ROLES: _gives_roles,
    Feature.TOKEN_DATA: _carries_data,
    Feature.MAX_PARTICIPANTS: _caps_rooms,
}


class UnsupportedConformance(ConformanceKit):
    """Every feature is either declared and working, or refused up front."""

    @pytest.mark.parametrize("feature", list(CORE_CALLS), ids=str)
    def test_a_feature_is_declared_and_works_or_is_refused_and_changes_nothing(
        self, platform: Platform, video: Video, devices: Devices, room: Room, feature: Feature
    ) -> None:
        if not video.supports(feature):
            assert_refused(video, devices, feature)
            return
        ann = devices.join(video.tokens.create(room, "ann"))
        stream = ann.publish(StreamKind.AUDIO_VIDEO, name="cam")
        DECLARED_CALLS[feature](Stage(platform, video, devices, room, ann, stream))

    def test_every_declared_feature_is_a_known_one(self, video: Video) -> None:
        assert video.features <= set(FEATURE_DESCRIPTIONS)

    def test_no_hint_explains_the_absence_of_a_declared_feature(self, video: Video) -> None:
        assert not set(video.backend.feature_hints) & video.features
