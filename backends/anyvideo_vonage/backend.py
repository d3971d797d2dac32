"""The ``vonage`` backend: Vonage Video through the official ``vonage`` SDK (4.x).

Sessions are rooms, connections participants, archives recordings and
broadcasts live compositions (see ``docs/providers/vonage.md`` for the whole mapping).
What Vonage does not store — a room's name, status and creation time, the
identity behind a connection, the layout asked for — the registry keeps.

Speed and threads: the private key is parsed once, one application JWT is
reused until shortly before it expires, and client tokens are signed from
the loaded key (:mod:`.credentials`). The SDK's HTTP client mutates one
headers dict per request and is not safe to share between threads, so each
thread gets its own SDK client (all sharing the one cached ``Auth``); a lock
would serialise every request behind the slowest.

Failures: every request, SDK call or REST helper, runs through one
:class:`~anyvideo_vonage.resilience.RequestRunner` (core's retry policy, the
``(connect, read)`` timeout, the optional rate limit); each method says there
what a repeat of its request would do (``docs/providers/vonage.md``, "Retries").
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import attrs
from pydantic import ValidationError
from vonage import Auth, Vonage
from vonage_utils.errors import VonageError
from vonage_video.models import (
    AddStreamRequest,
    BroadcastHls,
    BroadcastOutputSettings,
    BroadcastRtmp,
    CaptionsData,
    CaptionsOptions,
    ComposedLayout,
    CreateArchiveRequest,
    CreateBroadcastRequest,
    ExperienceComposerOptions,
    ExperienceComposerProperties,
    InitiateSipRequest,
    SessionOptions,
    SignalData,
    SipAuth,
    SipOptions,
    StreamLayout,
    StreamLayoutOptions,
)

from anyvideo import redaction
from anyvideo.backend import Backend, Feature
from anyvideo.errors import ConfigurationError, Conflict, InvalidRequest, NotFound, ProviderError
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    Layout,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Role,
    Room,
    RoomStatus,
    Stream,
)
from anyvideo.ratelimit import RateLimiter, limiter_from_settings
from anyvideo.registry import Registry
from anyvideo.retry import RetryPolicy, Safety, policy_from_settings
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec
from anyvideo.webhooks import WebhookRequest
from anyvideo_vonage import layouts, translate
from anyvideo_vonage import settings as account_settings
from anyvideo_vonage.credentials import ApplicationJwt, CachedAuth, ClientTokens, PrivateKey, load_private_key
from anyvideo_vonage.extensions import (
    CAPTION_LANGUAGES,
    Captions,
    Render,
    RenderSpec,
    SipCall,
    SipConnection,
    validate_digits,
)
from anyvideo_vonage.resilience import RequestRunner, sdk_options
from anyvideo_vonage.rest import PAGE_SIZE, VonageRest, items_of
from anyvideo_vonage.webhooks import CallbackParser

__all__ = ["VonageBackend"]

T = TypeVar("T")

DEFAULT_VIDEO_HOST = "video.api.vonage.com"
#: The loggers the SDK writes to. Its HTTP client logs, at DEBUG, the shared headers dict
#: (the previous request's Authorization) and request bodies that can hold client tokens.
SDK_LOGGERS = ("vonage",)
#: Keyword settings and the environment variables they default to.
SETTINGS: Mapping[str, str | None] = {
    "application_id": "VONAGE_APPLICATION_ID",
    "private_key": "VONAGE_PRIVATE_KEY",
    "video_host": "VONAGE_VIDEO_HOST",
    "registry": "ANYVIDEO_REGISTRY",
    "signature_secret": "VONAGE_SIGNATURE_SECRET",
    "retries": "ANYVIDEO_RETRIES",
    "timeout": "ANYVIDEO_TIMEOUT",
    "rate": "ANYVIDEO_RATE_LIMIT",
    "page_size": None,
}
#: ``provider_options`` each operation accepts.
ROOM_OPTIONS = frozenset({"media_mode", "archive_mode", "location", "e2ee"})
TOKEN_OPTIONS = frozenset({"layout_classes"})
RECORDING_OPTIONS = frozenset({"stream_mode", "multi_archive_tag", "max_bitrate", "quantization_parameter"})
COMPOSITION_OPTIONS = frozenset({"dvr", "low_latency", "stream_mode", "multi_broadcast_tag", "max_bitrate"})
#: Broadcasts run from 1 minute to 10 hours.
BROADCAST_DURATION = (60, 36_000)


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
    or a ``(connect, read)`` pair), ``rate`` (``ANYVIDEO_RATE_LIMIT``: at most this
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
            Feature.CAPTIONS,
            Feature.RENDER,
            Feature.E2EE,
        }
    )
    feature_hints = {
        Feature.POST_HOC_COMPOSITION: "Vonage composes while recording (a composed archive); it renders nothing "
        "after the fact",
        Feature.MAX_PARTICIPANTS: "Vonage sessions have no participant cap",
        Feature.RECORDING_RULES: "Vonage archives record every stream, or those chosen with stream_mode='manual'",
        Feature.SUBSCRIBE_RULES: "Vonage clients choose what they subscribe to in the client SDK",
        Feature.COMPOSITION_HOOKS: "Vonage has no automatic compositions; use archive_mode='always'",
        Feature.EXTERNAL_STORAGE: "Vonage archive storage is configured on the account, not through the API",
    }
    resolutions = frozenset({"640x480", "480x640", "1280x720", "720x1280", "1920x1080", "1080x1920"})
    max_token_ttl = 30 * 24 * 3600.0
    extensions = {
        "set_layout_classes": "give streams the layout classes custom layouts place them by",
        "change_recording_layout": "change a composed archive's layout while it records",
        "add_recording_stream": "add a stream to an archive recording chosen streams (stream_mode='manual')",
        "remove_recording_stream": "remove a stream from such an archive",
        "change_composition_layout": "change a live broadcast's layout",
        "add_composition_stream": "add a stream to a broadcast of chosen streams",
        "remove_composition_stream": "remove a stream from such a broadcast",
        "migrate_room": "move a session's connections to another media server",
        "dial_sip": "dial a SIP endpoint into a room (Feature.SIP_DIAL)",
        "play_dtmf": "play DTMF digits into a room's SIP connections (Feature.DTMF)",
        "start_captions": "start live captions (Feature.CAPTIONS)",
        "stop_captions": "stop live captions",
        "start_render": "render a web page into a room with Experience Composer (Feature.RENDER)",
        "get_render": "one Experience Composer",
        "list_renders": "the application's Experience Composers, lazily",
        "stop_render": "stop an Experience Composer",
    }
    client_sdk = "the Vonage Video client SDK (@vonage/client-sdk-video, or the iOS/Android SDKs)"
    account_settings = account_settings  # room defaults kept by anyvideo, for a settings migration (settings.py)
    not_covered = {
        "audio connector": "streaming a session's audio to a WebSocket is not wrapped; use video.native.video",
        "archive storage": "the account's upload target (S3, Azure) is set in the Vonage dashboard, not the API",
        "callback URLs": "session-monitoring, archive and broadcast callback URLs are set on the application "
        "(dashboard or Application API), not through the Video API",
    }

    def __init__(
        self,
        application_id: str,
        private_key: PrivateKey,
        *,
        video_host: str = DEFAULT_VIDEO_HOST,
        registry: Registry | None = None,
        policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        page_size: int = PAGE_SIZE,
        signature_secrets: Sequence[str] = (),
    ) -> None:
        redaction.install(SDK_LOGGERS)
        redaction.register_credential_field("X-OPENTOK-AUTH")
        for secret in signature_secrets:
            redaction.register_secret(secret)
        self.application_id = application_id
        self.video_host = video_host
        self.registry = registry or Registry(None, namespace=f"vonage:{application_id}")
        self._page_size = page_size
        #: Every request goes through it: retry policy, timeouts, rate limit.
        self.requests = RequestRunner(policy or RetryPolicy(), rate_limiter)
        self.jwt = ApplicationJwt(application_id, private_key)
        self._tokens = ClientTokens(self.jwt)
        self._auth = CachedAuth(application_id, private_key, self.jwt)
        self.rest = VonageRest(video_host, application_id, self.jwt, runner=self.requests)
        self._local = threading.local()
        self._names = threading.Lock()  # room names: check and file as one step
        self._callbacks = CallbackParser(self.registry, signature_secrets, self._layout)

    def __repr__(self) -> str:
        return f"VonageBackend(application_id={self.application_id!r}, video_host={self.video_host!r})"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise ConfigurationError(
                f"unknown settings for the vonage backend: {', '.join(unknown)} (known: {', '.join(SETTINGS)})"
            )

        def setting(name: str) -> Any:
            variable = SETTINGS[name]
            value = settings.get(name)
            return value if value not in (None, "") or variable is None else environ.get(variable) or None

        application_id, private_key = setting("application_id"), setting("private_key")
        required = (("application_id", application_id), ("private_key", private_key))
        missing = [f"{name} ({SETTINGS[name]})" for name, value in required if not value]
        if missing:
            raise ConfigurationError(f"the vonage backend needs {' and '.join(missing)}")
        if not isinstance(application_id, str):
            raise ConfigurationError("application_id must be a string")
        # core reads retries and timeout, and ANYVIDEO_RETRIES / ANYVIDEO_TIMEOUT, the same way for every backend
        policy = policy_from_settings({k: settings[k] for k in ("retries", "timeout") if k in settings}, environ)
        rate_limiter = limiter_from_settings({"rate": settings["rate"]} if "rate" in settings else {}, environ)
        page_size = setting("page_size") or PAGE_SIZE
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 1000:
            raise ConfigurationError("page_size must be a whole number from 1 to 1000")
        key = load_private_key(private_key, setting="private_key")
        registry = Registry.from_settings(settings.get("registry"), environ, namespace=f"vonage:{application_id}")
        video_host = setting("video_host") or DEFAULT_VIDEO_HOST
        secrets = setting("signature_secret") or ()
        secrets = (secrets,) if isinstance(secrets, str) else tuple(secrets)
        if not all(isinstance(s, str) and s for s in secrets):
            raise ConfigurationError("signature_secret must be a string or a list of strings")
        return cls(
            application_id,
            key,
            video_host=video_host,
            registry=registry,
            policy=policy,
            rate_limiter=rate_limiter,
            page_size=page_size,
            signature_secrets=secrets,
        )

    # --- the SDK, one client per thread ------------------------------------------

    def _sdk(self) -> Vonage:
        client = getattr(self._local, "client", None)
        if client is None:
            # No retries inside the SDK (see resilience.sdk_options): the policy alone decides.
            options = sdk_options(self.video_host, self.requests.policy.timeout)
            client = self._local.client = Vonage(self._auth, options)
        return client

    @property
    def native(self) -> Vonage:
        """This thread's SDK client (``vonage.Vonage``), authenticating with the cached application JWT."""
        return self._sdk()

    @property
    def auth(self) -> Auth:
        return self._auth

    def _call(
        self,
        operation: Callable[..., T],
        *args: Any,
        safety: Safety = Safety.SAFE,
        gone: Callable[[], T] | None = None,
    ) -> T:
        """One SDK operation under the retry policy; its exceptions become anyvideo errors, chained.
        ``safety`` and ``gone``: see :meth:`RequestRunner.run`."""
        return self._run(getattr(operation, "__name__", "request"), lambda: operation(*args), safety=safety, gone=gone)

    def _run(
        self,
        what: str,
        operation: Callable[[], T],
        *,
        safety: Safety = Safety.SAFE,
        reconcile: Callable[[], T | None] | None = None,
        gone: Callable[[], T] | None = None,
    ) -> T:
        def read() -> T:
            try:
                return operation()
            except (ValidationError, LookupError, TypeError, AttributeError) as exc:
                # The SDK read an answer that is not what the spec says: its models refused it
                # (ValidationError), or its own code indexed into it (``response[0]["session_id"]``).
                raise self._unreadable(what) from exc

        return self.requests.run(read, what=what, safety=safety, reconcile=reconcile, gone=gone)

    def _unreadable(self, what: str) -> ProviderError:
        # The answer's status (this thread's client made the last request): a 2xx that cannot be
        # read is no transient failure, and trying again would read the same.
        answer = self._sdk().http_client.last_response
        status = answer.status_code if answer is not None else None
        return ProviderError(f"answered {what} with something the SDK could not read", provider="vonage", status=status)

    @property
    def api_url(self) -> str:
        return self.video_host if "//" in self.video_host else f"https://{self.video_host}"

    def close(self) -> None:
        self.rest.close()
        self.registry.close()

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """A Vonage callback (session monitoring, archive, broadcast, Experience Composer),
        verified with the signature secret, as events; see :mod:`anyvideo_vonage.webhooks`."""
        return self._callbacks.parse(request)

    def release_webhook(self, request: WebhookRequest) -> None:
        self._callbacks.release(request)

    def _layout(self, kind: str, object_id: str) -> Layout | None:
        return layouts.from_json((self.registry.get(kind, object_id) or {}).get("layout"))

    # --- rooms --------------------------------------------------------------

    def create_room(self, spec: RoomSpec) -> Room:
        """A new session; under the name of an open room, that room (a retried create is harmless)."""
        options = _session_options({**account_settings.room_defaults(self), **spec.provider_options})
        if spec.name is not None:
            existing = self._open_room(spec.name)
            if existing is not None:
                return existing
        # A session create that lost its answer cannot be found again (sessions are not listed):
        # it is tried again only after a 429, which the provider refused before doing anything.
        session = self._call(self._sdk().video.create_session, options, safety=Safety.UNSAFE)
        entry = {
            "name": spec.name,
            "status": RoomStatus.OPEN.value,
            "created_at": _now().isoformat(),
            "ended_at": None,
            "media_mode": options.media_mode.value if options.media_mode else "routed",
            "archive_mode": options.archive_mode.value if options.archive_mode else "manual",
            "e2ee": bool(options.e2ee),
            "location": options.location,
        }
        with self._names:
            if spec.name is not None:
                existing = self._open_room(spec.name)
                if existing is not None:  # made meanwhile by another thread; the new session stays unused
                    return existing
            self.registry.put("room", session.session_id, entry)
        return translate.room(session.session_id, entry)

    def _open_room(self, name: str) -> Room | None:
        for key, entry in self.registry.find("room", name=name, status=RoomStatus.OPEN.value):
            return translate.room(key, entry)
        return None

    def _room_entry(self, room_id: str) -> dict[str, Any] | None:
        """The registry's entry; for a session anyvideo did not create, ``None`` once
        the provider confirmed the session exists (else NotFound)."""
        entry = self.registry.get("room", room_id)
        if entry is None:
            try:
                self.rest.call("GET", self.rest.project_path("session", room_id, "stream"))
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
        if self._room_entry(room_id) is None:  # a session made elsewhere: file it, ended
            self.registry.put("room", room_id, {"name": None, "status": RoomStatus.OPEN.value, "created_at": None})

        def end(entry: dict[str, Any]) -> None:
            if entry.get("status") == RoomStatus.OPEN.value:
                entry["status"] = RoomStatus.ENDED.value
                entry["ended_at"] = _now().isoformat()

        entry = self.registry.update("room", room_id, end)
        for item in self._connections(room_id):
            try:
                self._call(self._sdk().video.disconnect_client, room_id, str(item["connectionId"]), gone=_done)
            except NotFound:  # it left meanwhile
                pass
        return translate.room(room_id, entry)

    # --- participants and streams ------------------------------------------

    def _connections(self, room_id: str) -> list[dict[str, Any]]:
        """``GET …/session/{id}/connection`` (the SDK has no such call)."""
        answer = self.rest.call("GET", self.rest.project_path("session", room_id, "connection"))
        return [item for item in items_of(answer) if item.get("connectionId")]

    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        participants = [
            translate.connection(room_id, item, self.registry.get("connection", str(item["connectionId"])))
            for item in self._connections(room_id)
        ]
        return iter([p for p in participants if status is None or p.status is status])

    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        for participant in self.list_participants(room_id):
            if participant.id == participant_id:
                return participant
        raise NotFound(f"vonage: no connection {participant_id!r} in session {room_id!r}")

    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        self._call(self._sdk().video.disconnect_client, room_id, participant_id, gone=_done)

    def _stream(self, room_id: str, info: Any) -> Stream:
        body = {
            "id": info.id,
            "videoType": info.video_type,
            "name": info.name,
            "layoutClassList": list(info.layout_class_list or ()),
        }
        known = self.registry.get("stream", str(info.id)) or {}
        stream = translate.stream(room_id, body, known.get("participant_id"))
        if known.get("muted"):
            stream = _evolve(stream, audio_muted=True)
        return stream

    def list_streams(self, room_id: str) -> Iterator[Stream]:
        return iter([self._stream(room_id, info) for info in self._call(self._sdk().video.list_streams, room_id)])

    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        return self._stream(room_id, self._call(self._sdk().video.get_stream, room_id, stream_id))

    def _remember_muted(self, stream_ids: list[str]) -> None:
        # The REST API reports no mute state: anyvideo remembers what it muted.
        for stream_id in stream_ids:
            known = self.registry.get("stream", stream_id) or {}
            self.registry.put("stream", stream_id, {**known, "muted": True})

    def mute_stream(self, room_id: str, stream_id: str) -> Stream:
        self._call(self._sdk().video.mute_stream, room_id, stream_id)
        self._remember_muted([stream_id])
        return self.get_stream(room_id, stream_id)

    def mute_all(self, room_id: str, *, except_stream_ids: tuple[str, ...] = ()) -> None:
        """Mute every stream now. Vonage's "mute all" also mutes streams published later,
        until turned off; anyvideo's means "now", so it is turned off right after."""
        video = self._sdk().video
        self._call(video.mute_all_streams, room_id, *([list(except_stream_ids)] if except_stream_ids else []))
        self._call(video.disable_mute_all_streams, room_id)
        kept = set(except_stream_ids)
        self._remember_muted([str(i.id) for i in self._call(video.list_streams, room_id) if i.id not in kept])

    def set_layout_classes(self, room_id: str, classes: Mapping[str, list[str]]) -> list[Stream]:
        """Give streams the layout classes custom layouts place them by (``{stream_id: [class, …]}``)."""
        if not classes or not all(
            isinstance(c, list) and all(isinstance(x, str) and x for x in c) for c in classes.values()
        ):
            raise InvalidRequest("classes", "map each stream id to a list of class names")
        items = [StreamLayout(id=stream_id, layout_class_list=list(c)) for stream_id, c in classes.items()]
        changed = self._call(self._sdk().video.change_stream_layout, room_id, StreamLayoutOptions(items=items))
        return [self._stream(room_id, info) for info in changed]

    # --- tokens and signals -------------------------------------------------

    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        _only(spec.provider_options, TOKEN_OPTIONS)
        classes = spec.provider_options.get("layout_classes")
        if classes is not None and (isinstance(classes, str) or not all(isinstance(c, str) and c for c in classes)):
            raise InvalidRequest("provider_options.layout_classes", "must be a list of class names")
        entry = self._room_entry(room_id)
        if entry is not None and entry.get("status") != RoomStatus.OPEN.value:
            raise Conflict(f"room {room_id!r} has ended; it accepts no new participants")
        expires = int(time.time() + spec.ttl)
        token = self._tokens.mint(
            room_id,
            role=spec.role.value,
            expires=expires,
            connection_data=translate.connection_data(spec.identity, spec.data),
            layout_classes=list(classes) if classes else None,
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

    def send_signal(self, room_id: str, spec: SignalSpec) -> None:
        # the SDK's validate_call refuses an explicit None: pass the connection only when there is one
        target = () if spec.to is None else (spec.to,)
        signal = SignalData(type=spec.type, data=spec.data)
        # A repeat would deliver the signal twice: tried again only after a 429.
        self._call(self._sdk().video.send_signal, room_id, signal, *target, safety=Safety.UNSAFE)

    # --- recordings (archives) ------------------------------------------------

    def _check_open(self, room_id: str) -> None:
        entry = self.registry.get("room", room_id)
        if entry is not None and entry.get("status") != RoomStatus.OPEN.value:
            raise Conflict(f"room {room_id!r} has ended")

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        options = _only(spec.provider_options, RECORDING_OPTIONS)
        if spec.max_duration is not None:
            raise InvalidRequest("max_duration", "vonage archives have no maximum duration; they stop at 4 hours")
        composed = spec.mode is RecordingMode.COMPOSED
        layout = (spec.layout or Layout.grid()) if composed else None
        request = _sdk_model(
            CreateArchiveRequest,
            session_id=room_id,
            has_audio=spec.has_audio,
            has_video=spec.has_video,
            layout=_composed_layout(spec.layout) if spec.layout is not None else None,
            name=spec.name,
            output_mode=spec.mode.value,
            resolution=str(spec.resolution) if spec.resolution else None,
            stream_mode=options.get("stream_mode"),
            multi_archive_tag=options.get("multi_archive_tag"),
            max_bitrate=options.get("max_bitrate") if composed else _refuse_individual(options, "max_bitrate"),
            quantization_parameter=options.get("quantization_parameter")
            if composed
            else _refuse_individual(options, "quantization_parameter"),
        )
        self._check_open(room_id)
        video = self._sdk().video
        body = self._run(
            "start_archive",
            lambda: translate.sdk_json(video.start_archive(request)),
            safety=Safety.UNSAFE,
            reconcile=lambda: self._started_by_lost_try("archive", room_id, _archive_matches(request)),
        )
        recording = translate.archive(body, layout)
        self.registry.put("archive", recording.id, {"layout": layouts.to_json(layout)})
        return recording

    def _started_by_lost_try(
        self, kind: str, room_id: str, matches: Callable[[Mapping[str, Any]], bool]
    ) -> dict[str, Any] | None:
        """The archive or broadcast (``kind``) a start whose answer was lost made: running in the
        session, as asked, and not one anyvideo already knows (every start it saw answered is filed
        in the registry). Vonage runs one archive and one broadcast per session unless each has its
        own tag, so this finds at most the one that try made."""
        # one try: this runs inside a try of the start, which the policy repeats if this fails
        path = self.rest.project_path(kind)
        page = self.rest.call("GET", path, params={"sessionId": room_id, "count": 50}, retry=False)
        for body in items_of(page):
            if (
                body.get("status") == "started"
                and isinstance(body.get("id"), str)
                and self.registry.get(kind, body["id"]) is None
                and matches(body)
            ):
                return body
        return None

    def _archive_layout(self, archive_id: str) -> Layout | None:
        return self._layout("archive", archive_id)

    def stop_recording(self, recording_id: str) -> Recording:
        try:
            archive = self._call(self._sdk().video.stop_archive, recording_id)
        except ProviderError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            return self.get_recording(recording_id)  # stopped, with a status the SDK does not know
        return translate.archive(translate.sdk_json(archive), self._archive_layout(recording_id))

    def get_recording(self, recording_id: str) -> Recording:
        body = self.rest.call("GET", self.rest.project_path("archive", recording_id))
        return translate.archive(body, self._archive_layout(recording_id))

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        filters = {"sessionId": room_id} if room_id else {}
        items = self.rest.oldest_first(self.rest.project_path("archive"), filters, page_size=self._page_size)
        recordings = (translate.archive(body, self._archive_layout(str(body.get("id")))) for body in items)
        return (r for r in recordings if status is None or r.status is status)

    def delete_recording(self, recording_id: str) -> None:
        # Deleting a deleted archive succeeds (the provider accepts "available OR uploaded OR deleted").
        self._call(self._sdk().video.delete_archive, recording_id)

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        body = self.rest.call("GET", self.rest.project_path("archive", recording_id))
        recording = translate.archive(body)
        if not any(f.name == file_name for f in recording.files):
            raise Conflict(f"vonage: archive {recording_id!r} has no file {file_name!r} to download now")
        return self.rest.download(body["url"])  # the translator saw it is a non-empty string

    def change_recording_layout(self, recording_id: str, layout: Layout) -> Recording:
        """Change the layout of a composed archive while it records."""
        archive = self._call(self._sdk().video.change_archive_layout, recording_id, _composed_layout(layout))
        self.registry.put("archive", recording_id, {"layout": layouts.to_json(layout)})
        return translate.archive(translate.sdk_json(archive), layout)

    def add_recording_stream(
        self, recording_id: str, stream_id: str, *, has_audio: bool = True, has_video: bool = True
    ) -> None:
        """Add a stream to an archive started with ``provider_options={"stream_mode": "manual"}``."""
        request = AddStreamRequest(stream_id=_id(stream_id, "stream_id"), has_audio=has_audio, has_video=has_video)
        self._call(self._sdk().video.add_stream_to_archive, recording_id, request)

    def remove_recording_stream(self, recording_id: str, stream_id: str) -> None:
        self._call(self._sdk().video.remove_stream_from_archive, recording_id, _id(stream_id, "stream_id"), gone=_done)

    # --- compositions (live broadcasts) ---------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        if spec.output is not CompositionOutput.LIVE:
            raise self._unsupported(Feature.POST_HOC_COMPOSITION)
        options = _only(spec.provider_options, COMPOSITION_OPTIONS)
        dvr, low_latency = bool(options.get("dvr")), bool(options.get("low_latency"))
        if (dvr or low_latency) and not spec.hls:
            raise InvalidRequest("provider_options", "dvr and low_latency are HLS settings: set hls=True")
        if dvr and low_latency:
            raise InvalidRequest("provider_options", "an HLS broadcast is either low-latency or has DVR, not both")
        max_duration = None
        if spec.max_duration is not None:
            max_duration = int(spec.max_duration)
            if not BROADCAST_DURATION[0] <= max_duration <= BROADCAST_DURATION[1]:
                raise InvalidRequest("max_duration", "vonage broadcasts run from 60 seconds to 10 hours")
        if len(spec.rtmp) > 5:
            raise InvalidRequest("rtmp", "vonage broadcasts to at most 5 RTMP targets")
        outputs = BroadcastOutputSettings(
            hls=BroadcastHls(dvr=dvr or None, low_latency=low_latency or None) if spec.hls else None,
            rtmp=[BroadcastRtmp(id=t.id, server_url=t.url, stream_name=t.stream_name) for t in spec.rtmp] or None,
        )
        manual = spec.stream_ids is not None or options.get("stream_mode") == "manual"
        request = _sdk_model(
            CreateBroadcastRequest,
            session_id=room_id,
            layout=_composed_layout(spec.layout) if spec.layout is not None else None,
            max_duration=max_duration,
            outputs=outputs,
            resolution=str(spec.resolution) if spec.resolution else None,
            stream_mode="manual" if manual else options.get("stream_mode"),
            multi_broadcast_tag=options.get("multi_broadcast_tag"),
            max_bitrate=options.get("max_bitrate"),
        )
        self._check_open(room_id)
        video = self._sdk().video
        body = self._run(
            "start_broadcast",
            lambda: translate.sdk_json(video.start_broadcast(request)),
            safety=Safety.UNSAFE,
            reconcile=lambda: self._started_by_lost_try("broadcast", room_id, _broadcast_matches(request)),
        )
        layout = spec.layout or Layout.grid()
        composition = translate.broadcast(body, layout)
        self.registry.put("broadcast", composition.id, {"layout": layouts.to_json(layout)})
        if spec.stream_ids:
            for stream_id in spec.stream_ids:  # adding a stream twice keeps it once: safe to repeat
                self._call(video.add_stream_to_broadcast, composition.id, AddStreamRequest(stream_id=stream_id))
            return self.get_composition(composition.id)
        return composition

    def _broadcast_layout(self, broadcast_id: str) -> Layout | None:
        return self._layout("broadcast", broadcast_id)

    def stop_composition(self, composition_id: str) -> Composition:
        try:
            # A repeat after a lost answer finds it stopped (404): the lost try stopped it.
            broadcast = self._call(self._sdk().video.stop_broadcast, composition_id, gone=_done)
        except NotFound:
            # The provider answers 404 for a stopped broadcast too: tell the two apart.
            current = self.get_composition(composition_id)
            raise Conflict(f"vonage: broadcast {composition_id!r} is {current.status}, not live") from None
        if broadcast is None:
            return self.get_composition(composition_id)
        return translate.broadcast(translate.sdk_json(broadcast), self._broadcast_layout(composition_id))

    def get_composition(self, composition_id: str) -> Composition:
        body = self.rest.call("GET", self.rest.project_path("broadcast", composition_id))
        return translate.broadcast(body, self._broadcast_layout(composition_id))

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        filters = {"sessionId": room_id} if room_id else {}
        items = self.rest.oldest_first(self.rest.project_path("broadcast"), filters, page_size=self._page_size)
        compositions = (translate.broadcast(body, self._broadcast_layout(str(body.get("id")))) for body in items)
        return (c for c in compositions if status is None or c.status is status)

    def change_composition_layout(self, composition_id: str, layout: Layout) -> Composition:
        """Change the layout of a live broadcast."""
        broadcast = self._call(self._sdk().video.change_broadcast_layout, composition_id, _composed_layout(layout))
        self.registry.put("broadcast", composition_id, {"layout": layouts.to_json(layout)})
        return translate.broadcast(translate.sdk_json(broadcast), layout)

    def add_composition_stream(
        self, composition_id: str, stream_id: str, *, has_audio: bool = True, has_video: bool = True
    ) -> None:
        request = AddStreamRequest(stream_id=_id(stream_id, "stream_id"), has_audio=has_audio, has_video=has_video)
        self._call(self._sdk().video.add_stream_to_broadcast, composition_id, request)

    def remove_composition_stream(self, composition_id: str, stream_id: str) -> None:
        self._call(
            self._sdk().video.remove_stream_from_broadcast, composition_id, _id(stream_id, "stream_id"), gone=_done
        )

    # --- provider extensions ---------------------------------------------------

    def migrate_room(self, room_id: str) -> None:
        """Move the session's connections to another media server (the SDK has no such call)."""
        self.rest.call("POST", self.rest.project_path("session", room_id, "migrate"))

    def dial_sip(self, room_id: str, call: SipCall) -> SipConnection:
        """Dial a SIP endpoint into the room; it joins as a publisher connection."""
        if not isinstance(call, SipCall):
            raise InvalidRequest("call", "give a SipCall")
        token = self.create_token(room_id, TokenSpec(call.identity, Role.PUBLISHER, 3600, call.data)).token
        sip = SipOptions(
            uri=call.uri,
            from_=call.from_,
            headers=dict(call.headers) or None,
            auth=SipAuth(username=call.username, password=call.password) if call.username else None,
            secure=call.secure or None,
            video=call.video or None,
            observe_force_mute=call.observe_force_mute or None,
        )
        # A repeat would dial a second call: tried again only after a 429.
        result = self._call(
            self._sdk().video.initiate_sip_call,
            InitiateSipRequest(session_id=room_id, token=token, sip=sip),
            safety=Safety.UNSAFE,
        )
        raw = translate.sdk_json(result)
        return SipConnection(
            id=translate.identifier(raw, "id", "a SIP call"),
            room_id=room_id,
            connection_id=translate.identifier(raw, "connectionId", "a SIP call"),
            stream_id=translate.identifier(raw, "streamId", "a SIP call"),
            created_at=translate.from_ms(result.created_at),
            raw=raw,
        )

    def play_dtmf(self, room_id: str, digits: str, *, participant_id: str | None = None) -> None:
        """Play DTMF tones (``0-9*#p``) into every SIP connection of the room, or into one."""
        digits = validate_digits(digits)
        target = () if participant_id is None else (_id(participant_id, "participant_id"),)
        # A repeat would play the tones twice: tried again only after a 429.
        self._call(self._sdk().video.play_dtmf, room_id, digits, *target, safety=Safety.UNSAFE)

    def start_captions(
        self,
        room_id: str,
        *,
        language: str = "en-US",
        max_duration: int | None = None,
        partial: bool = True,
        status_callback_url: str | None = None,
    ) -> Captions:
        """Start live captions (one per session) with a moderator token anyvideo mints."""
        if language not in CAPTION_LANGUAGES:
            raise InvalidRequest("language", f"{language!r} is not a language Vonage captions")
        if max_duration is not None and (
            isinstance(max_duration, bool) or not isinstance(max_duration, int) or not 300 <= max_duration <= 14_400
        ):
            raise InvalidRequest("max_duration", "captions run from 300 to 14400 seconds")
        if status_callback_url is not None and not (
            isinstance(status_callback_url, str) and 15 <= len(status_callback_url) <= 2048
        ):
            raise InvalidRequest("status_callback_url", "must be a URL of 15 to 2048 characters")
        token = self.create_token(room_id, TokenSpec("captions", Role.MODERATOR, 3600)).token
        options = _sdk_model(
            CaptionsOptions,
            session_id=room_id,
            token=token,
            language_code=language,
            max_duration=max_duration,
            partial_captions=partial,
            status_callback_url=status_callback_url,
        )
        # Captions cannot be listed, and a repeat after a lost answer is refused (60003, already on)
        # without their id: tried again only after a 429.
        started = self._call(self._sdk().video.start_captions, options, safety=Safety.UNSAFE)
        return Captions(id=translate.identifier({"id": started.captions_id}, "id", "captions"), room_id=room_id)

    def stop_captions(self, captions: Captions | str) -> None:
        captions_id = captions.id if isinstance(captions, Captions) else _id(captions, "captions")
        self._call(self._sdk().video.stop_captions, CaptionsData(captions_id=captions_id), gone=_done)

    def start_render(self, room_id: str, spec: RenderSpec) -> Render:
        """Start an Experience Composer: ``spec.url`` rendered and published into the room."""
        if not isinstance(spec, RenderSpec):
            raise InvalidRequest("spec", "give a RenderSpec")
        if spec.resolution is not None and spec.resolution not in self.resolutions:
            raise InvalidRequest("resolution", f"vonage renders at {', '.join(sorted(self.resolutions))}")
        token = self.create_token(room_id, TokenSpec(spec.identity, Role.PUBLISHER, 3600)).token
        options = _sdk_model(
            ExperienceComposerOptions,
            session_id=room_id,
            token=token,
            url=spec.url,
            max_duration=spec.max_duration,
            resolution=spec.resolution,
            properties=ExperienceComposerProperties(name=spec.name) if spec.name else None,
        )
        # A repeat could start a second Experience Composer: tried again only after a 429.
        path = self.rest.project_path("render")
        return translate.render(self.rest.call("POST", path, body=_json_body(options), safety=Safety.UNSAFE))

    def get_render(self, render_id: str) -> Render:
        return translate.render(self.rest.call("GET", self.rest.project_path("render", _id(render_id, "render_id"))))

    def list_renders(self) -> Iterator[Render]:
        return (
            translate.render(body)
            for body in self.rest.oldest_first(self.rest.project_path("render"), {}, page_size=self._page_size)
        )

    def stop_render(self, render_id: str) -> None:
        self._call(self._sdk().video.stop_experience_composer, _id(render_id, "render_id"), gone=_done)


# --- helpers -------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _evolve(stream: Stream, **changes: Any) -> Stream:
    return attrs.evolve(stream, **changes)


def _id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(field, "must be a non-empty id")
    return value


def _only(options: Mapping[str, Any], allowed: frozenset[str]) -> Mapping[str, Any]:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InvalidRequest(
            "provider_options", f"vonage does not know {', '.join(unknown)} here (known: {', '.join(sorted(allowed))})"
        )
    return options


def _refuse_individual(options: Mapping[str, Any], name: str) -> None:
    if options.get(name) is not None:
        raise InvalidRequest(f"provider_options.{name}", "applies to composed archives only")
    return None


def _session_options(options: Mapping[str, Any]) -> SessionOptions:
    _only(options, ROOM_OPTIONS)
    media_mode = options.get("media_mode", "routed")
    archive_mode = options.get("archive_mode", "manual")
    if media_mode not in ("routed", "relayed"):
        raise InvalidRequest("provider_options.media_mode", "must be 'routed' or 'relayed'")
    if archive_mode not in ("manual", "always"):
        raise InvalidRequest("provider_options.archive_mode", "must be 'manual' or 'always'")
    if archive_mode == "always" and media_mode == "relayed":
        raise InvalidRequest("provider_options.archive_mode", "a session archived always must be routed")
    location = options.get("location")
    if location is not None:
        try:
            ipaddress.ip_address(location)
        except ValueError:
            raise InvalidRequest("provider_options.location", "must be an IP address") from None
    e2ee = options.get("e2ee", False)
    if not isinstance(e2ee, bool):
        raise InvalidRequest("provider_options.e2ee", "must be true or false")
    if e2ee and media_mode != "routed":
        raise InvalidRequest("provider_options.e2ee", "end-to-end encryption needs a routed session")
    return SessionOptions(media_mode=media_mode, archive_mode=archive_mode, location=location, e2ee=e2ee or None)


def _composed_layout(layout: Layout) -> ComposedLayout:
    body = layouts.to_vonage(layout)
    return ComposedLayout(
        type=body["type"], stylesheet=body.get("stylesheet"), screenshare_type=body.get("screenshareType")
    )


def _sdk_model(model: type[T], **fields: Any) -> T:
    """An SDK request model; its own checks (which anyvideo's mostly make first) fail as InvalidRequest."""
    try:
        return model(**{k: v for k, v in fields.items() if v is not None})
    except (ValidationError, VonageError) as exc:  # VonageError: the SDK models' own checks
        raise InvalidRequest("provider_options", f"vonage refuses these options: {_first_error(exc)}") from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)


