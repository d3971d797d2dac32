"""Fidelity of the Twilio emulator to the spec and the published samples, with the
official ``twilio`` SDK and ``requests`` shaped as it sends them (form bodies)."""

from __future__ import annotations

import json
from typing import Any

import requests
from twilio.rest.video.v1 import V1

from anyvideo_twilio.emulator import TwilioEmulator

_LAYOUT = {"grid": {"video_sources": ["*"]}}


def _auth(server: TwilioEmulator) -> tuple[str, str]:
    creds = server.credentials
    return creds["api_key_sid"], creds["api_key_secret"]


# --- composition hooks ----------------------------------------------------------------


def test_a_hook_update_with_only_a_friendly_name_is_accepted_and_keeps_what_it_composes(
    twilio_video: V1, twilio_samples: dict[str, Any], twilio_server: Any
) -> None:
    hook = twilio_video.composition_hooks.create(
        friendly_name="every room",
        video_layout=_LAYOUT,
        audio_sources=["host*"],
        audio_sources_excluded=["guest*"],
        resolution="1280x720",
        format="mp4",
    )
    updated = twilio_video.composition_hooks(hook.sid).update(friendly_name="every room, renamed")
    assert updated.friendly_name == "every room, renamed"
    # what the hook composes is kept; the rest returns to Twilio's defaults, as a replacement does
    assert updated.video_layout == hook.video_layout
    assert (updated.audio_sources, updated.audio_sources_excluded) == (["host*"], ["guest*"])
    assert (updated.resolution, updated.format) == ("640x480", "webm")
    sample = twilio_samples["composition_hook__update_with_defaults_response"]
    assert sample["status"] == 200
    assert set(twilio_server.last_body("POST", hook.sid)) == set(sample["body"])


def test_a_hook_update_naming_audio_sources_only_replaces_the_layout(twilio_video: V1) -> None:
    hook = twilio_video.composition_hooks.create(friendly_name="audio and video", video_layout=_LAYOUT)
    updated = twilio_video.composition_hooks(hook.sid).update(friendly_name="audio only", audio_sources=["*"])
    assert (updated.video_layout, updated.audio_sources) == ({}, ["*"])


def test_a_form_shaped_hook_update_with_only_a_friendly_name_answers_200(twilio_server: TwilioEmulator) -> None:
    url = f"{twilio_server.base_url}/v1/CompositionHooks"
    created = requests.post(
        url, data={"FriendlyName": "form hook", "AudioSources": ["*"]}, auth=_auth(twilio_server), timeout=10
    )
    assert created.status_code == 201
    answer = requests.post(
        f"{url}/{created.json()['sid']}", data={"FriendlyName": "form hook 2"}, auth=_auth(twilio_server), timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["audio_sources"] == ["*"]
    assert json.loads(answer.text)["friendly_name"] == "form hook 2"
