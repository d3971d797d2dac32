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
    assert outcomes["failed"] == 4  # the live checks, through both facades: the world refuses what was declared
    result.stdout.fnmatch_lines(["*test_a_live_composition_broadcasts_to_hls_until_stopped*"])


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
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-k", "undeclared_feature_is_refused")
    assert result.parseoutcomes()["passed"] == 16  # every core feature but recording is refused up front, twice
