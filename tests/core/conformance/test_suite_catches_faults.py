"""The conformance suite is shown to catch a backend that misbehaves, and to
pass one that honestly declares less."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

SUITE = """
import attrs
import pytest

import anyvideo
from anyvideo import Feature, Plugins, RoomStatus
from anyvideo.local import LocalBackend
from anyvideo.sim import ManualClock
from anyvideo.testing.conformance import ConformanceSuite, Platform

{backend}


class Registers:
    @anyvideo.hookimpl
    def anyvideo_register_backends(self, register):
        register("subject", Subject)


class TestSubject(ConformanceSuite):
    @pytest.fixture
    def anyvideo_platform(self):
        clock = ManualClock()
        plugins = Plugins(["local"], extra=[Registers()], environ={{}})
        with anyvideo.connect("subject", plugins=plugins, clock=clock, processing_delay=2, environ={{}}) as video:
            yield Platform(video, video.backend.browser(), advance=clock.advance)
"""


def run_suite(pytester: pytest.Pytester, backend: str) -> pytest.RunResult:
    pytester.makepyfile(test_subject=SUITE.format(backend=textwrap.dedent(backend)))
    return pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")


def test_a_backend_that_reports_an_ended_room_as_open_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class Subject(LocalBackend):
            name = "subject"

            def end_room(self, room_id):
                return attrs.evolve(super().end_room(room_id), status=RoomStatus.OPEN)
        """,
    )
    assert result.parseoutcomes()["failed"] == 2  # through the sync facade and through anyvideo.aio
    result.stdout.fnmatch_lines(["*test_an_ended_room_is_ended_and_listed_so[[]sync]*"])
    result.stdout.fnmatch_lines(["*test_an_ended_room_is_ended_and_listed_so[[]aio]*"])


def test_a_backend_that_does_what_it_does_not_declare_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class Subject(LocalBackend):
            name = "subject"
            features = LocalBackend.features | {Feature.LIVE_STREAMING}
        """,
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 6  # the live checks, through both facades: the world refuses what was declared
    result.stdout.fnmatch_lines(["*test_a_live_composition_broadcasts_to_hls_until_stopped*"])
    result.stdout.fnmatch_lines(
        ["*test_a_feature_is_declared_and_works_or_is_refused_and_changes_nothing[[]*live_streaming*"]
    )


def test_a_backend_that_declares_mute_but_does_not_mute_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class Subject(LocalBackend):
            name = "subject"

            def mute_stream(self, room_id, stream_id):
                return self.get_stream(room_id, stream_id)  # declared, not refused, and does nothing
        """,
    )
    result.stdout.fnmatch_lines(["*FAILED*test_muting_a_stream_mutes_its_audio[[]sync]*"])
    result.stdout.fnmatch_lines(
        ["*FAILED*test_a_feature_is_declared_and_works_or_is_refused_and_changes_nothing[[]*mute*"]
    )


def test_a_backend_that_loses_recording_bytes_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class Subject(LocalBackend):
            name = "subject"

            def download_recording(self, recording_id, file_name):
                for chunk in super().download_recording(recording_id, file_name):
                    yield chunk[:-1]
        """,
    )
    result.stdout.fnmatch_lines(["*FAILED*test_an_available_recording_downloads_intact[[]sync]*"])
    result.stdout.fnmatch_lines(["*FAILED*test_an_available_recording_downloads_intact[[]aio]*"])


def test_a_backend_that_declares_less_passes_and_refuses_the_rest(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class Subject(LocalBackend):
            name = "subject"
            features = frozenset({Feature.RECORDING})
            feature_hints = {Feature.MUTE: "mute from the client instead"}
        """,
    )
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "error" not in outcomes
    assert "skipped" not in outcomes  # a check of an undeclared feature checks its refusal instead
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-k", "declared_and_works_or_is_refused")
    assert result.parseoutcomes()["passed"] == 18  # recording works, every other core feature is refused; twice


CHECKS = """
import pytest

import anyvideo
from anyvideo import Feature, Plugins
from anyvideo.local import LocalBackend
from anyvideo.sim import ManualClock
from anyvideo.testing.conformance import Platform, needs
from anyvideo.testing.conformance.kit import ConformanceKit


class Subject(LocalBackend):
    name = "subject"
    features = LocalBackend.features - {{Feature.MUTE}}


class Registers:
    @anyvideo.hookimpl
    def anyvideo_register_backends(self, register):
        register("subject", Subject)


class Checks(ConformanceKit):
    @pytest.fixture
    def anyvideo_platform(self):
        clock = ManualClock()
        plugins = Plugins(["local"], extra=[Registers()], environ={{}})
        with anyvideo.connect("subject", plugins=plugins, clock=clock, environ={{}}) as video:
            yield Platform(video, video.backend.browser(), advance=clock.advance)

{checks}
"""


def test_a_check_of_an_undeclared_feature_passes_by_its_refusal_and_fails_without_it(
    pytester: pytest.Pytester,
) -> None:
    checks = """
    class TestHonest(Checks):
        @needs(Feature.MUTE)
        def test_mute(self):
            raise AssertionError("not run: mute is not declared")


    class TestNotRefused(Checks):
        @pytest.fixture(autouse=True)
        def facade_lets_everything_through(self, monkeypatch):
            monkeypatch.setattr(anyvideo.Video, "require", lambda video, *features: None)

        @needs(Feature.MUTE)
        def test_mute(self):
            raise AssertionError("not run: mute is not declared")
    """
    pytester.makepyfile(test_checks=CHECKS.format(checks=textwrap.dedent(checks)))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    assert result.parseoutcomes() == {"passed": 2, "failed": 2}
    result.stdout.fnmatch_lines(["*FAILED*TestNotRefused::test_mute[[]sync]*"])
    result.stdout.no_fnmatch_line("*not run: mute is not declared*")


def test_needs_called_inside_a_check_still_skips_it_without_the_feature(pytester: pytest.Pytester) -> None:
    """The earlier form, ``needs(video, feature)`` in the body, keeps working for checks written with it."""
    checks = """
    class TestChecks(Checks):
        def test_mute(self, video):
            needs(video, Feature.MUTE)
            raise AssertionError("not run: mute is not declared")

        def test_signals(self, video):
            needs(video, Feature.SIGNALS)
    """
    pytester.makepyfile(test_checks=CHECKS.format(checks=textwrap.dedent(checks)))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    assert result.parseoutcomes() == {"skipped": 2, "passed": 2}
