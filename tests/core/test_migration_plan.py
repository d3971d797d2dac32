"""The settings plan between the two emulators: a Twilio account with hooks,
storage settings and a callback URL, planned onto Vonage and applied twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import anyvideo
from anyvideo import Layout, Video
from anyvideo.migrate.plan import apply_plan, make_plan
from anyvideo.testing import Emulator
from anyvideo_twilio.extensions import StorageSettings

CALLBACK = "https://app.example.com/video/callbacks"
BUCKET = "https://acme-media.s3.amazonaws.com/recordings"
CREDENTIAL = "CR" + "a" * 32


@pytest.fixture
def twilio(twilio_emulator: Emulator) -> Iterator[Video]:
    with anyvideo.connect("twilio", environ={}, status_callback=CALLBACK, **twilio_emulator.backend_settings) as video:
        video.ext.create_composition_hook("all-rooms", layout=Layout.pip(), format="webm", resolution="1280x720")
        video.ext.create_composition_hook("old-hook", layout=Layout.grid(), enabled=False)
        video.ext.set_recording_settings(
            StorageSettings(
                "media in our bucket",
                aws_storage_enabled=True,
                aws_credentials_sid=CREDENTIAL,
                aws_s3_url=BUCKET,
                encryption_enabled=True,
                encryption_key_sid="CR" + "b" * 32,
            )
        )
        yield video


@pytest.fixture
def vonage(vonage_emulator: Emulator) -> Iterator[Video]:
    with anyvideo.connect("vonage", environ={}, **vonage_emulator.backend_settings) as video:
        yield video


EXPECTED_SETTINGS = [
    {
        "kind": "auto_composition",
        "name": "all-rooms",
        "action": "apply",
        "target": "new sessions are created with archive_mode='always': each is recorded in a composed archive",
        "change": {"room_defaults": {"archive_mode": "always"}},
    },
    {
        "kind": "auto_composition",
        "name": "old-hook",
        "action": "nothing",
        "target": "nothing: the source does not use it now",
        "change": {},
    },
    {
        "kind": "external_storage",
        "name": "recordings storage",
        "action": "manual",
        "target": f"set the account's archive upload target to {BUCKET} in the Vonage dashboard"
        " (the Video API has no call for it)",
        "change": {},
    },
    {
        "kind": "callback_url",
        "name": "status callbacks",
        "action": "manual",
        "target": f"set the application's session-monitoring, archive and broadcast callback URLs to {CALLBACK}"
        " (dashboard or Application API), signed, and give anyvideo the secret as VONAGE_SIGNATURE_SECRET",
        "change": {},
    },
]


def test_the_plan_from_twilio_to_vonage_is_what_the_settings_say(twilio: Video, vonage: Video) -> None:
    plan = make_plan(twilio.backend, vonage.backend).to_json()
    assert (plan["from"], plan["to"]) == ("twilio", "vonage")
    shown = [{k: s[k] for k in ("kind", "name", "action", "target", "change")} for s in plan["settings"]]
    assert shown == EXPECTED_SETTINGS
    assert plan["settings"][0]["source"]["format"] == "webm"
    assert plan["settings"][2]["source"] == {"media": "recordings", "url": BUCKET, "encrypted": True}
    assert set(plan["lost_features"]) == {
        "post_hoc_composition",
        "max_participants",
        "recording_rules",
        "subscribe_rules",
        "composition_hooks",
        "external_storage",
    }
    hint = vonage.backend.feature_hints[anyvideo.Feature.COMPOSITION_HOOKS]
    assert plan["lost_features"]["composition_hooks"] == hint
    assert plan["code_changes"][0].startswith(f"load {vonage.backend.client_sdk}")


def vonage_state(vonage: Video, emulator: Emulator) -> tuple[Any, ...]:
    entries = vonage.backend.registry.find("settings")
    registry = sorted((key, json.dumps(entry, sort_keys=True)) for key, entry in entries)
    world = (len(list(emulator.world.rooms())), len(list(emulator.world.recordings())))
    return registry, world


def test_applying_twice_leaves_vonage_as_applying_once(twilio: Video, vonage: Video, vonage_emulator: Emulator) -> None:
    plan = make_plan(twilio.backend, vonage.backend)
    assert [s.setting.name for s in apply_plan(plan, vonage.backend)] == ["all-rooms"]
    once = vonage_state(vonage, vonage_emulator)
    assert apply_plan(plan, vonage.backend) == []
    assert vonage_state(vonage, vonage_emulator) == once


def test_a_room_opened_after_the_plan_is_archived_always(twilio: Video, vonage: Video) -> None:
    apply_plan(make_plan(twilio.backend, vonage.backend), vonage.backend)
    room = vonage.rooms.create("after-the-move")
    assert room.raw.get("archive_mode") == "always"
    chosen = vonage.rooms.create("chosen", provider_options={"archive_mode": "manual"})
    assert chosen.raw.get("archive_mode") == "manual"


def test_the_way_back_makes_a_composition_hook_once(twilio: Video, vonage: Video, twilio_emulator: Emulator) -> None:
    apply_plan(make_plan(twilio.backend, vonage.backend), vonage.backend)
    back = make_plan(vonage.backend, twilio.backend)
    assert [(s.setting.kind, s.action.value) for s in back.steps] == [("auto_composition", "apply")]
    hooks_before = {h.name for h in twilio.ext.list_composition_hooks()}
    assert len(apply_plan(back, twilio.backend)) == 1
    assert apply_plan(back, twilio.backend) == []
    assert {h.name for h in twilio.ext.list_composition_hooks()} == hooks_before | {"archive every session"}


def test_the_command_prints_the_plan_as_json_and_applies_it(
    twilio: Video, twilio_emulator: Emulator, vonage_emulator: Emulator, tmp_path
) -> None:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))},
        **twilio_emulator.backend_environment,
        **vonage_emulator.backend_environment,
        "TWILIO_STATUS_CALLBACK": CALLBACK,
        "ANYVIDEO_REGISTRY": str(tmp_path / "registry.db"),
    }

    def plan(*options: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "anyvideo.cli", "migrate", "plan", "--from", "twilio", "--to", "vonage"]
        done = subprocess.run([*command, "--json", *options], env=environ, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert plan()["settings"][0]["action"] == "apply"
    assert plan("--apply")["applied"] == ["auto_composition: all-rooms"]
    assert plan("--apply")["applied"] == []
