"""The Twilio Video v1 emulator: every route family on one face."""

from __future__ import annotations

from anyvideo.testing.server import EmulatorSetting
from anyvideo_twilio.emulator.devices import TwilioDevices
from anyvideo_twilio.emulator.keys import KeyRoutes
from anyvideo_twilio.emulator.routes import (
    CallRoutes,
    CompositionRoutes,
    ControlRoutes,
    MediaRoutes,
    MessageRoutes,
    ParticipantRoutes,
    RecordingRoutes,
    RoomRoutes,
    SettingsRoutes,
    TranscriptionRoutes,
)

__all__ = ["TwilioEmulator"]


class TwilioEmulator(
    RoomRoutes,
    ParticipantRoutes,
    RecordingRoutes,
    CompositionRoutes,
    SettingsRoutes,
    TranscriptionRoutes,
    MediaRoutes,
    MessageRoutes,
    ControlRoutes,
    KeyRoutes,
    CallRoutes,
):
    """Twilio Video's REST API (``https://video.twilio.com/v1``) on loopback.

    Point the official SDK at it::

        with TwilioEmulator() as twilio:
            creds = twilio.credentials
            client = Client(creds["api_key_sid"], creds["api_key_secret"], creds["account_sid"])
            client.video.base_url = twilio.base_url
            room = client.video.v1.rooms.create(unique_name="standup")

    Credentials are random unless given (``account_sid``, ``auth_token``,
    ``api_key_sid``, ``api_key_secret``); other keyword arguments go to
    :class:`~anyvideo.testing.Emulator` (``clock``, ``processing_delay``, ...).
    """

    devices_class = TwilioDevices
    command_settings = (
        EmulatorSetting(
            "account-sid", "account_sid", "The account SID.", pattern="AC[0-9a-fA-F]{32}", form="AC and 32 hex digits"
        ),
        EmulatorSetting("auth-token", "auth_token", "The account's auth token (it also signs callbacks).", secret=True),
        EmulatorSetting(
            "api-key-sid", "api_key_sid", "An API key's SID.", pattern="SK[0-9a-fA-F]{32}", form="SK and 32 hex digits"
        ),
        EmulatorSetting("api-key-secret", "api_key_secret", "That API key's secret.", secret=True),
    )
