"""What the conformance checks stand on: the platform under test, the fixtures
derived from it, and the check that a feature the backend does not declare is
refused before anything happens."""

from __future__ import annotations

import functools
import inspect
import math
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast, overload

import attrs
import pytest

from anyvideo.backend import COMPOSITION_FEATURES, Devices, Feature
from anyvideo.client import Video
from anyvideo.errors import UnsupportedFeature
from anyvideo.models import CompositionOutput, RecordingMode, Role, Room, StreamKind
from anyvideo.testing.blocking import blocking

__all__ = ["CORE_CALLS", "ConformanceKit", "Platform", "assert_refused", "held_by", "needs", "unique_name"]

T = TypeVar("T")
Check = TypeVar("Check", bound=Callable[..., None])


@attrs.frozen
class Platform:
    """A backend under test: ``video`` connected to it, ``devices`` that play
    participants on it, and ``advance(seconds)`` that moves its clock so
    timed work (media processing) finishes without waiting."""

    video: Video
    devices: Devices
    advance: Callable[[float], object]
    #: How far one :meth:`settle` step moves the clock, in seconds.
    step: float = 5.0

    def settle(self, fetch: Callable[[], T], done: Callable[[T], bool], *, within: float = 120.0) -> T:
        """``fetch()`` again, moving the clock a step each time, until ``done`` holds.

        Fails the test when ``within`` seconds of platform time pass first.
        """
        for _ in range(math.ceil(within / self.step) + 1):
            item = fetch()
            if done(item):
                return item
            self.advance(self.step)
        pytest.fail(f"still not done after {within:g}s of platform time: {item!r}")


def unique_name(prefix: str = "conf") -> str:
    """A room name no other test uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


def held_by(video: Video, provider: str) -> bool:
    """Whether an object of ``provider`` can come from this backend: its own
    name, or, for a backend that routes between providers, any of them."""
    return provider == video.backend_name or video.backend.accepts_refs


#: For each feature the core API exposes, one call that needs it, made in a room
#: where ``ann`` publishes the audio and video ``stream``.
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

#: A feature that only refines another: without that other, the call is refused naming it.
REFINES: Mapping[Feature, Feature] = {Feature.INDIVIDUAL_RECORDING: Feature.RECORDING}


def assert_refused(video: Video, devices: Devices, feature: Feature) -> None:
    """A call that needs ``feature``, which the backend does not declare, is refused with
    :class:`~anyvideo.UnsupportedFeature` naming the feature and the backend, and leaves
    rooms, streams, recordings and compositions as they were."""
    room = video.rooms.create(unique_name())
    stream = devices.join(video.tokens.create(room, "ann")).publish(StreamKind.AUDIO_VIDEO, name="cam")
    before = _state(video, room)
    with pytest.raises(UnsupportedFeature) as refused:
        CORE_CALLS[feature](video, room, stream)
    named = REFINES[feature] if feature in REFINES and not video.supports(REFINES[feature]) else feature
    assert (refused.value.feature, refused.value.backend) == (named, video.backend_name)
    assert _state(video, room) == before


def _state(video: Video, room: Room) -> tuple[object, ...]:
    """What an unsupported call must leave as it was, in core terms."""
    rooms = sorted(r.id for r in video.rooms.list())
    streams = sorted((s.id, s.audio_muted) for s in video.streams.list(room))
    recordings = sorted(r.id for r in video.recordings.list(room=room)) if video.supports(Feature.RECORDING) else []
    composing = any(video.supports(f) for f in COMPOSITION_FEATURES)
    compositions = sorted(c.id for c in video.compositions.list(room=room)) if composing else []
    return rooms, streams, recordings, compositions


@overload
def needs(feature: Feature, /, *features: Feature) -> Callable[[Check], Check]: ...


@overload
def needs(video: Video, /, *features: Feature) -> None: ...


def needs(first: Feature | Video, /, *features: Feature) -> Callable[[Check], Check] | None:
    """What a check needs the backend to declare.

    As a decorator, ``@needs(Feature.MUTE, ...)`` on a check: when the backend
    declares every feature the check runs; otherwise it checks instead that a
    call of each missing feature is refused up front (:func:`assert_refused`).
    Either way the check asserts something, and nothing is skipped.

    Called inside a check, ``needs(video, Feature.MUTE, ...)`` (the earlier
    form, kept for checks written with it) skips the rest of the check unless
    the backend declares every feature.
    """
    if isinstance(first, Feature):
        return _declared_or_refused((first, *features))
    missing = [f.value for f in features if not first.supports(f)]
    if missing:
        pytest.skip(f"{first.backend_name} does not declare {', '.join(missing)}")
    return None


def _declared_or_refused(features: tuple[Feature, ...]) -> Callable[[Check], Check]:
    unknown = [f for f in features if f not in CORE_CALLS]
    if unknown:
        raise ValueError(f"no core call needs {', '.join(unknown)}: a check cannot need it")

    def decorate(check: Check) -> Check:
        signature = inspect.signature(check)
        wanted = signature.parameters
        # The fixtures the refusal needs, asked for too when the check does not take them.
        extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in ("video", "platform") if n not in wanted]

        @functools.wraps(check)
        def run(self: object, **fixtures: Any) -> None:
            video, platform = fixtures["video"], fixtures["platform"]
            missing = [f for f in features if not video.supports(f)]
            if not missing:
                check(self, **{name: value for name, value in fixtures.items() if name in wanted})
            for feature in missing:
                assert_refused(video, platform.devices, feature)

        run.__signature__ = signature.replace(parameters=[*wanted.values(), *extra])  # type: ignore[attr-defined]
        return cast(Check, run)

    return decorate


class ConformanceKit:
    """The fixtures every check uses, derived from ``anyvideo_platform``."""

    @pytest.fixture
    def platform(self, anyvideo_platform: Platform) -> Platform:
        return anyvideo_platform

    @pytest.fixture(params=["sync", "aio"])
    def video(self, platform: Platform, request: pytest.FixtureRequest) -> Iterator[Video]:
        """The platform's ``Video``, and the same connection through :mod:`anyvideo.aio` (a
        blocking bridge with the sync surface): every check runs through both facades."""
        if request.param == "sync":
            yield platform.video
            return
        with blocking(platform.video) as bridged:
            yield cast(Video, bridged)

    @pytest.fixture
    def devices(self, platform: Platform) -> Devices:
        return platform.devices

    @pytest.fixture
    def room(self, video: Video) -> Room:
        return video.rooms.create(unique_name())
