"""Configuration: keyword settings, then the environment given to connect;
the endpoint is anyvideo's to decide, never stray TWILIO_REGION/TWILIO_EDGE."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.rest import Client

import anyvideo
from anyvideo import StreamKind
from anyvideo.errors import ConfigurationError
from anyvideo.testing import Emulator
from anyvideo_twilio import TwilioBackend


def test_connects_from_keyword_settings(twilio_emulator: Emulator):
    with anyvideo.connect("twilio", environ={}, **twilio_emulator.backend_settings) as video:
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
        # SIDs of the wrong shape: AC / SK followed by 32 hex digits
        ({"account_sid": "AC" + "g" * 32}, "account_sid"),
        ({"account_sid": "AC" + "a" * 31}, "account_sid"),
        ({"account_sid": "SK" + "a" * 32}, "account_sid"),
        ({"api_key_sid": "AC" + "a" * 32}, "api_key_sid"),
        ({"api_key_sid": "SK" + "a" * 33}, "api_key_sid"),
        ({"api_key_sid": " SK" + "a" * 32}, "api_key_sid"),
        ({"rate": 0}, "rate"),
        ({"status_callback": "not a url"}, "status_callback"),
        ({"status_callback": "ftp://example.com/x"}, "status_callback"),
        ({"status_callback": "https://example.com/x", "status_callback_method": "PUT"}, "status_callback_method"),
        ({"status_callback_method": "GET"}, "status_callback"),
    ],
)
def test_bad_settings_are_refused_by_name(twilio_emulator: Emulator, settings, named):
    merged = {**twilio_emulator.backend_settings, **settings}
    with pytest.raises(ConfigurationError, match=named):
        anyvideo.connect("twilio", environ={}, **{k: v for k, v in merged.items() if v is not None})


def test_no_credentials_at_all_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="account_sid"):
        anyvideo.connect("twilio", environ={})


def test_secrets_never_appear_in_reprs_or_errors(twilio_emulator: Emulator, video):
    creds = twilio_emulator.credentials
    shown = repr(video.backend) + repr(video.backend.settings) + repr(video)
    with pytest.raises(ConfigurationError) as caught:
        anyvideo.connect("twilio", environ={}, **twilio_emulator.backend_settings, colour="blue")
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
    with anyvideo.connect("twilio", environ={}, **twilio_emulator.backend_settings) as video:
        room = video.rooms.create("still-here")
        assert video.rooms.get(room).name == "still-here"
        assert (video.native.region, video.native.edge) == (None, None)


def test_stray_region_does_not_move_the_endpoint_when_the_environment_is_the_process_one(
    twilio_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    for name, value in twilio_emulator.backend_settings.items():
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


# --- status_callback: the application's callback URL, by configuration alone -----------------------


class Heard:
    """An ``anyvideo_event`` hook: what the application received."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    @anyvideo.hookimpl
    def anyvideo_event(self, event: Any, video: Any) -> None:
        self.events.append(event)


def test_the_status_callback_setting_reaches_rooms_compositions_and_hooks(twilio_emulator: Emulator):
    from anyvideo import StreamKind
    from anyvideo.testing import WebhookServer

    heard = Heard()
    plugins = anyvideo.Plugins(["twilio"], extra=[heard], environ={})
    # The URL is known once the receiver listens; a second connection carries it (as an app's config would).
    with anyvideo.connect("twilio", environ={}, plugins=plugins, **twilio_emulator.backend_settings) as receiving:
        with WebhookServer(receiving) as server:
            environ = {"TWILIO_STATUS_CALLBACK": server.url}
            with anyvideo.connect("twilio", environ=environ, **twilio_emulator.backend_settings) as video:
                assert video.backend.settings.status_callback == server.url
                room = video.rooms.create("called-back")
                browser = video.backend.browser()
                browser.join(video.tokens.create(room, "ann")).publish(StreamKind.AUDIO)
                video.recordings.stop(video.recordings.start(room, mode="individual"))
                video.rooms.end(room)
                twilio_emulator.control.advance(3)
                composition = video.compositions.start(room)
                twilio_emulator.control.advance(10)
                hook = video.ext.create_composition_hook("every-room")
                twilio_emulator.callbacks.flush()
            raw_room = twilio_emulator.world.get_room(room.id).options
            assert (raw_room["status_callback"], raw_room["status_callback_method"]) == (server.url, "POST")
            assert twilio_emulator.state.compositions[composition.id].params.status_callback == server.url
            assert hook.status_callback == server.url
    types = {event.type for event in heard.events}
    assert {"room.started", "participant.joined", "room.ended"} <= types
    assert any(event.type.startswith("composition.") for event in heard.events)
    assert all(event.provider == "twilio" for event in heard.events)


def test_options_given_per_object_win_over_the_setting(connect_twilio, emulator):
    video = connect_twilio(status_callback="https://app.example.com/twilio", status_callback_method="get")
    assert video.backend.settings.status_callback_method == "GET"
    default = video.rooms.create("default")
    own = video.rooms.create("own", provider_options={"status_callback": "https://other.example.com/cb"})
    method_only = video.rooms.create("method-only", provider_options={"status_callback_method": "POST"})
    options = {room.name: emulator.world.get_room(room.id).options for room in (default, own, method_only)}
    assert (options["default"]["status_callback"], options["default"]["status_callback_method"]) == (
        "https://app.example.com/twilio",
        "GET",
    )
    assert (options["own"]["status_callback"], options["own"]["status_callback_method"]) == (
        "https://other.example.com/cb",
        "POST",
    )
    assert options["method-only"]["status_callback"] == "https://app.example.com/twilio"
    assert options["method-only"]["status_callback_method"] == "POST"
    hook = video.ext.create_composition_hook("own-hook", status_callback="https://other.example.com/hook")
    assert hook.status_callback == "https://other.example.com/hook"


def test_without_the_setting_nothing_is_called_back(video, emulator):
    room = video.rooms.create("quiet")
    assert emulator.world.get_room(room.id).options["status_callback"] is None
