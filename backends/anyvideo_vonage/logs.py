"""Keeps credentials out of the SDK's log records.

The SDK's HTTP client logs every request at DEBUG with its shared headers
dict (which holds the ``Authorization`` of the previous request) and its
body (which, for SIP dial, captions and Experience Composer, holds a client
token). anyvideo installs one :class:`RedactCredentials` filter on the SDK's
``vonage`` logger: records still appear, with every JWT and bearer value
replaced by ``<redacted>``. A filter (rather than raising the logger's
level) keeps the SDK's debugging output for applications that want it and
changes nothing else in their logging configuration.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["RedactCredentials", "install"]

#: The loggers the SDK and its HTTP client write to.
SDK_LOGGERS = ("vonage",)

_PATTERNS = (
    # a JWT: three base64url parts, the first a JSON object ("eyJ" is '{"' encoded)
    re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    # an Authorization header's value, whatever its scheme
    re.compile(r"(?i)(['\"]?(?:authorization|x-opentok-auth)['\"]?\s*[:=]\s*b?['\"]?)[^'\",}]+"),
    # PEM blocks
    re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.S),
)
_install_lock = threading.Lock()


def redact(text: str) -> str:
    text = _PATTERNS[0].sub("<redacted>", text)
    text = _PATTERNS[1].sub(lambda m: m.group(1) + "<redacted>", text)
    return _PATTERNS[2].sub("<redacted key>", text)


class RedactCredentials(logging.Filter):
    """Rewrites a record's message with every credential replaced; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging system's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Add the filter to the SDK's loggers, once per process."""
    with _install_lock:
        for name in SDK_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactCredentials) for f in logger.filters):
                logger.addFilter(RedactCredentials())
