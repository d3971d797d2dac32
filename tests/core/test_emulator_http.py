"""The HTTP side of the shared emulator server: headers read as the stdlib reads
them, one write per answer, keep-alive as HTTP/1.x says, and the stdlib's own
answers to what is out of the ordinary."""

from __future__ import annotations

import email.utils
import http.client
import io
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from anyvideo.sim import Grant
from anyvideo.sim.world import default_ids
from anyvideo.testing import Emulator
from anyvideo.testing.server import Request, Response, _Handler, _parse_headers, route


class EchoEmulator(Emulator):
    """A face without credentials whose one route echoes the request's headers and body."""

    name = "echo"

    def new_id(self, kind: str) -> str:
        return default_ids(kind)

    def authenticate(self, request: Request) -> None:
        pass

    def error_response(self, status: int, message: str, code: int | str | None = None) -> Response:
        return Response.json({"message": message}, status)

    def verify_client_token(self, token: str) -> Grant:
        raise NotImplementedError

    @property
    def credentials(self) -> dict[str, str]:
        return {}

    @property
    def backend_settings(self) -> dict[str, str]:
        return {}

    @property
    def backend_environment(self) -> dict[str, str]:
        return {}

    @route("GET", "/echo")
    @route("POST", "/echo")
    def echo(self, request: Request) -> Any:
        return {"headers": dict(request.headers), "body": request.body.decode(), "query": dict(request.query)}


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoEmulator]:
    with EchoEmulator() as running:
        yield running


def _connect(emulator: Emulator) -> socket.socket:
    host, port = emulator.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


class _Received(io.BytesIO):
    """What a connection received, for ``http.client.HTTPResponse`` to read answer by
    answer (as a socket it makes files of; it closes each file it is done with)."""

    def makefile(self, mode: str) -> io.BytesIO:
        return self

    def close(self) -> None:
        pass


def _received(emulator: Emulator, raw: bytes) -> bytes:
    """Send ``raw`` on one connection and close our side: what comes back until the server closes."""
    with _connect(emulator) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data


def _exchange(emulator: Emulator, raw: bytes) -> list[http.client.HTTPResponse]:
    """The answers to ``raw``, each with its ``body`` read."""
    data = _received(emulator, raw)
    received, responses = _Received(data), []
    while received.tell() < len(data):
        response = http.client.HTTPResponse(received)  # type: ignore[arg-type]
        response.begin()
        response.body = response.read()  # type: ignore[attr-defined]
        responses.append(response)
    return responses


HEADER_BLOCKS = {
    "plain": b"Host: a\r\nContent-Length: 0\r\nAuthorization: Basic QUM6c2VjcmV0\r\n\r\n",
    "repeated names": b"X-A: 1\r\nx-a: 2\r\n\r\n",
    "blanks around values": b"X-A:\t  spaced  \r\nX-B:\r\n\r\n",
    "line feeds only": b"X-A: 1\nX-B: 2\n\n",
    "latin-1 bytes": b"X-A: caf\xe9\r\n\r\n",
    "folded value": b"X-A: one\r\n two\r\nX-B: 3\r\n\r\n",
    "a line without a colon": b"X-A: 1\r\nnonsense\r\nX-B: 2\r\n\r\n",
    "an empty name": b": nameless\r\nX-A: 1\r\n\r\n",
    "a space in a name": b"X A: 1\r\nX-B: 2\r\n\r\n",
    "a carriage return inside": b"X-A: 1\r2\r\n\r\n",
    "cut short": b"X-A: 1\r\nX-B: 2",
}


@pytest.mark.parametrize("block", HEADER_BLOCKS.values(), ids=HEADER_BLOCKS.keys())
def test_headers_are_read_as_the_stdlib_reads_them(block: bytes) -> None:
    lines = io.BytesIO(block).readlines()
    if lines[-1] not in (b"\r\n", b"\n"):
        lines.append(b"")  # what reading stops at when the client went away
    ours = _parse_headers(lines, http.client.HTTPMessage)
    theirs = http.client.parse_headers(io.BytesIO(block))
    assert list(ours.items()) == list(theirs.items())


