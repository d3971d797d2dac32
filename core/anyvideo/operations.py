"""Each facade operation, written once for both facades (sans-IO).

An operation is a generator: it validates its input and checks the backend's
features, then ``yield``\\ s the backend calls it needs as :class:`Call` values
and is sent their results (or has their exceptions thrown in), so what it does
with an answer (``rooms.end`` returning a room that had already ended,
``participants.disconnect`` accepting someone already gone) is written here
and nowhere else. The sync :class:`~anyvideo.client.Video` drives an operation
with :func:`run`, calling the backend in the caller's thread;
:class:`anyvideo.aio.Video` drives the same generator from the event loop,
awaiting each call in its worker pool (or the backend's native async method).

Validation runs on the first step, before the first call is yielded: bad input
raises the same :class:`~anyvideo.errors.InvalidRequest` or
:class:`~anyvideo.errors.UnsupportedFeature` from either facade, with nothing
sent to a provider.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from anyvideo.backend import COMPOSITION_FEATURES, Feature
from anyvideo.errors import Conflict, InvalidRequest, NotFound, UnsupportedFeature
from anyvideo.messaging import (
    INVITE_URL_ENV,
    Channel,
    DialIn,
    Invitation,
    InvitationSpec,
    Verification,
    VerificationSpec,
    check_code,
    invitation_text,
    join_link,
    link_fields,
)
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
    Resolution,
    Role,
    Room,
    RoomStatus,
    RtmpTarget,
    Stream,
    make_ref,
)
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec

if TYPE_CHECKING:
    from anyvideo.client import ObjectRef, Video
    from anyvideo.webhooks import HandledEvents, WebhookRequest

__all__ = ["Call", "Dispatch", "Effect", "Operation", "optional_enum", "run"]

T = TypeVar("T")


class Effect(Enum):
    """What a backend call does to the provider, which decides what cancelling it means
    (see :mod:`anyvideo.aio`)."""

    #: Looks only (or mints a credential the provider does not store): a cancelled call is abandoned.
    READ = "read"
    #: Changes an object (ends, stops, deletes, mutes, sends): a cancelled call is finished.
    CHANGE = "change"
    #: Makes a provider object: a cancelled call is finished, then what it made is undone.
    CREATE = "create"


@attrs.frozen
class Call:
    """One backend call an operation needs: ``backend.<name>(*args, **kwargs)``, or
    ``function(*args, **kwargs)`` for work of the facade's own (a registry write).

    ``undo``, for a call that makes a provider object, gives the call that takes the
    object it returned away again (ends the room, stops the recording).
    """

    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    effect: Effect = Effect.READ
    undo: Callable[[Any], Call] | None = None
    function: Callable[..., Any] | None = None

    @classmethod
    def local(cls, function: Callable[..., Any], *args: Any, effect: Effect = Effect.CHANGE) -> Call:
        """The facade's own ``function(*args)``, run where backend calls run."""
        return cls(getattr(function, "__name__", "call"), args, effect=effect, function=function)


@attrs.frozen
class Dispatch:
    """Hand ``event`` to the ``anyvideo_event`` hooks (each facade has its own way)."""

    event: Event


#: An operation: yields calls (and dispatches), is sent their results, returns its own.
Operation = Generator["Call | Dispatch", Any, T]


def run(video: Video, operation: Operation[T]) -> T:
    """Drive ``operation`` to its end in this thread, as the sync facade does."""
    try:
        step = next(operation)
        while True:
            try:
                result: Any = None
                if isinstance(step, Dispatch):
                    video.dispatch(step.event)
                else:
                    function = step.function or getattr(video.backend, step.name)
                    result = function(*step.args, **step.kwargs)
            except BaseException as exc:
                step = operation.throw(exc)
            else:
                step = operation.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


_E = TypeVar("_E", bound=StrEnum)


def optional_enum(cls: type[_E], value: _E | str | None, field: str) -> _E | None:
    """``value`` as a member of ``cls`` (``None`` stays ``None``); anything else names ``field``."""
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        raise InvalidRequest(field, f"{value!r} is not one of: {', '.join(m.value for m in cls)}") from None


def _held(video: Video, item: Room | Recording | Composition) -> str:
    """How the backend names ``item`` in a later call: a ref for a router, else the native id."""
    return make_ref(item.provider, item.id) if video.backend.accepts_refs else item.id


# --- rooms ------------------------------------------------------------------------


