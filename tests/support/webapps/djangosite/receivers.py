"""The site's ``video_event`` receiver."""

from typing import Any

from anyvideo import Event
from support.webapps import record


def recorded(sender: Any, event: Event, video: Any, **kwargs: Any) -> None:
    record(event)
