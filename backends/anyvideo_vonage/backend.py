"""The ``vonage`` backend: Vonage Video through the official ``vonage`` SDK (4.x).

Sessions are rooms, connections participants, archives recordings and
broadcasts live compositions (see ``docs/providers/vonage.md`` for the whole mapping).
What Vonage does not store — a room's name, status and creation time, the
identity behind a connection, the layout asked for — the registry keeps.

Every request goes through the :class:`~anyvideo_vonage.transport.Transport`
(the retry policy, the rate limit); each operation says there what a repeat of
its request would do (``docs/providers/vonage.md``, "Retries"). Core operations
are sent by its REST helper (:mod:`.rest`), the request the SDK would send
without the SDK's own work around it; the SDK (one client per thread) sends
the rest. Client tokens are signed locally from the key loaded once
(:mod:`.credentials`). Vonage-only operations are in :mod:`.extensions`.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO, ClassVar, Literal, Self, TypeVar, cast

import attrs
from vonage import Vonage
from vonage_video.models import AddStreamRequest

from anyvideo import redaction
from anyvideo.backend import AccountSettings, Backend, Feature
from anyvideo.calls import done
from anyvideo.errors import AuthenticationError, Conflict, NotFound, ProviderError
from anyvideo.messaging import Invitation, InvitationSpec, Verification, VerificationSpec
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    EventType,
    Layout,
    MediaFile,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Room,
    RoomStatus,
    SelectBy,
    Stream,
)
from anyvideo.ratelimit import RateLimiter
from anyvideo.registry import EndedRooms, Registry
from anyvideo.retry import RetryPolicy, Safety
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec
from anyvideo.voice import DialIn, PhoneCallSpec, VoiceReply
from anyvideo.webhooks import WebhookRequest
from anyvideo_vonage import config, connections, layouts, messaging, options, reconcile, translate, verify
from anyvideo_vonage import settings as account_settings
from anyvideo_vonage.credentials import ClientTokens, PrivateKey
from anyvideo_vonage.extensions import VonageExtensions
from anyvideo_vonage.ids import IDS
from anyvideo_vonage.phone import VonagePhone
from anyvideo_vonage.placing import Placing
from anyvideo_vonage.rest import PAGE_SIZE, items_of
from anyvideo_vonage.transport import Transport
from anyvideo_vonage.webhooks import CallbackParser

#: What a start files and places: an archive's recording or a broadcast's composition.
_Started = TypeVar("_Started", Recording, Composition)

__all__ = ["VonageBackend"]

#: The loggers the SDK writes to. Its HTTP client logs, at DEBUG, the shared headers dict
#: (the previous request's Authorization) and request bodies that can hold client tokens.
SDK_LOGGERS = ("vonage",)


class VonageBackend(Backend):
    """Vonage Video. Settings (keyword, else environment): ``application_id``
    (``VONAGE_APPLICATION_ID``), ``private_key`` as PEM text or a path
    (``VONAGE_PRIVATE_KEY``; PKCS#8 or PKCS#1), ``video_host``
    (``VONAGE_VIDEO_HOST``, default ``video.api.vonage.com``), ``registry``
    (``ANYVIDEO_REGISTRY``: a SQLite file, default memory),
    ``signature_secret`` (``VONAGE_SIGNATURE_SECRET``; a list rotates secrets)
    to verify callbacks, ``retries`` (``ANYVIDEO_RETRIES``: how many times a
    failed request may be tried again, or a :class:`~anyvideo.retry.RetryPolicy`),
    ``timeout`` (``ANYVIDEO_TIMEOUT``: seconds to connect and to answer, one number
    or a ``(connect, read)`` pair), ``deadline`` (``ANYVIDEO_DEADLINE``: seconds a whole
    operation may take, retries included; 0: none), ``rate`` (``ANYVIDEO_RATE_LIMIT``: at most this
    many requests per second) and ``page_size`` (items per listed page).
    """

    name = "vonage"
    features = frozenset(
        {
            Feature.RECORDING,
            Feature.INDIVIDUAL_RECORDING,
            Feature.LIVE_STREAMING,
            Feature.SIGNALS,
            Feature.MUTE,
            Feature.TOKEN_ROLES,
            Feature.TOKEN_DATA,
            Feature.SIP_DIAL,
            Feature.DTMF,
            Feature.PHONE_DIAL_OUT,
            Feature.PHONE_DIAL_IN,
            Feature.CAPTIONS,
            Feature.RENDER,
            Feature.E2EE,
            Feature.INVITATIONS,
            Feature.PHONE_VERIFICATION,
        }
    )
    feature_hints = {
        Feature.POST_HOC_COMPOSITION: "Vonage composes while recording (a composed archive); it renders nothing "
        "after the fact, and a broadcast leaves no file to download or delete",
        Feature.MAX_PARTICIPANTS: "Vonage sessions have no participant cap",
        Feature.RECORDING_RULES: "Vonage archives record every stream, or those chosen with stream_mode='manual'",
        Feature.SUBSCRIBE_RULES: "Vonage clients choose what they subscribe to in the client SDK",
        Feature.COMPOSITION_HOOKS: "Vonage has no automatic compositions; use archive_mode='always'",
        Feature.EXTERNAL_STORAGE: "Vonage archive storage is configured on the account, not through the API",
    }
    #: Streams are placed by layout classes anyvideo gives them (:mod:`.placing`): by stream id, name and
    #: video type from the stream listing, by identity and role from session-monitoring callbacks.
    selectors = frozenset(SelectBy)
    resolutions = frozenset({"640x480", "480x640", "1280x720", "720x1280", "1920x1080", "1080x1920"})
    max_token_ttl = 30 * 24 * 3600.0
    channels = frozenset(messaging.CHANNELS)
    client_sdk = "the Vonage Video client SDK (@vonage/client-sdk-video, or the iOS/Android SDKs)"
    rooms_kept_in = (
        "ANYVIDEO_REGISTRY",
        "Vonage has no API listing sessions: anyvideo lists the rooms its registry keeps",
    )
    account_settings: ClassVar[AccountSettings | None] = (
        account_settings  # room defaults kept by anyvideo, for a settings migration (settings.py)
    )
    not_covered = {
        "archive storage": "the account's upload target (S3, Azure) is set in the Vonage dashboard, not the API",
        "callback URLs": "session-monitoring, archive and broadcast callback URLs are set on the application "
        "(dashboard or Application API), not through the Video API",
    }

    extensions_class = VonageExtensions
    #: Always one: Vonage stores no room names, statuses or layouts.
    registry: Registry

    def __init__(
        self,
        application_id: str,
        private_key: PrivateKey,
        *,
        video_host: str = config.DEFAULT_VIDEO_HOST,
        registry: Registry | None = None,
        policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        page_size: int = PAGE_SIZE,
        signature_secrets: Sequence[str] = (),
        now: Callable[[], datetime] | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        message_sender: str | None = None,
    ) -> None:
        redaction.install(SDK_LOGGERS)
        if api_secret:
            redaction.register_secret(api_secret)
        redaction.register_credential_field("X-OPENTOK-AUTH")
        for secret in signature_secrets:
            redaction.register_secret(secret)
        #: The account's API key and secret (``api_key``/``api_secret``), for the Application API,
        #: SMS and Verify, if given.
        self.account = (api_key, api_secret) if api_key and api_secret else None
        self.registry = registry or Registry(None, namespace=f"vonage:{application_id}")
        #: The rooms anyvideo ended (a Vonage session never ends: ending is anyvideo's policy).
        self._ended = EndedRooms(self.registry)
        #: Every request goes through it: SDK clients, REST helper, retry policy, rate limit.
        self.transport = Transport(
            application_id,
            private_key,
            video_host=video_host,
            policy=policy or RetryPolicy(),
            rate_limiter=rate_limiter,
            page_size=page_size,
            api_key=api_key,
            api_secret=api_secret,
        )
        #: Who invitations come from unless the call says (``message_sender``).
        self.message_sender = message_sender
        self._tokens = ClientTokens(self.transport.jwt)
        self._names = threading.Lock()  # room names: check and file as one step
        # ``now``: the time callbacks' signed ``iat`` is judged against (default: the machine's).
        self._callbacks = CallbackParser(
            self.registry, signature_secrets, self._layout, now=now or (lambda: datetime.now(UTC))
        )
        #: Gives streams the layout classes that place them in custom layouts.
        self.placing = Placing(self.transport, self.registry, learns_identities=bool(signature_secrets))
        #: Phone participants: SIP dial into the application's Voice side (:mod:`.phone`).
        self.phone = VonagePhone(self, self._callbacks.verify)

    def __repr__(self) -> str:
        transport = self.transport
        return f"VonageBackend(application_id={transport.application_id!r}, video_host={transport.video_host!r})"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        return cls(**config.backend_arguments(settings, environ))

    @property
    def native(self) -> Vonage:
        """This thread's SDK client (``vonage.Vonage``), authenticating with the cached application JWT."""
        return self.transport.sdk()

    @property
    def api_url(self) -> str:
        host = self.transport.video_host
        return host if "//" in host else f"https://{host}"

    def close(self) -> None:
        self.transport.close()
        self.registry.close()

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """A Vonage callback (session monitoring, archive, broadcast, Experience Composer),
        verified with the signature secret, as events; see :mod:`anyvideo_vonage.webhooks`.

        A Vonage session never ends, so a token minted before ``rooms.end`` still connects:
        the ``connectionCreated`` of a room anyvideo ended forces that connection out (its
        event is still a ``participant.joined``, followed by the ``participant.left`` of its
        ``connectionDestroyed``). A stream published, or an archive or broadcast stopped,
        where a custom layout runs is acted on too (:meth:`Placing.after_callbacks`). Should
        either fail, the callback is left unhandled, so the provider's next delivery of it is
        accepted and tries again.
        """
        events, intruders = self._callbacks.parse_and_read(request, self._let_into_ended_rooms)
        try:
            for intruder in intruders:
                self._force_out(intruder.room_id, intruder.id)
            self.placing.after_callbacks(events)
        except BaseException:
            self._callbacks.release(request)
            raise
        return events

    def _let_into_ended_rooms(self, events: list[Event]) -> list[Participant]:
        """The participants ``events`` say joined a room anyvideo has ended (to be forced out)."""
        return [
            event.subject
            for event in events
            if event.type == EventType.PARTICIPANT_JOINED
            and isinstance(event.subject, Participant)
            and self._ended.has_ended(event.subject.room_id)
        ]

    def release_webhook(self, request: WebhookRequest) -> None:
        self._callbacks.release(request)

    def _layout(self, kind: str, object_id: str) -> Layout | None:
        return layouts.from_json((self.registry.get(kind, object_id) or {}).get("layout"))

    # --- rooms --------------------------------------------------------------

    def create_room(self, spec: RoomSpec) -> Room:
        """A new session; under the name of an open room, that room (a retried create is harmless)."""
        asked = options.session_options({**account_settings.room_defaults(self), **spec.provider_options})
        if spec.name is not None:
            existing = self._open_room(spec.name)
            if existing is not None:
                return existing
        # A session a lost try made cannot be found (sessions are not listed), and need not be: a session
        # is only an id until someone connects, holds nothing and costs nothing, so a repeat is harmless.
        session_id = translate.created_session(
            self.transport.rest.call("POST", "/session/create", form=options.session_form(asked), what="create_session")
        )
        entry = {
            "name": spec.name,
            "status": RoomStatus.OPEN.value,
            "created_at": datetime.now(UTC).isoformat(),
            "ended_at": None,
            "media_mode": asked.media_mode.value if asked.media_mode else "routed",
            "archive_mode": asked.archive_mode.value if asked.archive_mode else "manual",
            "e2ee": bool(asked.e2ee),
            "location": asked.location,
        }
        if spec.name is None:  # nothing to check: filed in one statement
            self.registry.put("room", session_id, entry)
            return translate.room(session_id, entry)
        # Checked and filed in one registry transaction: of the processes sharing the registry that
        # make a room under one name at once, one files it and the others hand back that room.
        with self._names, self.registry.transaction():
            existing = self._open_room(spec.name)
            if existing is not None:  # made meanwhile by another thread or process; the new session stays unused
                return existing
            self.registry.put("room", session_id, entry)
        return translate.room(session_id, entry)

    def _open_room(self, name: str) -> Room | None:
        for key, entry in self.registry.find("room", name=name, status=RoomStatus.OPEN.value):
            return translate.room(key, entry)
        return None

    def _room_entry(self, room_id: str) -> dict[str, Any] | None:
        """The registry's entry; for a session anyvideo did not create, ``None`` once
        the provider confirmed the session exists (else NotFound)."""
        IDS.check("room", room_id)
        entry = self.registry.get("room", room_id)
        if entry is None:
            try:
                self.transport.rest.call("GET", self.transport.rest.project_path("session", room_id, "stream"))
            except (NotFound, ProviderError) as exc:
                if isinstance(exc, ProviderError) and exc.status != 400:
                    raise
                raise NotFound(f"vonage: no session {room_id!r}") from exc
        return entry

    def get_room(self, room_id: str) -> Room:
        return translate.room(room_id, self._room_entry(room_id))

    def find_room(self, name: str) -> Room:
        newest = None
        for key, entry in self.registry.find("room", name=name):
            if entry.get("status") == RoomStatus.OPEN.value:
                return translate.room(key, entry)
            newest = (key, entry)
        if newest is None:
            raise NotFound(f"vonage: no room named {name!r}")
        return translate.room(*newest)

    def list_rooms(self, *, status: RoomStatus | None = None, name: str | None = None) -> Iterator[Room]:
        filters: dict[str, Any] = {}
        if status is not None:
            filters["status"] = status.value
        if name is not None:
            filters["name"] = name
        return (translate.room(key, entry) for key, entry in self.registry.find("room", **filters))

    def end_room(self, room_id: str) -> Room:
        """Mark the room ended (no new tokens), then force every connection out.

        A Vonage session cannot be closed: ending is anyvideo's policy, kept in the registry.
        """
        self._room_entry(room_id)  # a session made elsewhere must exist: it is filed, ended
        ended = self._ended.end(room_id, datetime.now(UTC), filed={"name": None, "created_at": None})
        entry = ended or self.registry.require("room", room_id)  # ended before: as it was filed then
        present = self._connections(room_id)
        connections.seen(self.registry, room_id, present)
        for item in present:
            self._force_out(room_id, str(item["connectionId"]))
        return translate.room(room_id, entry)

    def _force_out(self, room_id: str, connection_id: str) -> None:
        """Disconnect a connection of an ended room; one that left meanwhile is fine."""
        try:
            self._disconnect(room_id, connection_id)
        except NotFound:
            pass

    def _disconnect(self, room_id: str, connection_id: str) -> None:
        IDS.check("room", room_id)
        IDS.check("participant", connection_id)
        # A repeat after a lost answer finds the connection gone (404): the lost try did it.
        rest = self.transport.rest
        rest.call(
            "DELETE",
            rest.project_path("session", room_id, "connection", connection_id),
            gone=done,
            what="disconnect_client",
        )
        connections.left(self.registry, room_id, connection_id, int(time.time() * 1000))

    # --- participants and streams ------------------------------------------

    def _connections(self, room_id: str) -> list[dict[str, Any]]:
        """``GET …/session/{id}/connection`` (the SDK has no such call)."""
        answer = self.transport.rest.call("GET", self.transport.rest.project_path("session", room_id, "connection"))
        return [item for item in items_of(answer) if item.get("connectionId")]

    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        """The connections listed now, and those anyvideo saw before that have left (see :mod:`.connections`)."""
        IDS.check("room", room_id)
        participants = connections.participants(self.registry, room_id, self._connections(room_id))
        return iter([p for p in participants if status is None or p.status is status])

    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        IDS.check("room", room_id)
        IDS.check("participant", participant_id)
        for participant in self.list_participants(room_id):
            if participant.id == participant_id:
                return participant
        raise NotFound(f"vonage: no connection {participant_id!r} in session {room_id!r}")

    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        self._disconnect(room_id, participant_id)

    def _stream(self, room_id: str, body: Any) -> Stream:
        stream_id = body.get("id") if isinstance(body, dict) else None
        known = self.registry.get("stream", stream_id) if isinstance(stream_id, str) else None
        return translate.known_stream(room_id, body, known or {})

    def list_streams(self, room_id: str) -> Iterator[Stream]:
        IDS.check("room", room_id)
        rest = self.transport.rest
        listed = items_of(rest.call("GET", rest.project_path("session", room_id, "stream"), what="list_streams"))
        known = self.registry.get_many("stream", [body["id"] for body in listed if isinstance(body.get("id"), str)])
        return iter([translate.known_stream(room_id, body, known.get(str(body.get("id")), {})) for body in listed])

    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        IDS.check("room", room_id)
        IDS.check("stream", stream_id)
        rest = self.transport.rest
        path = rest.project_path("session", room_id, "stream", stream_id)
        return self._stream(room_id, rest.call("GET", path, what="get_stream"))

    def _remember_muted(self, stream_ids: list[str]) -> None:
        # The REST API reports no mute state: anyvideo remembers what it muted.
        for stream_id in stream_ids:
            known = self.registry.get("stream", stream_id) or {}
            self.registry.put("stream", stream_id, {**known, "muted": True})

    def mute_stream(self, room_id: str, stream_id: str) -> Stream:
        IDS.check("room", room_id)
        IDS.check("stream", stream_id)
        self.transport.call(self.transport.video.mute_stream, room_id, stream_id)
        self._remember_muted([stream_id])
        return self.get_stream(room_id, stream_id)

    def mute_all(self, room_id: str, *, except_stream_ids: tuple[str, ...] = ()) -> None:
        """Mute every stream now. Vonage's "mute all" also mutes streams published later,
        until turned off; anyvideo's means "now", so it is turned off right after."""
        IDS.check("room", room_id)
        IDS.check_all("stream", except_stream_ids, "except_streams")
        video = self.transport.video
        self.transport.call(video.mute_all_streams, room_id, *([list(except_stream_ids)] if except_stream_ids else []))
        self.transport.call(video.disable_mute_all_streams, room_id)
        kept = set(except_stream_ids)
        self._remember_muted([str(i.id) for i in self.transport.call(video.list_streams, room_id) if i.id not in kept])

    # --- tokens and signals -------------------------------------------------

    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        classes = options.token_options(spec.provider_options)
        self.check_open(room_id)
        expires = int(time.time() + spec.ttl)
        token = self._tokens.mint(
            room_id,
            role=spec.role.value,
            expires=expires,
            connection_data=translate.connection_data(spec.identity, spec.data, spec.role),
            layout_classes=classes,
        )
        return AccessToken(
            token=token,
            provider=self.name,
            room_id=room_id,
            identity=spec.identity,
            role=spec.role,
            expires_at=datetime.fromtimestamp(expires, UTC),
            data=spec.data,
        )

    def send_invitation(self, spec: InvitationSpec) -> Invitation:
        return messaging.send(self.transport, spec, self.message_sender)

    def start_verification(self, spec: VerificationSpec) -> Verification:
        return verify.start(self.transport, spec)

    def check_verification(self, verification_id: str, code: str) -> Verification:
        return verify.check(self.transport, verification_id, code)

    def check_open(self, room_id: str) -> None:
        """:class:`Conflict` if anyvideo ended the room: it accepts no new participants."""
        IDS.check("room", room_id)
        status = self._ended.status(room_id)
        if status is None:  # not filed: the provider must know the session
            entry = self._room_entry(room_id)
            status = None if entry is None else entry.get("status")
        if status is not None and status != RoomStatus.OPEN.value:
            raise Conflict(f"room {room_id!r} has ended; it accepts no new participants")

    def phone_token(self, room_id: str, connection_data: str, expires: float) -> str:
        """A publisher token for a phone's SIP connection (its connection data names the phone)."""
        self.check_open(room_id)
        return self._tokens.mint(room_id, role="publisher", expires=int(expires), connection_data=connection_data)

    # --- phone participants (phone.py) ------------------------------------------------

    def call_phone(self, room_id: str, spec: PhoneCallSpec) -> Participant:
        return self.phone.call(room_id, spec)

    def dial_in(self, room_id: str, number: str) -> DialIn:
        return self.phone.dial_in(room_id, number)

    def voice_reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The NCCO for a voice webhook of the application's Voice side; see :mod:`anyvideo_vonage.phone`."""
        return self.phone.reply(request)

    def send_signal(self, room_id: str, spec: SignalSpec) -> None:
        IDS.check("room", room_id)
        target = () if spec.to is None else ("connection", IDS.check("participant", spec.to, "to"))
        rest = self.transport.rest
        path = rest.project_path("session", room_id, *target, "signal")
        # A repeat would deliver the signal twice: tried again only after a 429.
        rest.call("POST", path, body={"type": spec.type, "data": spec.data}, safety=Safety.UNSAFE, what="send_signal")

    # --- recordings (archives) ------------------------------------------------

    def _check_open(self, room_id: str) -> None:
        if self._ended.has_ended(room_id):
            raise Conflict(f"room {room_id!r} has ended")

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        IDS.check("room", room_id)
        request = options.archive_request(room_id, spec)
        layout = (spec.layout or Layout.grid()) if spec.mode is RecordingMode.COMPOSED else None
        rest, body = self.transport.rest, options.request_json(request)
        return self._start_placed(
            "archive",
            room_id,
            layout,
            reconcile.archive_matches(request),
            "start_archive",
            lambda: rest.call("POST", rest.project_path("archive"), body=body, safety=Safety.UNSAFE),
            translate.archive,
        )

    def _start_placed(
        self,
        kind: Literal["archive", "broadcast"],
        room_id: str,
        layout: Layout | None,
        matches: reconcile.Matcher,
        what: str,
        start: Callable[[], dict[str, Any]],
        read: Callable[[dict[str, Any], Layout | None], _Started],
    ) -> _Started:
        """Start an archive or broadcast (:meth:`start_once`) in an open room, its streams
        placed for a custom ``layout`` first, and file what started with its layout."""
        self.placing.check(layout)
        self._check_open(room_id)
        with self.placing.starting(room_id, layout):
            started = read(self.start_once(kind, room_id, matches, what, start), layout)
            self.registry.put(kind, started.id, {"layout": layouts.to_json(layout)})
            if layouts.places_streams(layout):  # (a new archive or broadcast has no placing to forget)
                self.placing.running(kind, started.id, room_id, layout)
        return started

    def start_once(
        self,
        kind: reconcile.Kind,
        room_id: str,
        matches: reconcile.Matcher,
        what: str,
        start: Callable[[], dict[str, Any]],
    ) -> dict[str, Any]:
        """``start()``'s archive, broadcast or render (``kind``): after a lost answer, the one the lost
        try started is adopted, and one it started late besides the repeat's is stopped (the caller
        files what it gets in the registry, which tells the lost tries' work from what anyvideo knows)."""
        rest, registry = self.transport.rest, self.registry
        return self.transport.run(
            what,
            start,
            safety=Safety.UNSAFE,
            reconcile=lambda: reconcile.started_by_lost_try(rest, registry, kind, room_id, matches),
            duplicates=lambda made: reconcile.duplicates(rest, registry, kind, room_id, matches, made),
        )

    def _archive_layout(self, archive_id: str) -> Layout | None:
        return self._layout("archive", archive_id)

    def stop_recording(self, recording_id: str) -> Recording:
        IDS.check("recording", recording_id)
        rest = self.transport.rest
        archive = rest.call("POST", rest.project_path("archive", recording_id, "stop"), what="stop_archive")
        return translate.archive(archive, self._stopped("archive", recording_id))

    def _stopped(self, kind: Literal["archive", "broadcast"], object_id: str) -> Layout | None:
        """An archive or broadcast stopped: its placing ended (see :meth:`.Placing.ended`) unless
        anyvideo filed it with a layout that places no stream; the layout it was filed with."""
        entry = self.registry.get(kind, object_id)
        layout = layouts.from_json((entry or {}).get("layout"))
        if entry is None or layouts.places_streams(layout):
            self.placing.ended(kind, object_id)
        return layout

    def get_recording(self, recording_id: str) -> Recording:
        IDS.check("recording", recording_id)
        body = self.transport.rest.call("GET", self.transport.rest.project_path("archive", recording_id))
        return translate.archive(body, self._archive_layout(recording_id))

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        filters = {"sessionId": IDS.check("room", room_id)} if room_id is not None else {}
        rest = self.transport.rest
        pages = rest.oldest_first_pages(rest.project_path("archive"), filters, page_size=self.transport.page_size)
        recordings = (translate.archive(body, layout) for body, layout in self._with_layouts("archive", pages))
        return (r for r in recordings if status is None or r.status is status)

    def _with_layouts(
        self, kind: Literal["archive", "broadcast"], pages: Iterable[list[dict[str, Any]]]
    ) -> Iterator[tuple[dict[str, Any], Layout | None]]:
        """Each listed item with the layout anyvideo asked for: one registry read per page."""
        for page in pages:
            filed = self.registry.get_many(kind, [str(body.get("id")) for body in page])
            for body in page:
                yield body, layouts.from_json(filed.get(str(body.get("id")), {}).get("layout"))

    def delete_recording(self, recording_id: str) -> None:
        IDS.check("recording", recording_id)
        # Deleting a deleted archive succeeds (the provider accepts "available OR uploaded OR deleted").
        self.transport.rest.call(
            "DELETE", self.transport.rest.project_path("archive", recording_id), what="delete_archive"
        )

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        IDS.check("recording", recording_id)
        body = self.transport.rest.call("GET", self.transport.rest.project_path("archive", recording_id))
        recording = translate.archive(body)
        if not any(f.name == file_name for f in recording.files):
            raise Conflict(f"vonage: archive {recording_id!r} has no file {file_name!r} to download now")
        return self.transport.rest.download(body["url"])  # the translator saw it is a non-empty string

    def download_recording_file(self, recording: Recording, file: MediaFile) -> Iterator[bytes]:
        """From the archive's ``url`` as it was listed or got: no second request for the archive.
        That URL lasts 10 minutes (spec: ``Archive-Detail.url``); one refused as expired (403)
        is asked for anew, once."""
        url = recording.raw.get("url")
        if not isinstance(url, str) or not url or file not in recording.files:
            return self.download_recording(recording.id, file.name)
        try:
            return self.transport.rest.download(url)
        except AuthenticationError:  # a signed URL carries no credential: its signature expired
            return self.download_recording(recording.id, file.name)

    def recording_parts(
        self, recording: Recording, file: MediaFile, data: BinaryIO
    ) -> Iterable[tuple[MediaFile, BinaryIO]] | None:
        """An individual archive is a zip of one file per stream and a JSON metadata file
        (``<archive id>.json``) saying whose each is: its stream files, described by it."""
        if recording.mode is not RecordingMode.INDIVIDUAL or file.name != translate.ARCHIVE_FILES[recording.mode][0]:
            return None
        try:
            archive = zipfile.ZipFile(data)
        except zipfile.BadZipFile as exc:
            raise ProviderError(f"{file.name} of archive {recording.id} is not a zip", provider=self.name) from exc
        return self._zipped_parts(recording, archive)

    def _zipped_parts(self, recording: Recording, archive: zipfile.ZipFile) -> Iterator[tuple[MediaFile, BinaryIO]]:
        metadata = f"{recording.id}.json"
        with archive:
            try:
                described = translate.archive_parts(json.loads(archive.read(metadata)))
            except (KeyError, ValueError):  # no metadata file, or not JSON: the files say no more than their names
                described = {}
            for entry in archive.infolist():
                name = posixpath.basename(entry.filename)
                if entry.is_dir() or entry.filename == metadata or not name:
                    continue
                part = described.get(name) or MediaFile(
                    name=name, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
                )
                known = self.registry.get("stream", part.stream_id) if part.stream_id else None
                if known and isinstance(known.get("participant_id"), str):
                    part = attrs.evolve(part, participant_id=known["participant_id"])
                with archive.open(entry) as member:
                    yield part, cast(BinaryIO, member)

    # --- compositions (live broadcasts) ---------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        if spec.output is not CompositionOutput.LIVE:
            raise self._unsupported(Feature.POST_HOC_COMPOSITION)
        IDS.check("room", room_id)
        IDS.check_all("stream", spec.stream_ids or (), "streams")
        request = options.broadcast_request(room_id, spec)
        layout = spec.layout or Layout.grid()
        rest, body = self.transport.rest, options.request_json(request)
        composition = self._start_placed(
            "broadcast",
            room_id,
            layout,
            reconcile.broadcast_matches(request),
            "start_broadcast",
            lambda: rest.call("POST", rest.project_path("broadcast"), body=body, safety=Safety.UNSAFE),
            translate.broadcast,
        )
        video = self.transport.video
        if spec.stream_ids:
            for stream_id in spec.stream_ids:  # adding a stream twice keeps it once: safe to repeat
                self.transport.call(
                    video.add_stream_to_broadcast, composition.id, AddStreamRequest(stream_id=stream_id)
                )
            return self.get_composition(composition.id)
        return composition

    def _broadcast_layout(self, broadcast_id: str) -> Layout | None:
        return self._layout("broadcast", broadcast_id)

    def stop_composition(self, composition_id: str) -> Composition:
        IDS.check("composition", composition_id)
        try:
            # A repeat after a lost answer finds it stopped (404): the lost try stopped it.
            rest = self.transport.rest
            broadcast = rest.call(
                "POST", rest.project_path("broadcast", composition_id, "stop"), gone=done, what="stop_broadcast"
            )
        except NotFound:
            # The provider answers 404 for a stopped broadcast too: tell the two apart.
            current = self.get_composition(composition_id)
            self._stopped("broadcast", composition_id)
            raise Conflict(f"vonage: broadcast {composition_id!r} is {current.status}, not live") from None
        layout = self._stopped("broadcast", composition_id)
        if broadcast is None:
            return self.get_composition(composition_id)
        return translate.broadcast(broadcast, layout)

    def get_composition(self, composition_id: str) -> Composition:
        IDS.check("composition", composition_id)
        body = self.transport.rest.call("GET", self.transport.rest.project_path("broadcast", composition_id))
        return translate.broadcast(body, self._broadcast_layout(composition_id))

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        filters = {"sessionId": IDS.check("room", room_id)} if room_id is not None else {}
        rest = self.transport.rest
        pages = rest.oldest_first_pages(rest.project_path("broadcast"), filters, page_size=self.transport.page_size)
        compositions = (translate.broadcast(body, layout) for body, layout in self._with_layouts("broadcast", pages))
        return (c for c in compositions if status is None or c.status is status)
