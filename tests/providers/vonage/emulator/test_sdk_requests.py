"""Vonage emulator: requests as the official server SDKs send them, in both credential
modes (application JWT as the ``vonage`` SDK signs it; the legacy project header as
the OpenTok SDKs do): form-encoded session options, trailing slashes, the settings of
automatic archives.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from support.vonage_requests import ApplicationRequests, OpenTokProject
from vonage_video.models import ListArchivesFilter, TokenOptions

from anyvideo.testing.server import Emulator


@pytest.fixture(params=["application", "project"])
def caller(request, vonage_server, vonage_client) -> Any:
    """The emulator's REST API as each kind of credentials reaches it; ``project_id`` is
    what goes into ``/v2/project/{…}``."""
    credentials = vonage_server.credentials
    if request.param == "application":
        return ApplicationRequests(vonage_server.base_url, credentials["application_id"], vonage_client)
    return OpenTokProject(vonage_server.base_url, credentials["api_key"], credentials["api_secret"])


def create(caller: Any, **form: str) -> requests.Response:
    return caller.post_form("/session/create", form)


def token_for(vonage_client, caller: Any, session_id: str) -> str:
    """A client token minted as that kind of client mints it."""
    if isinstance(caller, OpenTokProject):
        return caller.jwt_token(session_id)
    return vonage_client.video.generate_client_token(TokenOptions(session_id=session_id)).decode()


# --- form-encoded session options ----------------------------------------------------------


@pytest.mark.parametrize("location", ["null", ""])
def test_session_create_takes_a_null_or_empty_location_as_none(caller, location):
    answer = create(caller, location=location, **{"p2p.preference": "disabled", "archiveMode": "manual"})
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["project_id"] == caller.project_id


def test_session_create_still_refuses_a_location_that_is_no_address(caller):
    answer = create(caller, location="somewhere", **{"p2p.preference": "disabled"})
    assert answer.status_code == 400


# --- trailing slashes --------------------------------------------------------------------


def test_broadcasts_answer_with_a_trailing_slash(vonage_server, vonage_client, caller):
    session_id = create(caller, **{"p2p.preference": "disabled"}).json()[0]["session_id"]
    vonage_server.control.join(token_for(vonage_client, caller, session_id)).publish()
    base = f"/v2/project/{caller.project_id}/broadcast/"
    started = caller.post_json(base, {"sessionId": session_id, "outputs": {"hls": {}}})
    assert started.status_code == 200, started.text
    listed = caller.get(base)
    assert listed.status_code == 200 and [b["id"] for b in listed.json()["items"]] == [started.json()["id"]]
    got = caller.get(f"{base}{started.json()['id']}/")
    assert got.status_code == 200 and got.json()["id"] == started.json()["id"]


@pytest.mark.parametrize("path", ["/session/create/", "/v2/project/{project}/archive/"])
def test_other_paths_answer_with_a_trailing_slash_too(caller, path):
    path = path.format(project=caller.project_id)
    answer = caller.post_form(path, {}) if path.startswith("/session") else caller.get(path)
    assert answer.status_code == 200, answer.text


def test_trailing_slashes_are_an_emulator_option_off_by_default():
    from anyvideo_vonage.emulator import VonageEmulator

    assert Emulator.trailing_slash is False and VonageEmulator.trailing_slash is True


# --- automatic archives ------------------------------------------------------------------


def test_an_automatic_archive_takes_the_sessions_name_and_resolution(vonage_server, vonage_client, caller):
    form = {"archiveMode": "always", "archiveName": "weekly call", "archiveResolution": "1280x720"}
    answer = create(caller, **form, **{"p2p.preference": "disabled"})
    assert answer.status_code == 200, answer.text
    session_id = answer.json()[0]["session_id"]
    vonage_server.control.join(token_for(vonage_client, caller, session_id)).publish()
    archives = caller.get(f"/v2/project/{caller.project_id}/archive?sessionId={session_id}").json()["items"]
    assert [(a["name"], a["resolution"], a["outputMode"]) for a in archives] == [
        ("weekly call", "1280x720", "composed")
    ]


def test_the_sdk_reads_the_automatic_archives_settings(vonage_server, vonage_client):
    """The official SDK has no archive name option; the settings come from a form it would send."""
    app = ApplicationRequests(vonage_server.base_url, vonage_server.credentials["application_id"], vonage_client)
    form = {"archiveMode": "always", "archiveName": "auto", "archiveResolution": "1920x1080"}
    session_id = create(app, **form).json()[0]["session_id"]
    vonage_server.control.join(token_for(vonage_client, app, session_id))
    archives, _, _ = vonage_client.video.list_archives(ListArchivesFilter(session_id=session_id))
    assert [(a.name, a.resolution) for a in archives] == [("auto", "1920x1080")]


@pytest.mark.parametrize(
    "form",
    [
        {"archiveMode": "manual", "archiveName": "x"},
        {"archiveResolution": "1280x720"},
        {"archiveMode": "always", "archiveResolution": "1x1"},
        {"archiveMode": "always", "archiveName": "x" * 81},
    ],
    ids=["name without always", "resolution without always", "unknown resolution", "name too long"],
)
def test_bad_automatic_archive_settings_are_refused(caller, form):
    assert create(caller, **form).status_code == 400
