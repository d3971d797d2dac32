"""Where the classroom's tests receive the platform's callbacks: when
``CLASSROOM_WEBHOOK_PORT`` is set (the provider is told to call
``http://127.0.0.1:<port>/callbacks``), the app's webhook endpoint is served
there for the whole test, as it would be in production."""

from __future__ import annotations

import os

import pytest

from anyvideo.testing import WebhookServer


@pytest.fixture(autouse=True)
def callbacks(request: pytest.FixtureRequest):
    port = os.environ.get("CLASSROOM_WEBHOOK_PORT")
    if not port:
        yield None
        return
    school = request.getfixturevalue("school")
    with WebhookServer(school.video, port=int(port)) as server:
        yield server
