"""Vonage emulator: archives seeded in bulk through the control API are archives
like any other, and listing them reads only the page asked for."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from vonage_video.models import CreateArchiveRequest, ListArchivesFilter

from anyvideo.errors import InvalidRequest
from anyvideo.sim import ManualClock
from anyvideo.sim.records import RecordingRecord

#: What differs between any two archives: who they are, when, and their signed URL.
OWN = {"id", "createdAt", "updatedAt", "url", "sha256sum", "size", "sessionId"}


@pytest.fixture
def vonage_emulator_options() -> dict[str, Any]:
    """A clock that moves only when told: an archive's duration is what the test advanced,
    however long a loaded machine took between its start and stop (it was 2 s, not 1, once)."""
    return {"clock": ManualClock(datetime.now(UTC))}


def test_a_seeded_archive_is_shaped_like_one_the_application_stopped(
    vonage_server, vonage_video, vonage_join, vonage_session
):
    ann = vonage_join(vonage_session)
    ann.publish()
    started = vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session))
    vonage_server.control.advance(1)
    vonage_video.stop_archive(started.id)
    vonage_server.control.advance(2)
    seeded = vonage_server.control.seed_recordings(vonage_session, 3)

    run = vonage_server.archive_json(vonage_server.world.get_recording(started.id))
    made = vonage_server.archive_json(vonage_server.world.get_recording(seeded["first_id"]))
    assert made.keys() == run.keys()
    assert {k: v for k, v in made.items() if k not in OWN} == {k: v for k, v in run.items() if k not in OWN}
    assert made["status"] == "available" and made["reason"] == "user initiated" and made["duration"] == 1
    download = requests.get(made["url"], timeout=10)
    assert len(download.content) == made["size"]
    assert hashlib.sha256(download.content).hexdigest() == made["sha256sum"]


def test_seeded_archives_list_newest_first_and_cost_the_face_no_memory(vonage_server, vonage_video, vonage_session):
    seeded = vonage_server.control.seed_recordings(vonage_session, 30)
    archives, count, _ = vonage_video.list_archives(ListArchivesFilter(session_id=vonage_session, page_size=50))
    assert count == 30 and archives[0].id == seeded["last_id"] and archives[-1].id == seeded["first_id"]
    assert vonage_server.state.archives == {}  # their Vonage options live in their records
    vonage_video.delete_archive(seeded["last_id"])
    archives, count, _ = vonage_video.list_archives(ListArchivesFilter(session_id=vonage_session, page_size=50))
    assert count == 29 and seeded["last_id"] not in {a.id for a in archives}


def test_a_page_of_archives_decodes_only_its_archives_however_many_there_are(
    vonage_server, vonage_video, vonage_session
):
    """The listing was quadratic: every page decoded every archive of the account."""
    store = vonage_server.world.store

    def decoded_for_a_page(offset: int) -> int:
        before = store.decoded
        archives, _, _ = vonage_video.list_archives(ListArchivesFilter(offset=offset, page_size=50))
        assert len(archives) == 50
        return store.decoded - before

    vonage_server.control.seed_recordings(vonage_session, 100)
    small = [decoded_for_a_page(offset) for offset in (0, 50)]
    vonage_server.control.seed_recordings(vonage_session, 1900)
    large = [decoded_for_a_page(offset) for offset in (0, 1000, 1950, 1900)]
    assert small == [50, 50] and large == [50, 50, 50, 50]
    assert vonage_server.world.count(RecordingRecord) == 2000


def test_seeding_refuses_what_is_not_a_seed(vonage_server, vonage_session):
    with pytest.raises(InvalidRequest, match="count"):
        vonage_server.control.seed_recordings(vonage_session, -1)
    with pytest.raises(InvalidRequest, match="seconds"):
        vonage_server.control.seed_recordings(vonage_session, 1, seconds=0)
    with pytest.raises(InvalidRequest, match="session ID"):
        vonage_server.control.seed_recordings("not-a-session", 1)
    assert vonage_server.world.count(RecordingRecord) == 0
