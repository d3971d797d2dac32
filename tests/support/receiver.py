"""A raw callback endpoint on loopback, for the emulator tests that check what an
emulator sends, byte for byte (an application's own endpoint is
:class:`anyvideo.testing.WebhookServer`, which verifies and parses)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.serving import ServedInBackground


class Receiver(ServedInBackground):
    """Keeps every request it receives, answers 204. Each item has the ``method``, the
    ``url`` the sender used, the ``path``, the ``headers``, a JSON ``body`` decoded (else
    ``None``), and the form fields or query as ``params``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _keep(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                url = urllib.parse.urlsplit(self.path)
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                with outer._lock:
                    outer.received.append(
                        {
                            "method": self.command,
                            "url": f"http://{self.headers['Host']}{self.path}",
                            "path": url.path,
                            "headers": dict(self.headers),
                            "body": json.loads(raw) if is_json else None,
                            "params": {} if is_json else dict(urllib.parse.parse_qsl(raw or url.query, True)),
                        }
                    )
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET = _keep  # noqa: N815 - the http.server API

            def log_message(self, format: str, *args: Any) -> None:
                """Tests read what was received, not access logs."""

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def at(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [item for item in self.received if item["path"] == path]

    def bodies(self, path: str) -> list[Any]:
        return [item["body"] for item in self.at(path)]
