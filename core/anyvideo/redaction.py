"""One rule for keeping secrets out of everything anyvideo writes: log lines
(its own and the provider SDKs'), reprs and error messages.

What is hidden: PEM blocks (private keys), JWTs (application and client
tokens), the value of ``Authorization``-like headers whatever their scheme,
the signature of a pre-signed media URL (whoever holds it can download),
and every secret a backend registers by value (auth tokens, API secrets,
signature secrets), which no pattern could recognise.

Backends call :func:`register_secret` for each secret they are configured
with, :func:`register_credential_field` for each header or field name of
their provider that carries a credential, and :func:`install` on the loggers
of their SDK; anyvideo's own modules
take their loggers from :func:`get_logger`. The filter rewrites a record's
message and never drops a record, so an application's logging configuration
keeps working and the SDK's debugging output stays useful.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "RedactSecrets",
    "get_logger",
    "install",
    "redact",
    "register_credential_field",
    "register_secret",
    "unsign_urls",
]

REDACTED = "<redacted>"

#: Secrets shorter than this are not registered: hiding every "abc" would
#: shred log lines and protect nothing.
MIN_SECRET = 8

_KEY_AND_TOKEN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----", re.S), "<redacted key>"),
    # a JWT: three base64url parts, the first a JSON object ('{"' encodes to "eyJ")
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
)

#: Query parameters that make a URL a credential: object stores' pre-signed URLs
#: (S3 SigV2/SigV4, CloudFront, Google Cloud Storage, Azure SAS).
URL_SIGNATURE_PARAMETERS = frozenset(
    {
        "signature",
        "sig",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "key-pair-id",
        "policy",
    }
)
_URL_SIGNATURE = re.compile(
    r"(?i)([?&](?:" + "|".join(re.escape(p) for p in sorted(URL_SIGNATURE_PARAMETERS)) + r")=)[^&#\s'\"]+"
)
_SIGNED_URL = re.compile(
    r"(?i)^https?://[^?#\s]+\?[^#\s]*\b(?:" + "|".join(re.escape(p) for p in sorted(URL_SIGNATURE_PARAMETERS)) + r")="
)

#: Names of headers and fields whose value is a credential, whatever the provider.
_CREDENTIAL_FIELDS = {"authorization", "auth_token", "api_secret", "password"}


def _field_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """The value of a credential-carrying header or field, quoted or not."""
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?i)(['\"]?(?:{alternatives})['\"]?\s*[:=]\s*b?['\"]?)(?:(?:bearer|basic)\s+)?[^'\",}}\s]+")


_lock = threading.Lock()
_values: set[str] = set()
_fields = _field_pattern(_CREDENTIAL_FIELDS)


def register_credential_field(name: str) -> None:
    """Hide the value of the header or field ``name`` (any case) wherever it is written,
    e.g. a provider's own authentication header."""
    global _fields
    with _lock:
        _CREDENTIAL_FIELDS.add(name.lower())
        _fields = _field_pattern(_CREDENTIAL_FIELDS)


def register_secret(value: str | None) -> None:
    """Hide ``value`` wherever it appears in what anyvideo writes, from now on."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _values.add(value)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every credential replaced; ``extra`` are more secrets to hide."""
    for pattern, replacement in _KEY_AND_TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    text = _fields.sub(r"\1" + REDACTED, text)
    text = _URL_SIGNATURE.sub(r"\1" + REDACTED, text)
    with _lock:
        known = sorted({*_values, *(v for v in extra if v and len(v) >= MIN_SECRET)}, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def unsign_urls(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every pre-signed URL cut back to
    the URL without its query, which names the object but grants nothing. For what is
    stored, such as an export's copy of a provider's payload."""
    if isinstance(value, str):
        return value.split("?", 1)[0] if _SIGNED_URL.match(value) else value
    if isinstance(value, Mapping):
        return {key: unsign_urls(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [unsign_urls(item) for item in value]
    return value


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with its credentials hidden; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging system's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # The traceback is formatted later, by a handler: format it now, cleaned.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install(logger_names: Iterable[str]) -> None:
    """Put the filter on each named logger (once). A filter acts on records
    logged to that very logger, so name every logger the SDK writes to."""
    with _lock:
        for name in logger_names:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactSecrets) for f in logger.filters):
                logger.addFilter(RedactSecrets())


def get_logger(name: str) -> logging.Logger:
    """An anyvideo logger, with the filter on it."""
    install([name])
    return logging.getLogger(name)
