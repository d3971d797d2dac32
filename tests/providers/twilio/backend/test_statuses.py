"""Status maps and track kinds, walked against every value of the spec's enums:
a value added to the spec and forgotten here fails a test."""

from __future__ import annotations

import pytest
from support import specs

from anyvideo import CompositionStatus, ParticipantStatus, RecordingStatus, RoomStatus
from anyvideo_twilio import statuses


def spec_enum(schema: str) -> list[str]:
    """The values of one enum schema of ``twilio_video_v1.yaml``."""
    return specs.spec_enum(specs.TWILIO_SPEC, "components", "schemas", schema)


@pytest.fixture(autouse=True)
def _needs_spec():
    specs.needs_spec(specs.TWILIO_SPEC)


@pytest.mark.parametrize("raw", spec_enum("room_enum_room_status"))
def test_every_room_status_is_mapped(raw):
    assert statuses.room_status(raw) is not RoomStatus.UNKNOWN


@pytest.mark.parametrize("raw", spec_enum("room_participant_enum_status"))
def test_every_participant_status_is_mapped(raw):
    assert statuses.participant_status(raw) is not ParticipantStatus.UNKNOWN


@pytest.mark.parametrize("raw", spec_enum("recording_enum_status") + spec_enum("room_recording_enum_status"))
def test_every_recording_status_is_mapped(raw):
    assert statuses.recording_status(raw) is not RecordingStatus.UNKNOWN


@pytest.mark.parametrize("raw", spec_enum("composition_enum_status"))
def test_every_composition_status_is_mapped(raw):
    assert statuses.composition_status(raw) is not CompositionStatus.UNKNOWN


@pytest.mark.parametrize("raw", spec_enum("composition_enum_status"))
def test_every_composition_status_gives_a_composed_recording_status(raw):
    assert statuses.composed_window_status(raw) is not RecordingStatus.UNKNOWN


def test_a_composed_recording_is_available_only_when_its_composition_is():
    available = {
        raw
        for raw in spec_enum("composition_enum_status")
        if statuses.composed_window_status(raw) is RecordingStatus.AVAILABLE
    }
    assert available == {"completed"}


@pytest.mark.parametrize(
    "raw",
    spec_enum("room_participant_published_track_enum_kind")
    + spec_enum("recording_enum_type")
    + spec_enum("room_recording_enum_type"),
)
def test_every_track_kind_is_mapped(raw):
    assert statuses.stream_kind(raw).value == raw


@pytest.mark.parametrize("raw", spec_enum("room_enum_room_type"))
def test_every_room_type_is_known_to_validation(raw):
    from anyvideo_twilio.options import ROOM_TYPES

    assert raw in ROOM_TYPES


@pytest.mark.parametrize("raw", spec_enum("composition_enum_format") + spec_enum("composition_hook_enum_format"))
def test_every_composition_format_is_accepted(raw):
    from anyvideo_twilio.options import FORMATS

    assert raw in FORMATS


def test_list_filters_cover_every_core_status_twilio_has():
    for status, names in statuses.ROOM_FILTERS.items():
        assert {statuses.room_status(name) for name in names} == (
            {status} if status else set(statuses.ROOM_STATUS.values())
        )
    for status, names in statuses.PARTICIPANT_FILTERS.items():
        expected = {status} if status else set(statuses.PARTICIPANT_STATUS.values())
        assert {statuses.participant_status(name) for name in names} == expected
    assert set(statuses.PARTICIPANT_FILTERS[None]) == set(spec_enum("room_participant_enum_status"))


def test_the_maps_follow_the_design_table():
    assert statuses.ROOM_STATUS == {
        "in-progress": RoomStatus.OPEN,
        "completed": RoomStatus.ENDED,
        "failed": RoomStatus.FAILED,
    }
    assert statuses.RECORDING_STATUS["completed"] is RecordingStatus.AVAILABLE
    assert statuses.COMPOSITION_STATUS["enqueued"] is CompositionStatus.QUEUED
    assert statuses.recording_status("brand-new") is RecordingStatus.UNKNOWN


@pytest.mark.parametrize(
    ("is_open", "tracks", "expected"),
    [
        (True, [], RecordingStatus.RECORDING),
        (True, [RecordingStatus.PROCESSING], RecordingStatus.RECORDING),
        (False, [], RecordingStatus.AVAILABLE),
        (False, [RecordingStatus.PROCESSING, RecordingStatus.AVAILABLE], RecordingStatus.PROCESSING),
        (False, [RecordingStatus.AVAILABLE, RecordingStatus.AVAILABLE], RecordingStatus.AVAILABLE),
        (False, [RecordingStatus.AVAILABLE, RecordingStatus.FAILED], RecordingStatus.FAILED),
        (False, [RecordingStatus.DELETED, RecordingStatus.AVAILABLE], RecordingStatus.AVAILABLE),
        (False, [RecordingStatus.DELETED], RecordingStatus.DELETED),
        (False, [RecordingStatus.UNKNOWN, RecordingStatus.AVAILABLE], RecordingStatus.UNKNOWN),
    ],
)
def test_a_window_status_follows_its_tracks(is_open, tracks, expected):
    assert statuses.window_status(is_open, tracks) is expected
