"""Meetings over HTTP on the local backend: create (archiving, encryption, scheduling, extId),
edit, end, and client tokens per role with an expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from support.meetings import Api, bearer

from anyvideo import ParticipantStatus, Role, RoomStatus, Video
from anyvideo.meetings.db import Meeting
from anyvideo.sim import ManualClock

#: The clock of the ``clock`` fixture (the backend's and the service's) starts here; tests move it by hand.
START = ManualClock().now()


def soon(**delta: float) -> str:
    """A time ``delta`` from the (manual) clock's start."""
    return (START + timedelta(**delta)).isoformat()


def meeting_row(app: FastAPI, link: str) -> Meeting:
    with app.state.service.sessions() as session:
        row = session.scalar(select(Meeting).where(Meeting.meeting_link == link))
        assert row is not None
        return row


def refusal(answer, status: int, field: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status and problem["field"] == field, problem
    return str(problem["detail"])


# --- create ------------------------------------------------------------------------------


def test_a_meeting_gets_a_link_id_its_room_and_the_callers_audit_fields(
    service: tuple[FastAPI, Api], local_video: Video
) -> None:
    app, api = service
    api.headers = bearer(subject="organiser")
    link = api.create(extId="crm-42", extMetadata={"topic": "retro", "seats": [1, 2]})
    assert len(link) == 12 and link.isalnum()
    row = meeting_row(app, link)
    assert (row.ext_id, row.ext_metadata) == ("crm-42", {"topic": "retro", "seats": [1, 2]})
    assert (row.created_by, row.modified_by, row.deleted, row.provider) == ("organiser", "organiser", False, "local")
    assert row.created_on.tzinfo is not None and row.end_time is None and not row.is_scheduled
    room = local_video.rooms.get(row.session_id)
    assert room.name == f"meeting-{link}" and room.status is RoomStatus.OPEN


def test_each_meeting_has_its_own_link_and_room(api: Api, local_video: Video) -> None:
    links = {api.create() for _ in range(5)}
    assert len(links) == 5
    assert {r.name for r in local_video.rooms.list()} == {f"meeting-{link}" for link in links}


def test_archiving_with_end_to_end_encryption_is_refused(api: Api) -> None:
    answer = api.client.post("/session", json={"enableArchiving": True, "e2ee": True}, headers=api.headers)
    assert "archiving cannot be enabled with end-to-end encryption" in refusal(answer, 400, "enableArchiving")


def test_what_the_backend_cannot_do_is_refused_naming_the_backend(api: Api) -> None:
    answer = api.client.post("/session", json={"e2ee": True}, headers=api.headers)
    assert "the local backend cannot encrypt media end to end (e2ee)" in refusal(answer, 400, "e2ee")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"isScheduled": True}, "needs its scheduleTime"),
        ({"isScheduled": True, "scheduleTime": soon(minutes=-5)}, "in the past"),
        ({"scheduleTime": soon(hours=1)}, "for a scheduled meeting"),
    ],
    ids=["no-time", "past", "time-without-scheduling"],
)
def test_a_bad_schedule_is_refused(api: Api, body: dict[str, object], reason: str) -> None:
    assert reason in refusal(api.client.post("/session", json=body, headers=api.headers), 400, "scheduleTime")


