"""What the endpoints do: meetings, their rooms, tokens, attendees and archives.

The service talks to the video platform only through anyvideo's public facade
(``video.rooms``, ``video.tokens``, ``video.recordings``, ``video.supports``), so every rule
below holds on every backend. Provider calls are made outside database transactions: the
local backend hands its events to the hooks while the call is still running, and the hook
writes to the same database.

The backend's events are durable jobs (:mod:`anyvideo.meetings.jobs`): the hook only enqueues
each event, once by its id, and the job worker processes it, retried until it succeeds; so
is the copy of each available recording to the storage target (:mod:`anyvideo.meetings.storage`).
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from anyvideo.backend import Feature
from anyvideo.client import Video
from anyvideo.errors import Conflict, InvalidRequest, NotFound, UnsupportedFeature
from anyvideo.hookspecs import hookimpl
from anyvideo.meetings.auth import Principal
from anyvideo.meetings.db import Archive, Attendee, Meeting, utcnow
from anyvideo.meetings.jobs import JobQueue
from anyvideo.meetings.problems import ProblemError, library_problem
from anyvideo.meetings.schema import (
    EDITABLE,
    ArchiveList,
    ArchiveOut,
    AttendeeEvent,
    AttendeeOut,
    MeetingOptions,
    SessionWebhook,
    TokenRequest,
    TokenResponse,
    TokenRole,
    VideoChatSessionPartial,
)
from anyvideo.meetings.storage import COPY, StorageTargets, Vault
from anyvideo.models import Event, EventType, Participant, Recording, RecordingStatus, Role, RoomStatus
from anyvideo.sim import Clock, SystemClock

__all__ = ["MeetingHooks", "MeetingService"]

log = logging.getLogger("anyvideo.meetings")

#: Meeting link ids: letters and digits only, so ``meeting-<link>`` is a valid room name everywhere.
LINK_ALPHABET = string.ascii_letters + string.digits
LINK_LENGTH = 12
#: A token asked for without an expiry lasts this long.
DEFAULT_TOKEN_TTL = timedelta(hours=1)
#: anyvideo's field names, as the API names them, for refusals that come from the library.
API_FIELDS = {"ttl": "expireTime", "identity": "identity", "data": "data", "role": "role"}
#: Where a recording claim is held while the recording starts.
PENDING = "pending"
#: The job kind of a backend event.
EVENT = "event"
#: The events the service keeps its tables from (others are not enqueued).
HANDLED = frozenset(
    {
        EventType.PARTICIPANT_JOINED,
        EventType.PARTICIPANT_LEFT,
        EventType.STREAM_PUBLISHED,
        *(kind for kind in EventType if kind.startswith("recording.")),
    }
)


def room_name(link: str) -> str:
    """The anyvideo room name of the meeting ``link``."""
    return f"meeting-{link}"


class MeetingService:
    """Seed 001's operations over ``video`` and the database behind ``sessions``."""

    def __init__(
        self,
        video: Video,
        sessions: sessionmaker[Session],
        clock: Clock | None = None,
        *,
        jobs: JobQueue | None = None,
        vault: Vault | None = None,
    ) -> None:
        self.video = video
        self.sessions = sessions
        #: What "now" is for schedules, expiries and end times (the backend's clock in tests).
        self.clock = clock or SystemClock()
        #: The durable jobs: the backend's events and the copies to the storage target.
        self.jobs = jobs or JobQueue(sessions, clock=self.clock.now)
        self.storage = StorageTargets(self, vault)
        self.jobs.register(EVENT, self.process_event)
        self.jobs.register(COPY, self.storage.copy)

    # --- helpers -------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def _meeting(self, session: Session, link: str) -> Meeting:
        # An id no row can have is not asked for (PostgreSQL's text cannot even hold a NUL).
        meeting = (
            None
            if "\x00" in link
            else session.scalar(select(Meeting).where(Meeting.meeting_link == link, Meeting.deleted.is_(False)))
        )
        if meeting is None:
            raise ProblemError(404, f"no meeting has the link id {link!r}", field="meetingLinkId")
        return meeting

    def _refuse_unsupported(self, feature: Feature, field: str, what: str) -> None:
        if self.video.supports(feature):
            return
        hint = type(self.video.backend).feature_hints.get(feature)
        reason = f"the {self.video.backend_name} backend cannot {what} ({feature.value})"
        raise ProblemError(400, f"{reason}: {hint}" if hint else reason, field=field)

    def _check_schedule(self, is_scheduled: bool, schedule_time: datetime | None) -> None:
        if is_scheduled and schedule_time is None:
            raise ProblemError(400, "a scheduled meeting needs its scheduleTime", field="scheduleTime")
        if not is_scheduled and schedule_time is not None:
            raise ProblemError(400, "scheduleTime is for a scheduled meeting (isScheduled)", field="scheduleTime")
        if schedule_time is not None and schedule_time <= self.clock.now():
            raise ProblemError(400, "a meeting cannot be scheduled in the past", field="scheduleTime")

    def _check_archiving(self, archiving: bool, e2ee: bool, field: str) -> None:
        if archiving and e2ee:
            raise ProblemError(400, "archiving cannot be enabled with end-to-end encryption", field=field)
        if archiving:
            self._refuse_unsupported(Feature.RECORDING, field, "record a meeting")

    def _make_room(self, link: str, e2ee: bool) -> str:
        """The meeting's room, made now (opening a room under an open room's name returns that room)."""
        options = {"e2ee": True} if e2ee else None
        room = self.video.rooms.create(room_name(link), provider_options=options)
        return room.id

    def _room_of(self, meeting_id: int, link: str, e2ee: bool) -> str:
        """The meeting's room id, made when first needed; when another request (of this instance or
        another) filed one first, that one."""
        room_id = self._make_room(link, e2ee)
        with self._transaction() as session:
            session.execute(
                update(Meeting).where(Meeting.id == meeting_id, Meeting.session_id.is_(None)).values(session_id=room_id)
            )
            current = session.scalar(select(Meeting.session_id).where(Meeting.id == meeting_id))
        return current or room_id

    def _reopen(self, meeting_id: int, link: str, e2ee: bool, ended_room: str) -> str:
        """The meeting's room after ``ended_room`` was ended (or forgotten) by the provider: a new one
        (made once, whoever asks first), where an archiving meeting is recorded again from its first
        stream; raises the provider's :class:`Conflict` when the room has not ended."""
        try:
            ended = self.video.rooms.get(ended_room).status is RoomStatus.ENDED
        except NotFound:
            ended = True
        if not ended:
            raise Conflict(f"the room {ended_room} refuses tokens")
        room_id = self._make_room(link, e2ee)
        with self._transaction() as session:
            # The ended room's recording stays among the archives; the new room's is claimed afresh.
            session.execute(
                update(Meeting)
                .where(Meeting.id == meeting_id, Meeting.session_id == ended_room, Meeting.end_time.is_(None))
                .values(session_id=room_id, archive_id=None)
            )
            current = session.scalar(select(Meeting.session_id).where(Meeting.id == meeting_id))
        return current or room_id

    # --- meetings -----------------------------------------------------------

    def create(self, options: MeetingOptions, caller: Principal) -> str:
        """A new meeting; answers its link id. An unscheduled meeting gets its room now."""
        self._check_schedule(options.is_scheduled, options.schedule_time)
        self._check_archiving(options.enable_archiving, options.e2ee, "enableArchiving")
        if options.e2ee:
            self._refuse_unsupported(Feature.E2EE, "e2ee", "encrypt media end to end")
        link = "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_LENGTH))
        room_id = None if options.is_scheduled else self._make_room(link, options.e2ee)
        with self._transaction() as session:
            session.add(
                Meeting(
                    meeting_link=link,
                    session_id=room_id,
                    provider=self.video.backend_name,
                    is_scheduled=options.is_scheduled,
                    schedule_time=options.schedule_time,
                    is_archived=options.enable_archiving,
                    e2ee=options.e2ee,
                    ext_id=options.ext_id,
                    ext_metadata=options.ext_metadata,
                    created_by=caller.subject,
                    modified_by=caller.subject,
                )
            )
        return link

    def edit(self, link: str, changes: VideoChatSessionPartial, caller: Principal) -> None:
        """Change what a caller may change of a meeting that has not ended."""
        given = changes.model_fields_set
        refused = sorted(given - EDITABLE)
        if refused:
            names = [VideoChatSessionPartial.model_fields[name].alias or name for name in refused]
            raise ProblemError(422, f"{', '.join(names)}: set by the service, not by a caller", field=names[0])
        with self._transaction() as session:
            meeting = self._meeting(session, link)
            if meeting.end_time is not None:
                raise ProblemError(409, "the meeting has ended; it cannot be edited", field="meetingLinkId")
            is_scheduled = changes.is_scheduled if "is_scheduled" in given else meeting.is_scheduled
            schedule_time = changes.schedule_time if "schedule_time" in given else meeting.schedule_time
            if is_scheduled is None:
                raise ProblemError(422, "isScheduled: must be true or false", field="isScheduled")
            if "is_scheduled" in given or "schedule_time" in given:
                if not is_scheduled and "schedule_time" not in given:
                    schedule_time = None
                self._check_schedule(is_scheduled, schedule_time)
            if "is_archived" in given:
                archiving = bool(changes.is_archived)
                if meeting.archive_id is not None and archiving != meeting.is_archived:
                    raise ProblemError(
                        409, "the meeting's archive has started; archiving cannot change", field="isArchived"
                    )
                self._check_archiving(archiving, meeting.e2ee, "isArchived")
                meeting.is_archived = archiving
            meeting.is_scheduled, meeting.schedule_time = is_scheduled, schedule_time
            if "ext_id" in given:
                meeting.ext_id = changes.ext_id
            if "ext_metadata" in given:
                meeting.ext_metadata = changes.ext_metadata
            meeting.modified_by = caller.subject

    def end(self, link: str, caller: Principal) -> None:
        """End the meeting: its recording stopped, its room ended, ``endTime`` set; a second end is refused."""
        with self._transaction() as session:
            meeting = self._meeting(session, link)
            if meeting.end_time is not None:
                raise ProblemError(409, "the meeting has already ended", field="meetingLinkId")
            room_id, archive_id = meeting.session_id, meeting.archive_id
        if archive_id not in (None, PENDING):
            try:
                self.video.recordings.stop(archive_id)
            except (Conflict, NotFound):
                pass  # already stopped (its maximum duration, say), or gone on the provider
        if room_id is not None:
            try:
                self.video.rooms.end(room_id)
            except NotFound:
                pass  # the provider no longer has the room: nobody can be in it
        with self._transaction() as session:
            ended = session.execute(
                update(Meeting)
                .where(Meeting.meeting_link == link, Meeting.end_time.is_(None))
                .values(end_time=self.clock.now(), modified_by=caller.subject, modified_on=utcnow())
            )
            if ended.rowcount != 1:  # type: ignore[attr-defined]
                raise ProblemError(409, "the meeting has already ended", field="meetingLinkId")

    def token(self, link: str, request: TokenRequest, caller: Principal) -> TokenResponse:
        """A client token for the meeting's room, with a role and an expiry."""
        with self._transaction() as session:
            meeting = self._meeting(session, link)
            if meeting.end_time is not None:
                raise ProblemError(409, "the meeting has ended; it gives no more tokens", field="meetingLinkId")
            meeting_id, room_id, e2ee = meeting.id, meeting.session_id, meeting.e2ee
        if request.role is not TokenRole.PUBLISHER:
            self._refuse_unsupported(Feature.TOKEN_ROLES, "role", f"grant the role {request.role.value}")
        now = self.clock.now()
        expires = request.expire_time or now + DEFAULT_TOKEN_TTL
        ttl = (expires - now).total_seconds()
        if ttl <= 0:
            raise ProblemError(400, "expireTime is in the past", field="expireTime")
        if room_id is None:
            room_id = self._room_of(meeting_id, link, e2ee)
        identity, role = request.identity or caller.subject, Role(request.role.value)
        try:
            try:
                token = self.video.tokens.create(room_id, identity, role=role, ttl=ttl, data=request.data)
            except Conflict:
                # The provider closed the room while the meeting is still open (a provider may close an
                # empty room after minutes): the meeting gets a new room, once.
                room_id = self._reopen(meeting_id, link, e2ee, room_id)
                token = self.video.tokens.create(room_id, identity, role=role, ttl=ttl, data=request.data)
        except InvalidRequest as exc:
            reason = f"the token's lifetime (now to expireTime) {exc.reason}" if exc.field == "ttl" else exc.reason
            raise ProblemError(400, reason, field=API_FIELDS.get(exc.field, exc.field)) from exc
        except UnsupportedFeature as exc:
            field = "data" if exc.feature is Feature.TOKEN_DATA else "role"
            raise ProblemError(400, library_problem(exc).detail, field=field) from exc
        except Conflict as exc:
            raise ProblemError(409, f"the meeting's room refuses tokens: {exc}", field="meetingLinkId") from exc
        return TokenResponse(session_id=room_id, token=token.token, role=request.role, expire_time=token.expires_at)

    # --- attendees ----------------------------------------------------------

    def attendees(self, link: str, active: bool | None) -> list[AttendeeOut]:
        """Who joined the meeting; ``active``: only those connected now (true) or gone (false)."""
        with self._transaction() as session:
            meeting = self._meeting(session, link)
            query = select(Attendee).where(Attendee.meeting_id == meeting.id, Attendee.deleted.is_(False))
            if active is not None:
                query = query.where(Attendee.is_active.is_(active))
            rows = session.scalars(query.order_by(Attendee.id)).all()
            return [_attendee_out(row, link) for row in rows]

    def third_party_update(self, update_: SessionWebhook) -> None:
        """``POST /webhooks/session``: an attendee joined or left, as a third party reports it."""
        with self._transaction() as session:
            meeting = self._meeting(session, update_.meeting_link_id)
            when = update_.occurred_at or self.clock.now()
            if update_.event is AttendeeEvent.JOINED:
                if meeting.end_time is not None:
                    raise ProblemError(409, "the meeting has ended; nobody joins it", field="meetingLinkId")
                row = _joined(session, meeting, update_.attendee, None, when)
            else:
                row = _left(session, meeting, update_.attendee, None, when)
            if update_.ext_id is not None:
                row.ext_id = update_.ext_id
            if update_.ext_metadata is not None:
                row.ext_metadata = update_.ext_metadata

    # --- events from the backend ------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Enqueue a backend event the service keeps its tables from, once by its id."""
        if event.room_id is None or event.type not in HANDLED:
            return
        payload: dict[str, Any] = {
            "type": str(event.type),
            "roomId": event.room_id,
            "occurredAt": event.occurred_at.isoformat(),
        }
        if isinstance(event.subject, Participant):
            payload["participant"] = {"id": event.subject.id, "identity": event.subject.identity}
        elif isinstance(event.subject, Recording):
            payload["recording"] = event.subject.ref
        self.jobs.enqueue(EVENT, payload, key=f"{EVENT}:{event.provider}:{event.event_id}")

    def process_event(self, payload: Mapping[str, Any]) -> None:
        """The event job: keep attendees and archives current from one of the backend's events."""
        kind, room_id = payload["type"], str(payload["roomId"])
        occurred_at = datetime.fromisoformat(payload["occurredAt"])
        participant = payload.get("participant")
        if kind in (EventType.PARTICIPANT_JOINED, EventType.PARTICIPANT_LEFT) and participant:
            joined = kind == EventType.PARTICIPANT_JOINED
            self._participant(room_id, occurred_at, participant["identity"], participant["id"], joined=joined)
        elif kind == EventType.STREAM_PUBLISHED:
            self._start_archive(room_id)
        elif kind.startswith("recording.") and payload.get("recording"):
            try:  # as the provider has it now: a job may run after later events
                recording = self.video.recordings.get(str(payload["recording"]))
            except NotFound:
                return
            self._archive_seen(recording)

    def _meeting_of_room(self, session: Session, room_id: str) -> Meeting | None:
        return session.scalar(
            select(Meeting).where(
                Meeting.session_id == room_id,
                Meeting.provider == self.video.backend_name,
                Meeting.deleted.is_(False),
            )
        )

    def _participant(
        self, room_id: str, occurred_at: datetime, identity: str, participant_id: str, *, joined: bool
    ) -> None:
        with self._transaction() as session:
            meeting = self._meeting_of_room(session, room_id)
            if meeting is None:
                return  # a room the service did not make
            if joined:
                _joined(session, meeting, identity, participant_id, occurred_at)
                if meeting.start_time is None:
                    meeting.start_time = occurred_at
            else:
                _left(session, meeting, identity, participant_id, occurred_at)

    def _start_archive(self, room_id: str) -> None:
        """Start an archiving meeting's recording at its first stream (claimed once in the database)."""
        with self._transaction() as session:
            claimed = session.execute(
                update(Meeting)
                .where(
                    Meeting.session_id == room_id,
                    Meeting.provider == self.video.backend_name,
                    Meeting.is_archived.is_(True),
                    Meeting.archive_id.is_(None),
                    Meeting.end_time.is_(None),
                    Meeting.deleted.is_(False),
                )
                .values(archive_id=PENDING)
                .returning(Meeting.id, Meeting.meeting_link)
            ).first()
        if claimed is None:
            return
        meeting_id, link = claimed
        try:
            recording = self.video.recordings.start(room_id, name=room_name(link))
        except Exception:
            with self._transaction() as session:  # let the provider's redelivery try again
                session.execute(update(Meeting).where(Meeting.id == meeting_id).values(archive_id=None))
            raise
        with self._transaction() as session:
            session.execute(update(Meeting).where(Meeting.id == meeting_id).values(archive_id=recording.ref))
            session.add(
                Archive(
                    archive_id=recording.ref, meeting_id=meeting_id, session_id=room_id, **_archive_fields(recording)
                )
            )

    def _archive_seen(self, recording: Recording) -> None:
        with self._transaction() as session:
            row = session.scalar(select(Archive).where(Archive.archive_id == recording.ref))
            if row is None:
                return
            for name, value in _archive_fields(recording).items():
                setattr(row, name, value)
        self.storage.copy_later(recording)

    # --- archives ------------------------------------------------------------

    def archives(self, limit: int, offset: int) -> ArchiveList:
        """A page of the meetings' archives, newest first."""
        with self._transaction() as session:
            alive = Archive.deleted.is_(False)
            count = session.scalar(select(func.count()).select_from(Archive).where(alive)) or 0
            rows = session.execute(
                select(Archive, Meeting)
                .join(Meeting, Archive.meeting_id == Meeting.id)
                .where(alive)
                .order_by(Archive.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return ArchiveList(count=count, items=[_archive_out(archive, meeting) for archive, meeting in rows])

    def _archive_row(self, session: Session, archive_id: str) -> tuple[Archive, Meeting]:
        found = (
            None
            if "\x00" in archive_id
            else session.execute(
                select(Archive, Meeting)
                .join(Meeting, Archive.meeting_id == Meeting.id)
                .where(Archive.archive_id == archive_id, Archive.deleted.is_(False))
            ).first()
        )
        if found is None:
            raise ProblemError(404, f"no archive has the id {archive_id!r}", field="archiveId")
        return found[0], found[1]

    def archive(self, archive_id: str) -> ArchiveOut:
        """One archive, as the provider has it now."""
        with self._transaction() as session:
            self._archive_row(session, archive_id)
        try:
            recording = self.video.recordings.get(archive_id)
        except NotFound:
            recording = None
        with self._transaction() as session:
            archive, meeting = self._archive_row(session, archive_id)
            if recording is not None:
                for name, value in _archive_fields(recording).items():
                    setattr(archive, name, value)
            else:
                archive.status = RecordingStatus.DELETED.value
            session.flush()
            answer = _archive_out(archive, meeting)
        if recording is not None:
            self.storage.copy_later(recording)
        return answer

    def delete_archive(self, archive_id: str, caller: Principal) -> None:
        """Delete the archive on the provider and, softly, in the database."""
        with self._transaction() as session:
            self._archive_row(session, archive_id)
        try:
            self.video.recordings.delete(archive_id)
        except NotFound:
            pass  # gone on the provider already
        except Conflict as exc:
            raise ProblemError(409, f"the archive cannot be deleted now: {exc}", field="archiveId") from exc
        with self._transaction() as session:
            archive, _ = self._archive_row(session, archive_id)
            archive.status = RecordingStatus.DELETED.value
            archive.soft_delete(caller.subject)
            archive.modified_by = caller.subject


class MeetingHooks:
    """The ``anyvideo_event`` hook that keeps the service's tables current."""

    def __init__(self, service: MeetingService) -> None:
        self.service = service

    @hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        """Hand ``event`` to the service."""
        self.service.on_event(event)


def _joined(session: Session, meeting: Meeting, identity: str, participant_id: str | None, when: datetime) -> Attendee:
    row = session.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id, Attendee.attendee == identity, Attendee.deleted.is_(False)
        )
    )
    if row is None:
        row = Attendee(meeting_id=meeting.id, session_id=meeting.session_id or "", attendee=identity)
        session.add(row)
    elif row.left_on is not None and row.participant_id == participant_id and row.left_on >= when:
        return row  # this connection's leaving has been heard already
    row.is_active, row.participant_id, row.joined_on, row.left_on = True, participant_id, when, None
    return row


