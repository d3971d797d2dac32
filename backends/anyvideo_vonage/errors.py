"""Vonage's error answers -> the anyvideo taxonomy, in one place.

Both ways anyvideo reaches the provider end here: the SDK's exceptions (which
carry the ``requests`` response, or, for the conflicts the SDK re-raises as
its own ``VideoError``, chain it) and the answers of the REST helper. The
provider's code is mapped first where it says more than the status; every
other answer falls back to :func:`anyvideo.errors.error_for_status`. Messages
are built from the provider's ``message``, status and code only, never from
the request (which carries tokens).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
import urllib3
from pydantic import ValidationError
from vonage_http_client.errors import HttpRequestError
from vonage_utils.errors import VonageError

from anyvideo.calls import retry_after
from anyvideo.connections import unreachable
from anyvideo.errors import AnyVideoError, Conflict, ProviderError, error_for_status

__all__ = ["PROVIDER", "SDK_ERRORS", "from_answer", "from_sdk", "translating"]

PROVIDER = "vonage"

#: Provider codes that decide the error class whatever the status says (from the
#: provider's error bodies in ``samples/vonage``).
CODE_ERRORS: Mapping[int, type[AnyVideoError]] = {
    15002: Conflict,  # an archive that is not started, paused or stopped cannot be stopped
    15004: Conflict,  # an archive that is not available, uploaded or deleted cannot be deleted
    60003: Conflict,  # live captions already enabled in the session
}

#: Headers that may carry the provider's request id.
_REQUEST_ID_HEADERS = ("X-Request-Id", "X-Vonage-Request-Id", "X-Opentok-Request-Id")


def from_answer(status: int, body: bytes | str | None, headers: Mapping[str, str]) -> AnyVideoError:
    """The error for one of the provider's error answers."""
    message, code = _reason(body)
    request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if headers.get(h)), None)
    numeric = code if isinstance(code, int) else None
    if numeric is not None and numeric in CODE_ERRORS and status != 429:
        return CODE_ERRORS[numeric](f"{PROVIDER}: {message} (code {numeric})")
    return error_for_status(
        status,
        message or f"the provider answered {status}",
        provider=PROVIDER,
        code=None if code is None else str(code),
        request_id=request_id,
        retry_after=retry_after(headers.get("Retry-After")),
    )


def from_sdk(exc: BaseException) -> AnyVideoError:
    """The error for an exception the SDK raised; the caller chains ``exc``."""
    answer = _response_of(exc)
    if answer is not None:
        return from_answer(answer.status_code, answer.content, answer.headers)
    if isinstance(exc, requests.RequestException):
        return unreachable(exc, provider=PROVIDER) or ProviderError(
            f"the request failed: {_failure(exc)}", provider=PROVIDER
        )
    if isinstance(exc, ValidationError):
        # the SDK's models refused the provider's answer (a value it does not know)
        return ProviderError("answered something the SDK could not read", provider=PROVIDER)
    return ProviderError(f"the SDK failed: {type(exc).__name__}", provider=PROVIDER)


def _failure(exc: requests.RequestException) -> str:
    """What went wrong once connected, by type names only (the messages quote URLs): with
    urllib3 told not to retry, a read timeout reaches ``requests`` as a ``ConnectionError``
    around the timeout."""
    name = type(exc).__name__
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError carries the cause
    if isinstance(exc, requests.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return f"timed out ({name}: {type(reason).__name__ if isinstance(reason, Exception) else name})"
    if isinstance(reason, Exception):
        return f"{name} ({type(reason).__name__})"
    return name


def _response_of(exc: BaseException | None) -> requests.Response | None:
    """The provider's answer behind ``exc``: its own, or that of the exception it was raised from
    (the SDK turns a 409 into a ``VideoError`` raised while handling the ``HttpRequestError``)."""
    seen = 0
    while exc is not None and seen < 3:
        if isinstance(exc, HttpRequestError):
            response: requests.Response = exc.response
            return response
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _reason(body: bytes | str | None) -> tuple[str, Any]:
    if not body:
        return "", None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        return text.strip()[:300], None
    if not isinstance(data, dict):
        return "", None
    message = data.get("message") or data.get("description") or data.get("error") or ""
    return str(message), data.get("code")


#: Every exception the SDK (or the HTTP stack under it) may raise.
SDK_ERRORS: tuple[type[BaseException], ...] = (VonageError, requests.RequestException, ValidationError)


class translating:  # noqa: N801 - used as a function: ``with translating():``
    """SDK calls inside come out with anyvideo errors, the SDK's exception chained. (A class, not a
    generator: every try of every request enters one.)"""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None and isinstance(exc, SDK_ERRORS):
            raise from_sdk(exc) from exc
