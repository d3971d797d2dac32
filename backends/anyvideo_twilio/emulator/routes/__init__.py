"""The Twilio Video v1 REST routes, one mixin per family of resources."""

from anyvideo_twilio.emulator.routes.calls import CallRoutes
from anyvideo_twilio.emulator.routes.compositions import CompositionRoutes
from anyvideo_twilio.emulator.routes.control import ControlRoutes
from anyvideo_twilio.emulator.routes.media import MediaRoutes
from anyvideo_twilio.emulator.routes.messages import MessageRoutes
from anyvideo_twilio.emulator.routes.participants import ParticipantRoutes
from anyvideo_twilio.emulator.routes.recordings import RecordingRoutes
from anyvideo_twilio.emulator.routes.rooms import RoomRoutes
from anyvideo_twilio.emulator.routes.settings import SettingsRoutes
from anyvideo_twilio.emulator.routes.transcriptions import TranscriptionRoutes

__all__ = [
    "CallRoutes",
    "CompositionRoutes",
    "ControlRoutes",
    "MediaRoutes",
    "MessageRoutes",
    "ParticipantRoutes",
    "RecordingRoutes",
    "RoomRoutes",
    "SettingsRoutes",
    "TranscriptionRoutes",
]
