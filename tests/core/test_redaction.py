"""One redaction rule for logs, reprs and messages."""

from __future__ import annotations

import logging

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from anyvideo.redaction import REDACTED, get_logger, install, redact, register_credential_field, register_secret


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_private_key_is_hidden(pem: str) -> None:
    text = redact(f"loaded key {pem} from env")
    assert "PRIVATE KEY" not in text and "<redacted key>" in text


def test_a_jwt_is_hidden() -> None:
    token = jwt.encode({"application_id": "app", "jti": "x"}, "s" * 32, algorithm="HS256")
    assert redact(f"token={token}!") == f"token={REDACTED}!"


@pytest.mark.parametrize(
    "line",
    [
        "{'Authorization': 'Bearer abc.def', 'User-Agent': 'x'}",
        '"authorization": "Basic QUM6c2VjcmV0"',
        "auth_token=0123456789abcdef0123456789abcdef",
    ],
)
def test_credential_header_values_are_hidden(line: str) -> None:
    cleaned = redact(line)
    assert REDACTED in cleaned
    assert not any(secret in cleaned for secret in ("abc.def", "QUM6c2VjcmV0", "sometokenvalue", "0123456789abcdef0"))


def test_a_registered_credential_field_is_hidden() -> None:
    assert "sometokenvalue" in redact("X-ACME-AUTH: sometokenvalue")
    register_credential_field("X-Acme-Auth")
    assert redact("X-ACME-AUTH: sometokenvalue") == f"X-ACME-AUTH: {REDACTED}"
    assert redact("{'x-acme-auth': 'sometokenvalue'}") == f"{{'x-acme-auth': '{REDACTED}'}}"


def test_a_registered_secret_is_hidden_wherever_it_appears() -> None:
    register_secret("tw1l10-4uth-t0k3n-value")
    assert redact("url?token=tw1l10-4uth-t0k3n-value&x=1") == f"url?token={REDACTED}&x=1"


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    assert redact("abc") == "abc"


def test_a_filtered_logger_writes_clean_records(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("s3cr3t-api-secret")
    install(["some_sdk.http"])
    with caplog.at_level(logging.DEBUG, logger="some_sdk.http"):
        logging.getLogger("some_sdk.http").debug("headers %s", {"api_secret": "s3cr3t-api-secret"})
    assert "s3cr3t-api-secret" not in caplog.text and REDACTED in caplog.text


def test_a_traceback_is_cleaned_too(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("traceback-secret-value")
    log = get_logger("anyvideo.test")
    with caplog.at_level(logging.DEBUG, logger="anyvideo.test"):
        try:
            raise ValueError("failed with traceback-secret-value")
        except ValueError:
            log.exception("boom")
    assert "traceback-secret-value" not in caplog.text


@given(st.text())
def test_redacting_never_fails_and_is_stable(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
