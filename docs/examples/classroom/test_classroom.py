"""The classroom's tests. They name no provider: run them with
``ANYVIDEO_BACKEND`` and the provider's variables set, and they pass the same
on every backend (anyvideo's own test run does so on local, and on the
Vonage and Twilio emulators)."""

from __future__ import annotations

from pathlib import Path

import pytest
from classroom import Classroom

import anyvideo
from anyvideo import Feature, ParticipantStatus, RecordingStatus


@pytest.fixture
def school(tmp_path: Path):
    with anyvideo.connect() as video:
        school = Classroom(video, tmp_path / "published")
        yield school
        school.close()


def test_opening_a_class_twice_gives_the_same_room(school: Classroom) -> None:
    assert school.open_class("maths").id == school.open_class("maths").id


def test_students_join_with_their_tokens(school: Classroom) -> None:
    room = school.open_class("maths")
    devices = school.video.backend.browser()
    for student in ("ann", "bob"):
        ticket = school.admit("maths", student)
        assert ticket["sdk"] == room.provider
        devices.join(ticket["token"]).publish(name=f"{student}-camera")
    assert school.wait_until_present("maths", {"ann", "bob"}, timeout=60)  # some providers say who by webhook
    joined = {p.identity for p in school.video.participants.list(room, status=ParticipantStatus.CONNECTED)}
    assert joined == {"ann", "bob"}


def test_the_teacher_moderates_where_tokens_have_roles(school: Classroom) -> None:
    school.open_class("maths")
    ticket = school.admit("maths", "teacher", teacher=True)
    teacher = school.video.backend.browser().join(ticket["token"])
    assert teacher.identity == "teacher"


def test_a_recorded_lesson_is_published_when_it_is_available(school: Classroom) -> None:
    if not school.video.supports(Feature.RECORDING):
        pytest.skip(f"{school.video.backend_name} does not record")
    school.open_class("maths")
    devices = school.video.backend.browser()
    devices.join(school.admit("maths", "teacher", teacher=True)["token"]).publish(name="board")
    recording = school.start_lesson_recording("maths")
    recording = school.stop_lesson_recording(recording)
    school.end_class("maths")  # the lesson is over (Twilio composes a recording once its room has ended)
    link = school.wait_for_link("maths", recording, timeout=60)
    assert link is not None and link.exists() and link.stat().st_size > 0
    assert school.video.recordings.get(recording).status is RecordingStatus.AVAILABLE


def test_attendance_comes_from_the_events(school: Classroom) -> None:
    school.open_class("maths")
    devices = school.video.backend.browser()
    devices.join(school.admit("maths", "ann")["token"])
    school.end_class("maths")
    assert school.wait_until_ended("maths", timeout=60)  # a provider's events come by webhook, in their time
    assert "ann" in school.present["maths"]
