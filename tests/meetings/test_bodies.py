"""Every endpoint, table-driven: an oversized body is a 413 (whatever the endpoint), bad JSON a
400, a body of the wrong shape a 422 naming the field; never a 500. (The first cases of each
are in test_problems.py; this covers the endpoints those leave out.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.meetings import WEBHOOK_SECRET, Api, bearer, local_service, signed

from anyvideo import Video
from anyvideo.meetings.auth import SIGNATURE_HEADER, sign_webhook
from anyvideo.sim import ManualClock

PROBLEM = "application/problem+json"
#: Every operation of the service, with a stand-in link id where the path needs one.
OPERATIONS = [
    ("POST", "/session"),
    ("PATCH", "/session/{link}"),
    ("PATCH", "/session/{link}/end"),
    ("POST", "/session/{link}/token"),
    ("GET", "/session/{link}/attendees"),
    ("POST", "/webhooks/session"),
    ("GET", "/archives"),
    ("GET", "/archives/local:rec_x"),
    ("DELETE", "/archives/local:rec_x"),
]
LIMIT = 1000


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    return dict(answer.json())


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_an_oversized_body_is_a_413_on_every_endpoint(
    tmp_path: Path, local_video: Video, clock: ManualClock, method: str, path: str
) -> None:
    with local_service(str(tmp_path / "m.db"), local_video, clock, max_body=LIMIT) as (_, client):
        api = Api(client, clock=clock)
        link = api.create()
        big = json.dumps({"extMetadata": {"blob": "y" * (2 * LIMIT)}}).encode()
        headers = bearer() | {"Content-Type": "application/json"}
        for content in (big, iter([big[:LIMIT], big[LIMIT:]])):  # with a Content-Length, and chunked
            answer = client.request(method, path.format(link=link), content=content, headers=headers)
            assert problem(answer, 413)["field"] == "body"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"isScheduled": "yes"}, "isScheduled"),
        ({"scheduleTime": 1700000000}, "scheduleTime"),
        ({"extMetadata": "notes"}, "extMetadata"),
        ({"extId": ["a"]}, "extId"),
        ({"isArchived": 1}, "isArchived"),
        ({"title": "standup"}, "title"),
        ({"sessionId": "RM123"}, "sessionId"),
        ({"endTime": "2030-01-01T00:00:00Z"}, "endTime"),
        ([{"extId": "a"}], "body"),
    ],
    ids=[
        "bool",
        "time-as-number",
        "metadata-text",
        "id-list",
        "archived-int",
        "unknown",
        "service-set",
        "end-set",
        "list",
    ],
)
def test_an_edit_of_the_wrong_shape_is_a_422_naming_the_field(api: Api, body: object, field: str) -> None:
    link = api.create()
    answer = api.client.patch(f"/session/{link}", json=body, headers=api.headers)
    assert problem(answer, 422)["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"meetingLinkId": 7, "attendee": "ann", "event": "joined"}, "meetingLinkId"),
        ({"meetingLinkId": "x", "attendee": "ann", "event": "joined", "extMetadata": []}, "extMetadata"),
        ([], "body"),
    ],
)
def test_a_signed_webhook_of_the_wrong_shape_is_a_422(api: Api, body: object, field: str) -> None:
    assert problem(api.webhook(body), 422)["field"] == field


def test_signed_bad_json_to_the_webhook_is_a_400(api: Api, clock: ManualClock) -> None:
    request = signed({}, clock.now())
    request["content"] = b'{"meetingLinkId": '
    request["headers"][SIGNATURE_HEADER] = sign_webhook(WEBHOOK_SECRET, request["content"], clock.now())
    assert problem(api.client.post("/webhooks/session", **request), 400)["field"] == "body"


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/session/{link}/attendees", "active=perhaps", "query.active"),
        ("/session/{link}/attendees", "since=yesterday", "query.since"),
        ("/archives", "limit=0", "query.limit"),
        ("/archives", "limit=many", "query.limit"),
        ("/archives", "offset=-1", "query.offset"),
    ],
)
def test_a_query_of_the_wrong_shape_is_a_422_naming_the_parameter(api: Api, path: str, query: str, field: str) -> None:
    link = api.create()
    answer = api.client.get(f"{path.format(link=link)}?{query}", headers=api.headers)
    assert problem(answer, 422)["field"] == field


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_a_body_where_none_is_taken_is_no_500(api: Api, method: str, path: str) -> None:
    """A body sent to an endpoint that takes none (or a JSON text) is answered, never with a 500."""
    link = api.create()
    for content in (b"\x00\xff garbage", b'"just text"', b"{}"):
        headers = api.headers | {"Content-Type": "application/json"}
        answer = api.client.request(method, path.format(link=link), content=content, headers=headers)
        assert answer.status_code < 500, answer.text
