"""anyvideo's Django app: provider callbacks as Django signals, configured in ``settings.py``.

    # settings.py
    INSTALLED_APPS = [..., "anyvideo.django"]
    ANYVIDEO = {"BACKEND": "twilio"}  # other keys: the backend's settings; the rest from the environment

    # urls.py
    urlpatterns = [path("video/", include("anyvideo.django.urls"))]  # the callback URL: .../video/callbacks

Each verified event is sent as the :data:`video_event` signal. The :class:`~anyvideo.Video`
is built from the settings when first needed (:func:`get_video`), and again when
``ANYVIDEO`` changes (a test's ``override_settings``).
"""

from anyvideo.django.signals import video_event
from anyvideo.django.video import get_video

__all__ = ["get_video", "video_event"]
