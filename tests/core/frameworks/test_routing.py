"""The adapters routed and proxied as docs/webhooks.md says, in-process: an exact path
without a trailing slash (a Starlette route), a mount (which redirects its own path), and a
path prefix that the server reports already and ``public_url`` names as well."""

from __future__ import annotations

import pytest
from support.frameworks import call_asgi, signed

from anyvideo import Video
from anyvideo.webhooks import asgi_app, wsgi_app

starlette = pytest.importorskip("starlette")
testclient = pytest.importorskip("starlette.testclient")
werkzeug_test = pytest.importorskip("werkzeug.test")

from starlette.applications import Starlette  # noqa: E402
from starlette.routing import Mount, Route  # noqa: E402

PUBLIC = "https://hooks.example.com/app"


def test_a_route_serves_the_callback_url_without_a_trailing_slash(offline_twilio: Video) -> None:
    app = Starlette(routes=[Route("/video/callbacks", asgi_app(offline_twilio))])
    client = testclient.TestClient(app)
    headers, body = signed("http://testserver/video/callbacks")
    assert client.post("/video/callbacks", content=body, headers=headers).status_code == 204
    assert client.put("/video/callbacks", content=body, headers=headers).status_code == 405  # the adapter's answer


def test_a_mount_serves_the_paths_under_it_and_redirects_its_own(offline_twilio: Video) -> None:
    app = Starlette(routes=[Mount("/video/hooks", asgi_app(offline_twilio))])
    client = testclient.TestClient(app, follow_redirects=False)
    headers, body = signed("http://testserver/video/hooks")
    assert client.post("/video/hooks", content=body, headers=headers).status_code == 307  # what docs/webhooks.md says
    headers, body = signed("http://testserver/video/hooks/")
    assert client.post("/video/hooks/", content=body, headers=headers).status_code == 204


@pytest.mark.parametrize(
    ("root_path", "path", "public_url"),
    [
        ("/app", "/app/video/callbacks", PUBLIC),  # uvicorn --root-path /app, the adapter at the root or a route
        ("/app/video/hooks", "/app/video/hooks/", PUBLIC + "/video/hooks"),  # mounted at /video/hooks
    ],
    ids=["route", "mount"],
)
def test_asgi_a_root_path_named_in_public_url_is_counted_once(
    offline_twilio: Video, root_path: str, path: str, public_url: str
) -> None:
    headers, body = signed("https://hooks.example.com" + path)
    app = asgi_app(offline_twilio, public_url=public_url)
    assert call_asgi(app, "POST", "127.0.0.1:8000", path, root_path, headers, body) == 204


def test_wsgi_a_script_name_named_in_public_url_is_counted_once(offline_twilio: Video) -> None:
    """``SCRIPT_NAME`` is ``/app`` (ProxyFix's ``x_prefix``, gunicorn's ``SCRIPT_NAME``), and
    ``public_url`` names ``/app`` too."""
    client = werkzeug_test.Client(wsgi_app(offline_twilio, public_url=PUBLIC))
    headers, body = signed(PUBLIC + "/video/callbacks")
    answer = client.post("/video/callbacks", data=body, headers=headers, base_url="http://127.0.0.1:8000/app/")
    assert answer.status_code == 204


def test_wsgi_mounted_under_a_path_public_url_is_the_mounts(offline_twilio: Video) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    def site(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
        start_response("404 Not Found", [])
        return []

    mounted = {"/video/hooks": wsgi_app(offline_twilio, public_url=PUBLIC + "/video/hooks")}
    client = werkzeug_test.Client(DispatcherMiddleware(site, mounted))
    headers, body = signed(PUBLIC + "/video/hooks")
    assert client.post("/video/hooks", data=body, headers=headers).status_code == 204
