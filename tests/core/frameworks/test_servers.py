"""Each framework integration in a real server process (gunicorn or waitress for the WSGI ones,
uvicorn for ASGI), receiving real signed callbacks from both emulators, called directly and through a
prefix-stripping proxy: one short meeting per case (a room, one participant joins and leaves),
and the events the application recorded are the meeting's.

The applications are tests/support/webapps (the forms docs/webhooks.md shows). One server
process per application and provider serves every form of that application (and, when the
application reads the proxy's headers, both ways of reaching it); the servers the selected
tests need are all started at once, when the module starts, and stopped when it ends.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
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
pytest.importorskip("waitress")

PROVIDERS = ("vonage", "twilio")
PREFIX = "/hooks"

#: How each application is served; ``{fd}`` is the listening socket, ``{prefix}`` the proxy's.
COMMANDS = {
    "flask": ["-m", "gunicorn", "--bind", "fd://{fd}", "--workers", "1", "support.webapps.flask_app:app"],
    # waitress-serve as docs/webhooks.md says, trusting the proxy's X-Forwarded-Proto and -Host
    "flask under waitress": ["-m", "support.waitress_serve", "{fd}", "--trusted-proxy=127.0.0.1"]
    + ["--trusted-proxy-headers=x-forwarded-proto x-forwarded-host", "support.webapps.flask_app:app"],
    "django": ["-m", "gunicorn", "--bind", "fd://{fd}", "--workers", "1", "support.webapps.djangosite.wsgi"],
    "fastapi": ["-m", "uvicorn", "--fd", "{fd}", "--log-level", "warning", "support.webapps.fastapi_app:app"],
}
#: The applications told about the proxy (``WEBAPP_PUBLIC_URL``, ``WEBAPP_PREFIX``, and these
#: arguments): uvicorn learns the prefix from ``--root-path``, Django from its settings. The others
#: read the proxy's ``X-Forwarded-*`` headers, so one server of theirs serves both ways.
TOLD_OF_PROXY = {"fastapi", "django"}
BEHIND_PROXY = {"fastapi": ["--root-path", "{prefix}"]}

#: Each documented form: the application, and the path of the URL the provider is given.
FORMS = {
    "flask view": ("flask", "/video/callbacks"),
    "flask mounted adapter": ("flask", "/video/adapter"),
    "flask view under waitress": ("flask under waitress", "/video/callbacks"),
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


Key = tuple[str, bool, str]


def needed(request: pytest.FixtureRequest) -> set[Key]:
    """(application, proxied, provider) of each test of this module that runs."""
    return {
        (FORMS[item.callspec.params["form"]][0], item.callspec.params["proxied"], item.callspec.params["provider"])
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }


@pytest.fixture(scope="module")
def served(
    request: pytest.FixtureRequest, emulators: dict[str, Emulator], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Key, Served]]:
    """Every server the module's tests need, all started at once (a server that reads the
    proxy's headers serves both ways; one told about the proxy, behind it only), each proxied
    one with its proxy in front; stopped when the module ends."""
    started: dict[Key, Served] = {}
    servers: dict[Key, ServerProcess] = {}
    with ExitStack() as stack:
        for app, proxied, provider in sorted(needed(request)):
            told = proxied and app in TOLD_OF_PROXY
            server = servers.get((app, told, provider))
            if server is None:
                folder = tmp_path_factory.mktemp(f"{app.replace(' ', '-')}-{provider}-{'told' if told else 'as-is'}")
                arguments = COMMANDS[app] + (BEHIND_PROXY.get(app, []) if told else [])
                command = [sys.executable, *(a.replace("{prefix}", PREFIX) for a in arguments)]
                env = server_environment(emulators[provider], folder / "events.jsonl")
                server = servers[(app, told, provider)] = ServerProcess(command, env, folder / "server.log")
            base = server.url
            if proxied:
                base = stack.enter_context(PrefixProxy(server.url, PREFIX)).url
                server.env |= {"WEBAPP_PUBLIC_URL": base, "WEBAPP_PREFIX": PREFIX} if told else {}
            started[(app, proxied, provider)] = Served(base, Path(server.env["WEBAPP_EVENTS"]))
        for server in servers.values():
            stack.push(server.__exit__)
            server.start()
        try:
            for server in servers.values():
                server.wait_ready()
            yield started
        finally:
            for server in servers.values():  # all told at once, before each is waited for
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
    served: dict[Key, Served], emulators: dict[str, Emulator], form: str, proxied: bool, provider: str
) -> None:
    app, path = FORMS[form]
    server = served[(app, proxied, provider)]
    url = server.base + path
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
    assert server.received(room_id) == [
        ("room.started", None),
        ("participant.joined", "ann"),
        ("participant.left", "ann"),
    ]
