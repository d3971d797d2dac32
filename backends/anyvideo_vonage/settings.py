"""The Vonage side of a move between providers (see :mod:`anyvideo.migrate.plan`).

Vonage Video has no account-wide settings in its API: archive storage and
callback URLs are set in the dashboard (or the Application API), and
automatic archiving is an option of each session. So the settings anyvideo
can carry are kept by anyvideo itself, as room defaults in the registry that
the backend gives every new session (``archive_mode="always"`` for rooms that
must be recorded without anyone starting it). Callback URLs are set on the
application through the Application API when the backend has the account's
API key and secret (``api_key``/``api_secret``: :func:`.provision.point_callbacks`);
the rest is a manual step, said as one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anyvideo.accounts import Action, Setting, Step

if TYPE_CHECKING:
    from anyvideo_vonage.backend import VonageBackend

__all__ = ["ROOM_DEFAULTS", "apply", "plan", "read", "room_defaults"]

#: Where the room defaults live in the registry.
ROOM_DEFAULTS = ("settings", "room_defaults")


def room_defaults(backend: VonageBackend) -> dict[str, Any]:
    """The session options every new room gets unless its own ``provider_options`` say otherwise."""
    return dict(backend.registry.get(*ROOM_DEFAULTS) or {})


def read(backend: VonageBackend) -> list[Setting]:
    """What anyvideo knows of this application's settings: its room defaults."""
    defaults = room_defaults(backend)
    if defaults.get("archive_mode") != "always":
        return []
    value = {"enabled": True, "format": "mp4", "resolution": None, "layout": None, "provider_layout": "bestFit"}
    return [Setting("auto_composition", "archive every session", value)]


def plan(backend: VonageBackend, setting: Setting) -> Step:
    """How Vonage takes another provider's setting."""
    value = setting.value
    if setting.kind == "auto_composition":
        if not value.get("enabled", True):
            return Step(setting, Action.NOTHING, "nothing: the source does not use it now")
        return Step(
            setting,
            Action.APPLY,
            "new sessions are created with archive_mode='always': each is recorded in a composed archive",
            "the archive runs from the first connection to the last, and Vonage lays it out as 'bestFit'"
            " (change it while it records with change_recording_layout); nothing is composed after the room ends",
            {"room_defaults": {"archive_mode": "always"}},
        )
    if setting.kind == "external_storage":
        return Step(
            setting,
            Action.MANUAL,
            f"set the account's archive upload target to {value.get('url') or 'your bucket'} in the Vonage"
            " dashboard (the Video API has no call for it)",
            "archives are then uploaded there ('uploaded' status) and no longer downloadable from Vonage"
            + ("; upload a public key there to keep them encrypted" if value.get("encrypted") else ""),
        )
    if setting.kind == "callback_url" and backend.account is not None and value.get("url"):
        return Step(
            setting,
            Action.APPLY,
            f"the application's video callbacks (session monitoring, archive, broadcast, captions, render, SIP)"
            f" go to {value['url']}, set through the Application API",
            "callbacks are JSON signed with a JWT, not form posts signed with X-Twilio-Signature: anyvideo reads"
            " both; give anyvideo the account's signature secret as VONAGE_SIGNATURE_SECRET",
            {"callbacks": value["url"]},
        )
    if setting.kind == "callback_url":
        return Step(
            setting,
            Action.MANUAL,
            f"set the application's session-monitoring, archive and broadcast callback URLs to {value.get('url')}"
            " (dashboard or Application API), signed, and give anyvideo the secret as VONAGE_SIGNATURE_SECRET",
            "callbacks are JSON signed with a JWT, not form posts signed with X-Twilio-Signature: anyvideo reads both;"
            " with VONAGE_API_KEY and VONAGE_API_SECRET set, --apply sets the URLs (or run anyvideo provision vonage)",
        )
    return Step(setting, Action.IMPOSSIBLE, "nothing", f"Vonage has no setting like {setting.kind!r}")


def apply(backend: VonageBackend, step: Step) -> bool:
    """Make anyvideo's room defaults include ``step``'s, or point the application's callbacks
    where it says; whether anything changed."""
    if step.action is Action.APPLY and step.change.get("callbacks") and backend.account is not None:
        from anyvideo_vonage.provision import point_callbacks  # the Application API's client: only now

        transport = backend.transport
        return point_callbacks(
            transport.application_id,
            step.change["callbacks"],
            account=backend.account,
            video_host=transport.video_host,
            timeout=transport.policy.timeout,
        )
    wanted = step.change.get("room_defaults")
    if step.action is not Action.APPLY or not wanted:
        raise ValueError(f"nothing to apply for {step.setting.kind} {step.setting.name!r}")
    current = room_defaults(backend)
    merged = {**current, **wanted}
    if merged == current:
        return False
    backend.registry.put(*ROOM_DEFAULTS, merged)
    return True
