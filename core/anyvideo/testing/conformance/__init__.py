"""One test suite for every backend: proof that application code need not
change when the provider does.

A backend runs the suite by subclassing :class:`ConformanceSuite` in one of
its test files and providing the ``anyvideo_platform`` fixture: a connected
:class:`~anyvideo.Video`, the devices that play participants, and a way to
move the platform's clock::

    import pytest
    from anyvideo.testing.conformance import ConformanceSuite, Platform

    class TestMyBackend(ConformanceSuite):
        @pytest.fixture
        def anyvideo_platform(self):
            with anyvideo.connect("mybackend", environ={}) as video:
                yield Platform(video, video.backend.browser(), advance=my_clock.advance)

Every core operation is checked, and each declared :class:`~anyvideo.Feature`
for its behaviour; where a check needs a feature the backend does not declare
(:func:`needs`), it checks instead that a call needing it is refused with
:class:`~anyvideo.UnsupportedFeature`, naming the feature and the backend,
before anything happens. No check is skipped.
Outcomes are compared through the core model only (statuses, names, kinds,
checksums), never by backend name: a backend passes by behaving, not by
being recognised.
"""

from anyvideo.testing.conformance.kit import Platform, needs
from anyvideo.testing.conformance.media import CompositionConformance, RecordingConformance
from anyvideo.testing.conformance.rooms import ParticipantConformance, RoomConformance, TokenConformance
from anyvideo.testing.conformance.unsupported import UnsupportedConformance

__all__ = [
    "CompositionConformance",
    "ConformanceSuite",
    "ParticipantConformance",
    "Platform",
    "RecordingConformance",
    "RoomConformance",
    "TokenConformance",
    "UnsupportedConformance",
    "needs",
]


class ConformanceSuite(
    RoomConformance,
    TokenConformance,
    ParticipantConformance,
    RecordingConformance,
    CompositionConformance,
    UnsupportedConformance,
):
    """Every conformance check; subclass it (as ``Test…``) and provide ``anyvideo_platform``."""
