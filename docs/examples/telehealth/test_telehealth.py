"""The telehealth visit's tests. They name no provider: run them with
``ANYVIDEO_BACKEND`` and the provider's variables set, and they pass the same
on every backend (anyvideo's own test run does so on local, and on the
Vonage and Twilio emulators)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telehealth import Clinic

import anyvideo
from anyvideo import AnyVideoError, Feature, ParticipantStatus
from anyvideo.testing import placements, regions_shown

WAIT = 120  # seconds a provider may take to process


@pytest.fixture
def clinic(tmp_path: Path):
    with anyvideo.connect() as video:
        clinic = Clinic(video, "riverside", tmp_path / "records")
        yield clinic
        clinic.close()


def connected(clinic: Clinic, room) -> set[str]:
    return {p.identity for p in clinic.video.participants.list(room, status=ParticipantStatus.CONNECTED)}


def test_the_patient_waits_until_the_clinician_admits_them(clinic: Clinic) -> None:
    devices = clinic.video.backend.browser()
    ticket, waiting_token = clinic.check_in("pat")
    devices.join(waiting_token)
    assert clinic.waiting() == ["pat"] and clinic.admission(ticket) is None
    # The clinician admits whom the platform has shown in the waiting room: where identities
    # come only with the platform's callbacks, a patient not yet announced has none to match.
    assert clinic.wait_until(lambda: "pat" in clinic.present[clinic.waiting_room.id], timeout=WAIT)

    visit = clinic.admit("dr-lee", "pat")

    assert clinic.waiting() == [] and "pat" not in connected(clinic, clinic.waiting_room)
    token = clinic.admission(ticket)
    assert token is not None
    devices.join(token)
    devices.join(visit.clinician_ticket())
    assert clinic.wait_until(lambda: clinic.present[visit.room.id] == {"pat", "dr-lee"}, timeout=WAIT)
    assert connected(clinic, visit.room) == {"pat", "dr-lee"}


def test_the_visit_is_one_to_one_where_rooms_can_be_capped(clinic: Clinic) -> None:
    if not clinic.video.supports(Feature.MAX_PARTICIPANTS):
        pytest.skip(f"{clinic.video.backend_name} cannot cap a room")
    devices = clinic.video.backend.browser()
    ticket, _ = clinic.check_in("pat")
    visit = clinic.admit("dr-lee", "pat")
    devices.join(clinic.admission(ticket))
    devices.join(visit.clinician_ticket())
    intruder = clinic.video.tokens.create(visit.room, "intruder").token
    with pytest.raises(AnyVideoError):
        devices.join(intruder)


def test_the_visit_is_recorded_per_participant_and_composed_side_by_side(clinic: Clinic) -> None:
    if not clinic.video.supports(Feature.INDIVIDUAL_RECORDING):
        pytest.skip(f"{clinic.video.backend_name} cannot record each participant")
    devices = clinic.video.backend.browser()
    ticket, _ = clinic.check_in("pat")
    visit = clinic.admit("dr-lee", "pat")
    devices.join(clinic.admission(ticket)).publish(name="camera")
    devices.join(visit.clinician_ticket()).publish(name="camera")
    visit.start_recording()
    assert clinic.wait_until(lambda: len(clinic.on_camera[visit.room.id]) == 2, timeout=WAIT)
    people = {p.id: p.identity for p in clinic.video.participants.list(visit.room)}
    cameras = {people[s.participant_id]: s.id for s in clinic.video.streams.list(visit.room) if s.kind.has_video}

    folder = visit.finish(timeout=WAIT)

    saved = visit.whose_files()
    assert set(saved) == {"pat", "dr-lee"}
    assert all(files and all(f.is_file() for f in files) for files in saved.values())
    if not clinic.video.supports(Feature.POST_HOC_COMPOSITION):
        return
    [mixed] = (folder / "visit").iterdir()
    shown = regions_shown(visit.layout, placements(mixed))
    assert shown == {"clinician": {cameras["dr-lee"]}, "patient": {cameras["pat"]}}
