"""The emulator's Application API against ``vonage_application.v2.yml``: every request the
provisioner and the SDK's ``Application`` client send, and every answer, fit the spec."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from support.spec_exchanges import SpecExchanges
from support.specs import SPECS, RecordsExchanges
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import ApplicationConfig

from anyvideo.provisioning import provision
from anyvideo_vonage.emulator import VonageEmulator


class CheckedVonage(RecordsExchanges, VonageEmulator):
    """Keeps its exchanges."""


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Any:
    with CheckedVonage(tls=True) as emulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_bundle))
        yield emulator


def test_every_exchange_fits_the_spec(checked, tmp_path) -> None:
    spec = SpecExchanges(SPECS / "vonage_application.v2.yml", mount="/v2/applications")
    environ = {**checked.app_environment}
    options = {"name": "clinic", "public_url": "https://clinic.example", "environ": environ}
    done = provision("vonage", key_file=tmp_path / "k.pem", phone=True, **options)
    provision("vonage", key_file=tmp_path / "k.pem", **options)  # found by name, updated
    provision("vonage", key_file=tmp_path / "k.pem", rotate_key=True, **options)

    host = checked.base_url.removeprefix("https://")
    sdk = Vonage(
        Auth(api_key=environ["VONAGE_API_KEY"], api_secret=environ["VONAGE_API_SECRET"]),
        HttpClientOptions(api_host=host, video_host=host),
    )
    made = sdk.application.create_application(ApplicationConfig(name="made-by-vonage"))  # the platform's key pair
    assert made.keys.private_key.startswith("-----BEGIN PRIVATE KEY-----")
    assert sdk.application.get_application(done.settings["VONAGE_APPLICATION_ID"]).name == "clinic"
    sdk.application.delete_application(made.id)
    session = requests.Session()
    session.get(
        checked.base_url + "/v2/applications/" + made.id, auth=(environ["VONAGE_API_KEY"], environ["VONAGE_API_SECRET"])
    )
    session.get(checked.base_url + "/v2/applications", auth=("wrong", "credentials"))
    session.get(
        checked.base_url + "/v2/applications?page_size=500",
        auth=(environ["VONAGE_API_KEY"], environ["VONAGE_API_SECRET"]),
    )

    exchanged = {(request.method, response.status) for request, response in checked.exchanges}
    assert {
        ("GET", 200),
        ("POST", 201),
        ("PUT", 200),
        ("DELETE", 204),
        ("GET", 404),
        ("GET", 401),
        ("GET", 400),
    } <= exchanged
    problems = [problem for exchange in checked.exchanges for problem in spec.problems(*exchange)]
    assert problems == []


def test_the_checker_notices_a_wrong_answer() -> None:
    from anyvideo.testing.server import Request, Response

    spec = SpecExchanges(SPECS / "vonage_application.v2.yml", mount="/v2/applications")
    request = Request("GET", "/v2/applications", {}, {}, b"", "https://x/v2/applications")
    assert spec.problems(request, Response.json({"page": "one"}, 200))
    assert spec.problems(request, Response.json({}, 418))
