"""A prefix-stripping reverse proxy on loopback, as a load balancer in front of an application:
``http://127.0.0.1:<port>/<prefix>/x`` is forwarded to ``<upstream>/x`` with the ``Host`` of
the upstream (as nginx sends by default) and ``X-Forwarded-Proto``, ``-Host``, ``-Prefix``
and ``-For`` saying what the client called."""

from __future__ import annotations

import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from support.serving import ServedInBackground

#: Headers that belong to one connection, not forwarded either way (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)


def relay(
    handler: BaseHTTPRequestHandler, upstream: str, path: str, body: bytes, headers: dict[str, str], timeout: float = 60
) -> None:
    """Send ``handler``'s request (its method, then ``path``, ``body`` and ``headers``) to
    ``upstream`` (``host:port``) and answer the client with what came back, whole."""
    connection = http.client.HTTPConnection(upstream, timeout=timeout)
    try:
        connection.request(handler.command, path, body, headers)
        answer = connection.getresponse()
        content = answer.read()
    finally:
        connection.close()
    handler.send_response(answer.status)
    for name, value in answer.getheaders():
        if name.lower() not in HOP_BY_HOP | {"content-length"}:
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(content)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(content)


class PrefixProxy(ServedInBackground):
    """Serves ``prefix`` (``/app``) on 127.0.0.1 and forwards what is under it to ``upstream``
    (``http://127.0.0.1:8000``) without the prefix; anything else is answered 404."""

    def __init__(self, upstream: str, prefix: str) -> None:
        target = urlsplit(upstream)
        if target.hostname != "127.0.0.1":
            raise ValueError("the test proxy forwards to loopback only")
        self.prefix = "/" + prefix.strip("/")
        prefix_ = self.prefix

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                if not (self.path == prefix_ or self.path.startswith((prefix_ + "/", prefix_ + "?"))):
                    self.send_error(404)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
                headers |= {
                    "Host": target.netloc,
                    "X-Forwarded-Proto": "http",
                    "X-Forwarded-Host": self.headers["Host"],
                    "X-Forwarded-Prefix": prefix_,
                    "X-Forwarded-For": self.client_address[0],
                }
                path = self.path[len(prefix_) :]
                relay(self, target.netloc, path if path.startswith("/") else "/" + path, body, headers)

            do_GET = do_POST = do_PUT = do_DELETE = _forward  # noqa: N815 - the http.server API

            def log_message(self, format: str, *args: Any) -> None:
                """Tests read what the application received, not access logs."""

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        """The public address: the proxy's, with the prefix."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"
