"""Core's provisioning contract: the webhook URL under a public URL, the answer's
settings (secrets kept out of its repr), and the provisioners plugins register."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any

import pytest

import anyvideo
from anyvideo import BackendNotFound, ConfigurationError, InvalidRequest
from anyvideo.plugins import Plugins
from anyvideo.provisioning import WEBHOOK_PATH, Provisioned, ProvisionRequest, provision, provisioners, webhook_url

#: What the fake provisioner was asked, by the test that asked.
ASKED: list[ProvisionRequest] = []


def fake(request: ProvisionRequest) -> Provisioned:
    """A provisioner that makes nothing and says what it was asked."""
    ASKED.append(request)
    settings = {"ANYVIDEO_BACKEND": "local", "FAKE_URL": request.webhook_url, "FAKE_SECRET": "it's s3cret"}
    return Provisioned("local", f"thing {request.name}", True, settings, secret=frozenset({"FAKE_SECRET"}))


class Registers:
    def __init__(self, provisioner: Any) -> None:
        self.provisioner = provisioner

    @anyvideo.hookimpl
    def anyvideo_register_provisioners(self, register: Any) -> None:
        register("local", self.provisioner)


@pytest.mark.parametrize(
    "public_url, expected",
    [
        ("https://video.example.com", "https://video.example.com/webhooks/provider"),
        ("https://video.example.com/", "https://video.example.com/webhooks/provider"),
        ("http://127.0.0.1:8000/clinic", "http://127.0.0.1:8000/clinic/webhooks/provider"),
    ],
)
def test_the_webhook_endpoint_is_under_the_public_url(public_url: str, expected: str) -> None:
    assert webhook_url(public_url) == expected


@pytest.mark.parametrize(
    "public_url", ["ftp://video.example.com", "video.example.com", "https://", "https://x/?a=1", 42]
)
def test_anything_but_an_http_url_is_refused(public_url: Any) -> None:
    with pytest.raises(InvalidRequest) as refused:
        webhook_url(public_url)
    assert refused.value.field == "public_url"


def test_the_endpoint_is_the_one_the_meeting_service_serves() -> None:
    pytest.importorskip("fastapi")
    from anyvideo.meetings.app import PROVIDER_WEBHOOKS

    assert WEBHOOK_PATH == PROVIDER_WEBHOOKS


def test_secrets_are_printed_only_when_asked_for() -> None:
    done = fake(ProvisionRequest("x", "https://x.example"))
    assert "s3cret" not in repr(done) and "***" in repr(done)
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in done.exports().splitlines())
    assert exported["FAKE_SECRET"] == "it's s3cret"
    assert done.to_json()["settings"]["FAKE_SECRET"] == "it's s3cret"


@pytest.mark.parametrize("provisioner", [fake, f"{__name__}:fake"], ids=["function", "path"])
def test_a_registered_provisioner_is_asked(provisioner: Any) -> None:
    plugins = Plugins(extra=[Registers(provisioner)], environ={})
    ASKED.clear()
    done = provision(
        "local", name="clinic", public_url="https://x.example", plugins=plugins, environ={"A": "1"}, region="eu"
    )
    assert done.settings["FAKE_URL"] == "https://x.example/webhooks/provider"
    [asked] = ASKED
    assert (asked.name, asked.settings, asked.environ) == ("clinic", {"region": "eu"}, {"A": "1"})
    assert "local" in provisioners(plugins)


def test_a_backend_without_a_provisioner_says_which_have_one() -> None:
    plugins = Plugins(environ={})
    with pytest.raises(ConfigurationError, match="no provisioner") as refused:
        provision("local", name="x", public_url="https://x.example", plugins=plugins, environ={})
    assert not isinstance(refused.value, BackendNotFound)
    with pytest.raises(BackendNotFound):
        provision("nowhere", name="x", public_url="https://x.example", plugins=plugins, environ={})


@pytest.mark.parametrize("name", ["", "  "])
def test_a_name_is_needed(name: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        provision("local", name=name, public_url="https://x.example", plugins=Plugins(environ={}), environ={})
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    "arguments, code, says",
    [
        (["local", "--public-url", "https://x.example"], 3, "no provisioner"),
        (["nowhere", "--public-url", "https://x.example"], 3, "no backend named 'nowhere'"),
        (["local", "--public-url", "ftp://x.example"], 4, "public_url"),
    ],
)
def test_the_command_exits_with_the_errors_code(arguments: list[str], code: int, says: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYVIDEO_", "VONAGE_", "TWILIO_"))}
    done = subprocess.run(
        [sys.executable, "-m", "anyvideo", "provision", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code and says in done.stderr, done.stderr
