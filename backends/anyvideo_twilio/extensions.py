"""Twilio's provider extensions: recording and subscribe rules, a participant's
tracks (published and subscribed) and anonymization, a room's track recordings,
real-time transcriptions, composition hooks, and the account's recording and
composition storage settings.

Applications reach them as ``video.ext.<name>(...)`` (see
:mod:`anyvideo.extensions`); the typed objects they take and return live in
:mod:`anyvideo_twilio.models` and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from twilio.base import values

from anyvideo.backend import Feature
from anyvideo.calls import done
from anyvideo.errors import Conflict, InvalidRequest
from anyvideo.extensions import Extensions, extension
from anyvideo.models import Layout, Resolution
from anyvideo.retry import Safety
from anyvideo_twilio import reconcile, translate
from anyvideo_twilio.ids import IDS, TRACK_RECORDING, TTID
from anyvideo_twilio.models import (
    AnonymizedParticipant,
    CompositionHook,
    RoomTrack,
    StorageSettings,
    TrackRecording,
    TrackRule,
    TrackRules,
    Transcription,
    TranscriptionConfig,
    rule_set,
)

if TYPE_CHECKING:
    from anyvideo_twilio.backend import TwilioBackend

__all__ = [
    "AnonymizedParticipant",
    "CompositionHook",
    "RoomTrack",
    "StorageSettings",
    "TrackRecording",
    "TrackRule",
    "TrackRules",
    "Transcription",
    "TranscriptionConfig",
    "TwilioExtensions",
]

#: What a transcriptions update may set its status to (``failed`` is Twilio's to set).
TRANSCRIPTION_STATUSES = ("started", "stopped")


class TwilioExtensions(Extensions):
    """What Twilio offers beyond the core operations, through a :class:`TwilioBackend`'s transport."""

    backend: TwilioBackend

    def __init__(self, backend: TwilioBackend) -> None:
        super().__init__(backend)
        self._transport = backend.transport
        self._v1 = backend.transport.v1

    # --- recording and subscribe rules --------------------------------------

    @extension(refs=("room",), feature=Feature.RECORDING_RULES)
    def get_recording_rules(self, room_id: str) -> TrackRules:
        """the room's recording rules (which published tracks Twilio records)"""
        IDS.check("room", room_id, "room_id")
        return self._transport.call(
            "fetch recording rules", lambda: translate.rules(self._v1.rooms(room_id).recording_rules.fetch())
        )

    @extension(refs=("room",), feature=Feature.RECORDING_RULES)
    def set_recording_rules(self, room_id: str, rules: Sequence[TrackRule | Mapping[str, Any]]) -> TrackRules:
        """replace the room's recording rules (refused while an anyvideo recording is open)

        An open anyvideo recording window owns the rules until it stops: Conflict."""
        IDS.check("room", room_id, "room_id")
        chosen = rule_set(rules, subscribe=False)
        if self.backend.windows.open_window(room_id) is not None:
            raise Conflict(f"twilio: room {room_id!r} is being recorded by anyvideo; stop that recording first")
        rules_json = [rule.as_dict() for rule in chosen]
        answer = self._transport.call(
            "update recording rules",
            lambda: translate.rules(self._v1.rooms(room_id).recording_rules.update(rules=rules_json)),
        )
        self.backend.windows.rules_set(room_id, rules_json)  # anyvideo knows the room's rules from now on
        return answer

    @extension(refs=("room", "participant"), feature=Feature.SUBSCRIBE_RULES)
    def get_subscribe_rules(self, room_id: str, participant_id: str) -> TrackRules:
        """the tracks a participant receives (subscribe rules)"""
        IDS.check("room", room_id, "room_id")
        IDS.check("participant", participant_id, "participant_id")
        return self._transport.call(
            "fetch subscribe rules",
            lambda: translate.rules(self._v1.rooms(room_id).participants(participant_id).subscribe_rules.fetch()),
        )

    @extension(refs=("room", "participant"), feature=Feature.SUBSCRIBE_RULES)
    def set_subscribe_rules(
        self, room_id: str, participant_id: str, rules: Sequence[TrackRule | Mapping[str, Any]]
    ) -> TrackRules:
        """replace a participant's subscribe rules, with priorities"""
        IDS.check("room", room_id, "room_id")
        IDS.check("participant", participant_id, "participant_id")
        chosen = rule_set(rules, subscribe=True)
        rules_json = [rule.as_dict() for rule in chosen]
        return self._transport.call(
            "update subscribe rules",
            lambda: translate.rules(
                self._v1.rooms(room_id).participants(participant_id).subscribe_rules.update(rules=rules_json)
            ),
        )

    # --- composition hooks ---------------------------------------------------

    @extension(feature=Feature.COMPOSITION_HOOKS)
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
        """compose every room that ends with recordings, with a layout and format

        ``layout`` is a portable :class:`Layout` (grid by default) or Twilio
        region JSON; ``audio_sources=()`` makes a video-only composition."""
        arguments = translate.hook_arguments(
            name, layout, resolution, format, audio_sources, audio_sources_excluded, trim, enabled, status_callback
        )
        self.backend.settings.default_callback(arguments)
        registry, named = self.backend.registry, partial(self.find_composition_hook, arguments["friendly_name"])
        hook = self._transport.call(
            "create composition hook",
            lambda: translate.hook(self._v1.composition_hooks.create(**arguments)),
            safety=Safety.UNSAFE,
            # hook names are unique in an account: a lost create is found by its name
            reconcile=named,
            duplicates=lambda hook: reconcile.duplicates(registry, "hook", hook, named(), self.delete_composition_hook),
        )
        registry.put("hook", hook.id, {})  # handed out: never taken for a late try's
        return hook

    @extension(feature=Feature.COMPOSITION_HOOKS)
    def find_composition_hook(self, name: str) -> CompositionHook | None:
        """the composition hook with this name (compared without case), if any"""
        for instance in self._transport.pages(
            "list composition hooks by name",
            # the filter takes * as a wildcard: the exact name is checked here
            partial(self._v1.composition_hooks.page, friendly_name=name, page_size=self._transport.page_size),
        ):
            hook = translate.hook(instance)
            if hook.name.lower() == name.lower():
                return hook
        return None

    @extension(feature=Feature.COMPOSITION_HOOKS)
    def get_composition_hook(self, hook_id: str) -> CompositionHook:
        """one composition hook"""
        IDS.check("hook", hook_id, "hook_id")
        return self._transport.call(
            "fetch composition hook", lambda: translate.hook(self._v1.composition_hooks(hook_id).fetch())
        )

    @extension(feature=Feature.COMPOSITION_HOOKS)
    def list_composition_hooks(self, *, enabled: bool | None = None) -> Iterator[CompositionHook]:
        """the account's composition hooks, lazily"""
        yield from (
            translate.hook(instance)
            for instance in self._transport.pages(
                "list composition hooks",
                lambda: self._v1.composition_hooks.page(
                    enabled=values.unset if enabled is None else enabled, page_size=self._transport.page_size
                ),
            )
        )

    @extension(feature=Feature.COMPOSITION_HOOKS)
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
        """replace a composition hook (what is left out returns to its default)"""
        IDS.check("hook", hook_id, "hook_id")
        arguments = translate.hook_arguments(
            name, layout, resolution, format, audio_sources, audio_sources_excluded, trim, enabled, status_callback
        )
        self.backend.settings.default_callback(arguments)
        # Twilio replaces the whole hook: sending the same replacement again is harmless.
        return self._transport.call(
            "update composition hook", lambda: translate.hook(self._v1.composition_hooks(hook_id).update(**arguments))
        )

    @extension(feature=Feature.COMPOSITION_HOOKS)
    def delete_composition_hook(self, hook_id: str) -> None:
        """delete a composition hook"""
        IDS.check("hook", hook_id, "hook_id")
        self._transport.call("delete composition hook", lambda: self._v1.composition_hooks(hook_id).delete(), gone=done)

    # --- recording and composition settings ---------------------------------

    @extension(feature=Feature.EXTERNAL_STORAGE)
    def get_recording_settings(self) -> StorageSettings:
        """where new track recordings are stored (external S3) and how encrypted"""
        return self._transport.call(
            "fetch recording settings", lambda: translate.storage_settings(self._v1.recording_settings().fetch())
        )

    @extension(feature=Feature.EXTERNAL_STORAGE)
    def set_recording_settings(self, settings: StorageSettings) -> StorageSettings:
        """store new track recordings in your S3 bucket, encrypted with your key"""
        arguments = translate.settings_arguments(settings)
        return self._transport.call(
            "set recording settings",
            lambda: translate.storage_settings(self._v1.recording_settings().create(**arguments)),
        )

    @extension(feature=Feature.EXTERNAL_STORAGE)
    def get_composition_settings(self) -> StorageSettings:
        """where new compositions are stored (external S3) and how encrypted"""
        return self._transport.call(
            "fetch composition settings",
            lambda: translate.storage_settings(self._v1.composition_settings().fetch()),
        )

    @extension(feature=Feature.EXTERNAL_STORAGE)
    def set_composition_settings(self, settings: StorageSettings) -> StorageSettings:
        """store new compositions in your S3 bucket, encrypted with your key"""
        arguments = translate.settings_arguments(settings)
        return self._transport.call(
            "set composition settings",
            lambda: translate.storage_settings(self._v1.composition_settings().create(**arguments)),
        )

    # --- participants' tracks, anonymization --------------------------------

    @extension(refs=("room", "participant"))
    def get_published_track(self, room_id: str, participant_id: str, track_id: str) -> RoomTrack:
        """one track a participant publishes"""
        self._check(room=room_id, participant=participant_id, stream=track_id)
        return self._transport.call(
            "fetch published track",
            lambda: translate.room_track(
                self._v1.rooms(room_id).participants(participant_id).published_tracks(track_id).fetch()
            ),
        )

    @extension(refs=("room", "participant"))
    def list_subscribed_tracks(self, room_id: str, participant_id: str) -> Iterator[RoomTrack]:
        """the tracks a participant receives now (what its subscribe rules pick of the others'), lazily"""
        self._check(room=room_id, participant=participant_id)
        tracks = self._v1.rooms(room_id).participants(participant_id).subscribed_tracks
        yield from (
            translate.room_track(instance, subscriber=participant_id)
            for instance in self._transport.pages(
                "list subscribed tracks", partial(tracks.page, page_size=self._transport.page_size)
            )
        )

    @extension(refs=("room", "participant"))
    def get_subscribed_track(self, room_id: str, participant_id: str, track_id: str) -> RoomTrack:
        """one track a participant receives (NotFound if it does not receive it)"""
        self._check(room=room_id, participant=participant_id, stream=track_id)
        return self._transport.call(
            "fetch subscribed track",
            lambda: translate.room_track(
                self._v1.rooms(room_id).participants(participant_id).subscribed_tracks(track_id).fetch(),
                subscriber=participant_id,
            ),
        )

    @extension(refs=("room", "participant"))
    def anonymize_participant(self, room_id: str, participant_id: str) -> AnonymizedParticipant:
        """replace a participant's identity (personal data) with its SID, once it has left"""
        self._check(room=room_id, participant=participant_id)
        return self._transport.call(
            "anonymize participant",
            lambda: translate.anonymized(self._v1.rooms(room_id).participants(participant_id).anonymize().update()),
        )

    # --- a room's track recordings ------------------------------------------

    @extension(refs=("room",))
    def list_room_recordings(self, room_id: str) -> Iterator[TrackRecording]:
        """a room's track recordings (RT…), as Twilio has them, lazily"""
        self._check(room=room_id)
        listing = self._v1.rooms(room_id).recordings
        yield from (
            translate.room_recording(instance)
            for instance in self._transport.pages(
                "list room recordings", partial(listing.page, page_size=self._transport.page_size)
            )
        )

    @extension(refs=("room",))
    def get_room_recording(self, room_id: str, recording_id: str) -> TrackRecording:
        """one of a room's track recordings (RT…), as Twilio has it"""
        self._check(room=room_id, track_recording=recording_id)
        return self._transport.call(
            "fetch room recording",
            lambda: translate.room_recording(self._v1.rooms(room_id).recordings(recording_id).fetch()),
        )

    @extension(refs=("room",))
    def delete_room_recording(self, room_id: str, recording_id: str) -> None:
        """delete one of a room's track recordings (RT…) once it is captured"""
        self._check(room=room_id, track_recording=recording_id)
        self._transport.call(
            "delete room recording", lambda: self._v1.rooms(room_id).recordings(recording_id).delete(), gone=done
        )

    # --- real-time transcriptions -------------------------------------------

    @extension(refs=("room",))
    def start_transcriptions(self, room_id: str, config: TranscriptionConfig | None = None) -> Transcription:
        """transcribe a group room in progress (its participants' speech, sent to its clients)"""
        self._check(room=room_id)
        configuration = _configuration(config)
        return self._transport.call(
            "create transcriptions",
            lambda: translate.transcription(
                self._v1.rooms(room_id).transcriptions.create(
                    configuration=values.unset if configuration is None else configuration
                )
            ),
            # a second create while the first runs is refused: a lost one is not made twice
            safety=Safety.UNSAFE,
        )

    @extension(refs=("room",))
    def list_transcriptions(self, room_id: str) -> Iterator[Transcription]:
        """a room's transcriptions, lazily"""
        self._check(room=room_id)
        listing = self._v1.rooms(room_id).transcriptions
        yield from (
            translate.transcription(instance)
            for instance in self._transport.pages(
                "list transcriptions", partial(listing.page, page_size=self._transport.page_size)
            )
        )

    @extension(refs=("room",))
    def get_transcriptions(self, room_id: str, transcription_id: str) -> Transcription:
        """one of a room's transcriptions"""
        self._check(room=room_id, transcription=transcription_id)
        return self._transport.call(
            "fetch transcriptions",
            lambda: translate.transcription(self._v1.rooms(room_id).transcriptions(transcription_id).fetch()),
        )

    @extension(refs=("room",))
    def update_transcriptions(
        self,
        room_id: str,
        transcription_id: str,
        *,
        status: str | None = None,
        config: TranscriptionConfig | None = None,
    ) -> Transcription:
        """stop (``status="stopped"``) or start again (``"started"``) a room's transcriptions, or reconfigure them"""
        self._check(room=room_id, transcription=transcription_id)
        if status is not None and status not in TRANSCRIPTION_STATUSES:
            raise InvalidRequest("status", f"must be one of {', '.join(TRANSCRIPTION_STATUSES)}")
        configuration = _configuration(config)
        if status is None and configuration is None:
            raise InvalidRequest("status", "give a status, a config, or both")
        return self._transport.call(
            "update transcriptions",
            lambda: translate.transcription(
                self._v1.rooms(room_id)
                .transcriptions(transcription_id)
                .update(
                    status=values.unset if status is None else status,
                    configuration=values.unset if configuration is None else configuration,
                )
            ),
        )

    # --- shared --------------------------------------------------------------

    @staticmethod
    def _check(
        *,
        room: str,
        participant: str | None = None,
        stream: str | None = None,
        track_recording: str | None = None,
        transcription: str | None = None,
    ) -> None:
        """Each id given, checked against its format (``InvalidRequest`` naming its argument)."""
        IDS.check("room", room, "room_id")
        if participant is not None:
            IDS.check("participant", participant, "participant_id")
        if stream is not None:
            IDS.check("stream", stream, "track_id")
        if track_recording is not None and not (
            isinstance(track_recording, str) and TRACK_RECORDING.fullmatch(track_recording)
        ):
            raise InvalidRequest("recording_id", "must be a Twilio track recording SID (RT and 32 hex digits)")
        if transcription is not None and not (isinstance(transcription, str) and TTID.fullmatch(transcription)):
            raise InvalidRequest("transcription_id", "must be a Twilio transcriptions id (letters, digits, _ and -)")


def _configuration(config: TranscriptionConfig | None) -> dict[str, Any] | None:
    if config is None:
        return None
    if not isinstance(config, TranscriptionConfig):
        raise InvalidRequest("config", "must be a TranscriptionConfig")
    return config.as_dict()
