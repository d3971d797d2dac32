"""The operation contract every provider implements, and its capabilities.

A backend is a :class:`Backend` subclass handed to anyvideo by a plugin's
``anyvideo_register_backends`` hook. Its methods take provider-native ids and
validated specs (see :mod:`anyvideo.specs`) and return core models; they are
called by the :class:`~anyvideo.client.Video` facade only after the input has
been validated and the needed :class:`Feature` checked.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Protocol, Self

from anyvideo.accounts import Setting, Step
from anyvideo.errors import ConfigurationError, UnsupportedFeature
from anyvideo.messaging import Channel, Invitation, InvitationSpec, Verification, VerificationSpec
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    LayoutKind,
    MediaFile,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Room,
    RoomStatus,
    SelectBy,
    Stream,
    StreamKind,
    VideoSource,
)
from anyvideo.registry import Registry
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec
from anyvideo.voice import DialIn, PhoneCallSpec, VoiceReply
from anyvideo.webhooks import WebhookRequest

if TYPE_CHECKING:
    from anyvideo.extensions import Extensions

__all__ = ["Backend", "Device", "Devices", "EventSink", "Feature", "FEATURE_DESCRIPTIONS"]

#: Where a backend hands the events it observes; the facade dispatches them.
EventSink = Callable[[Event], None]


class Device(Protocol):
    """One client device connected to a room (a simulated browser)."""

    participant_id: str
    room_id: str
    identity: str

    def publish(
        self,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        *,
        name: str | None = None,
        video_source: VideoSource | None = None,
    ) -> str:
        """Publish a stream; returns its id. A token without the right to publish is refused with Forbidden."""
        ...

    def unpublish(self, stream_id: str) -> None: ...

    def signals(self) -> Sequence[ReceivedSignal]:
        """Every signal this device has received, oldest first."""
        ...

    def leave(self) -> None: ...


class ReceivedSignal(Protocol):
    """A signal as the device that received it saw it."""

    @property
    def type(self) -> str: ...

    @property
    def data(self) -> str: ...


class Devices(Protocol):
    """What plays client devices against a backend: joins rooms with client tokens."""

    def join(self, token: str | AccessToken, room_id: str | None = None) -> Device: ...


class AccountSettings(Protocol):
    """A backend's side of a settings migration (see :mod:`anyvideo.migrate.plan`)."""

    def read(self, backend: Any) -> list[Setting]: ...

    def plan(self, backend: Any, setting: Setting) -> Step: ...

    def apply(self, backend: Any, step: Step) -> bool: ...


class Feature(StrEnum):
    """Something a backend may or may not be able to do."""

    RECORDING = "recording"
    INDIVIDUAL_RECORDING = "individual_recording"
    POST_HOC_COMPOSITION = "post_hoc_composition"
    LIVE_STREAMING = "live_streaming"
    SIGNALS = "signals"
    MUTE = "mute"
    TOKEN_ROLES = "token_roles"
    TOKEN_DATA = "token_data"
    MAX_PARTICIPANTS = "max_participants"
    RECORDING_RULES = "recording_rules"
    SUBSCRIBE_RULES = "subscribe_rules"
    COMPOSITION_HOOKS = "composition_hooks"
    SIP_DIAL = "sip_dial"
    DTMF = "dtmf"
    CAPTIONS = "captions"
    RENDER = "render"
    E2EE = "e2ee"
    EXTERNAL_STORAGE = "external_storage"
    INVITATIONS = "invitations"
    PHONE_VERIFICATION = "phone_verification"
    PHONE_DIAL_OUT = "phone_dial_out"
    PHONE_DIAL_IN = "phone_dial_in"


