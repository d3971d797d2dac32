"""Where the webinar's tests receive the platform's callbacks: when
``WEBINAR_WEBHOOK_PORT`` is set (the provider is told to call
``http://127.0.0.1:<port>/callbacks``), the app's webhook endpoint is served
there for the whole test, as it would be in production."""

from __future__ import annotations

import os

import pytest

from anyvideo.testing import WebhookServer


@pytest.fixture(autouse=True)
def callbacks(request: pytest.FixtureRequest):
    port = os.environ.get("WEBINAR_WEBHOOK_PORT")
    if not port:
        yield None
        return
    webinar = request.getfixturevalue("webinar")
    with WebhookServer(webinar.video, port=int(port)) as server:
        yield server
