"""An archiving meeting whose room the provider closed while the meeting was still open goes
on in a new room (see ``MeetingService._reopen``), and is recorded there too: the first
stream of the new room starts a new archive, beside the first room's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import select
from support.meetings import Api, local_service, served, settings_for
from support.serving import closed_port

import anyvideo
from anyvideo import StreamKind, Video
from anyvideo.meetings.app import PROVIDER_WEBHOOKS, create_app
from anyvideo.meetings.db import Archive, Meeting, make_engine, migrate
from anyvideo.sim import ManualClock
from anyvideo.testing import Emulator, SettledDevices

#: How long a Twilio room stays open once its last participant left (its ``emptyRoomTimeout``).
EMPTY_ROOM_TIMEOUT = 5 * 60


@attrs.frozen
class Deployment:
    api: Api
    video: Video
    devices: Any
    #: The provider closes the room of a meeting nobody is in any more.
    close: Callable[[str], object]
    settle: Callable[[], object]


@pytest.fixture(params=["local", "twilio"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    database = str(tmp_path / "meetings.db")
    if request.param == "local":
        clock = ManualClock()
        with (
            anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video,
            local_service(database, video, clock) as (app, client),
        ):
            yield Deployment(
                Api(client, clock=clock, jobs=app.state.jobs),
                video,
                video.backend.browser(),
                video.rooms.end,
                lambda: None,
            )
        return
    emulator: Emulator = request.getfixturevalue("twilio_emulator")
    control = emulator.control
    port = closed_port()
    video = emulator.connect(status_callback=f"http://127.0.0.1:{port}{PROVIDER_WEBHOOKS}")

    def close(room_id: str) -> None:
        """As Twilio does: an empty room is completed once its empty-room timeout has passed."""
        control.advance(EMPTY_ROOM_TIMEOUT + 1)
        control.callbacks()
        assert video.rooms.get(room_id).status.value == "ended"

    app = create_app(settings_for(database), video=video, clock=emulator.clock)
    with served(app, port) as base:
        yield Deployment(
            Api(Http(base), clock=emulator.clock, jobs=app.state.jobs),
            video,
            SettledDevices(control),
            close,
            control.callbacks,
        )
        control.callbacks()


class Http:
    """``requests`` against the served service, shaped as the TestClient calls of :class:`Api`."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, **options: Any) -> Any:
        import requests

        return requests.post(self.base + path, timeout=60, **options)

    def get(self, path: str, **options: Any) -> Any:
        import requests

        return requests.get(self.base + path, timeout=60, **options)


def record(deployment: Deployment, link: str, identity: str) -> tuple[str, Any]:
    """``identity`` joins the meeting and publishes; the room they joined, and their client."""
    answer = deployment.api.token(link, identity=identity)
    client = deployment.devices.join(answer["token"])
    for kind in (StreamKind.AUDIO, StreamKind.VIDEO):
        client.publish(kind)
    deployment.settle()
    return answer["sessionId"], client


def test_an_archiving_meeting_is_recorded_again_in_its_reopened_room(deployment: Deployment) -> None:
    api = deployment.api
    link = api.create(enableArchiving=True)
    first_room, ann = record(deployment, link, "ann")
    [first] = api.archives()["items"]
    assert (first["sessionId"], first["status"]) == (first_room, "recording")

    ann.leave()
    deployment.settle()
    deployment.close(first_room)  # the provider closed the room; the meeting is still open
    deployment.settle()

    second_room, _ = record(deployment, link, "bob")
    assert second_room != first_room
    archives = api.archives()["items"]
    assert len(archives) == 2, archives
    newest = archives[0]
    assert (newest["meetingLinkId"], newest["sessionId"], newest["status"]) == (link, second_room, "recording")
    assert newest["archiveId"] != first["archiveId"]
    # The first archive still shows the room it was recorded in, in the list and alone.
    assert (archives[1]["archiveId"], archives[1]["sessionId"]) == (first["archiveId"], first_room)
    fetched = api.client.get(f"/archives/{first['archiveId']}", headers=api.headers).json()
    assert fetched["sessionId"] == first_room
    recording = deployment.video.recordings.get(newest["archiveId"])
    assert recording.room_id == second_room


def test_archives_made_before_the_room_was_kept_get_their_meetings_room(database_url: str) -> None:
    """Revision 0003 fills the new column of existing archives with their meeting's room (what the
    list showed for them before)."""
    engine = make_engine(database_url)
    try:
        migrate(engine, "0002")
        audit = {"created_on": datetime(2026, 1, 1, tzinfo=UTC), "deleted": False}
        audit |= {"modified_on": audit["created_on"]}
        with engine.begin() as connection:
            meetings, archives = Meeting.__table__, Archive.__table__
            connection.execute(
                meetings.insert().values(id=1, meeting_link="abc", session_id="room-1", provider="local", **audit)
            )
            # No session_id: the table as 0002 made it has none.
            connection.execute(
                archives.insert().values(id=1, archive_id="local:rec-1", meeting_id=1, status="available", **audit)
            )
        migrate(engine)
        with engine.connect() as connection:
            assert connection.execute(select(Archive.session_id)).scalars().all() == ["room-1"]
    finally:
        engine.dispose()
