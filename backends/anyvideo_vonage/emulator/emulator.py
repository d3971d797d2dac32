"""The Vonage Video REST API face of the simulated platform."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs
from cryptography.hazmat.primitives import serialization

from anyvideo.errors import NotFound
from anyvideo.models import EventType, ParticipantStatus, RecordingStatus, Resolution
from anyvideo.sim import Grant, SimEvent, World
from anyvideo.sim.media import Box
from anyvideo.sim.records import CompositionRecord, ParticipantRecord, RecordingRecord, StreamRecord
from anyvideo.testing.seeding import SEED_PATH, SeedRequest
from anyvideo.testing.server import CONTROL_PREFIX, Emulator, EmulatorSetting, HttpError, Request, Response, route
from anyvideo_vonage.emulator import errors, ids, stylesheet, translate
from anyvideo_vonage.emulator.applications import API as APPLICATION_API
from anyvideo_vonage.emulator.applications import Application, ApplicationRoutes, Applications, check_account
from anyvideo_vonage.emulator.archives import SEEDED, ArchiveRoutes
from anyvideo_vonage.emulator.auth import ApplicationCredentials
from anyvideo_vonage.emulator.broadcasts import BroadcastRoutes
from anyvideo_vonage.emulator.callbacks import CALLBACK_KINDS, CallbackSettings
from anyvideo_vonage.emulator.captions import CaptionRoutes
from anyvideo_vonage.emulator.media import Downloads
from anyvideo_vonage.emulator.messaging import OWN_CREDENTIALS, MessagingRoutes
from anyvideo_vonage.emulator.render import RenderRoutes
from anyvideo_vonage.emulator.sessions import SessionRoutes
from anyvideo_vonage.emulator.sip import SipRoutes
from anyvideo_vonage.emulator.state import ArchiveState, FaceState
from anyvideo_vonage.emulator.statuses import DEFAULT_RESOLUTION

__all__ = ["VonageEmulator"]

#: ``streamDestroyed`` reasons (the values client SDKs report; not confirmed for callbacks).
_STREAM_GONE_WITH_CONNECTION = "clientDisconnected"
_STREAM_FORCED_OUT = "forceDisconnected"
_STREAM_UNPUBLISHED = "mediaStopped"
#: What the face does when the world tells it of an event, by event type: the name of the
#: method (a table of names, not of bound methods built on every event).
_EVENT_HANDLERS: dict[str, str] = {
    EventType.PARTICIPANT_JOINED: "_connection_created",
    EventType.PARTICIPANT_LEFT: "_connection_destroyed",
    EventType.STREAM_PUBLISHED: "_stream_created",
    EventType.STREAM_UNPUBLISHED: "_stream_destroyed",
    EventType.RECORDING_AVAILABLE: "_archive_available",
    EventType.COMPOSITION_ENDED: "_broadcast_stopped",
}


class VonageEmulator(
    SessionRoutes,
    ArchiveRoutes,
    BroadcastRoutes,
    SipRoutes,
    CaptionRoutes,
    RenderRoutes,
    MessagingRoutes,
    ApplicationRoutes,
    Emulator,
):
    """Vonage Video's REST API (``video.api.vonage.com``) on loopback.

    Give it an application (``application_id``, ``private_key`` as a PEM) or
    let it make one; ``api_key``/``api_secret`` are the legacy project
    credentials of the ``X-OPENTOK-AUTH`` header. ``callback_urls`` maps
    ``"session"``, ``"archive"``, ``"broadcast"`` and ``"render"`` to the URLs
    callbacks go to, signed with ``signature_secret`` when one is given; both
    can be changed later through ``PUT /_emulator/vonage/callbacks``. Other
    options are the shared :class:`~anyvideo.testing.Emulator`'s.

    The account's other applications are made through the Application API
    (``/v2/applications``, :mod:`.applications`), with the API key and secret:
    their JWTs work as this one's, and their sessions' callbacks go to their
    video capability's URLs.

    The official SDK only speaks https: run it with ``tls=True`` and point the
    SDK at it with ``HttpClientOptions(video_host="127.0.0.1:<port>")`` and
    ``REQUESTS_CA_BUNDLE`` set to :attr:`ca_bundle`.
    """

    name = "vonage"
    signs_with_clock = True
    default_tls = True
    #: The provider takes ``…/broadcast/`` for ``…/broadcast`` (an official SDK's form), on every path.
    trailing_slash = True
    sdk_speaks_http = False
    command_settings = (
        EmulatorSetting("api-key", "api_key", "The project's API key (legacy X-OPENTOK-AUTH credentials)."),
        EmulatorSetting("api-secret", "api_secret", "The project's API secret.", secret=True),
        EmulatorSetting(
            "callback-url",
            "callback_urls",
            f"Where every kind of callback goes ({', '.join(CALLBACK_KINDS)});"
            " --KIND-callback-url overrides it for one kind.",
            keys=CALLBACK_KINDS,
        ),
        *(
            EmulatorSetting(f"{kind}-callback-url", "callback_urls", f"Where {kind} callbacks go.", keys=(kind,))
            for kind in CALLBACK_KINDS
        ),
        EmulatorSetting(
            "signature-secret", "signature_secret", "Sign callbacks with this secret (HS256 JWT).", secret=True
        ),
    )

    def __init__(
        self,
        *,
        application_id: str | None = None,
        private_key: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        callback_urls: Mapping[str, str] | None = None,
        signature_secret: str | None = None,
        **options: Any,
    ) -> None:
        self.application = ApplicationCredentials(application_id, private_key, api_key, api_secret)
        self.applications = Applications(self.application.application_id)
        self.application.others = self.applications.public_key
        public_key = self.application.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        own = Application(self.application.application_id, "anyvideo emulator", public_key)
        self.applications.put(own, self.application.public_key)
        self.state = FaceState()
        self.downloads = Downloads()
        self.callback_settings = CallbackSettings(callback_urls, signature_secret)
        self._minting = threading.local()
        super().__init__(**options)
        self.created_at = self.clock.now()

    def __repr__(self) -> str:
        return f"VonageEmulator(application_id={self.application.application_id!r})"

    @property
    def app_environment(self) -> dict[str, str]:
        """:attr:`backend_environment`, the project's API key and secret (the other credential
        mode, as Vonage's SDK samples name them), and the callbacks' signature secret, if any."""
        environment = {
            **self.backend_environment,
            "VONAGE_API_KEY": self.application.api_key,
            "VONAGE_API_SECRET": self.application.api_secret,
        }
        if self.callback_settings.signature_secret is not None:
            environment["VONAGE_SIGNATURE_SECRET"] = self.callback_settings.signature_secret
        return environment

    # --- the provider-specific part of the shared server ----------------------

    def new_id(self, kind: str) -> str:
        """Session ids in the platform's format, of the project and relayed when the
        session being created on this thread says so (the application otherwise);
        UUIDs for everything else."""
        if kind == "room":
            relayed = getattr(self._minting, "relayed", False)
            project = getattr(self._minting, "project", None) or self.application.application_id
            return ids.session_id(project, self.clock.now(), relayed=relayed)
        return ids.new_uuid()

    def authenticate(self, request: Request) -> None:
        if request.path.startswith(OWN_CREDENTIALS):
            return  # Verify checks its key and secret itself, answering a status
        if request.path == APPLICATION_API or request.path.startswith(APPLICATION_API + "/"):  # the account's API
            check_account(request, self.application)
            return
        project = self.application.authenticate(request)
        claimed = request.params.get("application_id")
        if claimed is not None and claimed != project:
            raise errors.PROJECT_MISMATCH.error()

    def error_response(self, status: int, message: str, code: int | str | None = None) -> Response:
        return Response.json(errors.error_body(status, message, code), status)

    def verify_client_token(self, token: str) -> Grant:
        return self.application.verify_client_token(token).grant

    @property
    def credentials(self) -> dict[str, str]:
        """``application_id`` and ``private_key`` (PKCS#8 PEM) for the SDK's ``Auth``;
        ``api_key`` and ``api_secret``, the legacy project credentials."""
        return self.application.as_dict()

    @property
    def backend_settings(self) -> dict[str, str]:
        """What ``anyvideo.connect("vonage", **settings)`` needs to reach this emulator (its CA is
        trusted through ``REQUESTS_CA_BUNDLE``, as the ``vonage_emulator`` fixture sets)."""
        credentials = self.credentials
        return {
            "application_id": credentials["application_id"],
            "private_key": credentials["private_key"],
            "video_host": urlsplit(self.base_url).netloc,
        }

    @property
    def backend_environment(self) -> dict[str, str]:
        """The same, as the environment variables the ``vonage`` backend reads (the key as PEM text)."""
        settings = self.backend_settings
        environment = {
            "ANYVIDEO_BACKEND": "vonage",
            "VONAGE_APPLICATION_ID": settings["application_id"],
            "VONAGE_PRIVATE_KEY": settings["private_key"],
            "VONAGE_VIDEO_HOST": settings["video_host"],
        }
        if self.ca_bundle is not None:
            environment["REQUESTS_CA_BUNDLE"] = str(self.ca_bundle)
        return environment

    def place_streams(
        self, world: World, record: RecordingRecord | CompositionRecord, streams: Sequence[StreamRecord]
    ) -> Mapping[str, Box]:
        """Where a composed archive shows each video stream: its custom stylesheet read
        (:mod:`.stylesheet`) against each stream's layout classes, as they are when the
        archive stops, on a canvas of the archive's resolution. A stream the stylesheet
        clips away, or does not place by itself alone, has no placement; presets
        (which the provider arranges) place none. Broadcasts are live: no file.

        The world calls this under its own lock, so the face's is not taken (handlers
        take it before the world's); each value read here is replaced whole, never
        changed in place.
        """
        state = self.state.archives.get(record.id)
        if not isinstance(record, RecordingRecord) or state is None or state.layout is None:
            return {}
        if state.layout.get("type") != "custom":
            return {}
        sheet = stylesheet.parse(state.layout["stylesheet"])  # checked when it was set
        size = record.resolution or Resolution.parse(DEFAULT_RESOLUTION)
        placed: dict[str, Box] = {}
        for stream in streams:
            try:
                box = sheet.box(self.state.layout_classes.get(stream.id, ()), (size.width, size.height))
            except stylesheet.Undetermined:
                continue
            if box is not None:
                placed[stream.id] = box
        return placed

    # --- control API ------------------------------------------------------------

    @route("POST", CONTROL_PREFIX + "/join")
    def _control_join(self, request: Request) -> Any:
        """The shared join, remembering the token's initial layout classes for the
        streams this connection will publish."""
        body = request.json()
        verified = self.application.verify_client_token(str(body.get("token", "")))
        participant = self.world.join(body.get("room") or verified.grant.room_id, verified.grant)
        with self.state.lock:
            self.state.initial_classes[participant.id] = verified.layout_classes
        return {"participant_id": participant.id, "room_id": participant.room_id, "identity": participant.identity}

    @route("POST", SEED_PATH)
    def _control_seed_recordings(self, request: Request) -> Any:
        """Stopped composed archives of a routed session, available, as if each had been
        started and stopped by the application (:mod:`anyvideo.testing.seeding`). Their
        Vonage options live in their records: the face's memory does not grow with them."""
        asked = SeedRequest.parse(request)
        room = self._session(asked.room)
        if self._relayed(room):
            raise errors.ARCHIVE_RELAYED.error()
        stopped = ArchiveState(output_mode="composed", layout={"type": "bestFit"}, reason="user initiated")
        kept = attrs.asdict(attrs.evolve(stopped, stopped_sent=True))
        seeded = self.world.seed_recordings(room.id, asked.count, seconds=asked.seconds, options={SEEDED: kept})
        return SeedRequest.answer(seeded)

    @route("GET", CONTROL_PREFIX + "/vonage/callbacks")
    def _control_callback_settings(self, request: Request) -> Any:
        return self.callback_settings.describe()

    @route("PUT", CONTROL_PREFIX + "/vonage/callbacks")
    def _control_configure_callbacks(self, request: Request) -> Any:
        """Change the callback settings named: ``{"session": url, "archive": url, "broadcast": url,
        "render": url, "signature_secret": secret}``; a key left out keeps its value, ``null`` unsets it."""
        settings = request.json()
        if not isinstance(settings, dict):
            raise HttpError(400, "expected a JSON object")
        try:
            self.callback_settings.configure(settings)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        return self.callback_settings.describe()

    # --- callbacks ----------------------------------------------------------------

    def on_event(self, event: SimEvent) -> None:
        """Session monitoring, the automatic archives of ``archiveMode=always``
        sessions, force-mute of new streams, and the status callbacks that follow
        from timed transitions (archive available, broadcast stopped)."""
        name = _EVENT_HANDLERS.get(event.type)
        if name is not None:
            getattr(self, name)(event)
        self.voice_event(event)

    def _monitoring(self, name: str, event: SimEvent, **fields: Any) -> None:
        assert event.room_id is not None
        project = self.project_of_session(event.room_id)
        self.notify("session", translate.monitoring(name, event.room_id, project, event.occurred_at, **fields))

    def _connection_created(self, event: SimEvent) -> None:
        participant = event.subject_as(ParticipantRecord)
        session = self.state.session(participant.room_id)
        with self.state.lock:
            first = not session.connected
            session.connected.add(participant.id)
        if first:
            self._monitoring("sessionCreated", event)
        self._monitoring("connectionCreated", event, connection=translate.connection_info(participant))
        room = self.world.get_room(participant.room_id)
        if room.options.get("archiveMode") == "always":
            self.start_automatic_archive(room)

    def _connection_destroyed(self, event: SimEvent) -> None:
        participant = event.subject_as(ParticipantRecord)
        session = self.state.session(participant.room_id)
        with self.state.lock:
            session.connected.discard(participant.id)
            last = not session.connected
            forced = participant.id in self.state.forced
        reason = "forceDisconnected" if forced else "clientDisconnected"
        self._monitoring("connectionDestroyed", event, connection=translate.connection_info(participant), reason=reason)
        if last:
            self._monitoring("sessionDestroyed", event)
            self.stop_automatic_archives(participant.room_id)

    def _stream_created(self, event: SimEvent) -> None:
        stream = event.subject_as(StreamRecord)
        session = self.state.session(stream.room_id)
        with self.state.lock:
            self.state.layout_classes[stream.id] = list(self.state.initial_classes.get(stream.participant_id, ()))
            mute = session.force_mute and stream.id not in session.mute_excluded and stream.kind.has_audio
        if mute:
            try:
                self.world.mute(stream.id)
            except NotFound:  # unpublished meanwhile
                pass
        participant = self.world.get_participant(stream.participant_id)
        self._monitoring("streamCreated", event, stream=translate.stream_info(stream, participant))

    def _stream_destroyed(self, event: SimEvent) -> None:
        stream = event.subject_as(StreamRecord)
        participant = self.world.get_participant(stream.participant_id)
        with self.state.lock:  # its layout classes stay: an archive that recorded it lays it out by them
            forced = participant.id in self.state.forced
        if participant.status is ParticipantStatus.CONNECTED:
            reason = _STREAM_UNPUBLISHED
        else:
            reason = _STREAM_FORCED_OUT if forced else _STREAM_GONE_WITH_CONNECTION
        self._monitoring("streamDestroyed", event, stream=translate.stream_info(stream, participant), reason=reason)

    def _archive_available(self, event: SimEvent) -> None:
        record = event.subject_as(RecordingRecord)
        with self.state.lock:
            state = self.state.archives.get(record.id)
            if state is None:
                return
            stopped_unannounced = not state.stopped_sent
            state.stopped_sent = True
        if stopped_unannounced:  # it stopped by itself (maximum duration) while nobody looked
            self.notify("archive", self.archive_json(attrs.evolve(record, status=RecordingStatus.PROCESSING)))
        self.notify("archive", self.archive_json(record))

    def _broadcast_stopped(self, event: SimEvent) -> None:
        record = event.subject_as(CompositionRecord)
        if record.id in self.state.broadcasts:
            self.notify("broadcast", self.broadcast_json(record))
