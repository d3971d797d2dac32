"""``anyvideo provision vonage`` against the emulator's Application API: the application it
makes is one ``anyvideo demo`` then runs on, with its callbacks at the app; run twice, one
application in the same state; ``--rotate-key``, the old key refused and the new one working."""

from __future__ import annotations

import base64
import json
import logging
import shlex
import stat
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.receiver import Receiver

import anyvideo
from anyvideo import AuthenticationError, InvalidRequest
from anyvideo.cli import cli
from anyvideo.provisioning import WEBHOOK_PATH, provision
from anyvideo_vonage.provision import VIDEO_WEBHOOKS


@pytest.fixture
def emulator(anyvideo_emulator: Any) -> Any:
    """The emulator, processing media at once: ``anyvideo demo`` waits for it in real time."""
    return anyvideo_emulator("vonage", processing_delay=0.05)


@pytest.fixture
def account(emulator: Any) -> dict[str, str]:
    """The account's environment: API key and secret, the emulator's host and CA."""
    environment = emulator.app_environment
    names = ("VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_VIDEO_HOST", "REQUESTS_CA_BUNDLE")
    return {name: environment[name] for name in names}


@pytest.fixture
def receiver() -> Any:
    with Receiver() as running:
        yield running


def _exports(text: str) -> dict[str, str]:
    settings = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            settings[name] = shlex.split(value)[0]
    return settings


def _provision(runner: CliRunner, account: dict[str, str], *arguments: str) -> dict[str, str]:
    result = runner.invoke(cli, ["provision", "vonage", *arguments], env=account, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return _exports(result.output)


def test_provision_then_demo_with_callbacks_at_the_app(emulator, account, receiver, tmp_path) -> None:
    runner = CliRunner()
    key_file = tmp_path / "clinic.key"
    public_url = receiver.url("/clinic")
    settings = _provision(runner, account, "--name", "clinic", "--public-url", public_url, "--key-file", str(key_file))

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings["VONAGE_PRIVATE_KEY"] == str(key_file.resolve())
    application = emulator.applications.get(settings["VONAGE_APPLICATION_ID"])
    assert application.name == "clinic" and "PRIVATE" not in application.public_key
    hooks = application.capabilities["video"]["webhooks"]
    assert hooks == {slot: {"address": public_url + WEBHOOK_PATH, "active": True} for slot in VIDEO_WEBHOOKS}

    environment = {**settings, "REQUESTS_CA_BUNDLE": account["REQUESTS_CA_BUNDLE"]}
    demo = runner.invoke(cli, ["demo"], env=environment, catch_exceptions=False)
    assert demo.exit_code == 0, demo.output
    assert "recording downloaded" in demo.output

    emulator.callbacks.flush()
    received = receiver.bodies("/clinic" + WEBHOOK_PATH)
    events = {body.get("event") for body in received}
    assert {"connectionCreated", "streamCreated", "archive"} <= events
    monitoring = [body for body in received if "projectId" in body]
    assert {body["projectId"] for body in monitoring} == {settings["VONAGE_APPLICATION_ID"]}


def test_run_twice_one_application_same_state(emulator, account, tmp_path) -> None:
    runner = CliRunner()
    arguments = ("--name", "clinic", "--public-url", "https://clinic.example", "--key-file", str(tmp_path / "k.pem"))
    first = _provision(runner, account, *arguments)
    before = emulator.applications.get(first["VONAGE_APPLICATION_ID"]).json()
    key = (tmp_path / "k.pem").read_bytes()

    second = _provision(runner, account, *arguments)

    assert second == first
    own = emulator.application.application_id
    assert [a.id for a in emulator.applications.all()] == [own, first["VONAGE_APPLICATION_ID"]]
    assert emulator.applications.get(first["VONAGE_APPLICATION_ID"]).json() == before
    assert (tmp_path / "k.pem").read_bytes() == key  # never overwritten without --rotate-key


def test_rotate_key_refuses_the_old_key_and_takes_the_new(emulator, account, tmp_path) -> None:
    runner = CliRunner()
    key_file = tmp_path / "clinic.key"
    arguments = ("--name", "clinic", "--public-url", "https://clinic.example", "--key-file", str(key_file))
    settings = _provision(runner, account, *arguments)
    old_key = key_file.read_text()
    host = {"video_host": account["VONAGE_VIDEO_HOST"], "application_id": settings["VONAGE_APPLICATION_ID"]}
    with anyvideo.connect("vonage", private_key=old_key, retries=0, **host) as old:
        old.rooms.create("before")

        rotated = _provision(runner, account, *arguments, "--rotate-key")

        assert rotated["VONAGE_APPLICATION_ID"] == settings["VONAGE_APPLICATION_ID"]
        assert key_file.read_text() != old_key and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert not key_file.with_name("clinic.key.new").exists()
        with pytest.raises(AuthenticationError):
            old.rooms.create("after")  # the same JWT as before: refused from the rotation on
    with anyvideo.connect("vonage", private_key=str(key_file), **host) as new:
        assert new.rooms.create("after").name == "after"


def test_a_lost_key_file_is_not_replaced_silently(emulator, account, tmp_path) -> None:
    environ = {**account}
    options = {"name": "clinic", "public_url": "https://clinic.example", "environ": environ}
    provision("vonage", key_file=tmp_path / "a.key", **options)
    with pytest.raises(InvalidRequest, match="rotate"):
        provision("vonage", key_file=tmp_path / "elsewhere.key", **options)
    assert not (tmp_path / "elsewhere.key").exists()


def test_phone_adds_the_voice_capability_and_keeps_the_others(emulator, account, tmp_path) -> None:
    options = {"name": "clinic", "public_url": "https://clinic.example/", "environ": account}
    done = provision("vonage", key_file=tmp_path / "a.key", phone=True, **options)
    application = emulator.applications.get(done.settings["VONAGE_APPLICATION_ID"])
    voice = application.capabilities["voice"]["webhooks"]
    assert voice["answer_url"] == {"address": "https://clinic.example/webhooks/provider", "http_method": "POST"}
    assert "secret" not in repr(done).lower() or "***" in repr(done)
    assert json.loads(json.dumps(done.to_json()))["created"] is True


def test_bad_public_url_is_refused_before_any_request(emulator, account, tmp_path) -> None:
    with pytest.raises(InvalidRequest) as refused:
        provision("vonage", name="x", public_url="ftp://nowhere", key_file=tmp_path / "k", environ=account)
    assert refused.value.field == "public_url"
    assert [a.id for a in emulator.applications.all()] == [emulator.application.application_id]


def test_the_accounts_secret_is_never_logged(emulator, account, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    provision("vonage", name="x", public_url="https://x.example", key_file=tmp_path / "k", environ=account)
    basic = base64.b64encode(f"{account['VONAGE_API_KEY']}:{account['VONAGE_API_SECRET']}".encode()).decode()
    assert caplog.records and account["VONAGE_API_SECRET"] not in caplog.text and basic not in caplog.text
    assert "PRIVATE KEY" not in caplog.text


def test_an_existing_key_file_is_uploaded_not_replaced(emulator, account, tmp_path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_file = tmp_path / "mine.key"
    key_file.write_bytes(pem)
    done = provision("vonage", name="x", public_url="https://x.example", key_file=key_file, environ=account)
    uploaded = emulator.applications.get(done.settings["VONAGE_APPLICATION_ID"]).public_key
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert uploaded == public.decode() and key_file.read_bytes() == pem