def test_a_naive_schedule_time_is_refused(api: Api) -> None:
    naive = (START + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    answer = api.client.post("/session", json={"isScheduled": True, "scheduleTime": naive}, headers=api.headers)
    assert answer.status_code == 422 and answer.json()["field"] == "scheduleTime"


def test_a_scheduled_meeting_gets_its_room_when_first_needed(service: tuple[FastAPI, Api], local_video: Video) -> None:
    app, api = service
    link = api.create(isScheduled=True, scheduleTime=soon(days=1))
    assert meeting_row(app, link).session_id is None
    assert list(local_video.rooms.list()) == []
    first = api.token(link)
    second = api.token(link, identity="bob")
    assert first["sessionId"] == second["sessionId"] == meeting_row(app, link).session_id
    [room] = local_video.rooms.list()
    assert room.id == first["sessionId"] and room.name == f"meeting-{link}"


# --- edit --------------------------------------------------------------------------------


def test_editing_changes_what_a_caller_may_change(service: tuple[FastAPI, Api]) -> None:
    app, api = service
    link = api.create()
    when = soon(days=2)
    changes = {"isScheduled": True, "scheduleTime": when, "extId": "x-1", "extMetadata": {"a": 1}, "isArchived": True}
    answer = api.client.patch(f"/session/{link}", json=changes, headers=bearer(["EditMeeting"], subject="editor"))
    assert answer.status_code == 204, answer.text
    row = meeting_row(app, link)
    assert (row.is_scheduled, row.ext_id, row.ext_metadata, row.is_archived) == (True, "x-1", {"a": 1}, True)
    assert row.schedule_time == datetime.fromisoformat(when) and row.modified_by == "editor"
    unscheduled = api.client.patch(f"/session/{link}", json={"isScheduled": False}, headers=api.headers)
    assert unscheduled.status_code == 204
    assert (meeting_row(app, link).is_scheduled, meeting_row(app, link).schedule_time) == (False, None)


@pytest.mark.parametrize("field", ["sessionId", "meetingLink", "endTime", "createdBy", "deleted", "archiveId", "id"])
def test_the_services_own_fields_cannot_be_edited(api: Api, field: str) -> None:
    link = api.create()
    value = {"deleted": True, "id": 3, "endTime": soon(hours=1)}.get(field, "forged")
    answer = api.client.patch(f"/session/{link}", json={field: value}, headers=api.headers)
    assert "set by the service" in refusal(answer, 422, field)


def test_editing_refuses_a_past_schedule_an_unknown_meeting_and_an_ended_one(api: Api) -> None:
    link = api.create()
    past = {"isScheduled": True, "scheduleTime": soon(hours=-1)}
    refusal(api.client.patch(f"/session/{link}", json=past, headers=api.headers), 400, "scheduleTime")
    refusal(api.client.patch("/session/nosuchmeeting", json={"extId": "x"}, headers=api.headers), 404, "meetingLinkId")
    api.end(link)
    ended = api.client.patch(f"/session/{link}", json={"extId": "x"}, headers=api.headers)
    assert "has ended" in refusal(ended, 409, "meetingLinkId")


# --- end ---------------------------------------------------------------------------------


def test_ending_sets_end_time_ends_the_room_and_a_second_end_is_refused(
    service: tuple[FastAPI, Api], local_video: Video
) -> None:
    app, api = service
    link = api.create()
    ann = local_video.backend.browser().join(local_video.tokens.create(meeting_row(app, link).session_id, "ann"))
    ended = api.client.patch(f"/session/{link}/end", headers=bearer(["StopMeeting"], subject="host"))
    assert ended.status_code == 204 and ended.content == b""
    row = meeting_row(app, link)
    assert row.end_time is not None and row.modified_by == "host"
    assert local_video.rooms.get(row.session_id).status is RoomStatus.ENDED
    gone = local_video.participants.get(row.session_id, ann.participant_id)
    assert gone.status is ParticipantStatus.DISCONNECTED
    again = api.client.patch(f"/session/{link}/end", headers=api.headers)
    assert "already ended" in refusal(again, 409, "meetingLinkId")
    assert meeting_row(app, link).end_time == row.end_time
    refusal(api.client.patch("/session/nosuchmeeting/end", headers=api.headers), 404, "meetingLinkId")


def test_a_scheduled_meeting_ended_before_it_had_a_room_ends_without_one(service: tuple[FastAPI, Api]) -> None:
    app, api = service
    link = api.create(isScheduled=True, scheduleTime=soon(days=1))
    api.end(link)
    assert meeting_row(app, link).end_time is not None and meeting_row(app, link).session_id is None


# --- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "publisher", "subscriber"])
def test_a_token_per_role_joins_the_meetings_room_with_that_role(api: Api, local_video: Video, role: str) -> None:
    link = api.create()
    answer = api.token(link, role=role, identity="ann", data="seat 4")
    assert answer["role"] == role and answer["sessionId"]
    client = local_video.backend.browser().join(answer["token"])
    participant = local_video.participants.get(answer["sessionId"], client.participant_id)
    assert (participant.identity, participant.role, participant.data) == ("ann", Role(role), "seat 4")


def test_a_token_lasts_until_its_expire_time_and_is_for_the_caller_by_default(api: Api, local_video: Video) -> None:
    api.headers = bearer(subject="dora")
    link = api.create()
    expires = START + timedelta(minutes=10)
    answer = api.token(link, expireTime=expires.isoformat())
    assert abs(datetime.fromisoformat(answer["expireTime"]) - expires) == timedelta(0)
    client = local_video.backend.browser().join(answer["token"])
    assert local_video.participants.get(answer["sessionId"], client.participant_id).identity == "dora"
    assert api.token(link)["role"] == "publisher"


@pytest.mark.parametrize(
    ("body", "status", "field", "reason"),
    [
        ({"expireTime": soon(minutes=-1)}, 400, "expireTime", "in the past"),
        ({"expireTime": soon(days=40)}, 400, "expireTime", "lifetime (now to expireTime) must be between 1 and"),
        ({"role": "owner"}, 422, "role", "moderator"),
        ({"identity": ""}, 422, "identity", "at least 1"),
        ({"data": "x" * 1001}, 422, "data", "at most 1000"),
    ],
    ids=["expired", "too-long", "unknown-role", "empty-identity", "long-data"],
)
def test_a_bad_token_request_is_refused_naming_the_field(
    api: Api, body: dict[str, object], status: int, field: str, reason: str
) -> None:
    link = api.create()
    assert reason in refusal(api.client.post(f"/session/{link}/token", json=body, headers=api.headers), status, field)


def test_no_token_for_an_ended_meeting_or_an_unknown_one(api: Api) -> None:
    link = api.create()
    api.end(link)
    ended = api.client.post(f"/session/{link}/token", json={}, headers=api.headers)
    assert "has ended" in refusal(ended, 409, "meetingLinkId")
    refusal(api.client.post("/session/nosuchmeeting/token", json={}, headers=api.headers), 404, "meetingLinkId")


def test_a_token_request_may_have_no_body(api: Api) -> None:
    link = api.create()
    answer = api.client.post(f"/session/{link}/token", headers=api.headers)
    assert answer.status_code == 200 and answer.json()["role"] == "publisher"


def test_a_meeting_whose_room_the_provider_closed_gets_a_new_one_at_its_next_token(
    service: tuple[FastAPI, Api], local_video: Video
) -> None:
    """As Twilio closes an empty room after minutes: the meeting is still open, so it goes on in a new room."""
    app, api = service
    link = api.create()
    closed = meeting_row(app, link).session_id
    local_video.rooms.end(closed)
    answer = api.token(link, identity="ann")
    assert answer["sessionId"] != closed and meeting_row(app, link).session_id == answer["sessionId"]
    client = local_video.backend.browser().join(answer["token"])
    assert api.who(link, active=True) == ["ann"] and client.room_id == answer["sessionId"]
    assert api.token(link)["sessionId"] == answer["sessionId"]
