"""The app's URL: ``callbacks``, with or without a trailing slash (``include()`` it where the
provider calls: ``path("video/", include("anyvideo.django.urls"))`` is ``/video/callbacks``)."""

from __future__ import annotations

from django.urls import re_path

from anyvideo.django import views

app_name = "anyvideo"

#: Both spellings answer, so the URL given to the provider works whichever it is
#: (Django's ``APPEND_SLASH`` cannot redirect a POST, nor would the provider follow).
urlpatterns = [re_path(r"^callbacks/?$", views.callbacks, name="callbacks")]
