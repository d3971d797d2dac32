"""The Twilio Video v1 REST routes, one mixin per family of resources."""

from anyvideo.testing.twilio.routes.compositions import CompositionRoutes
from anyvideo.testing.twilio.routes.control import ControlRoutes
from anyvideo.testing.twilio.routes.media import MediaRoutes
from anyvideo.testing.twilio.routes.participants import ParticipantRoutes
from anyvideo.testing.twilio.routes.recordings import RecordingRoutes
from anyvideo.testing.twilio.routes.rooms import RoomRoutes
from anyvideo.testing.twilio.routes.settings import SettingsRoutes

__all__ = [
    "CompositionRoutes",
    "ControlRoutes",
    "MediaRoutes",
    "ParticipantRoutes",
    "RecordingRoutes",
    "RoomRoutes",
    "SettingsRoutes",
]
