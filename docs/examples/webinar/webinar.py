"""A webinar on any anyvideo backend.

A host presents with a camera and a screen share to an audience; viewers
watch (with tokens that cannot publish, where the provider's tokens carry
roles); the talk is recorded with the host large and the slides beside, and
broadcast live where the provider can; the host chats to everyone, removes
a heckler, mutes the audience, and ends the webinar; the recording is
downloaded once it is available. What happens in the room arrives as events:
in process on the local backend, by webhook from a provider.

Nothing here names a provider: ``ANYVIDEO_BACKEND`` and the provider's own
variables decide where it runs, and every difference between providers is a
``video.supports(...)`` question.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import anyvideo
from anyvideo import (
    Composition,
    CompositionOutput,
    Event,
    Feature,
    Layout,
    Participant,
    ParticipantStatus,
    Recording,
    Region,
    Role,
    Room,
    Selector,
    Stream,
    Video,
    VideoSource,
)


def stage(host: str) -> Layout:
    """The host's camera large on the left, whatever is shared as a screen beside it."""
    return Layout.custom(
        [
            Region("host", x=0, y=0, width=0.7, height=1, sources=[Selector(identity=host, source=VideoSource.CAMERA)]),
            Region("screen", x=0.7, y=0, width=0.3, height=1, sources=[Selector(source=VideoSource.SCREEN)]),
        ]
    )


class Webinar:
    """One webinar, ``title``, hosted by ``host``, kept in ``video``; the recording goes to ``downloads``."""

    def __init__(self, video: Video, title: str, host: str, downloads: Path) -> None:
        self.video = video
        self.title = title
        self.host = host
        self.downloads = downloads
        self.layout = stage(host)
        self.room: Room = video.rooms.create(f"webinar-{title}")
        self.recording: Recording | None = None
        self.broadcast: Composition | None = None
        #: How many times each (event type, subject id) arrived: one per transition.
        self.seen: Counter[tuple[str, str]] = Counter()
        self.present: set[str] = set()
        #: The video streams published, as the platform reported them.
        self.on_screen: set[str] = set()
        self._changed = threading.Condition()
        video.plugins.manager.register(self)

    def close(self) -> None:
        self.video.plugins.manager.unregister(self)

    # --- who may join, and how ----------------------------------------------

    @property
    def viewers_can_publish(self) -> bool:
        """Whether a viewer's token would let them publish (where tokens carry no roles)."""
        return not self.video.supports(Feature.TOKEN_ROLES)

    def host_ticket(self) -> str:
        """The host's token: publish, and moderate where the provider has roles."""
        role = Role.MODERATOR if self.video.supports(Feature.TOKEN_ROLES) else Role.PUBLISHER
        return self.video.tokens.create(self.room, self.host, role=role, ttl=4 * 3600).token

    def viewer_ticket(self, viewer: str) -> str:
        """A viewer's token: watch only, where the provider's tokens can say so."""
        role = Role.PUBLISHER if self.viewers_can_publish else Role.SUBSCRIBER
        return self.video.tokens.create(self.room, viewer, role=role, ttl=4 * 3600).token

    # --- what the host does ------------------------------------------------

    def go_on_air(self) -> None:
        """Record the stage, and broadcast it live where the provider can."""
        self.recording = self.video.recordings.start(self.room, name=self.title, layout=self.layout)
        if self.video.supports(Feature.LIVE_STREAMING):
            self.broadcast = self.video.compositions.start(
                self.room, output=CompositionOutput.LIVE, hls=True, layout=self.layout
            )

    def chat(self, text: str) -> bool:
        """Send ``text`` to everyone in the room; ``False`` where the server cannot message clients."""
        if not self.video.supports(Feature.SIGNALS):
            return False
        self.video.signals.send(self.room, "chat", text)
        return True

    def attendee(self, identity: str) -> Participant:
        """The connected participant with ``identity``."""
        connected = self.video.participants.list(self.room, status=ParticipantStatus.CONNECTED)
        return next(p for p in connected if p.identity == identity)

    def remove(self, identity: str) -> None:
        """Show ``identity`` the door."""
        self.video.participants.disconnect(self.room, self.attendee(identity))

    def host_streams(self) -> list[Stream]:
        host = self.attendee(self.host)
        return [s for s in self.video.streams.list(self.room) if s.participant_id == host.id]

    def mute_audience(self) -> bool:
        """Mute everyone's audio but the host's; ``False`` where the server cannot mute."""
        if not self.video.supports(Feature.MUTE):
            return False
        self.video.streams.mute_all(self.room, except_streams=self.host_streams())
        return True

    def end(self) -> Recording | None:
        """Stop recording and broadcasting, and end the webinar for everyone."""
        if self.broadcast is not None:
            self.video.compositions.stop(self.broadcast)
        if self.recording is not None:
            self.recording = self.video.recordings.stop(self.recording)
        self.video.rooms.end(self.room)
        return self.recording

    def download_recording(self, timeout: float = 120) -> Path:
        """The recording's one mixed file, once the provider has it ready."""
        assert self.recording is not None, "the webinar was not recorded"
        self.recording = self.video.recordings.wait(self.recording, timeout=timeout)
        folder = self.downloads / self.title
        folder.mkdir(parents=True, exist_ok=True)
        return self.video.recordings.download(self.recording, folder)

    # --- what the platform tells us ----------------------------------------

    @anyvideo.hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        if event.room_id != self.room.id:
            return
        with self._changed:
            self.seen[(str(event.type), "" if event.subject is None else event.subject.id)] += 1
            if event.type == "participant.joined" and isinstance(event.subject, Participant):
                self.present.add(event.subject.identity)
            elif event.type == "stream.published" and isinstance(event.subject, Stream):
                if event.subject.kind.has_video:
                    self.on_screen.add(event.subject.id)
            self._changed.notify_all()

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Whether ``condition`` held within ``timeout`` seconds, looked at as the platform's
        events arrive (some providers say who joined, and who published, only by callback)."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def wait_for(self, event_type: str, subject_id: str, timeout: float) -> bool:
        """Whether ``event_type`` about ``subject_id`` arrived within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self.seen[(event_type, subject_id)] > 0, timeout)
