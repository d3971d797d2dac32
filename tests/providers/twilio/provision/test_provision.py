"""``anyvideo provision twilio`` against the emulator's Keys (REST API 2010): a new key
whose SID and secret then work for the Video API and its access tokens, the secret
printed once, and the status callback the backend gives its rooms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from support.receiver import Receiver
from twilio.base.exceptions import TwilioRestException

import anyvideo
from anyvideo import ConfigurationError
from anyvideo.cli import cli
from anyvideo.provisioning import WEBHOOK_PATH, provision


@pytest.fixture
def emulator(anyvideo_emulator: Any) -> Any:
    return anyvideo_emulator("twilio")


@pytest.fixture
def account(emulator: Any) -> dict[str, str]:
    """The account's SID and auth token, and where the emulator is: no API key."""
    environment = emulator.backend_environment
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_VIDEO_BASE_URL")
    return {name: environment[name] for name in names}


def test_the_new_key_works_for_the_video_api_and_tokens(emulator, account) -> None:
    with Receiver() as receiver:
        public_url = receiver.url("/clinic")
        result = CliRunner().invoke(
            cli, ["provision", "twilio", "--name", "clinic", "--public-url", public_url, "--json"], env=account
        )
        assert result.exit_code == 0, result.output
        done = json.loads(result.output)
        settings = done["settings"]
        key = emulator.api_keys.get(settings["TWILIO_API_KEY_SID"])
        assert key.friendly_name == "clinic" and settings["TWILIO_API_KEY_SECRET"] == key.secret
        assert settings["TWILIO_STATUS_CALLBACK"] == public_url + WEBHOOK_PATH

        # the key alone (no auth token): REST calls and the access tokens it signs
        environ = {k: v for k, v in settings.items() if k != "TWILIO_AUTH_TOKEN"}
        with anyvideo.connect(environ=environ) as video:
            room = video.rooms.create("consult")
            token = video.tokens.create(room, "doctor")
            client = emulator.control.join(token.token)
            assert [p.identity for p in video.participants.list(room)] == ["doctor"]
            client.leave()
        emulator.callbacks.flush()
        events = {item["params"].get("StatusCallbackEvent") for item in receiver.at("/clinic" + WEBHOOK_PATH)}
        assert {"room-created", "participant-connected"} <= events


def test_each_run_makes_a_key_and_shows_its_secret_once(emulator, account) -> None:
    first = provision("twilio", name="clinic", public_url="https://clinic.example", environ=account)
    second = provision("twilio", name="clinic", public_url="https://clinic.example", environ=account)
    assert first.settings["TWILIO_API_KEY_SID"] != second.settings["TWILIO_API_KEY_SID"]
    assert first.settings["TWILIO_API_KEY_SECRET"] not in repr(first)
    assert "export TWILIO_API_KEY_SECRET=" in first.exports()


def test_the_sdk_reads_lists_and_deletes_keys(emulator, account) -> None:
    done = provision("twilio", name="clinic", public_url="https://clinic.example", environ=account)
    sid = done.settings["TWILIO_API_KEY_SID"]
    with anyvideo.connect("twilio", environ=account) as video:
        keys = video.native.api.v2010.accounts(account["TWILIO_ACCOUNT_SID"]).keys
        assert [k.sid for k in keys.list()] == [sid]
        assert keys(sid).fetch().friendly_name == "clinic"
        assert keys(sid).update(friendly_name="renamed").friendly_name == "renamed"
        assert keys(sid).delete() is True
        assert keys.list() == []
    environ = {**done.settings, "TWILIO_VIDEO_BASE_URL": account["TWILIO_VIDEO_BASE_URL"]}
    with anyvideo.connect(environ=environ, retries=0) as deleted, pytest.raises(anyvideo.AuthenticationError):
        deleted.rooms.create("after")


def test_an_api_key_cannot_make_keys(emulator) -> None:
    environ = {k: v for k, v in emulator.backend_environment.items() if k != "TWILIO_AUTH_TOKEN"}
    with pytest.raises(ConfigurationError, match="TWILIO_AUTH_TOKEN"):
        provision("twilio", name="x", public_url="https://x.example", environ=environ)
    with anyvideo.connect(environ=environ) as video, pytest.raises(TwilioRestException) as refused:
        video.native.api.v2010.accounts(environ["TWILIO_ACCOUNT_SID"]).new_keys.create(friendly_name="x")
    assert refused.value.status == 401


@pytest.mark.parametrize("asked", [{"rotate_key": True}, {"key_file": "twilio.key"}])
def test_key_pair_options_are_refused_before_any_request(emulator, account, asked) -> None:
    with pytest.raises(anyvideo.InvalidRequest) as refused:
        provision("twilio", name="x", public_url="https://x.example", environ=account, **asked)
    assert refused.value.field == next(iter(asked))
    assert emulator.api_keys.all() == []