def _json_body(model: Any) -> dict[str, Any]:
    return model.model_dump(exclude_none=True, by_alias=True, mode="json")


def _done() -> None:
    """The result of a stop or removal that a lost try already made."""
    return None


def _archive_matches(request: CreateArchiveRequest) -> Callable[[Mapping[str, Any]], bool]:
    """Whether a listed archive is the one ``request`` asked for (the provider writes ``""`` for no name or tag)."""
    asked = _json_body(request)
    fields = {"sessionId": None, "outputMode": "composed", "name": None, "multiArchiveTag": None}
    flags = {"hasAudio": True, "hasVideo": True}

    def matches(body: Mapping[str, Any]) -> bool:
        return all((body.get(k) or d) == (asked.get(k) or d) for k, d in fields.items()) and all(
            body.get(k, d) == asked.get(k, d) for k, d in flags.items()
        )

    return matches


def _broadcast_matches(request: CreateBroadcastRequest) -> Callable[[Mapping[str, Any]], bool]:
    """Whether a listed broadcast is the one ``request`` asked for."""
    asked = _json_body(request)

    def matches(body: Mapping[str, Any]) -> bool:
        return body.get("sessionId") == asked["sessionId"] and (body.get("multiBroadcastTag") or None) == (
            asked.get("multiBroadcastTag") or None
        )

    return matches
