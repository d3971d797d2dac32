"""A Django site with anyvideo's app installed as docs/webhooks.md shows: the callbacks at
``/video/callbacks``, each event recorded by a ``video_event`` receiver."""