#: One line per feature, for ``anyvideo backends`` and the capability matrix.
FEATURE_DESCRIPTIONS: Mapping[Feature, str] = {
    Feature.RECORDING: "record a room: start, stop, list, download (composed into one file)",
    Feature.INDIVIDUAL_RECORDING: "record each stream into its own file",
    Feature.POST_HOC_COMPOSITION: "render a file composition from recorded streams (then download or delete it)",
    Feature.LIVE_STREAMING: "broadcast a room live to HLS or RTMP",
    Feature.SIGNALS: "send messages to clients from the server",
    Feature.MUTE: "mute a participant's audio from the server",
    Feature.TOKEN_ROLES: "client tokens with roles other than publisher",
    Feature.TOKEN_DATA: "client tokens carrying application data",
    Feature.MAX_PARTICIPANTS: "cap the number of participants in a room",
    Feature.RECORDING_RULES: "choose which tracks are recorded",
    Feature.SUBSCRIBE_RULES: "choose which tracks a participant receives",
    Feature.COMPOSITION_HOOKS: "compose automatically when a room ends",
    Feature.SIP_DIAL: "dial a SIP endpoint into a room",
    Feature.DTMF: "play DTMF digits into a room",
    Feature.CAPTIONS: "live captions",
    Feature.RENDER: "render a web page into a room as a stream",
    Feature.E2EE: "end-to-end encrypted media",
    Feature.EXTERNAL_STORAGE: "store recordings in the customer's own bucket",
    Feature.INVITATIONS: "send a room's join link (and dial-in number and PIN) to a phone by SMS or chat",
    Feature.PHONE_VERIFICATION: "check a phone number with a one-time code before issuing a token",
    Feature.PHONE_DIAL_OUT: "call a phone number into a room as an audio-only participant",
    Feature.PHONE_DIAL_IN: "a number people call to join a room by phone, with a PIN",
}

#: Either feature makes ``compositions.get`` and ``list`` available (``delete`` needs a file composition).
COMPOSITION_FEATURES = frozenset({Feature.POST_HOC_COMPOSITION, Feature.LIVE_STREAMING})


