"""Each framework integration in a real server process (gunicorn for the WSGI ones, uvicorn for
ASGI), receiving real signed callbacks from both emulators, called directly and through a
prefix-stripping proxy: one short meeting per case (a room, one participant joins and leaves),
and the events the application recorded are the meeting's.

The applications are tests/support/webapps (the forms docs/webhooks.md shows); one server
process per application, way of reaching it and provider serves every form of that
application, started when first needed and stopped when the module ends.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import attrs
import pytest
from support import REPO
from support.proxy import PrefixProxy
from support.servers import ServerProcess
from support.webhooks import CORE_TYPES, VONAGE_SECRET

from anyvideo import Video
from anyvideo.testing import Emulator, emulator_class

pytest.importorskip("django")
pytest.importorskip("flask")
pytest.importorskip("fastapi")
pytest.importorskip("gunicorn")
pytest.importorskip("uvicorn")

PROVIDERS = ("vonage", "twilio")
PREFIX = "/hooks"

#: How each application is served; ``{fd}`` is the listening socket, ``{prefix}`` the proxy's.
COMMANDS = {
    "flask": ["-m", "gunicorn", "--bind", "fd://{fd}", "--workers", "1", "support.webapps.flask_app:app"],
    "django": ["-m", "gunicorn", "--bind", "fd://{fd}", "--workers", "1", "support.webapps.djangosite.wsgi"],
    "fastapi": ["-m", "uvicorn", "--fd", "{fd}", "--log-level", "warning", "support.webapps.fastapi_app:app"],
}
#: ... and behind the proxy: uvicorn is told the prefix the proxy strips (the WSGI applications
#: read it from ``X-Forwarded-Prefix``, or from ``WEBAPP_PREFIX``).
BEHIND_PROXY = {"fastapi": ["--root-path", "{prefix}"]}

#: Each documented form: the application, and the path of the URL the provider is given.
FORMS = {
    "flask view": ("flask", "/video/callbacks"),
    "flask mounted adapter": ("flask", "/video/adapter"),
    "fastapi route, no trailing slash": ("fastapi", "/video/callbacks"),
    "fastapi mount, trailing slash": ("fastapi", "/video/mount/"),
    "django include()": ("django", "/video/callbacks"),
    "django include(), trailing slash": ("django", "/video/callbacks/"),
}


@attrs.frozen
class Served:
    """An application in its server process: the base URL the provider calls (the server's,
    or the proxy's with its prefix) and the file its events are recorded in."""

    base: str
    events: Path

    def received(self, room_id: str) -> list[tuple[str, str | None]]:
        """The core events recorded for ``room_id``: (type, whose)."""
        lines = self.events.read_text().splitlines() if self.events.exists() else []
        recorded = [json.loads(line) for line in lines]
        return [(e["type"], e["identity"]) for e in recorded if e["room_id"] == room_id and e["type"] in CORE_TYPES]


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, Emulator]]:
    """Both emulators for the whole module (the servers are configured with their addresses)."""
    with ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        running = {}
        for name in PROVIDERS:
            cls = emulator_class(name)
            running[name] = stack.enter_context(cls(tls=cls.default_tls))
            for variable, value in running[name].client_environment.items():
                if value is None:
                    patch.delenv(variable, raising=False)
                else:
                    patch.setenv(variable, value)
        yield running


def server_environment(emulator: Emulator, events: Path) -> dict[str, str]:
    """The server process's environment: the provider's settings as a deployment has them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_", "WEBAPP_"))}
    env |= {k: v for k, v in emulator.client_environment.items() if v is not None}
    env |= emulator.app_environment | {"VONAGE_SIGNATURE_SECRET": VONAGE_SECRET, "WEBAPP_EVENTS": str(events)}
    env["PYTHONPATH"] = os.pathsep.join(str(REPO / folder) for folder in ("core", "backends", "tests"))
    env["DJANGO_SETTINGS_MODULE"] = "support.webapps.djangosite.settings"
    return env


@pytest.fixture(scope="module")
def serve(
    emulators: dict[str, Emulator], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, bool, str], Served]]:
    """``serve(app, proxied, provider)``: the application in its server process (started once)."""
    started: dict[tuple[str, bool, str], Served] = {}
    servers: list[ServerProcess] = []
    with ExitStack() as stack:

        def get(app: str, proxied: bool, provider: str) -> Served:
            key = (app, proxied, provider)
            if key not in started:
                folder = tmp_path_factory.mktemp(f"{app}-{provider}-{'proxied' if proxied else 'direct'}")
                env = server_environment(emulators[provider], folder / "events.jsonl")
                arguments = COMMANDS[app] + (BEHIND_PROXY.get(app, []) if proxied else [])
                command = [sys.executable, *(a.replace("{prefix}", PREFIX) for a in arguments)]
                server = ServerProcess(command, env, folder / "server.log")
                base = server.url
                if proxied:
                    base = stack.enter_context(PrefixProxy(server.url, PREFIX)).url
                    server.env |= {"WEBAPP_PUBLIC_URL": base, "WEBAPP_PREFIX": PREFIX}
                servers.append(stack.enter_context(server))
                started[key] = Served(base, folder / "events.jsonl")
            return started[key]

        try:
            yield get
        finally:
            for server in servers:  # all told at once, before each is waited for
                server.terminate()


def short_meeting(video: Video, control: Any, name: str, room_options: dict[str, Any]) -> str:
    """A room (its name unique: a name is taken while its room is open); ann joins and leaves;
    every callback delivered. The room's id."""
    room = video.rooms.create(name, provider_options=room_options or None)
    ann = video.backend.browser().join(video.tokens.create(room, "ann"))
    ann.leave()
    control.callbacks()
    return room.id


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("proxied", [False, True], ids=["direct", "behind a prefix-stripping proxy"])
@pytest.mark.parametrize("form", FORMS)
def test_the_application_receives_the_meetings_events(
    serve: Callable[[str, bool, str], Served], emulators: dict[str, Emulator], form: str, proxied: bool, provider: str
) -> None:
    app, path = FORMS[form]
    served = serve(app, proxied, provider)
    url = served.base + path
    emulator = emulators[provider]
    if provider == "vonage":
        emulator.control.call("PUT", "/vonage/callbacks", {"session": url, "signature_secret": VONAGE_SECRET})
        room_options: dict[str, Any] = {}
    else:
        room_options = {"status_callback": url}
    name = "-".join((form, "proxied" if proxied else "direct")).replace(",", "").replace("(", "").replace(")", "")
    room_id = short_meeting(emulator.connect(), emulator.control, name, room_options)
    answered = [(d["url"], d["status"] or d["error"]) for d in emulator.control.callbacks() if d["url"] == url]
    assert answered and all(status == 204 for _, status in answered), answered
    assert served.received(room_id) == [
        ("room.started", None),
        ("participant.joined", "ann"),
        ("participant.left", "ann"),
    ]
