"""docs/webhooks.md's framework blocks ("In your framework") run as written: the Django ones as
the files of a Django project in a fresh process, the others here. (The Flask view, the
mounted WSGI adapter and the FastAPI view are run by tests/core/webhooks/test_adapters.py.)"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import REPO
from support.docs import run_as_test_modules
from support.frameworks import call_asgi, room_event, signed
from support.webhooks import TWILIO_ACCOUNT, TWILIO_TOKEN, UNREACHABLE, Collector

DOCS = REPO / "docs" / "webhooks.md"


def blocks(heading: str) -> list[str]:
    """The python blocks under ``### heading`` of docs/webhooks.md."""
    section = DOCS.read_text().split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def block(heading: str, containing: str) -> str:
    return next(b for b in blocks(heading) if containing in b)


@pytest.fixture
def twilio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``anyvideo.connect()`` in the blocks reads: a Twilio account (nothing is requested)."""
    monkeypatch.setenv("ANYVIDEO_BACKEND", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("TWILIO_VIDEO_BASE_URL", f"http://{UNREACHABLE}")


@pytest.fixture
def run(twilio_environment: None) -> Iterator[Any]:
    """``run(*blocks)``: the blocks executed one after the other in one namespace, its ``video``
    collecting events (``namespace["heard"]``) and closed at the end."""
    namespaces: list[dict[str, Any]] = []

    def execute(*sources: str) -> dict[str, Any]:
        namespace: dict[str, Any] = {"__name__": "docs_app"}
        for source in sources:
            exec(source, namespace)
        namespace["heard"] = Collector()
        namespace["video"].plugins.manager.register(namespace["heard"])
        namespaces.append(namespace)
        return namespace

    yield execute
    for namespace in namespaces:
        namespace["video"].close()


# --- Flask -----------------------------------------------------------------------------

#: What a proxy serving the application at https://hooks.example.com/app/ sends.
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com", "X-Forwarded-Prefix": "/app"}


def test_the_flask_proxy_recipe_counts_the_prefix_the_proxy_strips(run: Any) -> None:
    namespace = run(block("Flask", "@app.route"), block("Flask", "ProxyFix"))
    headers, body = signed("https://hooks.example.com/app/video/callbacks")
    client = namespace["app"].test_client()
    assert client.post("/video/callbacks", data=body, headers=headers | FORWARDED).status_code == 204
    assert len(namespace["heard"].events) == 1


def test_without_x_prefix_the_flask_recipe_is_refused_behind_a_prefix(run: Any) -> None:
    """Why the page says ``x_prefix=1``: the recipe it gave before, behind the same proxy."""
    recipe = block("Flask", "ProxyFix").replace(", x_prefix=1", "")
    namespace = run(block("Flask", "@app.route"), recipe)
    headers, body = signed("https://hooks.example.com/app/video/callbacks")
    client = namespace["app"].test_client()
    assert client.post("/video/callbacks", data=body, headers=headers | FORWARDED).status_code == 403


# --- FastAPI and Starlette ----------------------------------------------------------------


def test_the_fastapi_route_and_mount(run: Any) -> None:
    testclient = pytest.importorskip("fastapi.testclient")
    namespace = run(block("FastAPI", "app.add_route"), block("FastAPI", 'app.mount("/video/hooks", anyvideo'))
    client = testclient.TestClient(namespace["app"], follow_redirects=False)
    for path, answer in [("/video/callbacks", 204), ("/video/hooks/", 204), ("/video/hooks", 307)]:
        headers, body = signed(f"http://testserver{path}")
        assert client.post(path, content=body, headers=headers).status_code == answer, path
    assert len(namespace["heard"].events) == 1  # the same callback, handled once


def test_the_starlette_routes(run: Any) -> None:
    testclient = pytest.importorskip("starlette.testclient")
    namespace = run(block("FastAPI", "Starlette("))
    client = testclient.TestClient(namespace["app"])
    for sequence, path in enumerate(["/video/callbacks", "/video/hooks/"], 1):
        headers, body = signed(f"http://testserver{path}", room_event(sequence))
        assert client.post(path, content=body, headers=headers).status_code == 204, path
    assert len(namespace["heard"].events) == 2


def test_the_fastapi_proxy_recipe_under_uvicorn_root_path(run: Any) -> None:
    pytest.importorskip("fastapi")
    setup = block("FastAPI", "app.add_route").split("app.add_route", 1)[0]  # the video and the app
    namespace = run(setup, block("FastAPI", "public_url="))
    app = namespace["app"]
    for sequence, path in enumerate(["/app/video/callbacks", "/app/video/hooks/"], 1):
        headers, body = signed(f"https://hooks.example.com{path}", room_event(sequence))
        assert call_asgi(app, "POST", "127.0.0.1:8000", path, "/app", headers, body) == 204, path
    assert len(namespace["heard"].events) == 2


# --- Django ------------------------------------------------------------------------------

#: What a project's settings.py has before the page's block adds to it.
DJANGO_SETTINGS = """\
SECRET_KEY = "docs-test-not-a-secret"
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "urls"
INSTALLED_APPS = ["django.contrib.contenttypes"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"]
USE_TZ = True
"""

#: The project's test: a signed participant-connected callback through Django's test client.
DJANGO_TEST = f"""\
import os

os.environ.update(
    DJANGO_SETTINGS_MODULE="settings",
    TWILIO_ACCOUNT_SID="{TWILIO_ACCOUNT}",
    TWILIO_AUTH_TOKEN="{TWILIO_TOKEN}",
    TWILIO_VIDEO_BASE_URL="http://{UNREACHABLE}",
)

import django

django.setup()

import receivers  # noqa: E402,F401 - as the project's AppConfig.ready() does
from django.test import Client  # noqa: E402
from support.frameworks import ROOM_SID, participant_connected, signed  # noqa: E402


def test_a_participant_joining_reaches_the_receiver(capsys):
    headers, body = signed("http://testserver/video/callbacks", participant_connected("ann"))
    content_type = headers.pop("Content-Type")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/video/callbacks", data=body, content_type=content_type, headers=headers).status_code == 204
    assert capsys.readouterr().out == f"ann joined {{ROOM_SID}}\\n"
"""


def test_the_django_blocks_as_a_project(tmp_path: Path) -> None:
    pytest.importorskip("django")
    settings, urls, receivers = (textwrap.dedent(b) for b in blocks("Django"))
    assert settings.startswith("# settings.py") and urls.startswith("# urls.py") and receivers.startswith("# receivers")
    (tmp_path / "settings.py").write_text(DJANGO_SETTINGS + settings)
    (tmp_path / "urls.py").write_text(urls)
    (tmp_path / "receivers.py").write_text(receivers)
    run_as_test_modules([DJANGO_TEST], tmp_path, "-p", "no:randomly")
