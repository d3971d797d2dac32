"""anyvideo: one Python API over real-time video platforms.

import anyvideo
video = anyvideo.connect()            # ANYVIDEO_BACKEND, else the embedded "local"
room = video.rooms.create("standup")
token = video.tokens.create(room, "ann")
"""

from anyvideo.backend import Backend, Feature
from anyvideo.client import Video, connect
from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    BackendNotFound,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    InvalidRequest,
    MissingExtra,
    NotFound,
    ProviderError,
    RateLimited,
    StatusUnreachable,
    Unreachable,
    UnsupportedFeature,
    WaitTimeout,
    WebhookVerificationError,
)
from anyvideo.extensions import UnsupportedExtension
from anyvideo.hookspecs import hookimpl
from anyvideo.messaging import Channel, DialIn, Invitation, Verification, VerificationStatus
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    EventType,
    Layout,
    LayoutKind,
    MediaFile,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Region,
    Resolution,
    Role,
    Room,
    RoomStatus,
    RtmpTarget,
    SelectBy,
    Selector,
    Stream,
    StreamKind,
    VideoSource,
)
from anyvideo.plugins import Plugins

# The one place the version is set: the build reads it from here ([tool.hatch.version]).
__version__ = "0.1.0"

__all__ = [
    "AccessToken",
    "AnyVideoError",
    "AuthenticationError",
    "Backend",
    "BackendNotFound",
    "Channel",
    "Composition",
    "CompositionOutput",
    "CompositionStatus",
    "ConfigurationError",
    "Conflict",
    "DeadlineExceeded",
    "DialIn",
    "Event",
    "EventType",
    "Feature",
    "Forbidden",
    "InvalidRequest",
    "Invitation",
    "Layout",
    "LayoutKind",
    "MediaFile",
    "MissingExtra",
    "NotFound",
    "Participant",
    "ParticipantStatus",
    "Plugins",
    "ProviderError",
    "RateLimited",
    "Recording",
    "RecordingMode",
    "RecordingStatus",
    "Region",
    "Resolution",
    "Role",
    "Room",
    "RoomStatus",
    "RtmpTarget",
    "SelectBy",
    "Selector",
    "StatusUnreachable",
    "Stream",
    "StreamKind",
    "Unreachable",
    "UnsupportedExtension",
    "UnsupportedFeature",
    "Verification",
    "VerificationStatus",
    "Video",
    "VideoSource",
    "WaitTimeout",
    "WebhookVerificationError",
    "connect",
    "hookimpl",
]
