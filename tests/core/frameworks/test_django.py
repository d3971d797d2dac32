"""anyvideo's Django app with Django's test client: the site of tests/support/webapps/djangosite
(``anyvideo.django`` installed, its URLs included at ``video/``), its ``ANYVIDEO`` setting
overridden with an offline Twilio connection whose auth token signs the callbacks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from support.frameworks import ROOM_SID, signed
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, UNREACHABLE

import anyvideo
from anyvideo import EventType

django = pytest.importorskip("django")

from django.test import Client, override_settings  # noqa: E402

from anyvideo.django import get_video, video_event  # noqa: E402

#: The offline Twilio connection, as ``settings.py`` would give it (keys in any case).
TWILIO = {
    "BACKEND": "twilio",
    "ACCOUNT_SID": TWILIO_ACCOUNT,
    "AUTH_TOKEN": TWILIO_TOKEN,
    "BASE_URL": f"http://{UNREACHABLE}",
}


@pytest.fixture(scope="module", autouse=True)
def site() -> Iterator[None]:
    """Django set up once with the site's settings (Django's settings are the process's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_SETTINGS_MODULE", "support.webapps.djangosite.settings")
        django.setup()
    yield


@pytest.fixture
def heard(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """What ``video_event`` receivers are sent, with ``ANYVIDEO`` set to the offline connection."""
    monkeypatch.setenv("WEBAPP_EVENTS", str(tmp_path / "events.jsonl"))  # the site's own receiver records there
    for variable in [name for name in os.environ if name.startswith(("ANYVIDEO_", "TWILIO_"))]:
        monkeypatch.delenv(variable)
    sent: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        sent.append(kwargs)

    video_event.connect(receiver, weak=False)
    try:
        with override_settings(ANYVIDEO=TWILIO):
            yield sent
    finally:
        video_event.disconnect(receiver)


def post(client: Client, path: str, url: str | None = None, **extra: Any) -> int:
    """POST a room-created callback to ``path``, signed for ``url`` (the URL the test client calls)."""
    headers, body = signed(url or f"http://testserver{path}")
    headers |= extra.pop("headers", {})
    answered = client.post(path, data=body, content_type=headers.pop("Content-Type"), headers=headers, **extra)
    return answered.status_code


@pytest.mark.parametrize("path", ["/video/callbacks", "/video/callbacks/"])
def test_each_event_is_sent_as_a_signal(heard: list[dict[str, Any]], path: str) -> None:
    assert post(Client(enforce_csrf_checks=True), path) == 204  # CSRF exempt, with or without the slash
    [sent] = heard
    assert sent["sender"] is anyvideo.Video and sent["video"] is get_video()
    assert sent["event"].type == EventType.ROOM_STARTED and sent["event"].room_id == ROOM_SID


def test_it_answers_as_the_adapters(heard: list[dict[str, Any]]) -> None:
    client = Client()
    assert post(client, "/video/callbacks", headers={"X-Twilio-Signature": "AAAA"}) == 403
    assert post(client, "/video/callbacks", url="http://elsewhere/video/callbacks") == 403
    assert client.put("/video/callbacks").status_code == 405
    headers, junk = signed("http://testserver/video/callbacks", {"Nothing": "here"})
    content_type = headers.pop("Content-Type")
    assert client.post("/video/callbacks", data=junk, content_type=content_type, headers=headers).status_code == 400
    assert heard == []


def test_a_receiver_that_fails_leaves_the_callback_to_the_providers_next_delivery(
    heard: list[dict[str, Any]],
) -> None:
    def down(**kwargs: Any) -> None:
        raise RuntimeError("the database is down")

    video_event.connect(down, weak=False)
    try:
        assert post(Client(raise_request_exception=False), "/video/callbacks") == 500
    finally:
        video_event.disconnect(down)
    assert post(Client(), "/video/callbacks") == 204  # delivered again: handled
    assert [sent["event"].type for sent in heard] == [EventType.ROOM_STARTED] * 2


def test_the_video_is_built_when_the_first_callback_arrives(heard: list[dict[str, Any]]) -> None:
    first = get_video()
    with override_settings(ANYVIDEO={"BACKEND": "no-such-backend"}):
        client = Client(raise_request_exception=False)
        assert client.get("/health").status_code == 200  # nothing built while no callback came
        assert post(client, "/video/callbacks") == 500  # the provider tries again once it is fixed
    assert get_video() is not first  # the setting changed: built anew
    assert first.backend_name == get_video().backend_name == "twilio"


def test_public_url_replaces_scheme_host_and_script_prefix(heard: list[dict[str, Any]]) -> None:
    public = "https://hooks.example.com/app"
    with override_settings(ANYVIDEO=TWILIO | {"PUBLIC_URL": public}, FORCE_SCRIPT_NAME="/app"):
        assert post(Client(), "/video/callbacks", url=f"{public}/video/callbacks") == 204
    assert len(heard) == 1


def test_djangos_own_proxy_settings_rebuild_the_public_url(heard: list[dict[str, Any]]) -> None:
    """What docs/webhooks.md says for a proxy that strips ``/app``: Django's settings, no anyvideo setting."""
    proxy = {"USE_X_FORWARDED_HOST": True, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}
    with override_settings(FORCE_SCRIPT_NAME="/app", ALLOWED_HOSTS=["hooks.example.com"], **proxy):
        forwarded = {"X-Forwarded-Host": "hooks.example.com", "X-Forwarded-Proto": "https"}
        url = "https://hooks.example.com/app/video/callbacks"
        assert post(Client(), "/video/callbacks", url=url, headers=forwarded) == 204
    assert len(heard) == 1
