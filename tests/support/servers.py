"""A web server (gunicorn, uvicorn, ...) in a process of its own, serving an application on
127.0.0.1: the listening socket is bound here on a free port and handed to the server, so
the port is known before it starts and nothing else can take it."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import requests

#: How long a server may take to answer its health URL the first time.
START_TIMEOUT = 60.0


class ServerProcess:
    """``command`` (with ``{fd}`` where the server takes the listening socket's descriptor) run
    with ``env``; its ``url`` is known from the start; ready once ``GET <url><health>`` answers
    200. Entering starts it and waits until it is ready; exiting terminates it."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], log: Path, health: str = "/health") -> None:
        self._command, self.env, self._log, self._health = list(command), dict(env), log, health
        self._process: subprocess.Popen[bytes] | None = None
        self._listening = socket.socket()
        self._listening.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listening.getsockname()[1]}"

    def start(self) -> None:
        """Start the server, without waiting for it to be ready (to start several at once)."""
        with self._listening as listening:
            listening.listen(64)
            listening.set_inheritable(True)
            command = [part.format(fd=listening.fileno()) for part in self._command]
            with self._log.open("wb") as log:
                self._process = subprocess.Popen(
                    command, env=self.env, stdout=log, stderr=subprocess.STDOUT, pass_fds=[listening.fileno()]
                )
        # Only the server holds the socket now: if it dies, connecting fails instead of waiting.

    def __enter__(self) -> ServerProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_ready(self) -> None:
        """Ask the health URL until it answers: connections wait in the socket's backlog until
        the server accepts them, so each attempt lasts until the server answers or dies."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + self._health, timeout=deadline - time.monotonic()).status_code == 200:
                    return
            except requests.RequestException:
                pass
            try:
                code = self._process.wait(timeout=0.1)  # a server that died says why in its log
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"the server exited with {code}:\n{self.output()}")
        raise RuntimeError(f"the server did not answer {self._health} in {START_TIMEOUT:g}s:\n{self.output()}")

    def output(self) -> str:
        """What the server printed so far."""
        return self._log.read_text(errors="replace")

    def terminate(self) -> None:
        """Tell the server to stop, without waiting (to stop several at once)."""
        if self._process is not None:
            self._process.terminate()

    def __exit__(self, *exc_info: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
