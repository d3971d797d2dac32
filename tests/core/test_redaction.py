"""One redaction rule for logs, reprs and messages."""

from __future__ import annotations

import logging

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from anyvideo.redaction import (
    REDACTED,
    get_logger,
    install,
    redact,
    register_credential_field,
    register_secret,
    unsign_urls,
)


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


SIGNED = [
    "https://bucket.s3.amazonaws.com/a/b.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE"
    "&X-Amz-Date=20261206T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature=0123abcd",
    "https://d111.cloudfront.net/x.mp4?Expires=1700000000&Signature=Zm9v~YmFy__&Key-Pair-Id=APKAEXAMPLE",
    "https://127.0.0.1:8443/v2/project/app/archive/a1/archive.mp4?expires=1700000000&signature=deadbeef",
    "https://storage.googleapis.com/b/o.webm?X-Goog-Algorithm=GOOG4&X-Goog-Credential=sa%40p&X-Goog-Signature=c0ffee",
]


@pytest.mark.parametrize("url", SIGNED)
def test_a_pre_signed_urls_signature_is_hidden_in_what_is_logged(url: str) -> None:
    cleaned = redact(f"GET {url} -> 302")
    assert url.split("?")[0] in cleaned and REDACTED in cleaned
    assert not any(secret in cleaned for secret in ("0123abcd", "Zm9v~YmFy__", "deadbeef", "c0ffee", "AKIAEXAMPLE"))


@pytest.mark.parametrize("url", SIGNED)
def test_a_pre_signed_url_is_stored_without_its_query(url: str) -> None:
    stored = unsign_urls({"files": [{"url": url, "size": 3}], "status": "available"})
    assert stored == {"files": [{"url": url.split("?")[0], "size": 3}], "status": "available"}


@pytest.mark.parametrize(
    "value", ["https://example.com/recordings?page=2&status=completed", "signature=abc is not a URL", 7, None]
)
def test_what_is_not_a_pre_signed_url_is_stored_as_it_is(value: object) -> None:
    assert unsign_urls([value]) == [value]