def test_a_request_reaches_its_route_with_headers_body_and_query(echo: EchoEmulator) -> None:
    raw = b"POST /echo?a=1&a=2 HTTP/1.1\r\nHost: h\r\nX-Thing: yes\r\nContent-Length: 5\r\n\r\nhello"
    (response,) = _exchange(echo, raw)
    echoed = json.loads(response.body)  # type: ignore[attr-defined]
    assert response.status == 200
    assert echoed == {
        "headers": {"host": "h", "x-thing": "yes", "content-length": "5"},
        "body": "hello",
        "query": {"a": ["1", "2"]},
    }


def test_an_answer_is_one_write_and_the_connection_is_kept_alive(echo: EchoEmulator) -> None:
    writes: list[bytes] = []

    class Counting(_Handler):
        def setup(self) -> None:
            super().setup()
            write = self.wfile.write

            def counted(data: Any) -> int:
                writes.append(bytes(data))
                return write(data)

            self.wfile.write = counted  # type: ignore[method-assign]

    Counting.emulator = echo
    listener = socket.create_server(("127.0.0.1", 0))
    with listener, socket.create_connection(listener.getsockname(), timeout=10) as client:
        server_side, address = listener.accept()
        client.sendall(b"GET /echo HTTP/1.1\r\nHost: h\r\n\r\n" * 3)
        client.shutdown(socket.SHUT_WR)  # the handler serves all three, then sees the end
        with server_side:
            Counting(server_side, address, echo._server)  # type: ignore[arg-type]
    assert len(writes) == 3
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") and w.endswith(b"}") for w in writes)


@pytest.mark.parametrize(
    ("request_line", "headers", "closes"),
    [
        (b"GET /echo HTTP/1.1", b"", False),
        (b"GET /echo HTTP/1.1", b"Connection: close\r\n", True),
        (b"GET /echo HTTP/1.0", b"", True),
        (b"GET /echo HTTP/1.0", b"Connection: keep-alive\r\n", False),
    ],
)
def test_keep_alive_follows_the_http_version_and_connection_header(
    echo: EchoEmulator, request_line: bytes, headers: bytes, closes: bool
) -> None:
    request = request_line + b"\r\nHost: h\r\n" + headers + b"\r\n"
    following = b"GET /echo HTTP/1.1\r\nHost: h\r\n\r\n"
    responses = _exchange(echo, request + following)
    assert [r.status for r in responses] == ([200] if closes else [200, 200])


def test_expect_100_continue_is_answered_before_the_body(echo: EchoEmulator) -> None:
    with _connect(echo) as conn:
        conn.sendall(b"POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 100 Continue\r\n")
        conn.sendall(b"hi")
        response = http.client.HTTPResponse(conn)
        response.begin()
        assert response.status == 200 and b'"body": "hi"' in response.read()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /echo HTTP/1.1\r\nX-Long: " + b"x" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /echo HTTP/1.1\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", 431),
        (b"GET /echo HTTP/2.0\r\n\r\n", 505),
        (b"GET /echo HTTP/1.x\r\n\r\n", 400),
        (b"GET /echo extra HTTP/1.1\r\n\r\n", 400),
        (b"BREW /echo HTTP/1.1\r\n\r\n", 501),
    ],
    ids=["long header line", "too many headers", "http/2", "bad version", "bad request line", "unknown method"],
)
def test_malformed_requests_get_the_stdlibs_answers(echo: EchoEmulator, raw: bytes, status: int) -> None:
    # the stdlib's error page (with no status line when it could not tell the HTTP version)
    assert f"<p>Error code: {status}</p>".encode() in _received(echo, raw)


def test_every_answer_is_dated_with_the_current_second(echo: EchoEmulator) -> None:
    for _ in range(3):
        before = int(time.time())
        (response,) = _exchange(echo, b"GET /echo HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        after = int(time.time())
        dated = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
        assert before <= dated <= after
