"""A virtual classroom on any anyvideo backend.

One room per class, a token per student (the teacher's may moderate where the
provider has roles), the lesson recorded, and the recording published as a
link once the provider says it is available. What happens in the room
arrives as events: in process on the local backend, by webhook from a
provider (mount :meth:`Classroom.webhook_app` at the callback URL).

Nothing here names a provider: ``ANYVIDEO_BACKEND`` and the provider's own
variables decide where it runs.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from pathlib import Path

import anyvideo
from anyvideo import Event, EventType, Feature, Recording, Role, Room, Video
from anyvideo.webhooks import wsgi_app


class Classroom:
    """The classes of one school, kept in ``video``; recordings are published under ``media``."""

    def __init__(self, video: Video, media: Path) -> None:
        self.video = video
        self.media = media
        self.links: dict[str, Path] = {}
        self.present: dict[str, set[str]] = defaultdict(set)
        self.ended: set[str] = set()
        self._courses: dict[str, str] = {}  # room id → course
        self._changed = threading.Condition()
        video.plugins.manager.register(self)

    def close(self) -> None:
        self.video.plugins.manager.unregister(self)

    # --- what teachers and students do ------------------------------------

    def open_class(self, course: str) -> Room:
        """The room of ``course``, opened if it is not (opening twice is harmless)."""
        room = self.video.rooms.create(f"class-{course}")
        self._courses[room.id] = course
        return room

    def admit(self, course: str, person: str, *, teacher: bool = False) -> dict[str, str]:
        """What a browser needs to join: the token, and which provider's client SDK to load."""
        room = self.video.rooms.get(name=f"class-{course}")
        role = Role.MODERATOR if teacher and self.video.supports(Feature.TOKEN_ROLES) else Role.PUBLISHER
        token = self.video.tokens.create(room, person, role=role, ttl=3 * 3600)
        return {"token": token.token, "sdk": token.provider, "room": room.id, "expires": token.expires_at.isoformat()}

    def start_lesson_recording(self, course: str) -> Recording:
        room = self.video.rooms.get(name=f"class-{course}")
        return self.video.recordings.start(room, name=f"{course} lesson")

    def stop_lesson_recording(self, recording: Recording) -> Recording:
        return self.video.recordings.stop(recording)

    def end_class(self, course: str) -> Room:
        return self.video.rooms.end(name=f"class-{course}")

    def wait_until_present(self, course: str, people: set[str], timeout: float) -> bool:
        """Whether everyone in ``people`` was reported joining ``course`` within ``timeout`` seconds.

        Some providers tell who a participant is only through their callbacks,
        which arrive in their own time.
        """
        with self._changed:
            return self._changed.wait_for(lambda: people <= self.present[course], timeout)

    def wait_until_ended(self, course: str, timeout: float) -> bool:
        """Whether the event that ``course``'s room ended came within ``timeout`` seconds.

        A provider reports what happened in a room in order, so once this event
        is in, so is every arrival before it (the attendance is complete).
        """
        with self._changed:
            return self._changed.wait_for(lambda: course in self.ended, timeout)

    def wait_for_link(self, course: str, recording: Recording, timeout: float) -> Path | None:
        """The published recording of ``course``, once the event that it is available has come.

        Looking at the recording now and then is what lets a platform without
        callbacks (the embedded one) notice that processing has finished.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while course not in self.links and time.monotonic() < deadline:
                self._changed.wait(0.1)
                self._changed.release()
                try:
                    self.video.recordings.get(recording)
                finally:
                    self._changed.acquire()
        return self.links.get(course)

    def webhook_app(self):
        """The WSGI app to mount at the provider's callback URL."""
        return wsgi_app(self.video)

    # --- what the platform tells us ----------------------------------------

    @anyvideo.hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        course = self._courses.get(event.room_id or "")
        if course is None:
            return
        if event.type == EventType.PARTICIPANT_JOINED and event.subject is not None:
            with self._changed:
                self.present[course].add(event.subject.identity)  # type: ignore[union-attr]
                self._changed.notify_all()
        elif event.type == EventType.ROOM_ENDED:
            with self._changed:
                self.ended.add(course)
                self._changed.notify_all()
        elif event.type == EventType.RECORDING_AVAILABLE and event.subject is not None:
            self._publish(course, video.recordings.get(event.subject))  # type: ignore[arg-type]

    def _publish(self, course: str, recording: Recording) -> None:
        folder = self.media / course
        folder.mkdir(parents=True, exist_ok=True)
        link = self.video.recordings.download(recording, folder)  # the one mixed file
        with self._changed:
            self.links[course] = link
            self._changed.notify_all()
