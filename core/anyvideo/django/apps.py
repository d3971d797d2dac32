"""The app's configuration: named ``anyvideo`` among the installed apps."""

from __future__ import annotations

from django.apps import AppConfig


class AnyVideoConfig(AppConfig):  # type: ignore[misc]  # Django ships no type information
    """anyvideo's Django app (``"anyvideo.django"`` in ``INSTALLED_APPS``)."""

    name = "anyvideo.django"
    label = "anyvideo"
    verbose_name = "anyvideo"
