"""Every error is ``application/problem+json`` (RFC 9457) naming the field or the reason; bad
JSON, wrong types, unknown fields and oversized bodies are 400/413/422, never 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.meetings import Api, bearer, local_service

from anyvideo import Video

PROBLEM = "application/problem+json"
#: Each endpoint with a body, with a stand-in link id where the path needs one.
BODIES = [
    ("POST", "/session"),
    ("PATCH", "/session/{link}"),
    ("POST", "/session/{link}/token"),
    ("POST", "/webhooks/session"),
]


def problem(answer, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    document = answer.json()
    assert document["status"] == status and document["title"] and document["detail"]
    assert document["type"] == "about:blank"
    return dict(document)


@pytest.mark.parametrize(("method", "path"), BODIES)
def test_bad_json_is_a_400(api: Api, method: str, path: str) -> None:
    link = api.create()
    headers = api.headers | {"Content-Type": "application/json"}
    answer = api.client.request(method, path.format(link=link), content=b'{"extId": ', headers=headers)
    assert problem(answer, 400)["field"] == "body"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/session", {"enableArchiving": "sometimes"}, "enableArchiving"),
        ("/session", {"extMetadata": [1, 2]}, "extMetadata"),
        ("/session", {"isScheduled": True, "scheduleTime": "tomorrow"}, "scheduleTime"),
        ("/session", {"enableRecording": True}, "enableRecording"),
        ("/session", [1, 2], "body"),
        ("/session/{link}/token", {"expireTime": 5.5}, "expireTime"),
        ("/session/{link}/token", {"role": ["moderator"]}, "role"),
    ],
)
def test_wrong_types_and_unknown_fields_are_a_422_naming_each(api: Api, path: str, body: object, field: str) -> None:
    link = api.create()
    document = problem(api.client.post(path.format(link=link), json=body, headers=api.headers), 422)
    assert document["field"] == field and field in str(document["detail"])
    assert document["errors"] and all({"field", "reason"} == set(e) for e in document["errors"])


def test_a_body_over_the_limit_is_a_413_whether_or_not_it_says_its_length(tmp_path: Path, local_video: Video) -> None:
    with local_service(str(tmp_path / "m.db"), local_video, max_body=1000) as (_, client):
        big = json.dumps({"extId": "x", "extMetadata": {"blob": "y" * 2000}}).encode()
        headers = bearer() | {"Content-Type": "application/json"}
        assert problem(client.post("/session", content=big, headers=headers), 413)["field"] == "body"
        chunked = client.post("/session", content=iter([big[:600], big[600:]]), headers=headers)
        assert problem(chunked, 413)["field"] == "body"
        small = client.post("/session", json={"extMetadata": {"blob": "y" * 100}}, headers=bearer())
        assert small.status_code == 200


def test_a_content_length_that_is_no_number_is_a_400(api: Api) -> None:
    scope_headers = api.headers | {"Content-Length": "lots", "Content-Type": "application/json"}
    answer = api.client.post("/session", content=b"{}", headers=scope_headers)
    assert problem(answer, 400)["field"] == "Content-Length"


def test_unknown_paths_and_methods_are_problems_too(api: Api) -> None:
    problem(api.client.get("/nowhere", headers=api.headers), 404)
    problem(api.client.put("/session", json={}, headers=api.headers), 405)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["enableArchiving", "e2ee", "isScheduled", "scheduleTime", "extId", "extMetadata", "role", "expireTime"]
FIELDS += ["identity", "data", "meetingLinkId", "attendee", "event", "occurredAt", "sessionId", "isArchived"]
BODY = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=5) | JSON


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(BODIES), body=BODY)
def test_no_body_makes_the_service_fail(api: Api, endpoint: tuple[str, str], body: object) -> None:
    method, path = endpoint
    link = api.create()
    answer = api.client.request(method, path.format(link=link), json=body, headers=api.headers)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"NaN"])
def test_numbers_json_cannot_carry_are_refused_not_stored(api: Api, number: bytes) -> None:
    body = b'{"extMetadata": {"score": ' + number + b"}}"
    headers = api.headers | {"Content-Type": "application/json"}
    answer = api.client.post("/session", content=body, headers=headers)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"] == PROBLEM


def test_a_405_allows_every_method_of_the_path(api: Api) -> None:
    """Starlette names only the first route's methods; ``/archives/{archiveId}`` has two routes."""
    answer = api.client.request("OPTIONS", "/archives/some-id", headers=api.headers)
    problem(answer, 405)
    assert answer.headers["allow"] == "DELETE, GET"


def test_the_python_names_of_fields_are_unknown_fields(api: Api) -> None:
    answer = api.client.post("/session", json={"enable_archiving": True}, headers=api.headers)
    assert problem(answer, 422)["field"] == "enable_archiving"


def test_an_unknown_query_parameter_is_a_422_naming_it(api: Api) -> None:
    answer = api.client.get("/archives?limit=5&page=2", headers=api.headers)
    assert problem(answer, 422)["field"] == "query.page"
