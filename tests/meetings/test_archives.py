"""Archives over HTTP on the local backend: an archiving meeting is recorded from its first
stream until it ends; archives are listed (paged), fetched as the provider has them now,
and deleted on the provider and (softly) in the database."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from support.meetings import Api, bearer

from anyvideo import RecordingStatus, Video
from anyvideo.meetings.db import Archive
from anyvideo.sim import ManualClock


def archived_meeting(api: Api, video: Video, clock: ManualClock, *, seconds: float = 10) -> tuple[str, str]:
    """A meeting recorded for ``seconds`` and ended; its link and archive id."""
    link = api.create(enableArchiving=True)
    ann = video.backend.browser().join(api.token(link, identity="ann")["token"])
    ann.publish()
    [archive] = [a for a in api.archives(limit=500)["items"] if a["meetingLinkId"] == link]
    assert archive["status"] == "recording"
    clock.advance(seconds=seconds)
    api.end(link)
    return link, archive["archiveId"]


def test_an_archiving_meeting_is_recorded_from_its_first_stream_until_it_ends(
    api: Api, local_video: Video, clock: ManualClock
) -> None:
    link, archive_id = archived_meeting(api, local_video, clock)
    assert archive_id.startswith("local:rec_")
    processing = api.client.get(f"/archives/{archive_id}", headers=api.headers).json()
    assert processing["status"] == "processing" and processing["duration"] == 10.0
    clock.advance(seconds=2)  # the local platform's processing delay
    ready = api.client.get(f"/archives/{archive_id}", headers=bearer(["GetMeetingArchives"])).json()
    assert ready["status"] == "available" and ready["size"] > 0
    assert (ready["meetingLinkId"], ready["name"]) == (link, f"meeting-{link}")
    assert local_video.recordings.get(archive_id).status is RecordingStatus.AVAILABLE


def test_a_second_stream_starts_no_second_recording(api: Api, local_video: Video) -> None:
    link = api.create(enableArchiving=True)
    for identity in ("ann", "bob"):
        local_video.backend.browser().join(api.token(link, identity=identity)["token"]).publish()
    assert api.archives()["count"] == 1
    assert len(list(local_video.recordings.list())) == 1


def test_a_meeting_without_archiving_is_not_recorded(api: Api, local_video: Video) -> None:
    link = api.create()
    local_video.backend.browser().join(api.token(link)["token"]).publish()
    assert api.archives() == {"count": 0, "items": []}
    assert list(local_video.recordings.list()) == []


def test_archiving_switched_on_by_an_edit_records_from_then_on(api: Api, local_video: Video) -> None:
    link = api.create()
    assert api.client.patch(f"/session/{link}", json={"isArchived": True}, headers=api.headers).status_code == 204
    local_video.backend.browser().join(api.token(link)["token"]).publish()
    assert api.archives()["count"] == 1
    refused = api.client.patch(f"/session/{link}", json={"isArchived": False}, headers=api.headers)
    assert refused.status_code == 409 and refused.json()["field"] == "isArchived"


def test_archives_are_paged_newest_first(api: Api, local_video: Video, clock: ManualClock) -> None:
    made = [archived_meeting(api, local_video, clock)[1] for _ in range(3)]
    page = api.archives(limit=2)
    assert page["count"] == 3 and [a["archiveId"] for a in page["items"]] == made[::-1][:2]
    rest = api.archives(limit=2, offset=2)
    assert [a["archiveId"] for a in rest["items"]] == made[:1]
    # an offset past what the database can count was a 500 (SQLite's INTEGER is 64-bit)
    for query in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 2**63}, {"limit": "many"}):
        assert api.client.get("/archives", params=query, headers=api.headers).status_code == 422


def test_deleting_an_archive_deletes_it_on_the_provider_and_softly_in_the_database(
    service: tuple[FastAPI, Api], local_video: Video, clock: ManualClock
) -> None:
    app, api = service
    _, archive_id = archived_meeting(api, local_video, clock)
    clock.advance(seconds=2)
    deleted = api.client.delete(f"/archives/{archive_id}", headers=bearer(["DeleteMeetingArchive"], subject="admin"))
    # the seed's answer: 200 with a text body (the archive's id), not 204
    assert (deleted.status_code, deleted.text) == (200, archive_id)
    assert deleted.headers["content-type"].startswith("text/plain")
    assert local_video.recordings.get(archive_id).status is RecordingStatus.DELETED
    assert api.archives() == {"count": 0, "items": []}
    for method in ("GET", "DELETE"):
        gone = api.client.request(method, f"/archives/{archive_id}", headers=api.headers)
        assert gone.status_code == 404 and gone.json()["field"] == "archiveId"
    with app.state.service.sessions() as session:
        row = session.scalar(select(Archive).where(Archive.archive_id == archive_id))
        assert row is not None and row.deleted and row.deleted_by == "admin" and row.deleted_on is not None


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_unknown_archive_is_not_found(api: Api, method: str) -> None:
    answer = api.client.request(method, "/archives/local:rec_nothing", headers=api.headers)
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
