"""The seed's exact answers, where they differ from what a framework does by default: bodies
the seed marks optional may be left out, ``DELETE /archives/{archiveId}`` is a 200 with a
text body, ending twice is refused, the third party's webhook answers 204."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from support.meetings import Api

from anyvideo import Video


def test_a_meeting_is_created_without_a_body(api: Api) -> None:
    """The seed's ``POST /session`` body is ``required: false``."""
    answer = api.client.post("/session", headers=api.headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert api.token(answer.text)["sessionId"]


def test_an_edit_without_a_body_changes_nothing(service: tuple[FastAPI, Api]) -> None:
    """The seed's ``PATCH /session/{meetingLinkId}`` body is ``required: false``."""
    app, api = service
    link = api.create(extId="crm-1")
    answer = api.client.patch(f"/session/{link}", headers=api.headers)
    assert (answer.status_code, answer.text) == (204, "")
    ended = api.client.patch("/session/nosuchmeeting", headers=api.headers)
    assert ended.status_code == 404


def test_ending_answers_204_once_then_409(api: Api) -> None:
    link = api.create()
    first = api.client.patch(f"/session/{link}/end", headers=api.headers)
    assert (first.status_code, first.text) == (204, "")
    second = api.client.patch(f"/session/{link}/end", headers=api.headers)
    assert second.status_code == 409 and second.json()["detail"] == "the meeting has already ended"


def test_the_webhook_answers_204_without_a_body(api: Api) -> None:
    link = api.create()
    answer = api.webhook({"meetingLinkId": link, "attendee": "dial-in", "event": "joined"})
    assert (answer.status_code, answer.text) == (204, "")


@pytest.mark.parametrize(
    ("method", "path", "required"),
    [("post", "/session", False), ("patch", "/session/{meetingLinkId}", False), ("post", "/webhooks/session", True)],
)
def test_the_document_says_which_bodies_are_optional(api: Api, method: str, path: str, required: bool) -> None:
    document = api.client.get("/openapi.json").json()
    assert document["paths"][path][method]["requestBody"].get("required", False) is required


def test_the_document_says_delete_answers_200_with_text(api: Api, local_video: Video) -> None:
    document = api.client.get("/openapi.json").json()
    responses = document["paths"]["/archives/{archiveId}"]["delete"]["responses"]
    assert "204" not in responses and list(responses["200"]["content"]) == ["text/plain"]
