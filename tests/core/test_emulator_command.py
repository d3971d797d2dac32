"""``anyvideo emulator NAME``, run as a user runs it: the settings each emulator
declares are options, and what it prints is every setting an application needs."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import jwt
import pytest
import requests
from vonage import Auth, HttpClientOptions, Vonage
from vonage_video.models import TokenOptions

from anyvideo.testing.server import TRUSTME_MISSING

COMMAND = [sys.executable, "-c", "from anyvideo.cli import main; main()", "emulator"]


@attrs.frozen
class Served:
    url: str
    exports: dict[str, str]
    stdout: list[str]


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    """``anyvideo emulator *args`` running; what it printed up to its control API line."""
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = []
        for line in iter(process.stdout.readline, ""):
            lines.append(line.rstrip("\n"))
            if line.startswith("control API"):
                break
        assert lines and lines[-1].startswith("control API"), lines
        exports = {}
        for line in lines:
            if line.strip().startswith("export "):
                key, _, value = line.strip().removeprefix("export ").partition("=")
                exports[key] = shlex.split(value)[0]
        yield Served(lines[0].split()[-1], exports, lines)
    finally:
        process.terminate()
        process.communicate(timeout=30)


def run(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}from anyvideo.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "emulator", *args], capture_output=True, text=True, timeout=60, check=False
    )


def stderr_of(*args: str) -> str:
    """What ``anyvideo emulator *args`` says on stderr before it is stopped."""
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in iter(process.stdout.readline, ""):
        if line.startswith("control API"):
            break
    process.terminate()
    return process.communicate(timeout=30)[1]


def test_vonage_takes_its_credentials_and_callback_settings_and_prints_every_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api_key, api_secret, secret = "46123456", "a-project-secret-from-the-command-line", "sig-" + uuid.uuid4().hex
    every, archive = "http://127.0.0.1:9/every", "http://127.0.0.1:9/archive"
    args = ["--api-key", api_key, "--api-secret", api_secret, "--callback-url", every]
    args += ["--archive-callback-url", archive, "--signature-secret", secret]
    with serving("vonage", *args) as served:
        exports, url = served.exports, served.url
        assert url.startswith("https://127.0.0.1:")
        assert exports["VONAGE_API_KEY"] == api_key and exports["VONAGE_API_SECRET"] == api_secret
        assert exports["VONAGE_SIGNATURE_SECRET"] == secret
        assert exports["VONAGE_VIDEO_HOST"] == url.removeprefix("https://")
        registry = Path(exports["ANYVIDEO_REGISTRY"])
        assert registry.parent == Path(exports["VONAGE_PRIVATE_KEY"]).parent and registry.parent.is_dir()
        ca = exports["REQUESTS_CA_BUNDLE"]

        settings = requests.get(f"{url}/_emulator/vonage/callbacks", verify=ca, timeout=10).json()
        assert settings == {"session": every, "archive": archive, "broadcast": every, "render": every, "signed": True}

        # The project credentials, in the legacy header a client of that mode sends.
        now = int(time.time())
        claims = {"iss": api_key, "ist": "project", "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
        legacy = {"X-OPENTOK-AUTH": jwt.encode(claims, api_secret, algorithm="HS256")}
        created = requests.post(f"{url}/session/create", headers=legacy, data={}, verify=ca, timeout=10)
        assert created.status_code == 200, created.text

        # The application credentials, through the official SDK, trusting the printed CA bundle.
        key = Path(exports["VONAGE_PRIVATE_KEY"]).read_text(encoding="utf-8")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)
        video = Vonage(
            Auth(application_id=exports["VONAGE_APPLICATION_ID"], private_key=key),
            HttpClientOptions(video_host=exports["VONAGE_VIDEO_HOST"]),
        ).video
        session_id = video.create_session().session_id
        token = video.generate_client_token(TokenOptions(session_id=session_id)).decode()
        joined = requests.post(f"{url}/_emulator/join", json={"token": token}, verify=ca, timeout=10)
        assert joined.status_code == 200, joined.text

        # Session monitoring went to the URL every kind has, signed with the given secret.
        [first, *_] = requests.get(f"{url}/_emulator/callbacks", verify=ca, timeout=10).json()
        assert first["url"] == every and json.loads(first["body"])["event"] == "sessionCreated"
        scheme, signature = first["headers"]["Authorization"].split(" ")
        assert scheme == "Bearer" and jwt.decode(signature, secret, algorithms=["HS256"])


def test_vonage_without_settings_makes_and_prints_both_credential_modes() -> None:
    with serving("vonage") as served:
        exports = served.exports
        assert exports["VONAGE_API_KEY"].isdigit() and len(exports["VONAGE_API_SECRET"]) >= 32
        assert uuid.UUID(exports["VONAGE_APPLICATION_ID"])
        assert "VONAGE_SIGNATURE_SECRET" not in exports  # callbacks are unsigned until a secret is set
        assert Path(exports["ANYVIDEO_REGISTRY"]).name == "registry.sqlite"


def test_twilio_takes_its_credentials_and_the_sdk_uses_what_it_prints() -> None:
    from twilio.rest import Client

    account, key = "AC" + uuid.uuid4().hex, "SK" + uuid.uuid4().hex
    token, key_secret = uuid.uuid4().hex, uuid.uuid4().hex
    args = ["--account-sid", account, "--auth-token", token, "--api-key-sid", key, "--api-key-secret", key_secret]
    with serving("twilio", *args) as served:
        exports = served.exports
        assert (exports["TWILIO_ACCOUNT_SID"], exports["TWILIO_AUTH_TOKEN"]) == (account, token)
        assert (exports["TWILIO_API_KEY_SID"], exports["TWILIO_API_KEY_SECRET"]) == (key, key_secret)
        assert exports["TWILIO_VIDEO_BASE_URL"] == served.url and "ANYVIDEO_REGISTRY" in exports
        for user, password in ((key, key_secret), (account, token)):
            client = Client(user, password, account, environment={"ANYVIDEO": "test"})
            client.video.base_url = served.url
            room = client.video.v1.rooms.create(unique_name=f"by-{user[:2]}")
            assert room.account_sid == account


def test_an_option_the_emulator_does_not_take_is_a_usage_error() -> None:
    result = run("twilio", "--api-secret", "s")
    assert result.returncode == 2 and "the twilio emulator takes no --api-secret option" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_value_of_the_wrong_form_is_a_usage_error_that_names_the_option() -> None:
    result = run("twilio", "--account-sid", "ACnope")
    assert result.returncode == 2 and "Invalid value for '--account-sid'" in result.stderr
    assert "AC and 32 hex digits" in result.stderr


def test_the_help_lists_each_emulators_settings_with_the_emulators_that_take_them() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert "--api-key VALUE" in result.stdout and "[vonage]" in result.stdout and "[twilio]" in result.stdout
    assert "--session-callback-url" in result.stdout and "--signature-secret" in result.stdout


def test_vonage_over_plain_http_says_the_sdk_cannot_use_it_and_what_can() -> None:
    with serving("vonage", "--no-tls") as served:
        assert served.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{served.url}/_emulator/callbacks", timeout=10).json() == []
    said = stderr_of("vonage", "--no-tls")
    [warning] = said.splitlines()
    assert warning.startswith("warning: the vonage SDK only speaks HTTPS")
    assert "control API" in warning and "requests" in warning


def test_twilio_over_plain_http_has_nothing_to_warn_about() -> None:
    assert stderr_of("twilio") == ""


def test_without_trustme_https_is_one_clear_line_and_the_configuration_exit_code() -> None:
    result = run("vonage", prelude="import sys; sys.modules['trustme'] = None; ")
    assert result.returncode == 3  # a ConfigurationError (docs/cli.md)
    assert result.stderr == f"error: {TRUSTME_MISSING}\n"
    assert TRUSTME_MISSING == 'the emulator\'s HTTPS needs trustme: pip install "anyvideo[testing]"'


@pytest.mark.parametrize("name", ["vonage", "twilio"])
def test_secrets_given_as_settings_are_in_no_repr(name: str) -> None:
    from anyvideo.plugins import Plugins

    cls = Plugins().emulator(name)
    values = {s.option: f"{s.option}-{uuid.uuid4().hex}" for s in cls.command_settings if not s.pattern}
    with cls(**cls.options_from_settings(values)) as emulator:
        shown = repr(emulator) + repr(vars(emulator).get("callback_settings")) + repr(vars(emulator).get("creds"))
    secrets = [values[s.option] for s in cls.command_settings if s.secret]
    assert secrets and not any(secret in shown for secret in secrets)


#: A plugin whose emulator (Twilio's, under another name) declares a setting of its own.
PLUGIN = """
import anyvideo
from anyvideo.testing.server import EmulatorSetting
from anyvideo_twilio.emulator import TwilioEmulator


class EchoEmulator(TwilioEmulator):
    name = "echo"
    command_settings = (EmulatorSetting("greeting", "greeting", "What it says.", secret=True),)

    def __init__(self, *, greeting=None, **options):
        super().__init__(**options)
        self.greeting = greeting or "hello"

    @property
    def backend_environment(self):
        return {"ECHO_GREETING": self.greeting}


@anyvideo.hookimpl
def anyvideo_register_emulators(register):
    register("echo", EchoEmulator)
"""


def test_a_plugins_emulator_gets_its_settings_as_options_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "anyvideo_echo").mkdir()
    (tmp_path / "anyvideo_echo" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    info = tmp_path / "anyvideo_echo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: anyvideo_echo\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[anyvideo]\necho = anyvideo_echo\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANYVIDEO_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *(entry for entry in sys.path if entry)])
    process = subprocess.Popen(
        [*COMMAND, "echo", "--greeting", "bonjour"], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert lines[0].startswith("echo emulator listening at http://") and lines[2] == "  export ECHO_GREETING=bonjour\n"
    shown = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert "--greeting VALUE" in shown.stdout and "[echo] What it says." in shown.stdout
