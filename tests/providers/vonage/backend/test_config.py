"""Configuration: keyword settings, the environment, the private key in its forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from support import host_of

import anyvideo
from anyvideo import ConfigurationError, Feature
from anyvideo.testing import Emulator
from anyvideo_vonage import VonageBackend


def _pkcs1(pem: str) -> str:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def test_settings_come_from_the_environment(vonage_emulator: Emulator) -> None:
    environ = {
        "VONAGE_APPLICATION_ID": vonage_emulator.credentials["application_id"],
        "VONAGE_PRIVATE_KEY": vonage_emulator.credentials["private_key"],
        "VONAGE_VIDEO_HOST": host_of(vonage_emulator),
    }
    with anyvideo.connect("vonage", environ=environ) as video:
        assert isinstance(video.backend, VonageBackend)
        assert video.rooms.create("from-env").name == "from-env"


def test_keyword_settings_win_over_the_environment(vonage_emulator: Emulator) -> None:
    environ = {"VONAGE_APPLICATION_ID": "someone-else", "VONAGE_VIDEO_HOST": "example.invalid"}
    with anyvideo.connect(
        "vonage",
        environ=environ,
        application_id=vonage_emulator.credentials["application_id"],
        private_key=vonage_emulator.credentials["private_key"],
        video_host=host_of(vonage_emulator),
    ) as video:
        assert video.backend.transport.video_host == host_of(vonage_emulator)
        video.rooms.create()


def test_unknown_settings_are_named() -> None:
    # (api_key and api_secret are known: the account's, for the Application API and Verify)
    with pytest.raises(ConfigurationError, match="auth_token, colour"):
        anyvideo.connect("vonage", environ={}, application_id="app", private_key="k", colour="red", auth_token="s")


def test_missing_credentials_are_named_by_setting_and_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"application_id \(VONAGE_APPLICATION_ID\).*private_key"):
        anyvideo.connect("vonage", environ={})


def test_a_pkcs1_key_is_accepted(connect_vonage, vonage_emulator: Emulator) -> None:
    video = connect_vonage(private_key=_pkcs1(vonage_emulator.credentials["private_key"]))
    room = video.rooms.create("pkcs1")
    token = video.tokens.create(room, "ann")
    assert video.backend.browser().join(token).identity == "ann"


def test_the_key_may_be_a_file_path(connect_vonage, vonage_emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "private.key"
    path.write_text(vonage_emulator.credentials["private_key"])
    assert connect_vonage(private_key=str(path)).rooms.create("from-file").name == "from-file"


@pytest.mark.parametrize(
    "value, message",
    [
        ("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", "not a readable PEM"),
        ("/no/such/key.pem", "cannot read the key file"),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted"),
    ],
)
def test_an_unusable_key_is_refused_clearly_without_quoting_it(value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        anyvideo.connect("vonage", environ={}, application_id="app", private_key=value)
    assert "not base64" not in str(caught.value) and "AAAA" not in str(caught.value)
    assert caught.value.__cause__ is None


def _bare_key() -> str:
    """A genuine key's text without its PEM armour, on one line or as the PEM wrapped it."""
    from anyvideo_vonage.emulator.auth import ApplicationCredentials

    pem = ApplicationCredentials().private_key
    return "\n".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


@pytest.mark.parametrize("join", ["", "\n"])
def test_a_key_without_its_pem_armour_is_refused_without_quoting_it(join: str) -> None:
    bare = join.join(_bare_key().splitlines())
    with pytest.raises(ConfigurationError, match="without its PEM armour") as caught:
        anyvideo.connect("vonage", environ={}, application_id="app", private_key=bare)
    assert not any(line in str(caught.value) for line in bare.splitlines())
    assert bare[:40] not in str(caught.value)


def test_a_long_path_that_cannot_be_read_is_not_quoted() -> None:
    value = "keys/" + "k" * 300 + ".pem"
    with pytest.raises(ConfigurationError, match="cannot read the key file of 309 characters") as caught:
        anyvideo.connect("vonage", environ={}, application_id="app", private_key=value)
    assert "kkkk" not in str(caught.value)


def test_a_non_rsa_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(ConfigurationError, match="RSA"):
        anyvideo.connect("vonage", environ={}, application_id="app", private_key=pem)


def test_no_secret_in_reprs(video, vonage_emulator: Emulator) -> None:
    key = vonage_emulator.credentials["private_key"]
    body = key.splitlines()[1]
    transport = video.backend.transport
    for thing in (video, video.backend, transport, transport.auth, transport.jwt, transport.rest, transport.calls):
        assert body not in repr(thing)
    token = video.tokens.create(video.rooms.create(), "ann")
    assert token.token not in repr(token)


def test_native_is_the_sdk_client(video) -> None:
    from vonage import Vonage

    assert isinstance(video.native, Vonage)
    assert video.native.video.create_session().session_id  # through the cached auth


def test_features_are_declared(video) -> None:
    for feature in (Feature.SIP_DIAL, Feature.DTMF, Feature.CAPTIONS, Feature.RENDER, Feature.E2EE):
        assert video.supports(feature)
    assert not video.supports(Feature.POST_HOC_COMPOSITION)
    assert not video.supports(Feature.MAX_PARTICIPANTS)


def test_browser_refuses_a_real_platform() -> None:
    from anyvideo_vonage.credentials import load_private_key
    from anyvideo_vonage.emulator.auth import ApplicationCredentials

    backend = VonageBackend("app", load_private_key(ApplicationCredentials().private_key))
    with pytest.raises(ConfigurationError, match="real platform"):
        backend.browser()