class Backend(abc.ABC):
    """Base class of every provider backend.

    Subclasses set the class attributes, implement the abstract methods, and
    override the optional ones that match the features they declare. An
    optional method left alone raises :class:`UnsupportedFeature`, so a
    feature is either implemented or honestly absent.
    """

    #: The name users select the backend by (``ANYVIDEO_BACKEND``).
    name: ClassVar[str]
    #: What this backend can do beyond the core operations.
    features: ClassVar[frozenset[Feature]] = frozenset()
    #: Why a feature is missing and what to use instead, for error messages.
    feature_hints: ClassVar[Mapping[Feature, str]] = {}
    #: Output sizes accepted for recordings and compositions (``None``: any the backend checks itself).
    resolutions: ClassVar[frozenset[str] | None] = None
    #: The rule for output sizes when ``resolutions`` is ``None``, for people to read.
    resolution_rule: ClassVar[str] = "any"
    #: Layout kinds the provider can render.
    layouts: ClassVar[frozenset[LayoutKind]] = frozenset(LayoutKind)
    #: What a custom layout's region selectors can pick streams by on this backend.
    selectors: ClassVar[frozenset[SelectBy]] = frozenset(SelectBy)
    #: Longest client-token lifetime, in seconds.
    max_token_ttl: ClassVar[float] = 30 * 24 * 3600.0
    #: The methods that send no request and wait on nothing (signing a client token, say):
    #: :mod:`anyvideo.aio` runs them in its event loop, where a hop to its worker pool would
    #: cost more than the call itself.
    requestless: frozenset[str] = frozenset()
    #: Whether the backend takes refs (``"<backend>:<id>"``) where others take native ids:
    #: a backend that routes between providers needs to know which one holds an object.
    accepts_refs: ClassVar[bool] = False
    #: The backend's provider extensions (``video.ext``), if it offers any: see :mod:`anyvideo.extensions`.
    extensions_class: ClassVar[type[Extensions] | None] = None
    #: Provider features anyvideo does not reach: name → why, and the way round (often ``native``).
    not_covered: ClassVar[Mapping[str, str]] = {}
    #: The client SDK browsers and apps load to join this backend's rooms, for people to read.
    client_sdk: ClassVar[str] = "the provider's client SDK"
    #: Where rooms live when anyvideo, not the provider, keeps them: the environment variable
    #: naming the file (without it they are in memory, forgotten when the process exits), and
    #: why, for people to read (``None``: the provider keeps them; ``anyvideo rooms`` says so).
    rooms_kept_in: ClassVar[tuple[str, str] | None] = None
    #: The messaging channels invitations go out on (:attr:`Feature.INVITATIONS`).
    channels: ClassVar[frozenset[Channel]] = frozenset()
    #: Why a channel is missing, for error messages.
    channel_hints: ClassVar[Mapping[Channel, str]] = {}

    _sink: EventSink | None = None
    #: Where the backend keeps what its provider does not store (``None``: nothing); the
    #: facade also files there the ids of the webhook events it has handled.
    registry: Registry | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        """Build the backend from keyword settings and the environment.

        The default accepts no settings; backends with settings override it
        and raise :class:`ConfigurationError` naming what is missing or unknown.
        """
        if settings:
            raise ConfigurationError(f"the {cls.name} backend takes no settings, got: {', '.join(sorted(settings))}")
        return cls()

    def attach(self, sink: EventSink) -> None:
        """Send the events this backend observes to ``sink`` (the facade's dispatcher)."""
        self._sink = sink

    def emit(self, event: Event) -> None:
        """Hand an observed event to the attached facade; without one, nobody is listening."""
        if self._sink is not None:
            self._sink(event)

    @property
    def native(self) -> Any:
        """The provider client this backend drives, for what anyvideo does not cover."""
        return None

    @property
    def api_url(self) -> str | None:
        """The base URL of the provider API this backend sends requests to (``None``: in-process)."""
        return None

    def browser(self) -> Devices:
        """A handle that plays client devices (join, publish, leave) against this backend.

        Only a simulated platform can offer one: the local backend plays its
        own, and a backend pointed at an emulator gets the devices of the
        emulator registered under its name (:func:`anyvideo.testing.devices_for`).
        A real provider is joined from its own client SDKs
        (:class:`~anyvideo.errors.ConfigurationError`).
        """
        from anyvideo.testing import devices_for  # the test kit loads only when devices are asked for

        return devices_for(self)

    def close(self) -> None:
        """Release connections and files. The backend is unusable afterwards."""

    def native_async(self) -> Any:
        """The backend's own async calls, for :mod:`anyvideo.aio`; ``None`` (the default): none.

        An object whose coroutine methods have this class's method names and
        signatures (``async def create_room(spec)``), and optionally ``async
        aclose()``. ``anyvideo.aio`` asks once per async ``Video``, inside its event
        loop, and awaits such a method instead of running the sync one in its worker
        pool; any other call still runs in the pool. A native call must keep the sync
        call's contract: the same retries, deadlines, lost-answer reconcile and
        translated errors.
        """
        return None

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """Verify a provider callback and translate it into events.

        Verification fails closed: a missing, wrong or stale signature raises
        :class:`~anyvideo.errors.WebhookVerificationError` and yields nothing.
        A body that is not a callback of this provider raises another
        :class:`~anyvideo.errors.AnyVideoError`; a callback of an unknown kind
        becomes an ``unknown`` event, never an error.
        """
        raise ConfigurationError(f"the {self.name} backend receives no provider callbacks")

    def release_webhook(self, request: WebhookRequest) -> None:
        """Forget that ``request`` was received: handling its events failed, and the
        provider will deliver it again. A backend that refuses a callback it has seen
        before (a replayed signature) must accept that delivery; the default remembers
        nothing, so there is nothing to forget."""

    # --- account settings, for migrations (anyvideo.migrate.plan) -------------

    #: The module (or object) with ``read(backend)``, ``plan(backend, setting)`` and
    #: ``apply(backend, step)`` that carries this backend's side of a settings migration.
    account_settings: ClassVar[AccountSettings | None] = None

    def read_settings(self) -> list[Setting]:
        """The account's settings that a move to another provider must carry."""
        return self._account_settings().read(self)

    def plan_setting(self, setting: Setting) -> Step:
        """How this backend would take another provider's ``setting``."""
        return self._account_settings().plan(self, setting)

    def apply_setting(self, step: Step) -> bool:
        """Apply one planned step, idempotently; whether anything changed."""
        return self._account_settings().apply(self, step)

    def _account_settings(self) -> AccountSettings:
        if self.account_settings is None:
            raise ConfigurationError(f"the {self.name} backend has no account settings to migrate")
        return self.account_settings

    def _unsupported(self, feature: Feature) -> UnsupportedFeature:
        return UnsupportedFeature(feature, self.name, self.feature_hints.get(feature))

    # --- rooms --------------------------------------------------------------

    @abc.abstractmethod
    def create_room(self, spec: RoomSpec) -> Room:
        """Create a room as ``spec`` describes; the room, as the provider reports it."""

    @abc.abstractmethod
    def get_room(self, room_id: str) -> Room:
        """The room with this id; :class:`~anyvideo.NotFound` if the provider has none."""

    @abc.abstractmethod
    def find_room(self, name: str) -> Room:
        """The room with this unique name: the open one, else the newest."""

    @abc.abstractmethod
    def list_rooms(self, *, status: RoomStatus | None = None, name: str | None = None) -> Iterator[Room]:
        """The rooms, optionally only those with this ``status`` or ``name``."""

    @abc.abstractmethod
    def end_room(self, room_id: str) -> Room:
        """End the room: disconnect everyone and refuse new participants."""

    # --- participants and streams ------------------------------------------

    @abc.abstractmethod
    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        """The room's participants, optionally only those with this ``status``."""

    @abc.abstractmethod
    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        """One participant of the room; :class:`~anyvideo.NotFound` if there is none with this id."""

    @abc.abstractmethod
    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        """Disconnect the participant from the room."""

    @abc.abstractmethod
    def list_streams(self, room_id: str) -> Iterator[Stream]:
        """The streams published in the room now."""

    @abc.abstractmethod
    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        """One stream published in the room now; :class:`~anyvideo.NotFound` if there is none with this id."""

    def mute_stream(self, room_id: str, stream_id: str) -> Stream:
        """Mute the stream's audio (:attr:`~anyvideo.Feature.MUTE`); the stream as it is then."""
        raise self._unsupported(Feature.MUTE)

    def mute_all(self, room_id: str, *, except_stream_ids: tuple[str, ...] = ()) -> None:
        """Mute the audio of every stream in the room but ``except_stream_ids`` (:attr:`~anyvideo.Feature.MUTE`)."""
        raise self._unsupported(Feature.MUTE)

    # --- tokens and signals -------------------------------------------------

    @abc.abstractmethod
    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        """Mint a client token that lets a browser join the room as ``spec`` describes."""

    def send_signal(self, room_id: str, spec: SignalSpec) -> None:
        """Send a message to the room's clients, or to one of them (:attr:`~anyvideo.Feature.SIGNALS`)."""
        raise self._unsupported(Feature.SIGNALS)

    # --- recordings ---------------------------------------------------------

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        """Start recording the room as ``spec`` describes (:attr:`~anyvideo.Feature.RECORDING`)."""
        raise self._unsupported(Feature.RECORDING)

    def stop_recording(self, recording_id: str) -> Recording:
        """Stop the recording; the recording as it is then."""
        raise self._unsupported(Feature.RECORDING)

    def get_recording(self, recording_id: str) -> Recording:
        """The recording with this id; :class:`~anyvideo.NotFound` if the provider has none."""
        raise self._unsupported(Feature.RECORDING)

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        """The recordings, optionally only those of one room or with one ``status``."""
        raise self._unsupported(Feature.RECORDING)

    def delete_recording(self, recording_id: str) -> None:
        """Delete the recording and its files."""
        raise self._unsupported(Feature.RECORDING)

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        """The bytes of one of the recording's files, in chunks."""
        raise self._unsupported(Feature.RECORDING)

    def download_recording_file(self, recording: Recording, file: MediaFile) -> Iterator[bytes]:
        """The bytes of ``file``, one of the files of ``recording`` as it was listed or got, in chunks.

        The default asks ``download_recording``. A backend whose recording already says where
        its bytes are (a pre-signed URL in the provider's payload) downloads them from there,
        without asking for the recording again, and asks again only if that has gone stale.
        """
        return self.download_recording(recording.id, file.name)

    def recording_parts(
        self, recording: Recording, file: MediaFile, data: BinaryIO
    ) -> Iterable[tuple[MediaFile, BinaryIO]] | None:
        """The per-stream files that ``file``, one file of an *individual* recording as the
        provider delivers it, bundles (a provider that zips them): each a
        :class:`MediaFile` saying whose stream it is, with a readable of its bytes.

        ``data`` reads the downloaded, checked bytes of ``file`` (seekable). ``None``, the
        default: ``file`` is itself one stream's file, kept as it is.
        """
        return None

    # --- compositions -------------------------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        """Start a composition as ``spec`` describes: a file rendered from recordings
        (:attr:`~anyvideo.Feature.POST_HOC_COMPOSITION`) or a live broadcast
        (:attr:`~anyvideo.Feature.LIVE_STREAMING`).
        """
        live = spec.output is CompositionOutput.LIVE
        raise self._unsupported(Feature.LIVE_STREAMING if live else Feature.POST_HOC_COMPOSITION)

    def stop_composition(self, composition_id: str) -> Composition:
        """Stop a live composition; the composition as it is then."""
        raise self._unsupported(Feature.LIVE_STREAMING)

    def get_composition(self, composition_id: str) -> Composition:
        """The composition with this id; :class:`~anyvideo.NotFound` if the provider has none."""
        raise self._unsupported(Feature.POST_HOC_COMPOSITION)

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        """The compositions, optionally only those of one room or with one ``status``."""
        raise self._unsupported(Feature.POST_HOC_COMPOSITION)

    def delete_composition(self, composition_id: str) -> None:
        """Delete the composition and its files."""
        raise self._unsupported(Feature.POST_HOC_COMPOSITION)

    def download_composition(self, composition_id: str, file_name: str) -> Iterator[bytes]:
        """The bytes of one of the composition's files, in chunks."""
        raise self._unsupported(Feature.POST_HOC_COMPOSITION)

    # --- invitations and phone verification ------------------------------------

    def send_invitation(self, spec: InvitationSpec) -> Invitation:
        """Send ``spec.text`` to ``spec.to`` on ``spec.channel`` (:attr:`~anyvideo.Feature.INVITATIONS`)."""
        raise self._unsupported(Feature.INVITATIONS)

    def start_verification(self, spec: VerificationSpec) -> Verification:
        """Send a one-time code to ``spec.number`` (:attr:`~anyvideo.Feature.PHONE_VERIFICATION`)."""
        raise self._unsupported(Feature.PHONE_VERIFICATION)

    def check_verification(self, verification_id: str, code: str) -> Verification:
        """Check ``code`` against the verification: verified, still pending (a wrong code with
        tries left) or failed (too many wrong codes, expired)."""
        raise self._unsupported(Feature.PHONE_VERIFICATION)

    # --- phone participants ---------------------------------------------------

    def call_phone(self, room_id: str, spec: PhoneCallSpec) -> Participant:
        """Call ``spec.to`` into the room (:attr:`~anyvideo.Feature.PHONE_DIAL_OUT`); the phone
        participant (``phone`` set, its number masked)."""
        raise self._unsupported(Feature.PHONE_DIAL_OUT)

    def dial_in(self, room_id: str, number: str) -> DialIn:
        """The PIN that joins the room through ``number``, a number of the account whose voice
        webhooks reach anyvideo (:attr:`~anyvideo.Feature.PHONE_DIAL_IN`)."""
        raise self._unsupported(Feature.PHONE_DIAL_IN)

    def voice_reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The answer to ``request`` if it is one of this backend's voice webhooks (a call
        asking what to do, the digits a caller keyed), verified as its callbacks are;
        ``None`` (the default): it is not one, and is handled as a callback."""
        return None
