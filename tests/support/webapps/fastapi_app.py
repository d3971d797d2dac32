"""FastAPI, as docs/webhooks.md shows it: the ASGI adapter as a route (``/video/callbacks``,
no trailing slash) and mounted (``/video/mount/``, with one). Behind the proxy, uvicorn runs
with ``--root-path`` and each adapter is told its public address."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

import anyvideo
from support.webapps import connect, public_url

video = connect()
app = FastAPI()
app.add_route("/video/callbacks", anyvideo.webhooks.asgi_app(video, public_url=public_url()))
app.mount("/video/mount", anyvideo.webhooks.asgi_app(video, public_url=public_url("/video/mount")))


@app.get("/health", response_class=PlainTextResponse)
def health() -> str:
    return "ok"
