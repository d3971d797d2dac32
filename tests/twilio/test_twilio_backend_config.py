"""Configuration: keyword settings, then the environment given to connect;
the endpoint is anyvideo's to decide, never stray TWILIO_REGION/TWILIO_EDGE."""

from __future__ import annotations

import pytest
from twilio.rest import Client
from twilio_backend_support import settings_of

import anyvideo
from anyvideo import StreamKind
from anyvideo.errors import ConfigurationError
from anyvideo.testing import Emulator
from anyvideo_twilio import TwilioBackend


def test_connects_from_keyword_settings(twilio_emulator: Emulator):
    with anyvideo.connect("twilio", environ={}, **settings_of(twilio_emulator)) as video:
        assert isinstance(video.backend, TwilioBackend)
        assert video.rooms.create("from-keywords").name == "from-keywords"


def test_connects_from_the_environment_it_is_given(twilio_emulator: Emulator):
    creds = twilio_emulator.credentials
    environ = {
        "TWILIO_ACCOUNT_SID": creds["account_sid"],
        "TWILIO_API_KEY_SID": creds["api_key_sid"],
        "TWILIO_API_KEY_SECRET": creds["api_key_secret"],
        "TWILIO_VIDEO_BASE_URL": twilio_emulator.base_url,
    }
    with anyvideo.connect("twilio", environ=environ) as video:
        assert video.rooms.create("from-environ").name == "from-environ"


def test_an_auth_token_alone_drives_the_rest_api_but_mints_no_tokens(twilio_emulator: Emulator):
    creds = twilio_emulator.credentials
    settings = {"account_sid": creds["account_sid"], "auth_token": creds["auth_token"]}
    with anyvideo.connect("twilio", environ={}, base_url=twilio_emulator.base_url, **settings) as video:
        room = video.rooms.create("token-less")
        with pytest.raises(ConfigurationError, match="api_key_sid"):
            video.tokens.create(room, "ann")


def test_native_is_the_configured_sdk_client(video):
    assert isinstance(video.native, Client)
    assert video.native.video.base_url == video.backend.base_url
    assert video.native.video.v1.rooms.create(unique_name="native").unique_name == "native"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"colour": "blue"}, "colour"),
        ({"account_sid": None}, "account_sid"),
        ({"account_sid": "not-a-sid"}, "account_sid"),
        ({"api_key_secret": None}, "api_key_secret"),
        ({"api_key_sid": "SKnope"}, "api_key_sid"),
        ({"base_url": "ftp://127.0.0.1"}, "base_url"),
        ({"base_url": "http://127.0.0.1:1/v1"}, "base_url"),
        ({"region": "ie1"}, "region"),
        ({"timeout": 0}, "timeout"),
        ({"retries": "many"}, "retries"),
        ({"page_size": 101}, "page_size"),
        ({"auth_token": []}, "auth_token"),
        ({"auth_token": ["ok-token", 7]}, "auth_token"),
    ],
)
def test_bad_settings_are_refused_by_name(twilio_emulator: Emulator, settings, named):
    merged = {**settings_of(twilio_emulator), **settings}
    with pytest.raises(ConfigurationError, match=named):
        anyvideo.connect("twilio", environ={}, **{k: v for k, v in merged.items() if v is not None})


def test_no_credentials_at_all_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="account_sid"):
        anyvideo.connect("twilio", environ={})


def test_secrets_never_appear_in_reprs_or_errors(twilio_emulator: Emulator, video):
    creds = twilio_emulator.credentials
    shown = repr(video.backend) + repr(video.backend.settings) + repr(video)
    with pytest.raises(ConfigurationError) as caught:
        anyvideo.connect("twilio", environ={}, **settings_of(twilio_emulator), colour="blue")
    shown += str(caught.value)
    for secret in (creds["api_key_secret"], creds["auth_token"]):
        assert secret not in shown


def test_stray_region_and_edge_in_the_process_environment_do_not_move_the_endpoint(
    twilio_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    # The SDK reads these from os.environ even when given an explicit environment,
    # and a region turns http://127.0.0.1:PORT into http://127.0.0.ie1.1:PORT.
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    with anyvideo.connect("twilio", environ={}, **settings_of(twilio_emulator)) as video:
        room = video.rooms.create("still-here")
        assert video.rooms.get(room).name == "still-here"
        assert (video.native.region, video.native.edge) == (None, None)


def test_stray_region_does_not_move_the_endpoint_when_the_environment_is_the_process_one(
    twilio_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    for name, value in settings_of(twilio_emulator).items():
        variable = {"base_url": "TWILIO_VIDEO_BASE_URL"}.get(name, f"TWILIO_{name.upper()}")
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("TWILIO_REGION", "au1")
    with anyvideo.connect("twilio") as video:
        assert video.rooms.create("process-environ").status == "open"


def test_browser_needs_an_emulator_base_url(twilio_emulator: Emulator):
    creds = twilio_emulator.credentials
    with anyvideo.connect("twilio", environ={}, **creds) as video:
        with pytest.raises(ConfigurationError, match="client SDKs"):
            video.backend.browser()


def test_recording_windows_survive_a_new_connection_through_a_registry_file(connect_twilio, tmp_path):
    first = connect_twilio(registry=str(tmp_path / "registry.db"))
    room = first.rooms.create("kept")
    first.backend.browser().join(first.tokens.create(room, "ann")).publish(StreamKind.AUDIO)
    recording = first.recordings.start(room, mode="individual")
    second = connect_twilio(registry=str(tmp_path / "registry.db"))
    assert second.recordings.get(recording.id).status == "recording"
    assert second.recordings.stop(recording.id).status == "processing"
