"""Status maps and layout translation, table-driven against every value of the spec's enums."""

from __future__ import annotations

import pytest
from support.specs import VONAGE_SPEC, spec_enum

from anyvideo import CompositionStatus, Layout, LayoutKind, ParticipantStatus, RecordingStatus, Region
from anyvideo_vonage import layouts, statuses

ARCHIVE_STATUSES = spec_enum(VONAGE_SPEC, "components", "schemas", "Archive-Detail", "properties", "status")
CONNECTION_STATES = spec_enum(
    VONAGE_SPEC,
    "paths",
    "/v2/project/{application_id}/session/{session_id}/connection",
    "get",
    "responses",
    "200",
    "content",
    "application/json",
    "schema",
    "properties",
    "items",
    "items",
    "properties",
    "connectionState",
)
LAYOUT_TYPES = spec_enum(VONAGE_SPEC, "components", "schemas", "Layout", "properties", "type")
OUTPUT_MODES = spec_enum(VONAGE_SPEC, "components", "schemas", "OutputMode")
RENDER_STATUSES = spec_enum(VONAGE_SPEC, "components", "schemas", "Experience-Composer-Base", "properties", "status")


@pytest.mark.parametrize("raw", ARCHIVE_STATUSES)
def test_every_archive_status_is_mapped(raw) -> None:
    assert statuses.recording_status(raw) is not RecordingStatus.UNKNOWN


def test_a_connection_the_session_lists_is_a_connected_participant_even_while_connecting() -> None:
    assert statuses.CONNECTION_STATE == {
        "Connected": ParticipantStatus.CONNECTED,
        "Connecting": ParticipantStatus.CONNECTED,
    }


def test_the_archive_map_is_the_designs() -> None:
    assert statuses.ARCHIVE_STATUS == {
        "started": RecordingStatus.RECORDING,
        "paused": RecordingStatus.PAUSED,
        "stopped": RecordingStatus.PROCESSING,
        "uploaded": RecordingStatus.AVAILABLE,
        "available": RecordingStatus.AVAILABLE,
        "failed": RecordingStatus.FAILED,
        "deleted": RecordingStatus.DELETED,
        "expired": RecordingStatus.EXPIRED,
    }


@pytest.mark.parametrize("raw", CONNECTION_STATES)
def test_every_connection_state_is_mapped(raw) -> None:
    assert statuses.participant_status(raw) is not ParticipantStatus.UNKNOWN


@pytest.mark.parametrize("raw", OUTPUT_MODES)
def test_every_output_mode_is_mapped(raw) -> None:
    assert raw in statuses.OUTPUT_MODE


@pytest.mark.parametrize("raw", RENDER_STATUSES)
def test_every_render_status_is_mapped(raw) -> None:
    assert statuses.RENDER_STATUS[raw] is not CompositionStatus.UNKNOWN


@pytest.mark.parametrize("raw", ["started", "stopped"])
def test_broadcast_statuses(raw) -> None:
    assert statuses.composition_status(raw) is not CompositionStatus.UNKNOWN


@pytest.mark.parametrize("raw", ["archiving", "", None, 3])
def test_an_unknown_status_is_unknown(raw) -> None:
    assert statuses.recording_status(raw) is RecordingStatus.UNKNOWN
    assert statuses.composition_status(raw) is CompositionStatus.UNKNOWN
    assert statuses.participant_status(raw) is ParticipantStatus.UNKNOWN


@pytest.mark.parametrize("raw", LAYOUT_TYPES)
def test_every_layout_type_is_reachable_from_a_portable_layout(raw) -> None:
    produced = {layouts.to_vonage(Layout(kind))["type"] for kind in LayoutKind if kind is not LayoutKind.CUSTOM}
    produced.add(layouts.to_vonage(Layout.custom([Region("all", 0, 0, 1, 1)]))["type"])
    assert raw in produced


@pytest.mark.parametrize("raw", [t for t in LAYOUT_TYPES if t != "custom"])
def test_every_preset_reads_back(raw) -> None:
    layout = layouts.from_vonage({"type": raw})
    assert layout is not None and layouts.to_vonage(layout) == {"type": raw}


@pytest.mark.parametrize("kind", list(LayoutKind))
def test_every_portable_kind_translates(kind) -> None:
    layout = Layout.custom([Region("all", 0, 0, 1, 1)]) if kind is LayoutKind.CUSTOM else Layout(kind)
    body = layouts.to_vonage(layout)
    assert body["type"] in {"bestFit", "pip", "verticalPresentation", "horizontalPresentation", "custom"}
    assert ("stylesheet" in body) == (body["type"] == "custom")


def test_a_layout_round_trips_through_the_registry_form() -> None:
    layout = Layout.custom(
        [Region("main", 0, 0, 0.5, 1, z=1, sources=("identity:host", "role:moderator,source:screen"))]
    )
    assert layouts.from_json(layouts.to_json(layout)) == layout
    assert layouts.from_json(layouts.to_json(Layout(kind="grid", screenshare="pip"))) == Layout(
        kind="grid", screenshare="pip"
    )
