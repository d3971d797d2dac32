"""A test server on 127.0.0.1, served on a thread of its own while a ``with`` block runs."""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Self


class ServedInBackground:
    """Base of a test server: call :meth:`_serve` with the server in ``__init__``."""

    _server: socketserver.BaseServer
    _thread: threading.Thread

    def _serve(self, server: socketserver.BaseServer) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def closed_port() -> int:
    """A loopback port nothing listens on now (bound, then released): for a server to be
    started on it, or for a client to be refused by it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
