"""Vonage emulator against ``vonage_video.yml`` (0.3.2).

Every answer the emulator gives in the Vonage tests is checked against the
operation's response schema when the test ends (the ``vonage_server``
fixture, with :class:`VonageSpec`); here: every operation of the spec is
served, and the checker itself notices what it should.
"""

from __future__ import annotations

import re

import requests

from anyvideo.testing.server import Request, Response


def test_every_operation_of_the_spec_is_served(vonage_server, vonage_spec):
    """Routing comes before authentication: a served operation answers an
    unauthenticated call with the provider's 403, an unserved one with 404."""
    session = requests.Session()
    session.verify = str(vonage_server.ca_bundle)
    unserved = []
    for method, template, _, _ in vonage_spec.operations:
        path = re.sub(r"\{\w+\}", "x", template)
        answer = session.request(method, vonage_server.base_url + path, timeout=10)
        if answer.status_code != 403 or answer.json()["message"] != "Invalid token format":
            unserved.append(f"{method} {template}: {answer.status_code}")
    assert len(vonage_spec.operations) == 34
    assert unserved == []


def _exchange(method: str, path: str, status: int, body: object) -> tuple[Request, Response]:
    request = Request(method, path, {}, {}, b"", "https://127.0.0.1" + path)
    return request, Response.json(body, status)


def test_the_checker_refuses_a_body_against_the_schema(vonage_spec):
    archive = {"id": "a", "status": "recording", "createdAt": "yesterday"}
    problems = vonage_spec.problems(*_exchange("GET", "/v2/project/app/archive/a", 200, archive))
    assert any("recording" in p for p in problems) and any("yesterday" in p for p in problems)


def test_the_checker_refuses_an_undocumented_status(vonage_spec):
    problems = vonage_spec.problems(*_exchange("GET", "/v2/project/app/archive", 418, {}))
    assert problems == ["GET /v2/project/{application_id}/archive -> 418: status not in the spec (200, 403)"]


def test_the_checker_wants_json_labelled_exactly(vonage_spec):
    request, response = _exchange("GET", "/v2/project/app/archive", 200, {"count": 0, "items": []})
    labelled = Response(200, response.body, {"Content-Type": "application/json; charset=utf-8"})
    assert vonage_spec.problems(request, labelled) == [
        "GET /v2/project/{application_id}/archive -> 200: Content-Type is 'application/json; charset=utf-8'"
    ]


def test_the_checker_reads_the_specs_error_alternatives_as_any_of(vonage_spec):
    conflict = {"code": 15001, "message": "session is already composed with code 409"}
    # a body every 'oneOf' alternative accepts, which 'oneOf' itself would refuse
    assert vonage_spec.problems(*_exchange("POST", "/v2/project/app/archive", 409, conflict)) == []
