"""Status callbacks as Twilio sends them: form-encoded parameters, signed with
``X-Twilio-Signature`` = Base64(HMAC-SHA1(auth token, URL + each parameter
name and value, sorted by name)). A ``GET`` callback carries the parameters
in its query string and signs the whole URL with no parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime

from anyvideo.testing.callbacks import Callbacks

__all__ = ["send", "sign", "timestamp"]

USER_AGENT = "TwilioProxy/1.1"


def sign(url: str, params: Mapping[str, str], auth_token: str) -> str:
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def timestamp(moment: datetime) -> str:
    """Callback time: ISO 8601 UTC with milliseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def send(callbacks: Callbacks, url: str, method: str, params: Mapping[str, str], auth_token: str) -> None:
    """Queue one signed status callback (``method`` ``POST`` or ``GET``)."""
    body = urllib.parse.urlencode(params)
    headers = {"User-Agent": USER_AGENT}
    if method.upper() == "GET":
        signed = f"{url}{'&' if '?' in url else '?'}{body}"
        headers["X-Twilio-Signature"] = sign(signed, {}, auth_token)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["X-Twilio-Signature"] = sign(url, params, auth_token)
    callbacks.send(url, body.encode(), headers, method)
