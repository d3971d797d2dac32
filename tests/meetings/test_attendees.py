"""Attendees over HTTP on the local backend: kept current by the backend's events (the
service's ``anyvideo_event`` hook) and by a third party's ``POST /webhooks/session``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.meetings import Api

from anyvideo import Video
from anyvideo.sim import ManualClock


def join(video: Video, api: Api, link: str, identity: str):
    return video.backend.browser().join(api.token(link, identity=identity)["token"])


def test_attendees_follow_who_joins_and_leaves(api: Api, local_video: Video, clock: ManualClock) -> None:
    link = api.create()
    assert api.attendees(link) == []
    ann = join(local_video, api, link, "ann")
    join(local_video, api, link, "bob")
    assert api.who(link) == api.who(link, active=True) == ["ann", "bob"]
    clock.advance(seconds=30)
    ann.leave()
    assert api.who(link, active=True) == ["bob"] and api.who(link, active=False) == ["ann"]
    [gone] = api.attendees(link, active=False)
    assert gone["participantId"] == ann.participant_id and gone["isActive"] is False
    assert gone["leftOn"] == (clock.now()).isoformat().replace("+00:00", "Z")
    assert gone["meetingLinkId"] == link and gone["sessionId"] and gone["deleted"] is False


def test_an_attendee_who_comes_back_is_active_again_once(api: Api, local_video: Video) -> None:
    link = api.create()
    join(local_video, api, link, "ann").leave()
    again = join(local_video, api, link, "ann")
    [ann] = api.attendees(link)
    assert ann["isActive"] and ann["participantId"] == again.participant_id and ann["leftOn"] is None


def test_ending_the_meeting_leaves_nobody_active(api: Api, local_video: Video) -> None:
    link = api.create()
    for identity in ("ann", "bob"):
        join(local_video, api, link, identity)
    api.end(link)
    assert api.who(link, active=True) == [] and api.who(link, active=False) == ["ann", "bob"]


def test_events_of_rooms_the_service_did_not_make_are_ignored(api: Api, local_video: Video) -> None:
    link = api.create()
    other = local_video.rooms.create("not-a-meeting")
    local_video.backend.browser().join(local_video.tokens.create(other, "zed"))
    assert api.attendees(link) == []


def test_attendees_of_an_unknown_meeting_are_not_found(api: Api) -> None:
    answer = api.client.get("/session/nosuchmeeting/attendees", headers=api.headers)
    assert answer.status_code == 404 and answer.json()["field"] == "meetingLinkId"


def test_active_must_be_a_boolean(api: Api) -> None:
    link = api.create()
    answer = api.client.get(f"/session/{link}/attendees?active=maybe", headers=api.headers)
    assert answer.status_code == 422 and answer.json()["field"] == "query.active"


# --- the third party's webhook -------------------------------------------------------------


def test_a_third_party_adds_and_updates_attendees(api: Api, clock: ManualClock) -> None:
    link = api.create()
    joined = {"meetingLinkId": link, "attendee": "phone-caller", "event": "joined", "extMetadata": {"via": "pstn"}}
    assert api.webhook(joined).status_code == 204
    [caller] = api.attendees(link, active=True)
    assert caller["attendee"] == "phone-caller" and caller["extMetadata"] == {"via": "pstn"}
    assert caller["participantId"] is None
    left_at = clock.now() + timedelta(minutes=5)
    left = {"meetingLinkId": link, "attendee": "phone-caller", "event": "left", "occurredAt": left_at.isoformat()}
    assert api.webhook(left).status_code == 204
    [caller] = api.attendees(link, active=False)
    assert caller["leftOn"] == left_at.isoformat().replace("+00:00", "Z")


def test_the_webhook_needs_no_token_but_a_known_meeting(api: Api) -> None:
    body = {"meetingLinkId": "nosuchmeeting", "attendee": "ann", "event": "joined"}
    answer = api.webhook(body)
    assert answer.status_code == 404 and answer.json()["field"] == "meetingLinkId"


def test_nobody_joins_an_ended_meeting_through_the_webhook(api: Api) -> None:
    link = api.create()
    api.end(link)
    answer = api.webhook({"meetingLinkId": link, "attendee": "ann", "event": "joined"})
    assert answer.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attendee": "ann", "event": "joined"}, "meetingLinkId"),
        ({"meetingLinkId": "x", "event": "joined"}, "attendee"),
        ({"meetingLinkId": "x", "attendee": "ann", "event": "waved"}, "event"),
        ({"meetingLinkId": "x", "attendee": "ann", "event": "left", "occurredAt": "yesterday"}, "occurredAt"),
        ({"meetingLinkId": "x", "attendee": "ann", "event": "left", "connection": {}}, "connection"),
        ({"meetingLinkId": "x", "attendee": 7, "event": "left"}, "attendee"),
    ],
    ids=["no-meeting", "no-attendee", "unknown-event", "bad-time", "unknown-field", "wrong-type"],
)
def test_the_webhook_body_is_validated(api: Api, body: dict[str, object], field: str) -> None:
    answer = api.webhook(body)
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
