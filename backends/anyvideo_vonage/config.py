"""The Vonage backend's settings: keyword arguments first, then the environment
given to :func:`anyvideo.connect` (never ``os.environ`` behind its back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anyvideo.calls import BackendSettings
from anyvideo.errors import ConfigurationError
from anyvideo.ratelimit import limiter_from_settings
from anyvideo.registry import Registry
from anyvideo.retry import POLICY_SETTINGS, policy_from_settings
from anyvideo.webhooks import CLOCK_SETTINGS, clock_from_settings
from anyvideo_vonage.credentials import load_private_key
from anyvideo_vonage.rest import PAGE_SIZE

__all__ = ["DEFAULT_VIDEO_HOST", "SETTINGS", "backend_arguments"]

#: The Video API host the backend talks to unless ``video_host`` (``VONAGE_VIDEO_HOST``) says otherwise.
DEFAULT_VIDEO_HOST = "video.api.vonage.com"
#: Keyword settings and the environment variables they default to.
SETTINGS = BackendSettings(
    "vonage",
    {
        "application_id": "VONAGE_APPLICATION_ID",
        "private_key": "VONAGE_PRIVATE_KEY",
        "video_host": "VONAGE_VIDEO_HOST",
        "registry": "ANYVIDEO_REGISTRY",
        "signature_secret": "VONAGE_SIGNATURE_SECRET",
        # the account's, for the Application API (a settings migration sets callback URLs with
        # them), for SMS invitations and for Verify
        "api_key": "VONAGE_API_KEY",
        "api_secret": "VONAGE_API_SECRET",
        "message_sender": "VONAGE_MESSAGE_SENDER",
        **POLICY_SETTINGS,
        "rate": "ANYVIDEO_RATE_LIMIT",
        "page_size": None,
        **CLOCK_SETTINGS,
    },
)


def backend_arguments(settings: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The :class:`~anyvideo_vonage.backend.VonageBackend` constructor's arguments for
    ``settings`` and ``environ``; :class:`ConfigurationError` names what is wrong."""
    values = SETTINGS.load(settings, environ)
    SETTINGS.require(values, "application_id", "private_key")
    application_id = values["application_id"]
    if not isinstance(application_id, str):
        raise ConfigurationError("application_id must be a string")
    # core reads retries, timeout and deadline (and their ANYVIDEO_ variables) the same way for every backend
    policy = policy_from_settings({k: settings[k] for k in POLICY_SETTINGS if k in settings}, environ)
    rate_limiter = limiter_from_settings({"rate": settings["rate"]} if "rate" in settings else {}, environ)
    page_size = values.get("page_size") or PAGE_SIZE
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        raise ConfigurationError("page_size must be a whole number from 1 to 1000")
    key = load_private_key(values["private_key"], setting="private_key")
    registry = Registry.from_settings(settings.get("registry"), environ, namespace=f"vonage:{application_id}")
    secrets = values.get("signature_secret") or ()
    secrets = (secrets,) if isinstance(secrets, str) else tuple(secrets)
    if not all(isinstance(s, str) and s for s in secrets):
        raise ConfigurationError("signature_secret must be a string or a list of strings")
    return {
        "application_id": application_id,
        "private_key": key,
        "video_host": values.get("video_host") or DEFAULT_VIDEO_HOST,
        "registry": registry,
        "policy": policy,
        "rate_limiter": rate_limiter,
        "page_size": page_size,
        "signature_secrets": secrets,
        "now": clock_from_settings(settings),
        **_messaging(values),
    }


def _messaging(values: Mapping[str, Any]) -> dict[str, Any]:
    """The account's settings, each optional: ``api_key`` and ``api_secret`` (for the
    Application API, SMS and Verify, both or neither) and ``message_sender`` (invitations)."""
    found = {name: values.get(name) or None for name in ("api_key", "api_secret", "message_sender")}
    for name, value in found.items():
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{name} must be a string")
    if bool(found["api_key"]) != bool(found["api_secret"]):
        raise ConfigurationError("api_key and api_secret go together: set both (VONAGE_API_KEY, VONAGE_API_SECRET)")
    return found