def _left(session: Session, meeting: Meeting, identity: str, participant_id: str | None, when: datetime) -> Attendee:
    query = select(Attendee).where(Attendee.meeting_id == meeting.id, Attendee.deleted.is_(False))
    if participant_id is not None:
        query = query.where(Attendee.participant_id == participant_id)
    else:
        query = query.where(Attendee.attendee == identity)
    row = session.scalar(query)
    if row is None:  # left before its joining was heard
        row = Attendee(
            meeting_id=meeting.id, session_id=meeting.session_id or "", attendee=identity, participant_id=participant_id
        )
        session.add(row)
    row.is_active, row.left_on = False, when
    return row


def _archive_fields(recording: Recording) -> dict[str, Any]:
    return {
        "status": recording.status.value,
        "name": recording.name,
        "started_at": recording.started_at,
        "stopped_at": recording.stopped_at,
        "duration": recording.duration,
        "size": recording.size,
    }


def _audit(row: Meeting | Attendee | Archive) -> Mapping[str, Any]:
    return {
        "created_on": row.created_on,
        "created_by": row.created_by,
        "modified_on": row.modified_on,
        "modified_by": row.modified_by,
        "deleted": row.deleted,
        "deleted_on": row.deleted_on,
        "deleted_by": row.deleted_by,
    }


def _attendee_out(row: Attendee, link: str) -> AttendeeOut:
    return AttendeeOut(
        id=row.id,
        session_id=row.session_id,
        meeting_link_id=link,
        attendee=row.attendee,
        participant_id=row.participant_id,
        is_active=row.is_active,
        joined_on=row.joined_on,
        left_on=row.left_on,
        ext_id=row.ext_id,
        ext_metadata=row.ext_metadata,
        **_audit(row),
    )


def _archive_out(row: Archive, meeting: Meeting) -> ArchiveOut:
    return ArchiveOut(
        archive_id=row.archive_id,
        meeting_link_id=meeting.meeting_link,
        session_id=row.session_id,
        name=row.name,
        status=row.status,
        start_time=row.started_at,
        stop_time=row.stopped_at,
        duration=row.duration,
        size=row.size,
        **_audit(row),
    )
