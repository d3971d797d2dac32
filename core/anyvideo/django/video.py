"""The ``Video`` of the Django app, built from the ``ANYVIDEO`` setting when first needed."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

import anyvideo
from anyvideo.django.signals import video_event
from anyvideo.errors import ConfigurationError
from anyvideo.hookspecs import hookimpl
from anyvideo.models import Event

__all__ = ["SETTING", "get_video", "options", "public_url"]

#: The name of the Django setting: a dict, ``{"BACKEND": ..., "PUBLIC_URL": ..., <backend settings>}``.
SETTING = "ANYVIDEO"

#: The keys of ``ANYVIDEO`` that are the app's, not the backend's settings.
_OWN_KEYS = ("BACKEND", "PUBLIC_URL")

_lock = threading.Lock()
_video: anyvideo.Video | None = None


def options() -> dict[str, Any]:
    """The ``ANYVIDEO`` setting (``{}`` when it is not set)."""
    value = getattr(settings, SETTING, None) or {}
    if not isinstance(value, dict):
        raise ConfigurationError(f"the {SETTING} setting must be a dict, not {type(value).__name__}")
    return value


def public_url() -> str | None:
    """``ANYVIDEO["PUBLIC_URL"]``: the public address of the site (scheme, host and the path a
    proxy strips), when it differs from what Django reports."""
    value = options().get("PUBLIC_URL")
    return str(value) if value else None


class _SendSignal:
    """The ``anyvideo_event`` hook that sends each event as :data:`video_event`."""

    @hookimpl
    def anyvideo_event(self, event: Event, video: anyvideo.Video) -> None:
        video_event.send(sender=anyvideo.Video, event=event, video=video)


def get_video() -> anyvideo.Video:
    """The app's :class:`~anyvideo.Video`: ``anyvideo.connect(BACKEND, **settings)`` with the
    other keys of ``ANYVIDEO`` as the backend's settings (lower-cased: ``"SIGNATURE_SECRET"`` is
    ``signature_secret``), what they leave out read from the environment as
    :func:`anyvideo.connect` does; events are sent as :data:`video_event`."""
    global _video
    with _lock:
        if _video is None:
            given = options()
            backend_settings = {key.lower(): value for key, value in given.items() if key not in _OWN_KEYS}
            plugins = anyvideo.Plugins(extra=[_SendSignal()])
            _video = anyvideo.connect(given.get("BACKEND"), plugins=plugins, **backend_settings)
        return _video


def _forget(setting: str, **kwargs: Any) -> None:
    """A changed ``ANYVIDEO`` setting (``override_settings`` in a test) gives a new ``Video``."""
    global _video
    if setting != SETTING:
        return
    with _lock:
        if _video is not None:
            _video.close()
        _video = None


setting_changed.connect(_forget)
