"""The signal each provider callback's events are sent as."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent once for each verified :class:`~anyvideo.Event` (``event``) of the ``video``
#: (:class:`~anyvideo.Video`) that received it; ``sender`` is :class:`~anyvideo.Video`.
#: A receiver that raises makes the callback answer 500, unhandled: the provider's
#: next delivery of it is handled (docs/webhooks.md, "Duplicates and failures").
video_event = Signal()
