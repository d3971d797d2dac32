"""Twilio errors -> the anyvideo taxonomy, at the backend's edge, once.

Twilio's own error codes are mapped first (data, below), then the HTTP status
(:func:`anyvideo.errors.error_for_status`). The SDK exception is always
chained; its message never carries a credential (Twilio's error bodies do not).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from anyvideo.calls import retry_after
from anyvideo.connections import unreachable
from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    Conflict,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
    error_for_status,
)

__all__ = ["CODES", "MalformedAnswer", "translate", "translating", "translated"]

PROVIDER = "twilio"
T = TypeVar("T")


class MalformedAnswer(ProviderError):
    """Twilio answered, but not as its spec says (a body that is not JSON, a
    field of the wrong type): a provider failure no retry would mend, so it
    keeps the answer's HTTP status once :func:`translating` knows it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, provider=PROVIDER)


#: What the SDK raises when an answer is not the JSON object it expects
#: (``json.loads`` on text, ``payload.get`` on a list, ...).
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)

#: Twilio error code -> how anyvideo reports it. Input errors name the field
#: the caller can fix (InvalidRequest); these are the 400s Twilio catches that
#: anyvideo's own validation does not (or cannot: rules depend on the room).
CODES: dict[int, Callable[[str], AnyVideoError]] = {
    20003: lambda message: AuthenticationError(f"{PROVIDER}: {message}"),
    20404: lambda message: NotFound(f"{PROVIDER}: {message}"),
    20429: lambda message: RateLimited(f"{PROVIDER}: {message}"),
    53101: lambda message: InvalidRequest("name", f"{PROVIDER}: {message}"),
    53107: lambda message: InvalidRequest("max_participants", f"{PROVIDER}: {message}"),
    53108: lambda message: InvalidRequest("provider_options.type", f"{PROVIDER}: {message}"),
    53109: lambda message: InvalidRequest("provider_options", f"{PROVIDER}: {message}"),
    53113: lambda message: Conflict(f"{PROVIDER}: {message}"),  # room exists
    53114: lambda message: InvalidRequest("provider_options.type", f"{PROVIDER}: {message}"),
    53115: lambda message: InvalidRequest("provider_options.media_region", f"{PROVIDER}: {message}"),
    53118: lambda message: Conflict(f"{PROVIDER}: {message}"),  # room completed
    53120: lambda message: InvalidRequest("rules", f"{PROVIDER}: {message}"),  # recording rules
    53215: lambda message: InvalidRequest("rules", f"{PROVIDER}: {message}"),  # subscribe rules
}


def translate(exc: Exception, headers: dict[str, str] | None = None) -> AnyVideoError:
    """The taxonomy's error for an SDK or transport exception (not raised: chain it yourself)."""
    headers = headers or {}
    request_id = headers.get("twilio-request-id")
    if isinstance(exc, TwilioRestException):
        message = exc.msg if isinstance(exc.msg, str) else str(exc.msg)
        if exc.status == 429 or exc.code == 20429:
            return RateLimited(f"{PROVIDER}: {message}", retry_after=retry_after(headers.get("retry-after")))
        make = CODES.get(exc.code) if isinstance(exc.code, int) else None
        if make is not None:
            return make(message)
        code = None if exc.code is None else str(exc.code)
        return error_for_status(exc.status, message, provider=PROVIDER, code=code, request_id=request_id)
    page_failure = _failed_page(exc)
    if page_failure is not None:
        return translate(page_failure, headers)
    if isinstance(exc, requests.RequestException):
        status = exc.response.status_code if exc.response is not None else None
        if status is not None:
            return error_for_status(status, f"media download failed: {type(exc).__name__}", provider=PROVIDER)
        return unreachable(exc, provider=PROVIDER) or ProviderError(
            f"could not reach Twilio: {type(exc).__name__}", provider=PROVIDER
        )
    return ProviderError(f"unexpected answer: {exc}", provider=PROVIDER, request_id=request_id)


@contextlib.contextmanager
def translating(
    headers: Callable[[], dict[str, str]] = dict, status: Callable[[], int | None] = lambda: None
) -> Iterator[None]:
    """Run a block of SDK calls; their exceptions come out as anyvideo errors, chained.

    ``headers`` gives the last answer's headers (request id, Retry-After),
    ``status`` its HTTP status: an answer anyvideo could not read keeps it,
    so it is not taken for a lost answer (which would be tried again)."""
    try:
        yield
    except MalformedAnswer as exc:
        if exc.status is None:
            exc.status = status()
        raise
    except AnyVideoError:
        raise
    except (TwilioException, requests.RequestException) as exc:
        raise translate(exc, headers()) from exc
    except _PARSE_ERRORS as exc:  # the SDK choked on the answer's body
        error = MalformedAnswer(f"answered something that is not what its spec says ({type(exc).__name__})")
        error.status = status()
        raise error from exc


def translated(make: Callable[[], Iterable[T]], headers: Callable[[], dict[str, str]] = dict) -> Iterator[T]:
    """The items of ``make()`` (a lazy SDK stream), with its exceptions translated
    as they happen; ``make`` is only called when the first item is wanted."""
    with translating(headers):
        iterator = iter(make())
    while True:
        with translating(headers):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def _failed_page(exc: Exception) -> TwilioRestException | None:
    """The SDK reports a list page it could not fetch as ``TwilioException("Unable
    to fetch page", response)``: read Twilio's error body out of that response."""
    if type(exc) is not TwilioException or len(exc.args) != 2 or not hasattr(exc.args[1], "status_code"):
        return None
    response = exc.args[1]
    try:
        body = json.loads(response.text)
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return TwilioRestException(
        response.status_code, "", body.get("message", "unable to fetch a page"), body.get("code")
    )
