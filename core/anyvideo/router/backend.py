"""The ``router`` backend: a mixed fleet of two backends during a migration.

Rooms that exist keep living on the backend that holds them: every
operation on an object goes to the backend its ref names (``"<backend>:<id>"``
→ that backend), and a bare id is looked for on each. New rooms open where the
placement policy says. Listings span both backends. The router offers the
features both backends share, so code that runs on the fleet runs on either.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO, Self, TypeVar

from anyvideo.backend import FEATURE_DESCRIPTIONS, Backend, Device, Devices, Feature
from anyvideo.errors import AnyVideoError, ConfigurationError, InvalidRequest, NotFound, WebhookVerificationError
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionStatus,
    Event,
    MediaFile,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingStatus,
    Room,
    RoomStatus,
    Stream,
    make_ref,
    split_ref,
)
from anyvideo.router.policy import AllToPrimary, Placement, parse_policy
from anyvideo.specs import CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec
from anyvideo.voice import DialIn, PhoneCallSpec, VoiceReply
from anyvideo.webhooks import WebhookRequest

__all__ = ["RouterBackend"]

T = TypeVar("T")

#: Bare ids whose backend was found, remembered so each is looked for once.
_REMEMBERED = 10_000

_EPOCH = datetime.min.replace(tzinfo=UTC)


class RouterBackend(Backend):
    """Two backends as one: ``primary`` (where new rooms go) and ``legacy``
    (where the existing ones live), with a placement ``policy``.

    Settings: ``primary`` and ``legacy`` (a backend name, or a configured
    :class:`~anyvideo.Backend`), ``primary_settings`` and ``legacy_settings``
    (passed to each; each also reads its own environment variables), and
    ``policy`` (``"primary"``, ``"percent:<0-100>"``, ``"name:<regex>"``).
    Environment: ``ANYVIDEO_ROUTER_PRIMARY``, ``ANYVIDEO_ROUTER_LEGACY``,
    ``ANYVIDEO_ROUTER_POLICY``.
    """

    name = "router"
    accepts_refs = True

    def __init__(self, primary: Backend, legacy: Backend, policy: Placement | None = None) -> None:
        if primary.name == legacy.name:
            raise ConfigurationError(f"the router needs two different backends, got {primary.name} twice")
        if primary.accepts_refs or legacy.accepts_refs:
            raise ConfigurationError("a router cannot route to another router")
        self.primary, self.legacy = primary, legacy
        self.policy = policy or AllToPrimary()
        self._members = {primary.name: primary, legacy.name: legacy}
        self._located: OrderedDict[str, Backend] = OrderedDict()
        # What the fleet offers is what both members offer: code written
        # against the router runs unchanged on either provider.
        self.features = primary.features & legacy.features  # type: ignore[misc]
        self.feature_hints = {  # type: ignore[misc]
            feature: "; ".join(_lacks(m, feature) for m in (primary, legacy) if feature not in m.features)
            for feature in FEATURE_DESCRIPTIONS
            if feature not in self.features
        }
        self.layouts = primary.layouts & legacy.layouts  # type: ignore[misc]
        self.selectors = primary.selectors & legacy.selectors  # type: ignore[misc]
        both = [r for r in (primary.resolutions, legacy.resolutions) if r is not None]
        self.resolutions = frozenset.intersection(*both) if both else None  # type: ignore[misc]
        self.max_token_ttl = min(primary.max_token_ttl, legacy.max_token_ttl)  # type: ignore[misc]
        for member in (primary, legacy):
            member.attach(self.emit)

    def __repr__(self) -> str:
        return f"RouterBackend(primary={self.primary.name!r}, legacy={self.legacy.name!r}, policy='{self.policy}')"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        settings = dict(settings)
        members = {}
        for role in ("primary", "legacy"):
            chosen = settings.pop(role, None) or environ.get(f"ANYVIDEO_ROUTER_{role.upper()}")
            own = settings.pop(f"{role}_settings", None) or {}
            if not chosen:
                raise ConfigurationError(
                    f"the router needs a {role} backend (setting {role}= or ANYVIDEO_ROUTER_{role.upper()})"
                )
            members[role] = chosen if isinstance(chosen, Backend) else _build(chosen, own, environ)
        policy = settings.pop("policy", None) or environ.get("ANYVIDEO_ROUTER_POLICY") or "primary"
        if settings:
            raise ConfigurationError(
                f"unknown settings for the router backend: {', '.join(sorted(settings))}"
                " (known: primary, legacy, primary_settings, legacy_settings, policy)"
            )
        placement = parse_policy(policy) if isinstance(policy, str) else policy
        return cls(members["primary"], members["legacy"], placement)

    @property
    def native(self) -> Mapping[str, Backend]:
        """The member backends, by name."""
        return dict(self._members)

    def browser(self) -> Devices:
        return _FleetDevices({name: member.browser() for name, member in self._members.items()})

    def close(self) -> None:
        for member in self._members.values():
            member.close()

    def parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """The events of a callback from either provider (each verifies its own, failing closed)."""
        refusals: list[AnyVideoError] = []
        for member in self._members.values():
            try:
                return member.parse_webhook(request)
            except AnyVideoError as exc:
                refusals.append(exc)
        verification = [e for e in refusals if isinstance(e, WebhookVerificationError)]
        if verification:
            raise verification[0]
        raise AnyVideoError("no backend of the fleet recognises the callback: " + "; ".join(map(str, refusals)))

    # --- finding the backend that holds an object -----------------------------

    def _locate(self, ref: str, probe: Callable[[Backend, str], object]) -> tuple[Backend, str]:
        provider, native = split_ref(ref)
        if provider in self._members:
            return self._members[provider], native
        if provider is not None:
            raise InvalidRequest("id", f"{ref!r} belongs to {provider}, which is not in this fleet")
        if native in self._located:
            self._located.move_to_end(native)
            return self._located[native], native
        refused: list[InvalidRequest] = []
        for member in self._members.values():
            try:
                probe(member, native)
            except NotFound:
                continue
            except InvalidRequest as exc:
                refused.append(exc)
                continue
            self._located[native] = member
            if len(self._located) > _REMEMBERED:
                self._located.popitem(last=False)
            return member, native
        if len(refused) == len(self._members):  # an id of no member's format: bad input, not a missing object
            raise refused[0]
        raise NotFound(f"no backend of the fleet ({', '.join(self._members)}) has {native!r}")

    def _room(self, ref: str) -> tuple[Backend, str]:
        return self._locate(ref, lambda member, room_id: member.get_room(room_id))

    def _recording(self, ref: str) -> tuple[Backend, str]:
        return self._locate(ref, lambda member, recording_id: member.get_recording(recording_id))

    def _composition(self, ref: str) -> tuple[Backend, str]:
        return self._locate(ref, lambda member, composition_id: member.get_composition(composition_id))

    def _natives(self, member: Backend, refs: tuple[str, ...] | None, field: str) -> tuple[str, ...] | None:
        """Refs of objects that must all live on ``member``, as its native ids."""
        if refs is None:
            return None
        natives = []
        for ref in refs:
            provider, native = split_ref(ref)
            if provider not in (None, member.name):
                raise InvalidRequest(field, f"{ref!r} lives on {provider}, the room on {member.name}")
            natives.append(native)
        return tuple(natives)

    # --- rooms ----------------------------------------------------------------

    def create_room(self, spec: RoomSpec) -> Room:
        if spec.name is not None:
            for member in self._members.values():
                if next(member.list_rooms(status=RoomStatus.OPEN, name=spec.name), None) is not None:
                    return member.create_room(spec)  # an open room keeps living where it is
        target = self.primary if self.policy.to_primary(spec.name) else self.legacy
        return target.create_room(spec)

    def get_room(self, room_id: str) -> Room:
        member, native = self._room(room_id)
        return member.get_room(native)

    def find_room(self, name: str) -> Room:
        found = []
        for member in self._members.values():
            try:
                found.append(member.find_room(name))
            except NotFound:
                continue
        if not found:
            raise NotFound(f"no room named {name!r} on {' or '.join(self._members)}")
        open_rooms = [room for room in found if room.status is RoomStatus.OPEN]
        return (open_rooms or sorted(found, key=lambda r: r.created_at or _EPOCH))[-1]

    def list_rooms(self, *, status: RoomStatus | None = None, name: str | None = None) -> Iterator[Room]:
        return self._across(lambda member: member.list_rooms(status=status, name=name))

    def end_room(self, room_id: str) -> Room:
        member, native = self._room(room_id)
        return member.end_room(native)

    # --- participants, streams, tokens, signals -------------------------------

    def list_participants(self, room_id: str, *, status: ParticipantStatus | None = None) -> Iterator[Participant]:
        member, native = self._room(room_id)
        return member.list_participants(native, status=status)

    def get_participant(self, room_id: str, participant_id: str) -> Participant:
        member, native = self._room(room_id)
        return member.get_participant(native, split_ref(participant_id)[1])

    def disconnect_participant(self, room_id: str, participant_id: str) -> None:
        member, native = self._room(room_id)
        member.disconnect_participant(native, split_ref(participant_id)[1])

    def list_streams(self, room_id: str) -> Iterator[Stream]:
        member, native = self._room(room_id)
        return member.list_streams(native)

    def get_stream(self, room_id: str, stream_id: str) -> Stream:
        member, native = self._room(room_id)
        return member.get_stream(native, split_ref(stream_id)[1])

    def mute_stream(self, room_id: str, stream_id: str) -> Stream:
        member, native = self._room(room_id)
        return member.mute_stream(native, split_ref(stream_id)[1])

    def mute_all(self, room_id: str, *, except_stream_ids: tuple[str, ...] = ()) -> None:
        member, native = self._room(room_id)
        kept = self._natives(member, except_stream_ids, "except_streams") or ()
        member.mute_all(native, except_stream_ids=kept)

    def create_token(self, room_id: str, spec: TokenSpec) -> AccessToken:
        """A token from the backend that holds the room; its ``provider`` tells
        the browser which client SDK to load."""
        member, native = self._room(room_id)
        return member.create_token(native, spec)

    def send_signal(self, room_id: str, spec: SignalSpec) -> None:
        member, native = self._room(room_id)
        to = None if spec.to is None else split_ref(spec.to)[1]
        member.send_signal(native, SignalSpec(spec.type, spec.data, to))

    # --- phone participants -----------------------------------------------------

    def call_phone(self, room_id: str, spec: PhoneCallSpec) -> Participant:
        member, native = self._room(room_id)
        return member.call_phone(native, spec)

    def dial_in(self, room_id: str, number: str) -> DialIn:
        member, native = self._room(room_id)
        return member.dial_in(native, number)

    def voice_reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The answer of the member whose voice webhook ``request`` is (each verifies its own)."""
        for member in self._members.values():
            reply = member.voice_reply(request)
            if reply is not None:
                return reply
        return None

    # --- recordings -----------------------------------------------------------

    def start_recording(self, room_id: str, spec: RecordingSpec) -> Recording:
        member, native = self._room(room_id)
        return member.start_recording(native, spec)

    def stop_recording(self, recording_id: str) -> Recording:
        member, native = self._recording(recording_id)
        return member.stop_recording(native)

    def get_recording(self, recording_id: str) -> Recording:
        member, native = self._recording(recording_id)
        return member.get_recording(native)

    def list_recordings(
        self, *, room_id: str | None = None, status: RecordingStatus | None = None
    ) -> Iterator[Recording]:
        if room_id is not None:
            member, native = self._room(room_id)
            return member.list_recordings(room_id=native, status=status)
        return self._across(lambda member: member.list_recordings(status=status))

    def delete_recording(self, recording_id: str) -> None:
        member, native = self._recording(recording_id)
        member.delete_recording(native)

    def download_recording(self, recording_id: str, file_name: str) -> Iterator[bytes]:
        member, native = self._recording(recording_id)
        return member.download_recording(native, file_name)

    def download_recording_file(self, recording: Recording, file: MediaFile) -> Iterator[bytes]:
        member, _ = self._recording(make_ref(recording.provider, recording.id))
        return member.download_recording_file(recording, file)

    def recording_parts(
        self, recording: Recording, file: MediaFile, data: BinaryIO
    ) -> Iterable[tuple[MediaFile, BinaryIO]] | None:
        member, _ = self._recording(make_ref(recording.provider, recording.id))
        return member.recording_parts(recording, file, data)

    # --- compositions ---------------------------------------------------------

    def start_composition(self, room_id: str, spec: CompositionSpec) -> Composition:
        member, native = self._room(room_id)
        spec = CompositionSpec(
            spec.output,
            spec.layout,
            spec.resolution,
            spec.format,
            self._natives(member, spec.stream_ids, "streams"),
            self._natives(member, spec.recording_ids, "recordings"),
            spec.hls,
            spec.rtmp,
            spec.max_duration,
            provider_options=spec.provider_options,
        )
        return member.start_composition(native, spec)

    def stop_composition(self, composition_id: str) -> Composition:
        member, native = self._composition(composition_id)
        return member.stop_composition(native)

    def get_composition(self, composition_id: str) -> Composition:
        member, native = self._composition(composition_id)
        return member.get_composition(native)

    def list_compositions(
        self, *, room_id: str | None = None, status: CompositionStatus | None = None
    ) -> Iterator[Composition]:
        if room_id is not None:
            member, native = self._room(room_id)
            return member.list_compositions(room_id=native, status=status)
        return self._across(lambda member: member.list_compositions(status=status))

    def delete_composition(self, composition_id: str) -> None:
        member, native = self._composition(composition_id)
        member.delete_composition(native)

    def download_composition(self, composition_id: str, file_name: str) -> Iterator[bytes]:
        member, native = self._composition(composition_id)
        return member.download_composition(native, file_name)

    def _across(self, listing: Callable[[Backend], Iterator[T]]) -> Iterator[T]:
        """Each member's listing in turn, legacy first, each lazily."""
        return itertools.chain.from_iterable(listing(member) for member in (self.legacy, self.primary))


class _FleetDevices:
    """Joins with a token on the platform of the backend that minted it."""

    def __init__(self, members: Mapping[str, Devices]) -> None:
        self._members = members

    def join(self, token: str | AccessToken, room_id: str | None = None) -> Device:
        if isinstance(token, AccessToken):
            return self._members[token.provider].join(token, None if room_id is None else split_ref(room_id)[1])
        refusals: list[AnyVideoError] = []
        for devices in self._members.values():
            try:
                return devices.join(token, room_id)
            except AnyVideoError as exc:  # a token of the other platform
                refusals.append(exc)
        raise refusals[0]


def _lacks(member: Backend, feature: Feature) -> str:
    hint = member.feature_hints.get(feature)
    return f"{member.name} lacks it" + (f" ({hint})" if hint else "")


def _build(name: str, settings: Mapping[str, Any], environ: Mapping[str, str]) -> Backend:
    from anyvideo.plugins import Plugins

    if name == RouterBackend.name:
        raise ConfigurationError("a router cannot route to another router")
    return Plugins(environ=environ).backend(name).from_settings(settings, environ)
