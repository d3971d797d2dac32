"""Helpers of the Vonage backend tests."""

from __future__ import annotations

import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from anyvideo.testing import Emulator, EmulatorControl, RemoteClient
from anyvideo.webhooks import wsgi_app


class CallbackReceiver:
    """The application's callback endpoint on loopback: ``anyvideo.webhooks.wsgi_app(video)``
    served by wsgiref, with the emulator configured to send every kind of callback there, signed."""

    SECRET = "callback-signature-secret-of-32-bytes-at-least"

    def __init__(self, video: Any, emulator: Emulator) -> None:
        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = make_server("127.0.0.1", 0, wsgi_app(video), handler_class=Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/vonage/callbacks"
        emulator.control.call(
            "PUT",
            "/vonage/callbacks",
            {kind: self.url for kind in ("session", "archive", "broadcast", "render")}
            | {"signature_secret": self.SECRET},
        )

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class SettledClient:
    """A browser whose every action returns once the provider's callbacks about it were delivered."""

    def __init__(self, client: RemoteClient, control: EmulatorControl) -> None:
        self._client, self._control = client, control
        self.participant_id, self.room_id, self.identity = client.participant_id, client.room_id, client.identity

    def publish(self, *args: Any, **kwargs: Any) -> str:
        stream_id = self._client.publish(*args, **kwargs)
        self._control.callbacks()
        return stream_id

    def unpublish(self, stream_id: str) -> None:
        self._client.unpublish(stream_id)
        self._control.callbacks()

    def leave(self) -> None:
        self._client.leave()
        self._control.callbacks()

    def signals(self) -> Any:
        return self._client.signals()


class SettledDevices:
    """Devices that wait for the callbacks each action causes: the application learns who joined
    (identity, data) from session monitoring, as a Vonage application does."""

    def __init__(self, control: EmulatorControl) -> None:
        self._control = control

    def join(self, token: Any, room_id: str | None = None) -> SettledClient:
        client = self._control.join(token, room_id)
        self._control.callbacks()
        return SettledClient(client, self._control)
