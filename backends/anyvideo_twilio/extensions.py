"""Twilio's provider extensions: recording and subscribe rules, composition
hooks, and the account's recording and composition storage settings.

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
from anyvideo.errors import Conflict
from anyvideo.extensions import Extensions, extension
from anyvideo.models import Layout, Resolution
from anyvideo.retry import Safety
from anyvideo_twilio import reconcile, translate
from anyvideo_twilio.ids import IDS
from anyvideo_twilio.models import CompositionHook, StorageSettings, TrackRule, TrackRules, rule_set

if TYPE_CHECKING:
    from anyvideo_twilio.backend import TwilioBackend

__all__ = ["CompositionHook", "StorageSettings", "TrackRule", "TrackRules", "TwilioExtensions"]


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
