"""What only the Vonage face knows: the provider's options and bookkeeping that
the provider-neutral world has no words for (stream modes, tags, layout
classes, force-mute, SIP calls, captions, Experience Composers)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import attrs

__all__ = ["ArchiveState", "BroadcastState", "Captions", "FaceState", "Render", "SessionState", "SipCall"]


@attrs.define
class ArchiveState:
    """An archive's Vonage options, and what changed since it started."""

    output_mode: str
    stream_mode: str = "auto"
    multi_archive_tag: str = ""
    layout: dict[str, Any] | None = None
    max_bitrate: int | None = None
    quantization_parameter: int | None = None
    transcription: dict[str, Any] | None = None
    #: streamMode "manual": the streams chosen, as stream id -> (hasAudio, hasVideo).
    streams: dict[str, tuple[bool, bool]] = attrs.field(factory=dict)
    #: Started by the platform for a session archived "always".
    automatic: bool = False
    #: Why it stopped, when the application (or the session's end) stopped it.
    reason: str | None = None
    #: Whether the "stopped" status callback went out.
    stopped_sent: bool = False
    changed_at: datetime | None = None


@attrs.define
class BroadcastState:
    """A broadcast's Vonage options."""

    stream_mode: str = "auto"
    multi_broadcast_tag: str = ""
    layout: dict[str, Any] | None = None
    max_bitrate: int | None = None
    max_duration: int = 0
    hls: dict[str, bool] | None = None
    streams: dict[str, tuple[bool, bool]] = attrs.field(factory=dict)
    changed_at: datetime | None = None


@attrs.define
class SessionState:
    """Per session: the force-mute state and who is connected (for session monitoring)."""

    force_mute: bool = False
    mute_excluded: frozenset[str] = frozenset()
    connected: set[str] = attrs.field(factory=set)


@attrs.define
class SipCall:
    id: str
    session_id: str
    connection_id: str
    stream_id: str
    created_at: datetime


@attrs.define
class Captions:
    id: str
    session_id: str
    ends_at: datetime
    stopped: bool = False


@attrs.define
class Render:
    """An Experience Composer: a connection that publishes one composed stream."""

    id: str
    session_id: str
    connection_id: str
    stream_id: str
    url: str
    resolution: str
    created_at: datetime
    ends_at: datetime
    name: str | None = None
    status: str = "started"
    reason: str | None = None
    updated_at: datetime | None = None


@attrs.define
class FaceState:
    """Everything above, by id, behind one lock (handlers run on many threads)."""

    lock: threading.RLock = attrs.field(factory=threading.RLock)
    sessions: dict[str, SessionState] = attrs.field(factory=dict)
    archives: dict[str, ArchiveState] = attrs.field(factory=dict)
    broadcasts: dict[str, BroadcastState] = attrs.field(factory=dict)
    #: stream id -> its layout classes.
    layout_classes: dict[str, list[str]] = attrs.field(factory=dict)
    #: connection id -> the layout classes its token gave its streams.
    initial_classes: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: connections the application force-disconnected.
    forced: set[str] = attrs.field(factory=set)
    sip_calls: dict[str, SipCall] = attrs.field(factory=dict)
    captions: dict[str, Captions] = attrs.field(factory=dict)
    renders: dict[str, Render] = attrs.field(factory=dict)
    #: archive id -> (size, sha256) of its download, once made.
    downloads: dict[str, tuple[int, str]] = attrs.field(factory=dict)

    def session(self, session_id: str) -> SessionState:
        with self.lock:
            return self.sessions.setdefault(session_id, SessionState())
