"""Conformance of absence: what a backend does not declare, it refuses before
anything happens, and says so."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from anyvideo.backend import COMPOSITION_FEATURES, FEATURE_DESCRIPTIONS, Devices, Feature
from anyvideo.client import Video
from anyvideo.errors import UnsupportedFeature
from anyvideo.models import CompositionOutput, RecordingMode, Role, Room, StreamKind
from anyvideo.testing.conformance.kit import ConformanceKit, unique_name

__all__ = ["UnsupportedConformance", "CORE_CALLS"]

#: For each feature the core API exposes, one call that needs it.
CORE_CALLS: Mapping[Feature, Callable[[Video, Room, str], object]] = {
    Feature.RECORDING: lambda video, room, stream: video.recordings.start(room),
    Feature.INDIVIDUAL_RECORDING: lambda video, room, stream: video.recordings.start(
        room, mode=RecordingMode.INDIVIDUAL
    ),
    Feature.POST_HOC_COMPOSITION: lambda video, room, stream: video.compositions.start(
        room, output=CompositionOutput.FILE
    ),
    Feature.LIVE_STREAMING: lambda video, room, stream: video.compositions.start(
        room, output=CompositionOutput.LIVE, hls=True
    ),
    Feature.SIGNALS: lambda video, room, stream: video.signals.send(room, "chat", "hello"),
    Feature.MUTE: lambda video, room, stream: video.streams.mute(room, stream),
    Feature.TOKEN_ROLES: lambda video, room, stream: video.tokens.create(room, "sam", role=Role.SUBSCRIBER),
    Feature.TOKEN_DATA: lambda video, room, stream: video.tokens.create(room, "sam", data="seat 4"),
    Feature.MAX_PARTICIPANTS: lambda video, room, stream: video.rooms.create(unique_name(), max_participants=2),
}


class UnsupportedConformance(ConformanceKit):
    """Every feature is either declared and working, or refused up front."""

    @pytest.mark.parametrize("feature", list(CORE_CALLS), ids=str)
    def test_an_undeclared_feature_is_refused_and_changes_nothing(
        self, video: Video, devices: Devices, room: Room, feature: Feature
    ) -> None:
        if video.supports(feature):
            pytest.skip(f"{video.backend_name} declares {feature}")
        if feature is Feature.INDIVIDUAL_RECORDING and not video.supports(Feature.RECORDING):
            pytest.skip("without recording, the recording check covers it")
        stream = devices.join(video.tokens.create(room, "ann")).publish(StreamKind.AUDIO_VIDEO, name="cam")
        before = _state(video, room)
        with pytest.raises(UnsupportedFeature) as refused:
            CORE_CALLS[feature](video, room, stream)
        assert refused.value.feature is feature
        assert refused.value.backend == video.backend_name
        assert _state(video, room) == before

    def test_every_declared_feature_is_a_known_one(self, video: Video) -> None:
        assert video.features <= set(FEATURE_DESCRIPTIONS)

    def test_no_hint_explains_the_absence_of_a_declared_feature(self, video: Video) -> None:
        assert not set(video.backend.feature_hints) & video.features


def _state(video: Video, room: Room) -> tuple[object, ...]:
    """What an unsupported call must leave as it was, in core terms."""
    rooms = sorted(r.id for r in video.rooms.list())
    streams = sorted((s.id, s.audio_muted) for s in video.streams.list(room))
    recordings = sorted(r.id for r in video.recordings.list(room=room)) if video.supports(Feature.RECORDING) else []
    composing = any(video.supports(f) for f in COMPOSITION_FEATURES)
    compositions = sorted(c.id for c in video.compositions.list(room=room)) if composing else []
    return rooms, streams, recordings, compositions
