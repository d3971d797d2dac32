"""The site's own app: it connects the receiver that records events."""

from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "support.webapps.djangosite"
    label = "djangosite"

    def ready(self) -> None:
        from anyvideo.django import video_event
        from support.webapps.djangosite import receivers

        video_event.connect(receivers.recorded, dispatch_uid="djangosite.recorded")