def create_room(
    video: Video, name: str | None, max_participants: int | None, provider_options: Mapping[str, Any] | None
) -> Operation[Room]:
    spec = RoomSpec(name, max_participants, provider_options=provider_options)
    if spec.max_participants is not None:
        video.require(Feature.MAX_PARTICIPANTS)
    room: Room = yield Call(
        "create_room",
        (spec,),
        effect=Effect.CREATE,
        undo=lambda made: Call("end_room", (_held(video, made),), effect=Effect.CHANGE),
    )
    return room


def get_room(video: Video, room: ObjectRef | None, name: str | None) -> Operation[Room]:
    if (room is None) == (name is None):
        raise InvalidRequest("room", "give a room id or a name, not both or neither")
    if name is not None:
        RoomSpec(name)  # validates the name
        found: Room = yield Call("find_room", (name,))
        return found
    found = yield Call("get_room", (video._id(room, "room"),))  # type: ignore[arg-type]
    return found


def list_rooms(video: Video, status: RoomStatus | str | None, name: str | None) -> Operation[Iterator[Room]]:
    rooms: Iterator[Room] = yield Call(
        "list_rooms", kwargs={"status": optional_enum(RoomStatus, status, "status"), "name": name}
    )
    return rooms


def end_room(video: Video, room: ObjectRef | None, name: str | None) -> Operation[Room]:
    room_id = (yield from get_room(video, room, name)).id if name is not None else video._id(room, "room")  # type: ignore[arg-type]
    try:
        ended: Room = yield Call("end_room", (room_id,), effect=Effect.CHANGE)
    except Conflict:
        ended = yield Call("get_room", (room_id,))
        if ended.status is not RoomStatus.ENDED:
            raise
    return ended


# --- participants and streams -------------------------------------------------------


def list_participants(
    video: Video, room: ObjectRef, status: ParticipantStatus | str | None
) -> Operation[Iterator[Participant]]:
    wanted = optional_enum(ParticipantStatus, status, "status")
    found: Iterator[Participant] = yield Call("list_participants", (video._id(room, "room"),), {"status": wanted})
    return found


def get_participant(video: Video, room: ObjectRef, participant: ObjectRef) -> Operation[Participant]:
    found: Participant = yield Call("get_participant", (video._id(room, "room"), video._id(participant, "participant")))
    return found


def disconnect_participant(video: Video, room: ObjectRef, participant: ObjectRef) -> Operation[None]:
    room_id, participant_id = video._id(room, "room"), video._id(participant, "participant")
    try:
        yield Call("disconnect_participant", (room_id, participant_id), effect=Effect.CHANGE)
    except (Conflict, NotFound) as refused:
        try:
            gone: Participant = yield Call("get_participant", (room_id, participant_id))
        except NotFound:
            raise refused from None
        if gone.status is not ParticipantStatus.DISCONNECTED:
            raise


def list_streams(video: Video, room: ObjectRef) -> Operation[Iterator[Stream]]:
    found: Iterator[Stream] = yield Call("list_streams", (video._id(room, "room"),))
    return found


def get_stream(video: Video, room: ObjectRef, stream: ObjectRef) -> Operation[Stream]:
    found: Stream = yield Call("get_stream", (video._id(room, "room"), video._id(stream, "stream")))
    return found


def mute_stream(video: Video, room: ObjectRef, stream: ObjectRef) -> Operation[Stream]:
    video.require(Feature.MUTE)
    muted: Stream = yield Call(
        "mute_stream", (video._id(room, "room"), video._id(stream, "stream")), effect=Effect.CHANGE
    )
    return muted


def mute_all(video: Video, room: ObjectRef, except_streams: Iterable[ObjectRef]) -> Operation[None]:
    video.require(Feature.MUTE)
    kept = tuple(video._id(s, "except_streams") for s in except_streams)
    yield Call("mute_all", (video._id(room, "room"),), {"except_stream_ids": kept}, effect=Effect.CHANGE)


# --- tokens and signals ---------------------------------------------------------------


def create_token(
    video: Video,
    room: ObjectRef,
    identity: str,
    role: Role | str,
    ttl: float | timedelta,
    data: str | None,
    provider_options: Mapping[str, Any] | None,
) -> Operation[AccessToken]:
    spec = TokenSpec(identity, role, ttl, data, provider_options=provider_options)
    backend = video.backend
    if spec.ttl > backend.max_token_ttl:
        raise InvalidRequest("ttl", f"{video.backend_name} tokens live at most {backend.max_token_ttl:g} seconds")
    if spec.role is not Role.PUBLISHER:
        video.require(Feature.TOKEN_ROLES)
    if spec.data is not None:
        video.require(Feature.TOKEN_DATA)
    # A token is signed, not stored by the provider: a cancelled mint leaves nothing behind.
    token: AccessToken = yield Call("create_token", (video._id(room, "room"), spec))
    return token


