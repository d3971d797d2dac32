"""A telehealth visit on any anyvideo backend.

The patient checks in and waits in the clinic's waiting room; the clinician
admits them into a private visit room (one-to-one, where the provider can
cap a room); the visit is recorded one file per participant, composed
afterwards side by side where the provider composes files, and the visit's
files are downloaded for the patient's record.

Nothing here names a provider: ``ANYVIDEO_BACKEND`` and the provider's own
variables decide where it runs, and every difference between providers is a
``video.supports(...)`` question.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import anyvideo
from anyvideo import (
    Composition,
    Event,
    EventType,
    Feature,
    Layout,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    Region,
    Room,
    Selector,
    Stream,
    Video,
)


def side_by_side(clinician: str, patient: str) -> Layout:
    """The clinician on the left, the patient on the right."""
    return Layout.custom(
        [
            Region("clinician", x=0, y=0, width=0.5, height=1, sources=[Selector(identity=clinician)]),
            Region("patient", x=0.5, y=0, width=0.5, height=1, sources=[Selector(identity=patient)]),
        ]
    )


class Clinic:
    """One clinic's visits, kept in ``video``; each visit's files go under ``records``."""

    def __init__(self, video: Video, name: str, records: Path) -> None:
        self.video = video
        self.records = records
        self.waiting_room: Room = video.rooms.create(f"{name}-waiting-room")
        self._waiting: dict[str, str] = {}  # ticket → patient
        self._admitted: dict[str, str] = {}  # ticket → token for the visit room
        self.visits: dict[str, Visit] = {}  # patient → visit
        #: Who is in each room, and the video streams published there, as the platform reports them.
        self.present: defaultdict[str, set[str]] = defaultdict(set)
        self.on_camera: defaultdict[str, set[str]] = defaultdict(set)
        self._changed = threading.Condition()
        video.plugins.manager.register(self)

    def close(self) -> None:
        self.video.plugins.manager.unregister(self)

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Whether ``condition`` held within ``timeout`` seconds, looked at as the platform's
        events arrive (some providers say who joined, and who published, only by callback)."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    @anyvideo.hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        room = event.room_id or ""
        with self._changed:
            if event.type == EventType.PARTICIPANT_JOINED and isinstance(event.subject, Participant):
                self.present[room].add(event.subject.identity)
            elif event.type == EventType.PARTICIPANT_LEFT and isinstance(event.subject, Participant):
                self.present[room].discard(event.subject.identity)
            elif event.type == EventType.STREAM_PUBLISHED and isinstance(event.subject, Stream):
                if event.subject.kind.has_video:
                    self.on_camera[room].add(event.subject.id)
            self._changed.notify_all()

    # --- the patient --------------------------------------------------------

    def check_in(self, patient: str) -> tuple[str, str]:
        """A ticket to ask about admission with, and a token for the waiting room."""
        ticket = secrets.token_urlsafe(8)
        self._waiting[ticket] = patient
        return ticket, self.video.tokens.create(self.waiting_room, patient, ttl=3600).token

    def admission(self, ticket: str) -> str | None:
        """The token for the visit room once the clinician admitted the ticket's patient, else ``None``."""
        return self._admitted.get(ticket)

    # --- the clinician ------------------------------------------------------

    def waiting(self) -> list[str]:
        """Who is waiting, in order of arrival."""
        return list(self._waiting.values())

    def admit(self, clinician: str, patient: str) -> Visit:
        """Open a private visit for ``patient`` and move them out of the waiting room."""
        ticket = next(t for t, p in self._waiting.items() if p == patient)
        capped = self.video.supports(Feature.MAX_PARTICIPANTS)
        room = self.video.rooms.create(f"visit-{ticket}", max_participants=2 if capped else None)
        visit = Visit(self.video, room, clinician, patient, self.records / f"visit-{ticket}")
        self._admitted[ticket] = self.video.tokens.create(room, patient, ttl=3600).token
        del self._waiting[ticket]
        for participant in self.video.participants.list(self.waiting_room, status=ParticipantStatus.CONNECTED):
            if participant.identity == patient:
                self.video.participants.disconnect(self.waiting_room, participant)
        self.visits[patient] = visit
        return visit


class Visit:
    """One clinician and one patient in a room of their own."""

    def __init__(self, video: Video, room: Room, clinician: str, patient: str, folder: Path) -> None:
        self.video = video
        self.room = room
        self.clinician = clinician
        self.patient = patient
        self.folder = folder
        self.recording: Recording | None = None
        self.composition: Composition | None = None
        self.layout = side_by_side(clinician, patient)

    def clinician_ticket(self) -> str:
        return self.video.tokens.create(self.room, self.clinician, ttl=3600).token

    def start_recording(self) -> Recording | None:
        """Record each participant into a file of their own, where the provider can."""
        if self.video.supports(Feature.INDIVIDUAL_RECORDING):
            self.recording = self.video.recordings.start(self.room, mode=RecordingMode.INDIVIDUAL)
        return self.recording

    def finish(self, timeout: float = 120) -> Path:
        """End the visit and save its files: one per participant with a manifest saying whose,
        and the side-by-side composition where the provider composes files. Returns the folder."""
        if self.recording is not None:
            self.recording = self.video.recordings.stop(self.recording)
        self.video.rooms.end(self.room)
        if self.recording is None:
            return self.folder
        self.recording = self.video.recordings.wait(self.recording, timeout=timeout)
        self.video.recordings.download(self.recording, _folder(self.folder / "participants"))
        if self.video.supports(Feature.POST_HOC_COMPOSITION):
            self.composition = self.video.compositions.start(self.room, recordings=[self.recording], layout=self.layout)
            self.composition = self.video.compositions.wait(self.composition, timeout=timeout)
            self.video.compositions.download(self.composition, _folder(self.folder / "visit"))
        return self.folder

    def whose_files(self) -> dict[str, list[Path]]:
        """From the downloaded manifest: each identity → the files saved of their streams."""
        folder = self.folder / "participants"
        manifest = json.loads((folder / "manifest.json").read_text())
        saved: dict[str, list[Path]] = {}
        for entry in manifest["files"]:
            saved.setdefault(entry["identity"], []).append(folder / entry["file"])
        return saved


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
