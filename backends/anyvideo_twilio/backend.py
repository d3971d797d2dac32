"""The Twilio Video backend, on the official ``twilio`` SDK (9.x).

Configuration (keyword settings, else the environment given to ``connect``):
``account_sid`` (``TWILIO_ACCOUNT_SID``), ``api_key_sid`` + ``api_key_secret``
(``TWILIO_API_KEY_SID``/``TWILIO_API_KEY_SECRET``, or the quickstarts'
``TWILIO_API_KEY``/``TWILIO_API_SECRET``; needed to mint access
tokens, and used for the REST API when given), ``auth_token``
(``TWILIO_AUTH_TOKEN``; verifies status callbacks, and drives the REST API
without an API key), ``base_url`` (``TWILIO_VIDEO_BASE_URL``, e.g. an
emulator's), ``region``/``edge`` (keyword only), ``page_size``, ``registry``
(``ANYVIDEO_REGISTRY``): where recording windows are kept, ``retries``/
``timeout``/``deadline`` (``ANYVIDEO_RETRIES``/``ANYVIDEO_TIMEOUT``/``ANYVIDEO_DEADLINE``), read by
:func:`anyvideo.retry.policy_from_settings` as every backend reads them,
``rate`` (``ANYVIDEO_RATE_LIMIT``): a client-side limit in requests per
second, and ``status_callback`` (``TWILIO_STATUS_CALLBACK``) with
``status_callback_method`` (POST unless GET): the application's callback URL,
given to every room, composition and composition hook the backend creates
unless their own options name one, and ``enforce_roles``
(``TWILIO_ENFORCE_ROLES``): accept subscriber tokens, and disconnect a
subscriber that publishes when its ``track-added`` callback arrives
(:mod:`anyvideo_twilio.tokens`, :mod:`anyvideo_twilio.webhooks`).

Every request to Twilio goes through :meth:`Transport.call
<anyvideo_twilio.transport.Transport.call>` under the retry policy, once per
lookup; which operations are repeated after which failures is the table in
``docs/providers/twilio.md`` ("Retries").

See ``docs/providers/twilio.md`` for the mapping, the recording-window model
(:mod:`anyvideo_twilio.windows`) and the provider extensions
(:mod:`anyvideo_twilio.extensions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, Self
from urllib.parse import quote

from twilio.base import values
from twilio.rest import Client

from anyvideo import redaction
from anyvideo.backend import AccountSettings, Backend, Feature
from anyvideo.calls import done
from anyvideo.errors import Conflict, InvalidRequest, NotFound, ProviderError
from anyvideo.messaging import Invitation, InvitationSpec
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionStatus,
    Event,
    LayoutKind,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Resolution,
    Role,
    Room,
    RoomStatus,
    SelectBy,
    Stream,
)
from anyvideo.ratelimit import RateLimiter, limiter_from_settings
from anyvideo.registry import EndedRooms, Registry
from anyvideo.retry import RetryPolicy, Safety, policy_from_settings
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, TokenSpec
from anyvideo.voice import DialIn, PhoneCallSpec, VoiceReply
from anyvideo.webhooks import Transitions, WebhookRequest, clock_from_settings
from anyvideo_twilio import layouts as twilio_layouts
from anyvideo_twilio import messaging, options, reconcile, statuses, tokens, translate
from anyvideo_twilio import settings as account_settings
from anyvideo_twilio.config import TwilioSettings
from anyvideo_twilio.extensions import TwilioExtensions
from anyvideo_twilio.ids import IDS
from anyvideo_twilio.phone import TwilioPhone
from anyvideo_twilio.transport import Transport
from anyvideo_twilio.webhooks import CallbackParser
from anyvideo_twilio.windows import RULES, RecordingWindows, is_window_id, made_rules

__all__ = ["SDK_LOGGERS", "TwilioBackend"]

#: The loggers the ``twilio`` SDK writes to.
SDK_LOGGERS = ("twilio.http_client", "twilio.async_http_client")

_ROOM_SID_SHAPE = "RM"
_EPOCH = datetime.fromtimestamp(0, UTC)
#: The SDK's "parameter not given" marker.
_UNSET = values.unset


class TwilioBackend(Backend):
    """Every core operation on Twilio Video; Twilio's own features are its extensions (``video.ext``)."""

    name = "twilio"
    features = frozenset(
        {
            Feature.RECORDING,
            Feature.INDIVIDUAL_RECORDING,
            Feature.POST_HOC_COMPOSITION,
            Feature.MAX_PARTICIPANTS,
            Feature.RECORDING_RULES,
            Feature.SUBSCRIBE_RULES,
            Feature.COMPOSITION_HOOKS,
            Feature.EXTERNAL_STORAGE,
            Feature.INVITATIONS,
            Feature.PHONE_DIAL_OUT,
            Feature.PHONE_DIAL_IN,
        }
    )
    feature_hints = {
        Feature.LIVE_STREAMING: "Twilio Video has no HLS/RTMP egress; Vonage broadcasts do",
        Feature.SIGNALS: "Twilio's REST API cannot message clients; clients exchange messages over DataTracks",
        Feature.MUTE: "Twilio has no server-side mute: a client disables its own track (or unsubscribe it with "
        "subscribe rules)",
        Feature.TOKEN_ROLES: "Twilio access tokens carry no role: every participant may publish and subscribe. "
        "Opt in with the enforce_roles setting (TWILIO_ENFORCE_ROLES): subscriber tokens are accepted, and a "
        "subscriber that publishes is disconnected when Twilio's track-added callback arrives (it may publish "
        "until then)",
        Feature.TOKEN_DATA: "Twilio access tokens carry only an identity and a room; keep per-participant data "
        "in your application, keyed by identity",
        Feature.SIP_DIAL: "Twilio Video rooms take no SIP participants through the Video API "
        "(a phone number joins with video.phone.call)",
        Feature.DTMF: "Twilio's Video API plays no DTMF into a room",
        Feature.CAPTIONS: "Twilio's real-time transcriptions are not core captions: start and stop them with "
        "video.ext.start_transcriptions / update_transcriptions",
        Feature.RENDER: "Twilio Video cannot render a web page into a room",
        Feature.E2EE: "Twilio group rooms route media through Twilio's servers (encrypted in transit only)",
        Feature.PHONE_VERIFICATION: "Twilio Verify (verify.twilio.com) is outside the specifications anyvideo "
        "is built and tested against (only Video v1 and REST API 2010); use video.native.verify",
    }
    channels = frozenset(messaging.PREFIXES)
    channel_hints = messaging.CHANNEL_HINTS
    extensions_class = TwilioExtensions
    #: Always one: Twilio keeps no recording windows nor the portable layouts of compositions.
    registry: Registry
    client_sdk = "Twilio's Video client SDKs (twilio-video for JavaScript, or the iOS/Android SDKs)"
    #: Hooks, storage and callback URL for a settings migration (settings.py).
    account_settings: ClassVar[AccountSettings | None] = account_settings
    not_covered = {
        "transcribe on connect": "rooms.create does not offer transcribe_participants_on_connect (use "
        "video.native), or start them with video.ext.start_transcriptions",
        "large rooms": "the large_room option is not offered (nor the deprecated enable_turn); use video.native",
        "list filters": "listing by creation date, by source track or by media type is not offered; use video.native",
    }
    resolutions = None  # any size within Twilio's bounds, checked by the backend (options.composition_resolution)
    resolution_rule = (
        f"{options.MIN_SIDE} to {options.MAX_SIDE} pixels a side, at most {options.MAX_AREA:,} pixels (compositions)"
    )
    layouts = twilio_layouts.SUPPORTED
    #: Twilio tokens carry no role: a layout cannot place streams by it.
    selectors = frozenset(SelectBy) - {SelectBy.ROLE}
    max_token_ttl = float(tokens.MAX_TTL)

    def __init__(
        self,
        settings: TwilioSettings,
        registry: Registry,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """``now`` is the time callbacks' signed ``Timestamp`` is judged against (default: the machine's)."""
        self.settings = settings
        self.registry = registry
        #: The client-side request rate limit (the ``rate`` setting), if any.
        self.limiter = limiter
        #: Every request to Twilio goes through it (the ``retries``, ``timeout`` and ``deadline`` settings rule it).
        self.transport = Transport(settings, policy or RetryPolicy(), limiter)
        self._v1 = self.transport.v1
        #: The recording windows of this backend's rooms (what a core recording is on Twilio).
        self.windows = RecordingWindows(self.transport, registry, settings, self.get_room)
        #: The role of each identity's latest token per room, when roles are enforced (``enforce_roles``).
        self.roles = tokens.Roles(registry) if settings.enforce_roles else None
        if self.roles is None or settings.status_callback is not None:
            # A token is signed here, its room checked in the registry (a subscriber's room
            # is asked for its callback only when no status_callback setting covers it).
            self.requestless = frozenset({"create_token"})
        #: The rooms anyvideo knows have ended (it ended them, or a ``room-ended`` callback said so).
        self.ended = EndedRooms(registry)
        if settings.enforce_roles:
            # This instance declares more than the class: subscriber tokens, enforced on callbacks.
            self.features = type(self).features | {Feature.TOKEN_ROLES}  # type: ignore[misc]
        self._callbacks = CallbackParser(
            settings.auth_tokens,
            self.windows,
            Transitions(registry),
            roles=self.roles,
            disconnect=self.disconnect_participant if settings.enforce_roles else None,
            ended=self.ended,
            now=now or (lambda: datetime.now(UTC)),
        )
        #: Phone participants: Programmable Voice calls into rooms (:mod:`.phone`).
        self.phone = TwilioPhone(self, self._callbacks.verify)
        # Secrets never reach a log line, ours or the SDK's (which logs each request).
        for secret in (*settings.auth_tokens, settings.api_key_secret):
            redaction.register_secret(secret)
        redaction.install(SDK_LOGGERS)
        redaction.register_credential_field("X-Twilio-Signature")

    def __repr__(self) -> str:
        return f"TwilioBackend(account_sid={self.settings.account_sid!r}, base_url={self.base_url!r})"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        loaded = TwilioSettings.load(settings, environ)
        settings = dict(settings)
        policy = policy_from_settings(settings, environ)  # retries, timeout, deadline: as every backend reads them
        limiter = limiter_from_settings(settings, environ)
        registry = Registry.from_settings(settings.get("registry"), environ, namespace=f"twilio:{loaded.account_sid}")
        return cls(loaded, registry, policy, limiter, now=clock_from_settings(settings))

    @property
    def policy(self) -> RetryPolicy:
        """How requests are retried and timed out."""
        return self.transport.policy

    @property
    def page_size(self) -> int:
        """Items asked for per page when listing (the ``page_size`` setting)."""
        return self.transport.page_size

    @property
    def requests_sent(self) -> int:
        """REST requests sent to Twilio so far, every try counted (media downloads not)."""
        return self.transport.sent

    @property
    def native(self) -> Client:
        """The configured ``twilio.rest.Client`` (pointed at ``base_url``)."""
        return self.transport.client

    @property
    def base_url(self) -> str:
        """The Video API's base URL this backend talks to."""
        return self.transport.base_url

    @property
    def api_url(self) -> str:
        return self.base_url

    def close(self) -> None:
        self.transport.close()
        self.registry.close()

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """Verify a Twilio status callback (``X-Twilio-Signature``, keyed with the
        ``auth_token``) and translate it into events; see :mod:`anyvideo_twilio.webhooks`."""
        return self.phone.marked(self._callbacks.parse(request))

    def voice_reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The TwiML for a call to a dial-in number; see :mod:`anyvideo_twilio.phone`."""
        return self.phone.reply(request)

    def call_phone(self, room_id: str, spec: PhoneCallSpec) -> Participant:
        return self.phone.call(room_id, spec)

    def dial_in(self, room_id: str, number: str) -> DialIn:
        return self.phone.dial_in(room_id, number)

    # --- rooms --------------------------------------------------------------

    def create_room(self, spec: RoomSpec) -> Room:
        if spec.name is not None and _looks_like_sid(spec.name):
            raise InvalidRequest("name", "twilio reads a room name shaped like a room SID (RM…) as that SID")
        sdk = options.room_options(spec.provider_options, spec.max_participants)
        self.settings.default_callback(sdk)
        if spec.name is not None:
            sdk["unique_name"] = spec.name
        # a nameless room cannot be told from others: without a name it is not repeated
        made = None if spec.name is None else partial(reconcile.made_room, self.find_room, spec.name, sdk)

        def duplicates(room: Room | None) -> list[tuple[str, Callable[[], object]]]:
            return [] if made is None else reconcile.duplicates(self.registry, "room", room, made(), self.end_room)

        made_here = True
        try:
            room = self.transport.call(
                "create room",
                lambda: translate.room(self._v1.rooms.create(**sdk)),
                safety=Safety.UNSAFE,
                reconcile=made,
                duplicates=duplicates,
            )
        except Conflict:
            # Twilio 53113: an in-progress room has this name. A retry after a
            # create whose answer was lost lands here: hand back that room.
            existing = None if spec.name is None else reconcile.open_room(self.find_room, spec.name, sdk)
            if existing is None:
                raise
            room, made_here = existing, False
        # handed out: never taken for a late try's; the rules of a room it made are anyvideo's. A room
        # another process made keeps the entry that process filed (its rules, an open window).
        if made_here:
            self.registry.put("room", room.id, {RULES: made_rules(sdk)})
        else:
            self.registry.add("room", room.id, {})
        return room

    def get_room(self, room_id: str) -> Room:
        IDS.check("room", room_id)
        return self.transport.call("fetch room", lambda: translate.room(self.transport.fetch(f"/Rooms/{room_id}")))

    def find_room(self, name: str) -> Room:
        # By unique name Twilio answers only the room in progress; else the newest completed one.
        try:
            return self.transport.call("fetch room by name", lambda: translate.room(self._v1.rooms(name).fetch()))
        except NotFound:
            pass
        newest: Room | None = None
        for instance in self.transport.records(
            "list completed rooms by name",
            partial(self._v1.rooms.page, status="completed", unique_name=name, page_size=self.page_size),
        ):
            room = translate.room(instance)
            if newest is None or (room.created_at or _EPOCH) >= (newest.created_at or _EPOCH):
                newest = room
        if newest is None:
            raise NotFound(f"twilio: no room named {name!r}")
        return newest

    def list_rooms(self, *, status: RoomStatus | None = None, name: str | None = None) -> Iterator[Room]:
        # Without a status Twilio lists rooms in progress only: ask for each status in turn.
        for twilio_status in statuses.ROOM_FILTERS.get(status, ()):
            yield from (
                translate.room(instance)
                for instance in self.transport.records(
                    "list rooms",
                    partial(
                        self._v1.rooms.page,
                        status=twilio_status,
                        unique_name=name or _UNSET,
                        page_size=self.page_size,
                    ),
                )
            )

    def end_room(self, room_id: str) -> Room:
        IDS.check("room", room_id)
        room = self.transport.call(
            "end room",
            lambda: translate.room(self.transport.update(f"/Rooms/{room_id}", {"Status": "completed"})),
            safety=Safety.UNSAFE,
            reconcile=lambda: reconcile.ended(self.get_room(room_id)),
        )
        self.ended.end(room.id, room.ended_at)  # no new tokens for it, in any process sharing the registry
        # Twilio composes only ended rooms: compose the windows that waited for this.
        self.windows.compose_waiting(room.id)
        return room

    # --- participants and streams ------------------------------------------

    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        IDS.check("room", room_id)
        return (self.phone.mark(translate.participant(i)) for i in self._participants(room_id, status))

    def _participants(self, room_id: str, status: ParticipantStatus | None) -> Iterator[dict[str, Any]]:
        """The participants as Twilio sent them, lazily: Twilio lists one status at a time
        (connected by default in a room in progress)."""
        for twilio_status in statuses.PARTICIPANT_FILTERS.get(status, ()):
            yield from self.transport.records(
                "list participants",
                partial(self._v1.rooms(room_id).participants.page, status=twilio_status, page_size=self.page_size),
            )

    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        IDS.check("room", room_id)
        IDS.check("participant", participant_id)
        return self.transport.call(
            "fetch participant",
            lambda: self.phone.mark(
                translate.participant(self.transport.fetch(f"/Rooms/{room_id}/Participants/{participant_id}"))
            ),
        )

    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        """One request, as the SDK's: Twilio refuses to disconnect a participant that is not
        connected (a 400), which is a :class:`Conflict` here."""
        IDS.check("room", room_id)
        IDS.check("participant", participant_id)
        try:
            self.transport.call(
                "disconnect participant",
                lambda: self._v1.rooms(room_id).participants(participant_id).update(status="disconnected"),
                safety=Safety.UNSAFE,
                reconcile=lambda: reconcile.left(self.get_participant(room_id, participant_id)),
            )
        except ProviderError as refused:
            if refused.status != 400:
                raise
            raise Conflict(f"twilio: participant {participant_id!r} of room {room_id!r} is not connected") from refused

    def list_streams(self, room_id: str) -> Iterator[Stream]:
        IDS.check("room", room_id)
        for participant in self._participants(room_id, ParticipantStatus.CONNECTED):
            participant_sid = translate.sid(participant)  # only its SID is needed: no Participant is made
            yield from (
                translate.stream(track, room_id, participant_sid)
                for track in self.transport.records(
                    "list published tracks",
                    partial(
                        self._v1.rooms(room_id).participants(participant_sid).published_tracks.page,
                        page_size=self.page_size,
                    ),
                )
            )

    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        IDS.check("room", room_id)
        IDS.check("stream", stream_id)
        # A track's URL names its publisher, which the caller does not give: ask each one.
        for stream in self.list_streams(room_id):
            if stream.id == stream_id:
                return stream
        raise NotFound(f"twilio: no track {stream_id!r} published in room {room_id!r}")

    # --- tokens ---------------------------------------------------------------

    def send_invitation(self, spec: InvitationSpec) -> Invitation:
        return messaging.send(self.transport, spec, self.settings.message_sender)

    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        IDS.check("room", room_id)
        if spec.role is not Role.PUBLISHER and self.roles is None:
            raise self._unsupported(Feature.TOKEN_ROLES)
        if spec.role not in tokens.ENFORCED_ROLES:
            raise InvalidRequest(
                "role",
                f"with enforce_roles, twilio tokens are publisher or subscriber: nothing on Twilio enforces "
                f"what a {spec.role} token would allow or forbid",
            )
        if spec.data is not None:
            raise self._unsupported(Feature.TOKEN_DATA)
        if spec.provider_options:
            raise InvalidRequest("provider_options", "twilio access tokens take no provider options")
        key = tokens.api_key(self.settings)
        # No request: a room anyvideo knows has ended is refused here; one that ended unheard of
        # gets a token, and Twilio refuses it at the door (53118 "Room completed").
        if self.ended.has_ended(room_id):
            raise Conflict(f"twilio: room {room_id!r} has ended; it accepts no new participants")
        if self.roles is not None:
            if not spec.role.can_publish and self.settings.status_callback is None:
                self._check_callback(room_id, spec.role)
            self.roles.keep(room_id, spec.identity, spec.role)
        return tokens.mint(
            self.settings.account_sid, key, room=room_id, identity=spec.identity, ttl=spec.ttl, role=spec.role
        )

    def _check_callback(self, room_id: str, role: Role) -> None:
        """A token that cannot publish is enforced when Twilio calls back: without the
        ``status_callback`` setting, the room must have a callback of its own (a GET)."""
        room = self.get_room(room_id)
        if room.status is not RoomStatus.OPEN:
            raise Conflict(f"twilio: room {room_id!r} has ended; it accepts no new participants")
        if not room.raw.get("status_callback"):
            raise Conflict(
                f"twilio: room {room_id!r} has no status callback: a {role} token is enforced when "
                "Twilio calls back (set the status_callback setting, or the room's)"
            )

    # --- recordings: windows of the room's recording rules (see windows.py) ---

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        IDS.check("room", room_id)
        return self.windows.start(room_id, spec)

    def stop_recording(self, recording_id: str) -> Recording:
        IDS.check("recording", recording_id)
        return self.windows.stop(recording_id)

    def get_recording(self, recording_id: str) -> Recording:
        IDS.check("recording", recording_id)
        if is_window_id(recording_id):
            return self.windows.get(recording_id)
        # a track recording made outside any window
        return self.transport.call(
            "fetch track recording", lambda: translate.track_recording(self._v1.recordings(recording_id).fetch())
        )

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        """Lazily, one Twilio page at a time: the track recordings of a window
        stand for their window (listed once), any other track recording is an
        individual recording of its own; windows that captured nothing follow."""
        if room_id is not None:
            IDS.check("room", room_id)
        listed = self.transport.records(
            "list recordings",
            partial(self._v1.recordings.page, grouping_sid=room_id or _UNSET, page_size=self.page_size),
        )
        return (
            recording
            for recording in self.windows.listed(listed, room_id)
            if status is None or recording.status is status
        )

    def delete_recording(self, recording_id: str) -> None:
        IDS.check("recording", recording_id)
        if is_window_id(recording_id):
            self.windows.delete(recording_id)
            return
        self.transport.call("delete track recording", lambda: self._v1.recordings(recording_id).delete(), gone=done)
        self.windows.track_deleted(recording_id)  # one of a window's tracks: the window files it gone

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        IDS.check("recording", recording_id)
        sid = file_name.partition(".")[0]
        if not (self.windows.has_file(recording_id, sid) if is_window_id(recording_id) else sid == recording_id):
            raise InvalidRequest("file_name", f"{recording_id!r} has no file {file_name!r}")
        return self.transport.media(_media_path("Compositions" if sid.startswith("CJ") else "Recordings", sid))

    # --- compositions -------------------------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        IDS.check("room", room_id)
        # Not the streams: Twilio takes track names and patterns as sources too, in the body.
        IDS.check_all("recording", spec.recording_ids or (), "recordings")
        arguments = options.composition_arguments(room_id, spec, self.windows.sources)
        self.settings.default_callback(arguments)
        room = self.get_room(room_id)
        if room.status is RoomStatus.OPEN:
            raise Conflict(
                f"twilio: room {room_id!r} is in progress; Twilio composes a room after it ends "
                "(end it first, or record it with mode='composed', or use a composition hook)"
            )
        if spec.layout is not None and spec.layout.kind is LayoutKind.CUSTOM:
            # Twilio regions pick tracks by SID: place the room's recorded tracks by the layout's selectors.
            resolution = Resolution.parse(arguments["resolution"])
            regions = self.windows.placed_layout(room.id, spec.layout, resolution, self.windows.sources(spec))
            if regions:
                arguments["video_layout"] = regions
        created = reconcile.create_composition_once(self.transport, "create composition", arguments)
        self.windows.remember_layout(translate.sid(created), spec.layout)
        return translate.composition(created, spec.layout)

    def get_composition(self, composition_id: str) -> Composition:
        IDS.check("composition", composition_id)
        instance = self.transport.call("fetch composition", lambda: self._v1.compositions(composition_id).fetch())
        return translate.composition(instance, self.windows.layout_of(translate.sid(instance)))

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        if room_id is not None:
            IDS.check("room", room_id)
        twilio_status = next((raw for raw, core in statuses.COMPOSITION_STATUS.items() if core is status), None)
        if status is not None and twilio_status is None:
            return  # Twilio compositions are never live or stopped
        stream = self.transport.pages(
            "list compositions",
            lambda: self._v1.compositions.page(
                room_sid=room_id or _UNSET, status=twilio_status or _UNSET, page_size=self.page_size
            ),
        )
        for instance in stream:
            yield translate.composition(instance, self.windows.layout_of(translate.sid(instance)))

    def delete_composition(self, composition_id: str) -> None:
        IDS.check("composition", composition_id)
        self.transport.call("delete composition", lambda: self._v1.compositions(composition_id).delete(), gone=done)

    def download_composition(self, composition_id: str, file_name: str) -> Iterator[bytes]:
        IDS.check("composition", composition_id)
        if file_name.partition(".")[0] != composition_id:
            raise InvalidRequest("file_name", f"{composition_id!r} has no file {file_name!r}")
        return self.transport.media(_media_path("Compositions", composition_id))


def _media_path(collection: str, sid: str) -> str:
    """``/v1/<collection>/<sid>/Media``, the SID quoted: it is checked, and must still stay one path segment."""
    return f"/v1/{collection}/{quote(sid, safe='')}/Media"


def _looks_like_sid(name: str) -> bool:
    return len(name) == 34 and name.startswith(_ROOM_SID_SHAPE) and all(c in "0123456789abcdefABCDEF" for c in name[2:])
