"""``anyvideo migrate plan --apply`` onto Vonage sets the callback URLs it used to leave to a
person, through the Application API, when the backend has the account's key and secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import anyvideo
from anyvideo import Video
from anyvideo.migrate.plan import apply_plan, make_plan
from anyvideo_vonage.provision import VIDEO_WEBHOOKS

CALLBACK = "https://app.example.com/webhooks/provider"


@pytest.fixture
def twilio(twilio_emulator: Any) -> Iterator[Video]:
    with anyvideo.connect("twilio", environ={}, status_callback=CALLBACK, **twilio_emulator.backend_settings) as video:
        yield video


def _vonage(emulator: Any, **account: str) -> Video:
    return anyvideo.connect("vonage", environ={}, **emulator.backend_settings, **account)


def test_the_callback_step_is_applied_once(twilio: Video, vonage_emulator: Any) -> None:
    account = {"api_key": vonage_emulator.application.api_key, "api_secret": vonage_emulator.application.api_secret}
    with _vonage(vonage_emulator, **account) as vonage:
        plan = make_plan(twilio.backend, vonage.backend)
        [step] = [step for step in plan.steps if step.setting.kind == "callback_url"]
        assert (step.action.value, dict(step.change)) == ("apply", {"callbacks": CALLBACK})
        assert not [change for change in plan.code_changes if "callback" in change]

        assert "callback_url" in [s.setting.kind for s in apply_plan(plan, vonage.backend)]
        own = vonage_emulator.applications.get(vonage_emulator.application.application_id)
        assert own.capabilities["video"]["webhooks"] == {
            slot: {"address": CALLBACK, "active": True} for slot in VIDEO_WEBHOOKS
        }
        assert vonage_emulator.callback_settings.describe()["session"] == CALLBACK
        assert "callback_url" not in [s.setting.kind for s in apply_plan(plan, vonage.backend)]


def test_without_the_accounts_key_it_stays_a_manual_step(twilio: Video, vonage_emulator: Any) -> None:
    with _vonage(vonage_emulator) as vonage:
        [step] = [s for s in make_plan(twilio.backend, vonage.backend).steps if s.setting.kind == "callback_url"]
    assert step.action.value == "manual" and "VONAGE_API_KEY" in (step.consequence or "")


def test_the_key_and_secret_go_together(vonage_emulator: Any) -> None:
    with pytest.raises(anyvideo.ConfigurationError, match="go together"):
        _vonage(vonage_emulator, api_key="12345678")
