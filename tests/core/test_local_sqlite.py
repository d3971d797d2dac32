"""The local backend's state in a SQLite file, shared by separate processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import anyvideo
from anyvideo import ConfigurationError, ParticipantStatus, RecordingStatus, RoomStatus, Video


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "av.db"


@pytest.fixture
def here(db: Path) -> Iterator[Video]:
    """This test process's own connection to the shared database."""
    with anyvideo.connect("local", db=db, processing_delay=0, environ={}) as video:
        yield video


def elsewhere(db: Path, code: str) -> list[str]:
    """Run ``code`` in a new Python process on the same database; its printed lines."""
    result = subprocess.run(
        [sys.executable, "-c", "import anyvideo\nvideo = anyvideo.connect()\n" + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "ANYVIDEO_BACKEND": "local",
            "ANYVIDEO_LOCAL_DB": str(db),
            "ANYVIDEO_LOCAL_PROCESSING_DELAY": "0",
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_room_created_in_one_process_is_found_by_name_and_id_in_another(db, here):
    (room_id,) = elsewhere(db, 'print(video.rooms.create("standup").id)')
    assert here.rooms.get(name="standup").id == room_id
    assert here.rooms.get(room_id).status is RoomStatus.OPEN


def test_a_room_created_here_is_seen_by_a_later_process(db, here):
    room = here.rooms.create("standup")
    assert elsewhere(db, 'r = video.rooms.get(name="standup"); print(r.id, r.status)') == [room.id, "open"]


def test_a_token_minted_in_one_process_admits_a_participant_in_another(db, here):
    room_id, token = elsewhere(
        db,
        """
        room = video.rooms.create("standup")
        print(room.id, video.tokens.create(room, "ann").token)
        """,
    )
    ann = here.backend.browser().join(token)
    participant = here.participants.get(room_id, ann.participant_id)
    assert (participant.identity, participant.status) == ("ann", ParticipantStatus.CONNECTED)


def test_a_recording_stopped_in_one_process_is_available_in_another(db, here, tmp_path):
    recording_id, status = elsewhere(
        db,
        """
        room = video.rooms.create("standup")
        video.backend.browser().join(video.tokens.create(room, "ann")).publish()
        recording = video.recordings.stop(video.recordings.start(room))
        print(recording.id, recording.status)
        """,
    )
    assert status == "processing"
    recording = here.recordings.get(recording_id)
    assert recording.status is RecordingStatus.AVAILABLE
    data = here.recordings.download(recording, tmp_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == recording.files[0].sha256


def test_two_connections_with_the_same_db_setting_share_rooms(db):
    with anyvideo.connect("local", db=db, environ={}) as first, anyvideo.connect("local", db=db, environ={}) as second:
        room = first.rooms.create("standup")
        assert second.rooms.get(room.ref) == room


def test_the_db_setting_wins_over_the_environment(tmp_path, db):
    ignored = tmp_path / "ignored.db"
    with anyvideo.connect("local", db=db, environ={"ANYVIDEO_LOCAL_DB": str(ignored)}) as video:
        video.rooms.create("standup")
    with anyvideo.connect("local", db=db, environ={}) as video:
        assert [r.name for r in video.rooms.list()] == ["standup"]
    assert not ignored.exists()


def test_without_a_db_each_connection_has_its_own_rooms():
    with anyvideo.connect("local", environ={}) as first, anyvideo.connect("local", environ={}) as second:
        first.rooms.create("standup")
        assert list(second.rooms.list()) == []


def test_an_unknown_local_setting_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="colour"):
        anyvideo.connect("local", colour="blue", environ={})


def test_a_negative_processing_delay_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="processing_delay"):
        anyvideo.connect("local", processing_delay=-1, environ={})


def test_a_negative_processing_delay_from_the_environment_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="processing_delay"):
        anyvideo.connect("local", environ={"ANYVIDEO_LOCAL_PROCESSING_DELAY": "-0.5"})


@pytest.mark.parametrize("delay", ["soon", "nan", "inf"])
def test_a_processing_delay_that_is_not_a_finite_number_is_a_configuration_error(delay):
    with pytest.raises(ConfigurationError, match="processing_delay"):
        anyvideo.connect("local", environ={"ANYVIDEO_LOCAL_PROCESSING_DELAY": delay})


def test_a_db_in_a_missing_folder_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError):
        anyvideo.connect("local", db=tmp_path / "missing" / "av.db", environ={})
