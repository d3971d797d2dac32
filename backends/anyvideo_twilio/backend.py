"""The Twilio Video backend, on the official ``twilio`` SDK (9.x).

Configuration (keyword settings, else the environment given to ``connect``):
``account_sid`` (``TWILIO_ACCOUNT_SID``), ``api_key_sid`` + ``api_key_secret``
(``TWILIO_API_KEY_SID``/``TWILIO_API_KEY_SECRET``; needed to mint access
tokens, and used for the REST API when given), ``auth_token``
(``TWILIO_AUTH_TOKEN``; verifies status callbacks, and drives the REST API
without an API key), ``base_url`` (``TWILIO_VIDEO_BASE_URL``, e.g. an
emulator's), ``region``/``edge`` (keyword only), ``page_size``, ``registry``
(``ANYVIDEO_REGISTRY``): where recording windows are kept, ``retries``/
``timeout`` (``ANYVIDEO_RETRIES``/``ANYVIDEO_TIMEOUT``), read by
:func:`anyvideo.retry.policy_from_settings` as every backend reads them,
``rate`` (``ANYVIDEO_RATE_LIMIT``): a client-side limit in requests per
second, and ``status_callback`` (``TWILIO_STATUS_CALLBACK``) with
``status_callback_method`` (POST unless GET): the application's callback URL,
given to every room, composition and composition hook the backend creates
unless their own options name one.

Every request to Twilio goes through :meth:`TwilioBackend._call` under the
retry policy, once per lookup; which operations are repeated after which
failures is the table in ``docs/providers/twilio.md`` ("Retries").

See ``docs/providers/twilio.md`` for the mapping, the recording-window model and the
provider extensions (the public methods below the core operations).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from functools import partial
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from anyvideo import redaction
from anyvideo.backend import Backend, Feature
from anyvideo.errors import AnyVideoError, ConfigurationError, Conflict, InvalidRequest, NotFound, ProviderError
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionStatus,
    Event,
    Layout,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Resolution,
    Role,
    Room,
    RoomStatus,
    Stream,
)
from anyvideo.ratelimit import RateLimiter, limiter_from_settings
from anyvideo.redaction import get_logger
from anyvideo.registry import Registry
from anyvideo.retry import RetryPolicy, Safety, is_transient, policy_from_settings
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, TokenSpec
from anyvideo.webhooks import WebhookRequest
from anyvideo_twilio import layouts as twilio_layouts
from anyvideo_twilio import options, statuses, tokens, translate
from anyvideo_twilio import settings as account_settings
from anyvideo_twilio.config import TwilioSettings
from anyvideo_twilio.errors import MalformedAnswer, translated, translating
from anyvideo_twilio.extensions import (
    CompositionHook,
    StorageSettings,
    TrackRule,
    TrackRules,
    rule_set,
)
from anyvideo_twilio.transport import RecordingHttpClient
from anyvideo_twilio.webhooks import CallbackParser
from anyvideo_twilio.windows import RecordingWindows, is_window_id, layout_entry, layout_from

__all__ = ["SDK_LOGGERS", "TwilioBackend"]

T = TypeVar("T")

log = get_logger("anyvideo.twilio")

#: The loggers the ``twilio`` SDK writes to.
SDK_LOGGERS = ("twilio.http_client", "twilio.async_http_client")

_ROOM_SID_SHAPE = "RM"
_EPOCH = datetime.fromtimestamp(0, UTC)
#: The SDK's "parameter not given" marker.
_UNSET = values.unset


class TwilioBackend(Backend):
    """Every core operation on Twilio Video, plus Twilio's own features as typed extensions."""

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
        }
    )
    feature_hints = {
        Feature.LIVE_STREAMING: "Twilio Video has no HLS/RTMP egress; Vonage broadcasts do",
        Feature.SIGNALS: "Twilio's REST API cannot message clients; clients exchange messages over DataTracks",
        Feature.MUTE: "Twilio has no server-side mute: a client disables its own track (or unsubscribe it with "
        "subscribe rules)",
        Feature.TOKEN_ROLES: "Twilio access tokens carry no role: every participant may publish and subscribe; "
        "restrict what they receive with subscribe rules",
        Feature.TOKEN_DATA: "Twilio access tokens carry only an identity and a room; keep per-participant data "
        "in your application, keyed by identity",
        Feature.SIP_DIAL: "Twilio Video rooms take no SIP participants through the Video API",
        Feature.DTMF: "Twilio Video rooms have no telephone participants to send DTMF to",
        Feature.CAPTIONS: "Twilio's room transcriptions (/Rooms/{sid}/Transcriptions) are not wrapped by anyvideo; "
        "reach them through video.native",
        Feature.RENDER: "Twilio Video cannot render a web page into a room",
        Feature.E2EE: "Twilio group rooms route media through Twilio's servers (encrypted in transit only)",
    }
    extensions = {
        "get_recording_rules": "the room's recording rules (which published tracks Twilio records)",
        "set_recording_rules": "replace the room's recording rules (refused while an anyvideo recording is open)",
        "get_subscribe_rules": "the tracks a participant receives (subscribe rules)",
        "set_subscribe_rules": "replace a participant's subscribe rules, with priorities",
        "create_composition_hook": "compose every room that ends with recordings, with a layout and format",
        "get_composition_hook": "one composition hook",
        "list_composition_hooks": "the account's composition hooks, lazily",
        "update_composition_hook": "replace a composition hook (what is left out returns to its default)",
        "find_composition_hook": "the composition hook with this name (compared without case), if any",
        "delete_composition_hook": "delete a composition hook",
        "get_recording_settings": "where new track recordings are stored (external S3) and how encrypted",
        "set_recording_settings": "store new track recordings in your S3 bucket, encrypted with your key",
        "get_composition_settings": "where new compositions are stored (external S3) and how encrypted",
        "set_composition_settings": "store new compositions in your S3 bucket, encrypted with your key",
    }
    client_sdk = "Twilio's Video client SDKs (twilio-video for JavaScript, or the iOS/Android SDKs)"
    account_settings = account_settings  # hooks, storage and callback URL for a settings migration (settings.py)
    not_covered = {
        "room transcriptions": "/Rooms/{sid}/Transcriptions and transcribe_participants_on_connect are not wrapped; "
        "use video.native.video.v1.rooms(sid).transcriptions",
        "participant anonymization": "not wrapped; use video.native.video.v1.rooms(sid).participants(pid).anonymize()",
        "subscribed tracks": "what a participant receives now is not listed; use "
        "video.native.video.v1.rooms(sid).participants(pid).subscribed_tracks",
        "large rooms": "the large_room option is not offered (nor the deprecated enable_turn); use video.native",
        "list filters": "listing by creation date, by source track or by media type is not offered; use video.native",
    }
    resolutions = None  # any size within Twilio's bounds, checked by the backend (options.composition_resolution)
    resolution_rule = (
        f"{options.MIN_SIDE} to {options.MAX_SIDE} pixels a side, at most {options.MAX_AREA:,} pixels (compositions)"
    )
    layouts = twilio_layouts.SUPPORTED
    max_token_ttl = float(tokens.MAX_TTL)

    def __init__(
        self,
        settings: TwilioSettings,
        registry: Registry,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        #: How requests are retried and timed out (the ``retries`` and ``timeout`` settings).
        self._policy = policy or RetryPolicy()
        #: The client-side request rate limit (the ``rate`` setting), if any.
        self.limiter = limiter
        #: Items asked for per page when listing (the ``page_size`` setting).
        self.page_size = settings.page_size
        self._http = RecordingHttpClient(timeout=self._policy.timeout, limiter=limiter)
        #: Whether this thread is inside a call's tries (a lookup there is tried once: the call retries).
        self._local = threading.local()
        user, password = (
            (settings.api_key_sid, settings.api_key_secret)
            if settings.can_mint_tokens
            else (settings.account_sid, settings.auth_token)
        )
        self._client = Client(
            user,
            password,
            settings.account_sid,
            region=settings.region,
            edge=settings.edge,
            http_client=self._http,
            environment={"ANYVIDEO": "twilio"},  # non-empty: an empty one would fall back to os.environ
        )
        # The SDK also reads TWILIO_REGION/TWILIO_EDGE from os.environ; only our settings decide.
        self._client.region = settings.region
        self._client.edge = settings.edge
        if settings.base_url is not None:
            self._client.video.base_url = settings.base_url
        self._v1 = self._client.video.v1
        self._windows = RecordingWindows(self)
        self._callbacks = CallbackParser(settings.auth_tokens, self._windows)
        # Secrets never reach a log line, ours or the SDK's (which logs each request).
        for secret in (*settings.auth_tokens, settings.api_key_secret):
            redaction.register_secret(secret)
        redaction.install(SDK_LOGGERS)
        redaction.register_credential_field("X-Twilio-Signature")

    def __repr__(self) -> str:
        return f"TwilioBackend(account_sid={self.settings.account_sid!r}, base_url={self.base_url!r})"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        settings = dict(settings)
        registry_setting = settings.pop("registry", None)
        policy = policy_from_settings(settings, environ)  # retries, timeout: read as every backend reads them
        limiter = limiter_from_settings(settings, environ)
        loaded = TwilioSettings.load(settings, environ)
        registry = Registry.from_settings(registry_setting, environ, namespace=f"twilio:{loaded.account_sid}")
        return cls(loaded, registry, policy, limiter)

    @property
    def policy(self) -> RetryPolicy:
        """How requests are retried and timed out."""
        return self._policy

    @property
    def requests_sent(self) -> int:
        """REST requests sent to Twilio so far, every try counted (media downloads not)."""
        return self._http.sent

    @property
    def native(self) -> Client:
        """The configured ``twilio.rest.Client`` (pointed at ``base_url``)."""
        return self._client

    @property
    def base_url(self) -> str:
        """The Video API's base URL this backend talks to."""
        return str(self._client.video.base_url)

    @property
    def api_url(self) -> str:
        return self.base_url

    def close(self) -> None:
        if self._http.session is not None:
            self._http.session.close()
        self.registry.close()

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """Verify a Twilio status callback (``X-Twilio-Signature``, keyed with the
        ``auth_token``) and translate it into events; see :mod:`anyvideo_twilio.webhooks`."""
        return self._callbacks.parse(request)

    # --- plumbing -----------------------------------------------------------

    def _calling(self) -> AbstractContextManager[None]:
        """SDK calls inside come out with anyvideo errors (chained), with Twilio's request id."""
        return translating(lambda: self._http.last_headers, lambda: self._http.last_status)

    def _call(
        self,
        what: str,
        operation: Callable[[], T],
        *,
        safety: Safety = Safety.SAFE,
        reconcile: Callable[[], T | None] | None = None,
        gone_is_done: bool = False,
    ) -> T:
        """``operation()`` (SDK calls), its errors translated, under the retry policy.

        Reads, deletes and idempotent updates are ``SAFE`` to repeat; a create
        is ``UNSAFE``: repeated after a lost answer only when ``reconcile`` can
        find what the lost try made. A lost try may also land *after* the next
        one was sent: when a try after a lost answer is refused as done already
        (Conflict, InvalidRequest, a plain 400, or NotFound for a delete: ``gone_is_done``),
        ``reconcile`` is asked once more, and a delete counts as done.

        A call made while another is being tried (a lookup in ``reconcile``)
        is tried once: the outer call's tries are the retries, so the policy's
        bounds hold for the whole operation."""
        ambiguous = False

        def attempt() -> T:
            nonlocal ambiguous
            try:
                with self._calling():
                    return operation()
            except AnyVideoError as exc:
                if ambiguous and gone_is_done and isinstance(exc, NotFound):
                    log.info("twilio: %s: done by the try whose answer was lost", what)
                    return None  # type: ignore[return-value]  # deletes return nothing
                if ambiguous and reconcile is not None and _refused_as_done(exc):
                    found = reconcile()
                    if found is not None:
                        log.info("twilio: %s: adopting what the try whose answer was lost made", what)
                        return found
                ambiguous = ambiguous or is_transient(exc)
                raise

        if getattr(self._local, "trying", False):
            return attempt()
        self._local.trying = True
        try:
            return self._policy.run(attempt, what=f"twilio: {what}", safety=safety, reconcile=reconcile)
        finally:
            self._local.trying = False

    def _pages(self, what: str, first: Callable[[], Any]) -> Iterator[Any]:
        """The records of a Twilio list, fetched lazily page by page (``next_page_url``):
        only the current page is held, and each page fetch is retried on its own."""
        page = self._call(what, first)
        followed: set[str] = set()
        while page is not None:
            with self._calling():  # the SDK makes a page's instances as it is read
                records = list(page)
                link = page.next_page_url
            yield from records
            if not link:
                return
            self._check_link(link, followed)
            page = self._call(what, page.next_page)

    def _check_link(self, link: Any, followed: set[str]) -> None:
        """A next page's URL must be new (no endless listing) and on Twilio's host (the SDK sends
        the credentials wherever it points)."""
        here = urlsplit(self.base_url)
        there = urlsplit(link) if isinstance(link, str) else None
        if there is None or link in followed:
            raise MalformedAnswer(f"answered a page whose next_page_url is {link!r:.80}: not a new page")
        same_host = (there.scheme, there.hostname) == (here.scheme, here.hostname)
        twilio_host = here.hostname is not None and here.hostname.endswith(".twilio.com")
        if not same_host and not (
            twilio_host and there.scheme == "https" and str(there.hostname).endswith(".twilio.com")
        ):
            raise MalformedAnswer(f"answered a page whose next page is on another host ({there.hostname!r})")
        followed.add(link)

    def _lazily(self, make: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        """The items of ``make()`` (a media download), its errors translated as they happen."""
        return translated(make, lambda: self._http.last_headers)

    # --- rooms --------------------------------------------------------------

    def create_room(self, spec: RoomSpec) -> Room:
        if spec.name is not None and _looks_like_sid(spec.name):
            raise InvalidRequest("name", "twilio reads a room name shaped like a room SID (RM…) as that SID")
        sdk = options.room_options(spec.provider_options, spec.max_participants)
        if "status_callback" not in sdk and self.settings.status_callback is not None:
            sdk["status_callback"] = self.settings.status_callback
            sdk.setdefault("status_callback_method", self.settings.status_callback_method)
        if spec.name is not None:
            sdk["unique_name"] = spec.name
        try:
            return self._call(
                "create room",
                lambda: translate.room(self._v1.rooms.create(**sdk)),
                safety=Safety.UNSAFE,
                # a nameless room cannot be told from others: without a name it is not repeated
                reconcile=None if spec.name is None else lambda: self._made_room(spec.name, sdk),
            )
        except Conflict:
            # Twilio 53113: an in-progress room has this name. A retry after a
            # create whose answer was lost lands here: hand back that room.
            if spec.name is None:
                raise
            existing = self.find_room(spec.name)
            if existing.status is not RoomStatus.OPEN or not _same_room(existing, sdk):
                raise
            return existing

    def _made_room(self, name: str | None, sdk: Mapping[str, Any]) -> Room | None:
        """The room a create whose answer was lost made, if it made one."""
        if name is None:
            return None  # a nameless room cannot be told from others
        try:
            room = self.find_room(name)
        except NotFound:
            return None
        return room if room.status is RoomStatus.OPEN and _same_room(room, sdk) else None

    def get_room(self, room_id: str) -> Room:
        return self._call("fetch room", lambda: translate.room(self._v1.rooms(room_id).fetch()))

    def find_room(self, name: str) -> Room:
        # By unique name Twilio answers only the room in progress; else the newest completed one.
        try:
            return self._call("fetch room by name", lambda: translate.room(self._v1.rooms(name).fetch()))
        except NotFound:
            pass
        newest: Room | None = None
        for instance in self._pages(
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
                for instance in self._pages(
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
        room = self._call(
            "end room",
            lambda: translate.room(self._v1.rooms(room_id).update(status="completed")),
            safety=Safety.UNSAFE,
            reconcile=lambda: _ended(self.get_room(room_id)),
        )
        # Twilio composes only ended rooms: compose the windows that waited for this.
        self._windows.compose_waiting(room.id)
        return room

    # --- participants and streams ------------------------------------------

    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        # Twilio lists one status at a time (connected by default in a room in progress).
        for twilio_status in statuses.PARTICIPANT_FILTERS.get(status, ()):
            yield from (
                translate.participant(instance)
                for instance in self._pages(
                    "list participants",
                    partial(self._v1.rooms(room_id).participants.page, status=twilio_status, page_size=self.page_size),
                )
            )

    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        return self._call(
            "fetch participant",
            lambda: translate.participant(self._v1.rooms(room_id).participants(participant_id).fetch()),
        )

    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        participant = self.get_participant(room_id, participant_id)
        if participant.status is not ParticipantStatus.CONNECTED:
            raise Conflict(f"twilio: participant {participant_id!r} has already left room {room_id!r}")
        self._call(
            "disconnect participant",
            lambda: self._v1.rooms(room_id).participants(participant_id).update(status="disconnected"),
            safety=Safety.UNSAFE,
            reconcile=lambda: _left(self.get_participant(room_id, participant_id)),
        )

    def list_streams(self, room_id: str) -> Iterator[Stream]:
        for participant in self.list_participants(room_id, status=ParticipantStatus.CONNECTED):
            yield from (
                translate.stream(track, room_id, participant.id)
                for track in self._pages(
                    "list published tracks",
                    partial(
                        self._v1.rooms(room_id).participants(participant.id).published_tracks.page,
                        page_size=self.page_size,
                    ),
                )
            )

    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        # A track's URL names its publisher, which the caller does not give: ask each one.
        for stream in self.list_streams(room_id):
            if stream.id == stream_id:
                return stream
        raise NotFound(f"twilio: no track {stream_id!r} published in room {room_id!r}")

    # --- tokens ---------------------------------------------------------------

    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        if spec.role is not Role.PUBLISHER:
            raise self._unsupported(Feature.TOKEN_ROLES)
        if spec.data is not None:
            raise self._unsupported(Feature.TOKEN_DATA)
        if spec.provider_options:
            raise InvalidRequest("provider_options", "twilio access tokens take no provider options")
        if not self.settings.can_mint_tokens:
            raise ConfigurationError(
                "minting twilio access tokens needs an API key: set api_key_sid and api_key_secret "
                "(TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET)"
            )
        room = self.get_room(room_id)
        if room.status is not RoomStatus.OPEN:
            raise Conflict(f"twilio: room {room_id!r} has ended; it accepts no new participants")
        assert self.settings.api_key_sid and self.settings.api_key_secret
        token, expires_at = tokens.mint(
            account_sid=self.settings.account_sid,
            api_key_sid=self.settings.api_key_sid,
            api_key_secret=self.settings.api_key_secret,
            room=room.id,
            identity=spec.identity,
            ttl=spec.ttl,
        )
        return AccessToken(
            token=token,
            provider=self.name,
            room_id=room.id,
            identity=spec.identity,
            role=Role.PUBLISHER,
            expires_at=expires_at,
        )

    # --- recordings: windows of the room's recording rules (see windows.py) ---

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        return self._windows.start(room_id, spec)

    def stop_recording(self, recording_id: str) -> Recording:
        return self._windows.stop(recording_id)

    def get_recording(self, recording_id: str) -> Recording:
        if is_window_id(recording_id):
            return self._windows.get(recording_id)
        # a track recording made outside any window
        return self._call(
            "fetch track recording", lambda: translate.track_recording(self._v1.recordings(recording_id).fetch())
        )

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        """Lazily, one Twilio page at a time: the track recordings of a window
        stand for their window (listed once), any other track recording is an
        individual recording of its own; windows that captured nothing follow."""
        stream = self._pages(
            "list recordings",
            partial(self._v1.recordings.page, grouping_sid=room_id or _UNSET, page_size=self.page_size),
        )
        # A window is listed at the first of its tracks that comes; then its other
        # tracks are skipped. They are listed close together (they started while
        # it was open), so only the windows met but not yet passed are remembered.
        unseen: dict[str, int] = {}
        for instance in stream:
            window = self._windows.claimant(instance)
            if window is None:
                recording = translate.track_recording(instance)
            elif window.id in unseen:
                unseen[window.id] -= 1
                if unseen[window.id] <= 0:
                    del unseen[window.id]
                continue
            else:
                if len(window.tracks) > 1:
                    unseen[window.id] = len(window.tracks) - 1
                recording = self._windows.recording(window)
            if status is None or recording.status is status:
                yield recording
        for recording in self._windows.empty(room_id):
            if status is None or recording.status is status:
                yield recording

    def delete_recording(self, recording_id: str) -> None:
        if is_window_id(recording_id):
            self._windows.delete(recording_id)
            return
        self._call("delete track recording", lambda: self._v1.recordings(recording_id).delete(), gone_is_done=True)

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        sid = file_name.partition(".")[0]
        if not (self._windows.has_file(recording_id, sid) if is_window_id(recording_id) else sid == recording_id):
            raise InvalidRequest("file_name", f"{recording_id!r} has no file {file_name!r}")
        return self._media(f"/v1/Compositions/{sid}/Media" if sid.startswith("CJ") else f"/v1/Recordings/{sid}/Media")

    # --- compositions -------------------------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        resolution = options.composition_resolution(spec.resolution)
        extra = dict(spec.provider_options)
        unknown = set(extra) - {"audio_sources", "audio_sources_excluded", "trim", "status_callback", "video_layout"}
        if unknown:
            raise InvalidRequest(
                "provider_options",
                f"twilio compositions take no {', '.join(sorted(unknown))} (they take audio_sources, "
                "audio_sources_excluded, trim, status_callback, video_layout)",
            )
        sources = self._composition_sources(spec)
        arguments: dict[str, Any] = {
            "room_sid": room_id,
            "resolution": str(resolution),
            "format": options.file_format(spec.format),
            "audio_sources": options.source_patterns(extra.get("audio_sources", sources), "audio_sources"),
        }
        if "video_layout" in extra:
            if spec.layout is not None:
                raise InvalidRequest("provider_options.video_layout", "give a layout or video_layout, not both")
            if not isinstance(extra["video_layout"], Mapping):
                raise InvalidRequest("provider_options.video_layout", "must be Twilio's region JSON (a mapping)")
            arguments["video_layout"] = dict(extra["video_layout"])
        else:
            arguments["video_layout"] = twilio_layouts.to_video_layout(
                spec.layout or Layout.grid(), resolution, sources
            )
        if "audio_sources_excluded" in extra:
            arguments["audio_sources_excluded"] = options.source_patterns(
                extra["audio_sources_excluded"], "audio_sources_excluded"
            )
        if "trim" in extra:
            if not isinstance(extra["trim"], bool):
                raise InvalidRequest("provider_options.trim", "must be true or false")
            arguments["trim"] = extra["trim"]
        if "status_callback" in extra:
            arguments["status_callback"] = options.check_url(extra["status_callback"], "status_callback")
        self.default_callback(arguments)
        room = self.get_room(room_id)
        if room.status is RoomStatus.OPEN:
            raise Conflict(
                f"twilio: room {room_id!r} is in progress; Twilio composes a room after it ends "
                "(end it first, or record it with mode='composed', or use a composition hook)"
            )
        created = self.create_composition_once("create composition", arguments)
        self._remember_layout(translate.sid(created), spec.layout)
        return translate.composition(created, spec.layout)

    def default_callback(self, arguments: dict[str, Any]) -> None:
        """Give the configured ``status_callback`` to a composition or hook whose arguments name none."""
        if "status_callback" not in arguments and self.settings.status_callback is not None:
            arguments["status_callback"] = self.settings.status_callback
            arguments["status_callback_method"] = self.settings.status_callback_method

    def create_composition_once(self, what: str, arguments: Mapping[str, Any]) -> Any:
        """Ask Twilio for a composition, never twice.

        Nothing in a composition tells one request's from another's, so after
        an ambiguous failure (5xx, no answer) the create is not sent again:
        the room's compositions are looked up instead, and one that was not
        there before and matches these arguments is adopted; if none appears
        while the policy's tries last, the failure is raised. A 429 (refused
        before anything was done) is simply tried again."""
        before: set[str] | None = None
        if self._policy.attempts > 1:  # what the room had, to tell a new composition from an old one
            before = {translate.sid(instance) for instance in self._room_compositions(arguments["room_sid"])}
        lost: list[AnyVideoError] = []

        def create() -> Any:
            try:
                with self._calling():
                    return self._v1.compositions.create(**arguments)
            except AnyVideoError as exc:
                if is_transient(exc):
                    lost.append(exc)
                raise

        def adopt() -> Any:
            made = [
                (translate.composition(instance), instance)
                for instance in self._room_compositions(arguments["room_sid"])
                if before is not None and translate.sid(instance) not in before and _made_by(instance, arguments)
            ]
            if made:  # the oldest: were two requests like this one lost at once, each adopts the first
                return min(made, key=lambda pair: (pair[0].started_at or _EPOCH, pair[0].id))[1]
            raise lost[-1]  # not found (yet): looked for again on the next try, never created again

        return self._call(what, create, safety=Safety.UNSAFE, reconcile=adopt if before is not None else None)

    def _room_compositions(self, room_sid: str) -> list[Any]:
        return list(
            self._pages(
                "list the room's compositions",
                partial(self._v1.compositions.page, room_sid=room_sid, page_size=self.page_size),
            )
        )

    def _composition_sources(self, spec: CompositionSpec) -> list[str]:
        """Source patterns from the spec: chosen tracks, chosen recordings (a window
        stands for its track recordings), else every track."""
        if spec.stream_ids is None and spec.recording_ids is None:
            return ["*"]
        chosen = list(spec.stream_ids or ())
        for recording_id in spec.recording_ids or ():
            chosen += self._windows.window(recording_id).tracks if is_window_id(recording_id) else [recording_id]
        if not chosen:
            raise InvalidRequest("recording_ids", "the chosen recordings captured no track")
        return chosen

    def _remember_layout(self, composition_sid: str, layout: Layout | None) -> None:
        if layout is not None:
            self.registry.put("composition", composition_sid, {"layout": layout_entry(layout)})

    def _layout_of(self, composition_sid: str) -> Layout | None:
        entry = self.registry.get("composition", composition_sid)
        return layout_from(entry["layout"]) if entry else None

    def get_composition(self, composition_id: str) -> Composition:
        instance = self._call("fetch composition", lambda: self._v1.compositions(composition_id).fetch())
        return translate.composition(instance, self._layout_of(translate.sid(instance)))

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        twilio_status = next((raw for raw, core in statuses.COMPOSITION_STATUS.items() if core is status), None)
        if status is not None and twilio_status is None:
            return  # Twilio compositions are never live or stopped
        stream = self._pages(
            "list compositions",
            lambda: self._v1.compositions.page(
                room_sid=room_id or _UNSET, status=twilio_status or _UNSET, page_size=self.page_size
            ),
        )
        for instance in stream:
            yield translate.composition(instance, self._layout_of(translate.sid(instance)))

    def delete_composition(self, composition_id: str) -> None:
        self._call("delete composition", lambda: self._v1.compositions(composition_id).delete(), gone_is_done=True)

    def download_composition(self, composition_id: str, file_name: str) -> Iterator[bytes]:
        if file_name.partition(".")[0] != composition_id:
            raise InvalidRequest("file_name", f"{composition_id!r} has no file {file_name!r}")
        return self._media(f"/v1/Compositions/{composition_id}/Media")

    def _media(self, path: str) -> Iterator[bytes]:
        """Twilio answers a media request with a redirect to a signed URL; follow it, in chunks."""
        url = self.base_url + path

        def redirect() -> Any:
            answer = self._client.request("GET", url)
            if answer.status_code >= 400:
                body = _json_body(answer.text)
                raise TwilioRestException(answer.status_code, url, body.get("message", answer.text), body.get("code"))
            return _json_body(answer.text).get("redirect_to")

        location = self._call("fetch media location", redirect)
        if not isinstance(location, str):
            raise ProviderError(f"the media answer for {path} has no redirect_to", provider=self.name)
        # Opening the download is retried like any read; once bytes flow, a failure is raised as it happens.
        return self._lazily(
            lambda: self._http.chunks(self._call("open media download", lambda: self._http.open(location)))
        )

    # --- provider extensions: recording and subscribe rules -------------------

    def get_recording_rules(self, room_id: str) -> TrackRules:
        """The room's recording rules (Feature.RECORDING_RULES)."""
        return self._call(
            "fetch recording rules", lambda: translate.rules(self._v1.rooms(room_id).recording_rules.fetch())
        )

    def set_recording_rules(self, room_id: str, rules: Sequence[TrackRule | Mapping[str, Any]]) -> TrackRules:
        """Replace the room's recording rules: which published tracks Twilio records.

        Refused (Conflict) while an anyvideo recording window is open in the
        room: the window owns the rules until it stops."""
        chosen = rule_set(rules, subscribe=False)
        if self._windows.open_window(room_id) is not None:
            raise Conflict(f"twilio: room {room_id!r} is being recorded by anyvideo; stop that recording first")
        rules_json = [rule.as_dict() for rule in chosen]
        return self._call(
            "update recording rules",
            lambda: translate.rules(self._v1.rooms(room_id).recording_rules.update(rules=rules_json)),
        )

    def get_subscribe_rules(self, room_id: str, participant_id: str) -> TrackRules:
        """Which tracks a participant receives (Feature.SUBSCRIBE_RULES)."""
        return self._call(
            "fetch subscribe rules",
            lambda: translate.rules(self._v1.rooms(room_id).participants(participant_id).subscribe_rules.fetch()),
        )

    def set_subscribe_rules(
        self, room_id: str, participant_id: str, rules: Sequence[TrackRule | Mapping[str, Any]]
    ) -> TrackRules:
        """Replace a participant's subscribe rules."""
        chosen = rule_set(rules, subscribe=True)
        rules_json = [rule.as_dict() for rule in chosen]
        return self._call(
            "update subscribe rules",
            lambda: translate.rules(
                self._v1.rooms(room_id).participants(participant_id).subscribe_rules.update(rules=rules_json)
            ),
        )

    # --- provider extensions: composition hooks -----------------------------

    def create_composition_hook(
        self,
        name: str,
        *,
        layout: Layout | Mapping[str, Any] | None = None,
        resolution: Resolution | str | None = None,
        format: str = "mp4",
        audio_sources: Sequence[str] = ("*",),
        audio_sources_excluded: Sequence[str] = (),
        trim: bool = True,
        enabled: bool = True,
        status_callback: str | None = None,
    ) -> CompositionHook:
        """Compose every room that ends with recordings (Feature.COMPOSITION_HOOKS).

        ``layout`` is a portable :class:`Layout` (grid by default) or Twilio
        region JSON; ``audio_sources=()`` makes a video-only composition."""
        arguments = translate.hook_arguments(
            name, layout, resolution, format, audio_sources, audio_sources_excluded, trim, enabled, status_callback
        )
        self.default_callback(arguments)
        return self._call(
            "create composition hook",
            lambda: translate.hook(self._v1.composition_hooks.create(**arguments)),
            safety=Safety.UNSAFE,
            # hook names are unique in an account: a lost create is found by its name
            reconcile=lambda: self.find_composition_hook(arguments["friendly_name"]),
        )

    def find_composition_hook(self, name: str) -> CompositionHook | None:
        """The account's hook called ``name`` (Twilio compares names without case), if any."""
        for instance in self._pages(
            "list composition hooks by name",
            # the filter takes * as a wildcard: the exact name is checked here
            partial(self._v1.composition_hooks.page, friendly_name=name, page_size=self.page_size),
        ):
            hook = translate.hook(instance)
            if hook.name.lower() == name.lower():
                return hook
        return None

    def get_composition_hook(self, hook_id: str) -> CompositionHook:
        return self._call("fetch composition hook", lambda: translate.hook(self._v1.composition_hooks(hook_id).fetch()))

    def list_composition_hooks(self, *, enabled: bool | None = None) -> Iterator[CompositionHook]:
        yield from (
            translate.hook(instance)
            for instance in self._pages(
                "list composition hooks",
                lambda: self._v1.composition_hooks.page(
                    enabled=_UNSET if enabled is None else enabled, page_size=self.page_size
                ),
            )
        )

    def update_composition_hook(
        self,
        hook_id: str,
        name: str,
        *,
        layout: Layout | Mapping[str, Any] | None = None,
        resolution: Resolution | str | None = None,
        format: str = "mp4",
        audio_sources: Sequence[str] = ("*",),
        audio_sources_excluded: Sequence[str] = (),
        trim: bool = True,
        enabled: bool = True,
        status_callback: str | None = None,
    ) -> CompositionHook:
        """Replace a hook: as with Twilio, what is left out returns to its default."""
        arguments = translate.hook_arguments(
            name, layout, resolution, format, audio_sources, audio_sources_excluded, trim, enabled, status_callback
        )
        self.default_callback(arguments)
        # Twilio replaces the whole hook: sending the same replacement again is harmless.
        return self._call(
            "update composition hook", lambda: translate.hook(self._v1.composition_hooks(hook_id).update(**arguments))
        )

    def delete_composition_hook(self, hook_id: str) -> None:
        self._call("delete composition hook", lambda: self._v1.composition_hooks(hook_id).delete(), gone_is_done=True)

    # --- provider extensions: recording and composition settings ------------

    def get_recording_settings(self) -> StorageSettings:
        """Where new track recordings are stored and how they are encrypted (Feature.EXTERNAL_STORAGE)."""
        return self._call(
            "fetch recording settings", lambda: translate.storage_settings(self._v1.recording_settings().fetch())
        )

    def set_recording_settings(self, settings: StorageSettings) -> StorageSettings:
        arguments = translate.settings_arguments(settings)
        return self._call(
            "set recording settings",
            lambda: translate.storage_settings(self._v1.recording_settings().create(**arguments)),
        )

    def get_composition_settings(self) -> StorageSettings:
        """Where new compositions are stored and how they are encrypted."""
        return self._call(
            "fetch composition settings", lambda: translate.storage_settings(self._v1.composition_settings().fetch())
        )

    def set_composition_settings(self, settings: StorageSettings) -> StorageSettings:
        arguments = translate.settings_arguments(settings)
        return self._call(
            "set composition settings",
            lambda: translate.storage_settings(self._v1.composition_settings().create(**arguments)),
        )


# --- helpers ------------------------------------------------------------------


def _looks_like_sid(name: str) -> bool:
    return len(name) == 34 and name.startswith(_ROOM_SID_SHAPE) and all(c in "0123456789abcdefABCDEF" for c in name[2:])


def _same_room(room: Room, sdk: Mapping[str, Any]) -> bool:
    """Whether an existing room is what a create with ``sdk`` would have made (a retry, not a clash)."""
    if room.raw.get("type") != sdk.get("type", "group"):
        return False
    return "max_participants" not in sdk or room.max_participants == sdk["max_participants"]


def _made_by(instance: Any, arguments: Mapping[str, Any]) -> bool:
    """Whether a composition Twilio lists is what a create with ``arguments`` would have made."""
    return (
        instance.room_sid == arguments["room_sid"]
        and instance.resolution == arguments["resolution"]
        and instance.format == arguments["format"]
        and sorted(instance.audio_sources or ()) == sorted(arguments.get("audio_sources", ()))
        and sorted(instance.audio_sources_excluded or ()) == sorted(arguments.get("audio_sources_excluded", ()))
        and bool(instance.video_layout) == bool(arguments.get("video_layout"))
        and instance.trim == arguments.get("trim", True)
    )


def _refused_as_done(error: AnyVideoError) -> bool:
    """Whether a refusal may mean "done already" (a name taken, a room completed, a 400 with no finer code)."""
    return isinstance(error, Conflict | InvalidRequest) or (isinstance(error, ProviderError) and error.status == 400)


def _ended(room: Room) -> Room | None:
    """The room, if a lost request to end it did end it."""
    return room if room.status is RoomStatus.ENDED else None


def _left(participant: Participant) -> Participant | None:
    """The participant, if a lost request to disconnect it did."""
    return participant if participant.status is ParticipantStatus.DISCONNECTED else None


def _json_body(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
