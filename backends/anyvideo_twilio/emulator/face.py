"""The Twilio face's plumbing: identity (SIDs), authentication, error bodies,
access tokens, and the lookups and listings every route shares."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
import jwt

from anyvideo.errors import Forbidden, NotFound
from anyvideo.models import Role, RoomStatus
from anyvideo.sim import Grant
from anyvideo.sim.records import ParticipantRecord, Record, RecordingRecord, RoomRecord, StreamRecord
from anyvideo.testing.server import Emulator, HttpError, Request, Response
from anyvideo_twilio.emulator import errors, sids
from anyvideo_twilio.emulator.auth import Credentials
from anyvideo_twilio.emulator.keys import ApiKeys
from anyvideo_twilio.emulator.pagination import PAGING, Page, paginate, paginate_scan
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.rules import TrackView
from anyvideo_twilio.emulator.state import RecordingExtra, Settings, State
from anyvideo_twilio.emulator.translate import Site, track_name

__all__ = ["Face"]

T = TypeVar("T")
R = TypeVar("R", bound=Record)

#: Where a seeded track recording's record keeps what :class:`RecordingExtra` holds of it.
SEEDED = "twilio_recording"

#: Signed media URLs live here, outside the REST API, like a storage bucket.
MEDIA_PREFIX = "/media/"


class Face(Emulator):
    """What every Twilio route builds on."""

    name = "twilio"
    signs_with_clock = True

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        **options: Any,
    ) -> None:
        self.creds = Credentials.generate(account_sid, auth_token, api_key_sid, api_key_secret)
        #: The API keys made through the 2010 API (:mod:`.keys`): each authenticates as the key above does.
        self.api_keys = ApiKeys()
        self.state = State()
        self._reserved = threading.local()
        self._media_key = secrets.token_bytes(32)
        super().__init__(**options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account_sid={self.creds.account_sid!r})"

    # --- what the shared server asks of a face ------------------------------

    @property
    def credentials(self) -> dict[str, str]:
        """``account_sid``, ``auth_token``, ``api_key_sid``, ``api_key_secret``."""
        return self.creds.as_dict()

    @property
    def backend_settings(self) -> dict[str, str]:
        """What ``anyvideo.connect("twilio", **settings)`` needs to reach this emulator."""
        return {**self.credentials, "base_url": self.base_url}

    @property
    def backend_environment(self) -> dict[str, str]:
        """The same, as the environment variables the ``twilio`` backend reads."""
        creds = self.credentials
        return {
            "ANYVIDEO_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": creds["account_sid"],
            "TWILIO_AUTH_TOKEN": creds["auth_token"],
            "TWILIO_API_KEY_SID": creds["api_key_sid"],
            "TWILIO_API_KEY_SECRET": creds["api_key_secret"],
            "TWILIO_VIDEO_BASE_URL": self.base_url,
        }

    @property
    def client_environment(self) -> dict[str, str | None]:
        """The SDK builds its URL from ``TWILIO_REGION``/``TWILIO_EDGE`` when they are set, which
        would take a client past ``base_url`` to the real Twilio: they are removed."""
        return {**super().client_environment, "TWILIO_REGION": None, "TWILIO_EDGE": None}

    def new_id(self, kind: str) -> str:
        reserved: dict[str, str] | None = getattr(self._reserved, "ids", None)
        if reserved and kind in reserved:
            return reserved.pop(kind)
        return sids.new_sid(sids.PREFIXES[kind])

    @contextmanager
    def reusing_sid(self, kind: str, sid: str) -> Iterator[None]:
        """Let the world give its next ``kind`` record a SID the face already
        handed out (a composition that was enqueued before it could start)."""
        self._reserved.ids = {kind: sid}
        try:
            yield
        finally:
            self._reserved.ids = None

    def authenticate(self, request: Request) -> None:
        if request.path.startswith(MEDIA_PREFIX):
            self.check_media_signature(request)  # a signed URL needs no credentials
        elif not (
            self.creds.accepts(request.header("Authorization"))
            or self.api_keys.accepts(request.header("Authorization"))
        ):
            raise HttpError(401, errors.AUTHENTICATE.message, code=errors.AUTHENTICATE.code)

    def error_response(self, status: int, message: str, code: int | str | None = None) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else {}
        return Response.json(errors.body(status, message, code), status, headers)

    def verify_client_token(self, token: str) -> Grant:
        claims = self._signer_of(token).verify_access_token(token)
        if not claims.room:
            raise Forbidden("the access token's VideoGrant names no room; the emulator needs one to join")
        room = self._room_by_reference(claims.room)
        if room is None:
            raise NotFound(f"no in-progress room named {claims.room!r}")
        # Twilio tokens have no roles: everyone publishes and subscribes.
        return Grant(room_id=room.id, identity=claims.identity, role=Role.PUBLISHER, expires_at=claims.expires_at)

    def _signer_of(self, token: str) -> Credentials:
        """The credentials whose key an access token names as its issuer: a key made through
        the API, else the emulator's own (which refuses a token it did not sign)."""
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            return self.creds
        if not isinstance(issuer, str) or (secret := self.api_keys.secret_of(issuer)) is None:
            return self.creds
        return attrs.evolve(self.creds, api_key_sid=issuer, api_key_secret=secret)

    # --- signed media URLs (what Twilio's /Media redirects to) ----------------

    def media_url(self, request: Request, path: str, *, ttl: int, disposition: str) -> str:
        """An absolute URL for ``path`` that works without credentials for ``ttl`` seconds."""
        query = {"Expires": str(int(self.clock.now().timestamp()) + ttl), "ContentDisposition": disposition}
        query["Signature"] = self._media_signature(path, query)
        return f"{self.site(request).base}{path}?{urllib.parse.urlencode(query)}"

    def check_media_signature(self, request: Request) -> None:
        """Refuse a media URL whose signature is wrong or whose time is up."""
        query = {name: request.arg(name) or "" for name in ("Expires", "ContentDisposition")}
        if not hmac.compare_digest(request.arg("Signature") or "", self._media_signature(request.path, query)):
            raise HttpError(403, "The request signature does not match")
        if not query["Expires"].isdigit() or int(query["Expires"]) < self.clock.now().timestamp():
            raise HttpError(403, "Request has expired")

    def _media_signature(self, path: str, query: dict[str, str]) -> str:
        payload = "\n".join((path, query["Expires"], query["ContentDisposition"]))
        return hmac.new(self._media_key, payload.encode(), hashlib.sha256).hexdigest()

    # --- requests -----------------------------------------------------------

    def site(self, request: Request) -> Site:
        """Resource URLs point at this emulator, as the client reached it."""
        split = urllib.parse.urlsplit(request.url)
        return Site(f"{split.scheme}://{split.netloc}", self.creds.account_sid)

    @staticmethod
    def form(request: Request) -> Params:
        return Params(request.form())

    @staticmethod
    def query(request: Request) -> Params:
        return Params(request.query)

    def listing_of(
        self,
        request: Request,
        cls: type[R],
        *,
        key: str,
        render: Callable[[R], dict[str, Any]],
        max_size: int = 1000,
        keep: Callable[[R], bool] | None = None,
        room_id: str | None = None,
        statuses: Sequence[str] | None = None,
        not_status: str | None = None,
    ) -> dict[str, Any]:
        """One page, with Twilio's ``meta``, of the world's records of ``cls`` in creation
        order that the indexed filters (``room_id``, ``statuses``, ``not_status``) and
        ``keep`` (for what the store has no column for) pick: only the page is read."""
        query = self.query(request)
        page = Page.parse(query, max_size=max_size)

        def scan(**window: Any) -> list[tuple[int, R]]:
            return self.world.scan(cls, keep=keep, room_id=room_id, statuses=statuses, not_status=not_status, **window)

        def locate(sid: str) -> int | None:
            return self.world.seq_of(cls, sid)

        url = self.site(request).base + request.path
        chunk, meta = paginate_scan(
            scan, locate, page, sid=_record_id, key=key, url=url, filters=query.filters(*PAGING)
        )
        return {key: [render(item) for item in chunk], "meta": meta}

    def listing(
        self,
        request: Request,
        items: Sequence[T],
        *,
        key: str,
        render: Callable[[T], dict[str, Any]],
        sid: Callable[[T], str],
        max_size: int = 1000,
    ) -> dict[str, Any]:
        """One page of ``items`` with Twilio's ``meta``."""
        query = self.query(request)
        page = Page.parse(query, max_size=max_size)
        url = self.site(request).base + request.path
        chunk, meta = paginate(items, page, sid=sid, key=key, url=url, filters=query.filters(*PAGING))
        return {key: [render(item) for item in chunk], "meta": meta}

    # --- lookups ------------------------------------------------------------

    def room_of(self, request: Request, param: str = "RoomSid") -> RoomRecord:
        """The room a path names by SID, or by unique name while it is in progress."""
        room = self._room_by_reference(urllib.parse.unquote(request.params[param]))
        if room is None:
            raise errors.NOT_FOUND(path=request.path)
        return room

    def _room_by_reference(self, reference: str) -> RoomRecord | None:
        try:
            if sids.is_sid(reference, "RM"):
                return self.world.get_room(reference)
            room = self.world.find_room(reference)
        except NotFound:
            return None
        return room if room.status is RoomStatus.OPEN else None

    def participant_of(self, request: Request, room: RoomRecord, sid: str) -> ParticipantRecord:
        """Participant ``sid`` of ``room``; 404 for one of another room."""
        try:
            participant = self.world.get_participant(sid)
        except NotFound:
            participant = None
        if participant is None or participant.room_id != room.id:
            raise errors.NOT_FOUND(path=request.path)
        return participant

    def track_recordings(self, **filters: Any) -> list[RecordingRecord]:
        """The world's recordings that are Twilio track recordings, oldest first."""
        return [r for r in self.world.recordings(**filters) if self.recording_extra(r) is not None]

    def track_recording(self, request: Request, sid: str) -> RecordingRecord:
        try:
            recording = self.world.get_recording(sid)
        except NotFound:
            recording = None
        if recording is None or self.recording_extra(recording) is None:
            raise errors.NOT_FOUND(path=request.path)
        return recording

    def recording_extra(self, recording: RecordingRecord) -> RecordingExtra | None:
        """What the face keeps about a track recording: in its memory, or, for a seeded
        one (which nothing changes until it is deleted), in its record; ``None`` for a
        recording that is no track recording."""
        with self.state.lock:
            extra = self.state.recordings.get(recording.id)
        if extra is None and (kept := recording.options.get(SEEDED)) is not None:
            assert recording.stopped_at is not None  # seeded recordings are finished
            extra = RecordingExtra(
                settings=Settings(**kept["settings"]),
                status_callback=kept["status_callback"],
                status_callback_method=kept["status_callback_method"],
                completed_at=recording.stopped_at + self.world.processing_delay,
            )
        return extra

    def kept_extra(self, recording: RecordingRecord) -> RecordingExtra:
        """The track recording's extra, kept by the face from now on (it is about to change)."""
        with self.state.lock:
            extra = self.recording_extra(recording)
            assert extra is not None  # a track recording
            return self.state.recordings.setdefault(recording.id, extra)

    def recording_parts(self, recording: RecordingRecord) -> tuple[StreamRecord, RoomRecord, RecordingExtra]:
        """The track, room and face-kept details of a track recording."""
        assert recording.stream_ids is not None  # every track recording captures one track
        stream = self.world.get_stream(recording.stream_ids[0])
        extra = self.recording_extra(recording)
        assert extra is not None  # a track recording
        return stream, self.world.get_room(recording.room_id), extra

    def track_view(self, stream: StreamRecord) -> TrackView:
        publisher = self.world.get_participant(stream.participant_id)
        return TrackView(stream.id, track_name(stream), stream.kind.value, publisher.id, publisher.identity)


def _record_id(record: Record) -> str:
    return record.id
