"""The Twilio account's settings for a move between providers (see
:mod:`anyvideo.migrate.plan`): composition hooks, external storage of
recordings and compositions, and the status callback URL.

Recording rules and ``record_participants_on_connect`` belong to each room,
not to the account, so there is nothing account-wide to carry for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from anyvideo.accounts import Action, Setting, Step
from anyvideo.models import Layout, Resolution
from anyvideo_twilio.extensions import TwilioExtensions
from anyvideo_twilio.layouts import to_video_layout

if TYPE_CHECKING:
    from anyvideo_twilio.backend import TwilioBackend

__all__ = ["apply", "plan", "read"]


def read(backend: TwilioBackend) -> list[Setting]:
    """Hooks, storage settings and the callback URL, as provider-neutral settings."""
    ext = TwilioExtensions(backend)
    found = [
        Setting(
            "auto_composition",
            hook.name,
            {
                "enabled": hook.enabled,
                "format": hook.format,
                "resolution": None if hook.resolution is None else str(hook.resolution),
                "layout": None,  # Twilio's regions have no portable reading
                "provider_layout": dict(hook.video_layout),
            },
        )
        for hook in ext.list_composition_hooks()
    ]
    for media, storage in (
        ("recordings", ext.get_recording_settings()),
        ("compositions", ext.get_composition_settings()),
    ):
        if storage.aws_storage_enabled or storage.encryption_enabled:
            url = storage.aws_s3_url if storage.aws_storage_enabled else None
            found.append(
                Setting(
                    "external_storage",
                    f"{media} storage",
                    {"media": media, "url": url, "encrypted": storage.encryption_enabled},
                )
            )
    if backend.settings.status_callback is not None:
        found.append(
            Setting(
                "callback_url",
                "status callbacks",
                {"url": backend.settings.status_callback, "events": ["rooms", "recordings", "compositions"]},
            )
        )
    return found


def plan(backend: TwilioBackend, setting: Setting) -> Step:
    """How Twilio takes another provider's setting."""
    value = setting.value
    if setting.kind == "auto_composition":
        if not value.get("enabled", True):
            return Step(setting, Action.NOTHING, "nothing: the source does not use it now")
        hook = _hook_arguments(setting)
        return Step(
            setting,
            Action.APPLY,
            f"composition hook {setting.name!r}: every room that ends with recordings is composed "
            f"({hook['format']}, {hook['resolution']})",
            "the composition is made after the room ends, from its track recordings, not while it runs",
            {"composition_hook": hook},
        )
    if setting.kind == "external_storage":
        return Step(
            setting,
            Action.MANUAL,
            f"store new {value.get('media')} in {value.get('url') or 'your bucket'}: create AWS credentials (and a"
            f" public key if encrypted) in Twilio's console, then call set_{_singular(value)}_settings with"
            " their CR SIDs",
            "until then, Twilio keeps new media in its own storage",
        )
    if setting.kind == "callback_url":
        return Step(
            setting,
            Action.MANUAL,
            f"set TWILIO_STATUS_CALLBACK={value.get('url')} for anyvideo's Twilio backend",
            "every room and composition anyvideo creates then reports to that URL, signed with the auth token",
        )
    return Step(setting, Action.IMPOSSIBLE, "nothing", f"Twilio has no setting like {setting.kind!r}")


def apply(backend: TwilioBackend, step: Step) -> bool:
    """Make the account match ``step``; whether anything changed (a second run changes nothing)."""
    wanted = step.change.get("composition_hook")
    if step.action is not Action.APPLY or wanted is None:
        raise ValueError(f"nothing to apply for {step.setting.kind} {step.setting.name!r}")
    layout, resolution = Layout.from_json(wanted["layout"]), Resolution.parse(wanted["resolution"])
    arguments = {"layout": layout, "resolution": resolution, "format": wanted["format"]}
    ext = TwilioExtensions(backend)
    hook = ext.find_composition_hook(wanted["name"])
    if hook is None:
        ext.create_composition_hook(wanted["name"], **arguments)
        return True
    same = (hook.enabled, hook.format, hook.resolution) == (True, wanted["format"], resolution)
    if same and _regions(hook.video_layout) == _regions(to_video_layout(layout, resolution)):
        return False
    ext.update_composition_hook(hook.id, wanted["name"], **arguments)
    return True


def _hook_arguments(setting: Setting) -> dict[str, Any]:
    value = setting.value
    layout = Layout.from_json(value["layout"]) if value.get("layout") else Layout.grid()
    return {
        "name": setting.name,
        "layout": layout.to_json(),
        "format": value.get("format") or "mp4",
        "resolution": value.get("resolution") or "1280x720",
    }


def _regions(video_layout: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Regions without the fields left at Twilio's defaults, which it echoes back as null or empty."""
    return {
        name: {key: value for key, value in region.items() if value not in (None, [], {})}
        for name, region in video_layout.items()
    }


def _singular(value: Mapping[str, Any]) -> str:
    return "recording" if value.get("media") == "recordings" else "composition"
