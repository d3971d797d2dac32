"""An application's callback endpoint on loopback, for tests: the
:func:`anyvideo.webhooks.wsgi_app` of a ``Video``, served in a thread, so an
emulator can deliver its callbacks over real HTTP."""

from __future__ import annotations

import socketserver
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from anyvideo.client import Video
from anyvideo.webhooks import wsgi_app

__all__ = ["WebhookServer"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Tests read events, not access logs."""


class _ThreadedServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow client cannot hold up the other callbacks."""

    daemon_threads = True


class WebhookServer:
    """Serves ``video``'s webhook app at :attr:`url` until closed (also a context manager).

    ``port`` is where it listens on 127.0.0.1 (0: any free port), ``path``
    where the app is mounted; ``public_url`` is passed to the app
    for signature checks when the provider is told another address.
    """

    def __init__(self, video: Video, *, port: int = 0, path: str = "/callbacks", public_url: str | None = None) -> None:
        app = wsgi_app(video, public_url=public_url)
        self._server = make_server("127.0.0.1", port, app, server_class=_ThreadedServer, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"WebhookServer({self.url!r})"

    def __enter__(self) -> WebhookServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server and wait for its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