def send_signal(video: Video, room: ObjectRef, type: str, data: str, to: ObjectRef | None) -> Operation[None]:
    spec = SignalSpec(type, data, None if to is None else video._id(to, "to"))
    video.require(Feature.SIGNALS)
    yield Call("send_signal", (video._id(room, "room"), spec), effect=Effect.CHANGE)


# --- invitations and phone verification ---------------------------------------------------


def invite(
    video: Video,
    room: ObjectRef,
    to: str,
    channel: Channel | str,
    link: str | None,
    dial_in: DialIn | None,
    text: str | None,
    sender: str | None,
) -> Operation[Invitation]:
    video.require(Feature.INVITATIONS)
    room_id = video._id(room, "room")
    template = link if link is not None else os.environ.get(INVITE_URL_ENV)
    if not template:
        raise InvalidRequest("link", f"give the join link (or its template), or set {INVITE_URL_ENV}")
    if dial_in is not None and not isinstance(dial_in, DialIn):
        raise InvalidRequest("dial_in", f"expected a DialIn(number, pin), got {type(dial_in).__name__}")
    # Every check on the text before the recipient's: a bad template fails whoever it is for.
    invitation_text("https://x", dial_in, text)
    spec = InvitationSpec(to, channel, "-", sender)
    backend = video.backend
    if spec.channel not in backend.channels:
        hint = backend.channel_hints.get(spec.channel) or (
            f"{video.backend_name} sends invitations by {', '.join(sorted(backend.channels))} only"
        )
        raise UnsupportedFeature(Feature.INVITATIONS, video.backend_name, f"{spec.channel.value}: {hint}")
    name = getattr(room, "name", None)
    if "name" in link_fields(template) and name is None:
        found: Room = yield Call("get_room", (room_id,))
        name = found.name
    message = invitation_text(join_link(template, room=room_id, name=name), dial_in, text)
    sent: Invitation = yield Call("send_invitation", (attrs.evolve(spec, text=message),), effect=Effect.CHANGE)
    return sent


def start_verification(video: Video, number: str, brand: str, code_length: int) -> Operation[Verification]:
    video.require(Feature.PHONE_VERIFICATION)
    spec = VerificationSpec(number, brand, code_length)
    started: Verification = yield Call("start_verification", (spec,), effect=Effect.CHANGE)
    return started


def check_verification(video: Video, verification: str | Verification, code: str) -> Operation[Verification]:
    video.require(Feature.PHONE_VERIFICATION)
    verification_id = verification.id if isinstance(verification, Verification) else verification
    if not isinstance(verification_id, str) or not verification_id:
        raise InvalidRequest("verification", "expected a Verification or its id")
    checked: Verification = yield Call("check_verification", (verification_id, check_code(code)), effect=Effect.CHANGE)
    return checked


# --- recordings -----------------------------------------------------------------------


def start_recording(
    video: Video,
    room: ObjectRef,
    mode: RecordingMode | str,
    layout: Layout | str | None,
    resolution: Resolution | str | None,
    name: str | None,
    has_audio: bool,
    has_video: bool,
    max_duration: float | timedelta | None,
    provider_options: Mapping[str, Any] | None,
) -> Operation[Recording]:
    spec = RecordingSpec(
        mode, layout, resolution, name, has_audio, has_video, max_duration, provider_options=provider_options
    )
    video.require(Feature.RECORDING)
    if spec.mode is RecordingMode.INDIVIDUAL:
        video.require(Feature.INDIVIDUAL_RECORDING)
    video._check_output(spec.layout, spec.resolution)
    recording: Recording = yield Call(
        "start_recording",
        (video._id(room, "room"), spec),
        effect=Effect.CREATE,
        undo=lambda made: Call("stop_recording", (_held(video, made),), effect=Effect.CHANGE),
    )
    return recording


def stop_recording(video: Video, recording: ObjectRef) -> Operation[Recording]:
    video.require(Feature.RECORDING)
    stopped: Recording = yield Call("stop_recording", (video._id(recording, "recording"),), effect=Effect.CHANGE)
    return stopped


