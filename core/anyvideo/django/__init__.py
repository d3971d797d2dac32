"""anyvideo's Django app: provider callbacks as Django signals, configured in ``settings.py``.

    # settings.py
    INSTALLED_APPS = [..., "anyvideo.django"]
    ANYVIDEO = {"BACKEND": "..."}  # a provider backend's name; other keys: its settings; the rest from the environment

    # urls.py
    urlpatterns = [path("video/", include("anyvideo.django.urls"))]  # the callback URL: .../video/callbacks

Each verified event is sent as the :data:`video_event` signal. The :class:`~anyvideo.Video`
is built from the settings when first needed (:func:`get_video`), and again when
``ANYVIDEO`` changes (a test's ``override_settings``).
"""

try:
    import django  # noqa: F401
except ModuleNotFoundError as missing:  # one line that says what to install
    message = 'anyvideo.django needs Django: pip install "anyvideo[django]"'
    raise ModuleNotFoundError(message, name="django") from missing

from anyvideo.django.signals import video_event  # noqa: E402
from anyvideo.django.video import get_video  # noqa: E402

__all__ = ["get_video", "video_event"]
