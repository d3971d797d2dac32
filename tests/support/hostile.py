"""A hostile HTTP server on loopback: it answers every request the same bad way.

Each way is one a real provider (or what stands between it and us) can do:
JSON cut off mid-way, a proxy's HTML 502 page, JSON whose fields have the
wrong types, a 10 MB body, silence after accepting the connection, and an
answer trickled one byte every half second.
"""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import trustme


class Way(StrEnum):
    TRUNCATED_JSON = "truncated json"
    HTML_502 = "html 502"
    WRONG_TYPES = "wrong types"
    HUGE_BODY = "10 MB body"
    SILENCE = "silence"
    TRICKLE = "one byte every 0.5 s"


#: Every field either provider's answers have, each of a type neither expects.
WRONG_TYPES = {
    key: value
    for key, value in zip(
        ["sid", "id", "session_id", "status", "unique_name", "date_created", "createdAt", "items", "count", "url"],
        [12, [], 3.5, {"x": 1}, ["a"], True, "yesterday", "none", "many", 7],
        strict=True,
    )
}
_OBJECT = json.dumps({"id": "x", "status": "started", "sid": "RM" + "0" * 32}).encode()
#: The gap between two bytes of a trickled answer.
TRICKLE_GAP = 0.5


def _answer(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class HostileServer:
    """Answers every request ``way``; over TLS when ``tls`` (its CA bundle: :attr:`ca_bundle`)."""

    def __init__(self, way: Way, *, tls: bool = False, scratch: Path | None = None) -> None:
        self.way = way
        self.stopping = threading.Event()
        self.ca_bundle: Path | None = None
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        if tls:
            assert scratch is not None, "a TLS server needs a folder for its CA bundle"
            authority = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            authority.issue_cert("127.0.0.1").configure_cert(context)
            self.ca_bundle = scratch / "hostile-ca.pem"
            authority.cert_pem.write_to_path(str(self.ca_bundle))
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for connection in self._connections:  # a client still waiting on us gets its connection dropped
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join()

    def _handler(self) -> type[socketserver.StreamRequestHandler]:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                outer._connections.append(self.connection)
                try:
                    while not outer.stopping.is_set() and _read_request(self.rfile.readline, self.rfile.read):
                        if not outer._answer(self.wfile.write, self.wfile.flush):
                            return
                except OSError:  # the client gave up on us: what the hostile ways are for
                    return

        return Handler

    def _answer(self, write: Callable[[bytes], object], flush: Callable[[], None]) -> bool:
        """Answer one request; whether the connection stays open for another."""
        way = self.way
        if way is Way.SILENCE:
            self.stopping.wait()
            return False
        if way is Way.TRICKLE:
            for byte in _answer("200 OK", _OBJECT * 100):
                write(bytes([byte]))
                flush()
                if self.stopping.wait(TRICKLE_GAP):
                    return False
            return True
        if way is Way.TRUNCATED_JSON:
            write(_answer("200 OK", _OBJECT[: len(_OBJECT) // 2]))
        elif way is Way.HTML_502:
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            write(_answer("502 Bad Gateway", page, "text/html"))
        elif way is Way.WRONG_TYPES:
            write(_answer("200 OK", json.dumps(WRONG_TYPES).encode()))
        elif way is Way.HUGE_BODY:
            write(_answer("200 OK", b'"' + b"x" * (10 * 2**20) + b'"'))
        flush()
        return True


def _read_request(readline: Callable[[], bytes], read: Callable[[int], bytes]) -> bool:
    """Read one request (head and body); ``False`` when the client closed the connection."""
    length = 0
    line = readline()
    if not line:
        return False
    while line not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        line = readline()
    read(length)
    return True
