"""Flask, as docs/webhooks.md shows it: the view at ``/video/callbacks``, the WSGI adapter
mounted at ``/video/adapter``, behind Werkzeug's ``ProxyFix`` (which changes nothing when
no proxy sent ``X-Forwarded-*`` headers)."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

import anyvideo
from support.webapps import connect

video = connect()
app = Flask(__name__)


@app.route("/video/callbacks", methods=["POST", "GET"])
def video_callbacks() -> tuple[str, int]:
    try:
        video.webhooks.handle(request.method, request.url, request.headers.items(), request.get_data())
    except anyvideo.WebhookVerificationError:
        return "", 403
    except anyvideo.AnyVideoError:
        return "", 400
    return "", 204


@app.route("/health")
def health() -> str:
    return "ok"


app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/video/adapter": anyvideo.webhooks.wsgi_app(video)})
app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]