def get_recording(video: Video, recording: ObjectRef) -> Operation[Recording]:
    video.require(Feature.RECORDING)
    found: Recording = yield Call("get_recording", (video._id(recording, "recording"),))
    return found


def list_recordings(
    video: Video, room: ObjectRef | None, status: RecordingStatus | str | None
) -> Operation[Iterator[Recording]]:
    video.require(Feature.RECORDING)
    room_id = None if room is None else video._id(room, "room")
    wanted = optional_enum(RecordingStatus, status, "status")
    found: Iterator[Recording] = yield Call("list_recordings", kwargs={"room_id": room_id, "status": wanted})
    return found


def delete_recording(video: Video, recording: ObjectRef) -> Operation[None]:
    video.require(Feature.RECORDING)
    yield Call("delete_recording", (video._id(recording, "recording"),), effect=Effect.CHANGE)


# --- compositions ---------------------------------------------------------------------


def _undo_composition(video: Video, made: Composition) -> Call:
    # A broadcast is stopped; a file composition cannot be stopped, only deleted.
    live = made.output is CompositionOutput.LIVE
    return Call("stop_composition" if live else "delete_composition", (_held(video, made),), effect=Effect.CHANGE)


def start_composition(
    video: Video,
    room: ObjectRef,
    output: CompositionOutput | str,
    layout: Layout | str | None,
    resolution: Resolution | str | None,
    format: str | None,
    streams: Iterable[ObjectRef] | None,
    recordings: Iterable[ObjectRef] | None,
    hls: bool,
    rtmp: Iterable[RtmpTarget],
    max_duration: float | timedelta | None,
    provider_options: Mapping[str, Any] | None,
) -> Operation[Composition]:
    spec = CompositionSpec(
        output,
        layout,
        resolution,
        format,
        None if streams is None else [video._id(s, "streams") for s in streams],
        None if recordings is None else [video._id(r, "recordings") for r in recordings],
        hls,
        tuple(rtmp),
        max_duration,
        provider_options=provider_options,
    )
    live = spec.output is CompositionOutput.LIVE
    video.require(Feature.LIVE_STREAMING if live else Feature.POST_HOC_COMPOSITION)
    video._check_output(spec.layout, spec.resolution)
    composition: Composition = yield Call(
        "start_composition",
        (video._id(room, "room"), spec),
        effect=Effect.CREATE,
        undo=lambda made: _undo_composition(video, made),
    )
    return composition


def stop_composition(video: Video, composition: ObjectRef) -> Operation[Composition]:
    video.require(Feature.LIVE_STREAMING)
    stopped: Composition = yield Call(
        "stop_composition", (video._id(composition, "composition"),), effect=Effect.CHANGE
    )
    return stopped


def get_composition(video: Video, composition: ObjectRef) -> Operation[Composition]:
    video.require(*COMPOSITION_FEATURES)
    found: Composition = yield Call("get_composition", (video._id(composition, "composition"),))
    return found


def list_compositions(
    video: Video, room: ObjectRef | None, status: CompositionStatus | str | None
) -> Operation[Iterator[Composition]]:
    video.require(*COMPOSITION_FEATURES)
    room_id = None if room is None else video._id(room, "room")
    wanted = optional_enum(CompositionStatus, status, "status")
    found: Iterator[Composition] = yield Call("list_compositions", kwargs={"room_id": room_id, "status": wanted})
    return found


def delete_composition(video: Video, composition: ObjectRef) -> Operation[None]:
    video.require(Feature.POST_HOC_COMPOSITION)
    yield Call("delete_composition", (video._id(composition, "composition"),), effect=Effect.CHANGE)


# --- webhooks -------------------------------------------------------------------------


def parse_webhook(request: WebhookRequest) -> Operation[list[Event]]:
    events: list[Event] = yield Call("parse_webhook", (request,))
    return events


def handle_webhook(handled: HandledEvents, request: WebhookRequest) -> Operation[list[Event]]:
    """Parse, then dispatch each event not handled before; on a failed (or cancelled)
    dispatch, forget the event and the callback so the provider's next delivery is handled."""
    events: list[Event] = yield Call("parse_webhook", (request,))
    for event in events:
        if not (yield Call.local(handled.claim, event)):
            continue
        try:
            yield Dispatch(event)
        except BaseException:
            yield Call.local(handled.release, event)
            yield Call("release_webhook", (request,), effect=Effect.CHANGE)
            raise
    return events
