"""Every 4xx and 5xx as ``application/problem+json`` (RFC 9457), naming the field or the reason.

Bad JSON is a 400, a body that does not fit the schema (wrong types, unknown or missing
fields) a 422 listing each field, a body over the limit a 413, before any of it is parsed.

An anyvideo error an endpoint does not answer itself is answered by its kind
(:data:`LIBRARY_STATUSES`): a provider that cannot be reached now, slows the service down or
does not answer in time is a 503 (with ``Retry-After`` when the provider said when), one that
fails otherwise a 502, what the backend cannot do a 400 naming the backend.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

import requests
import urllib3.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from anyvideo.connections import causes
from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
    Unreachable,
    UnsupportedFeature,
    WaitTimeout,
)

__all__ = ["LIBRARY_STATUSES", "BodyLimit", "ProblemError", "install", "library_problem", "problem_response"]

CONTENT_TYPE = "application/problem+json"
log = logging.getLogger("anyvideo.meetings")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ProblemError(Exception):
    """Raised by the service to answer ``status`` with a problem naming ``field`` (if any)."""

    def __init__(self, status: int, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = headers


def problem_response(
    status: int,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The problem document for ``status``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=CONTENT_TYPE, headers=headers)


def _location(loc: tuple[int | str, ...]) -> str:
    """``("body", "scheduleTime")`` as ``scheduleTime``; a query or path parameter keeps its place."""
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(400, "the body is not valid JSON", field="body")
    listed = [{"field": _location(tuple(e.get("loc", ()))), "reason": str(e.get("msg", ""))} for e in errors]
    first = listed[0] if listed else {"field": "body", "reason": "invalid"}
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in listed) or "the request is invalid"
    return problem_response(422, detail, field=first["field"], errors=listed)


def _allowed(request: Request) -> str:
    """Every method some route serves at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    return problem_response(exc.status_code, str(exc.detail), headers=headers or None)


def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.detail, field=exc.field, headers=exc.headers)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return problem_response(500, "the service failed to answer; the error is in its log")


#: The status answering an anyvideo error, by its class (the nearest one of its class's ancestors
#: listed here decides). A provider's own 502/503/504 and a request that timed out are 503 too
#: (see :func:`library_problem`).
LIBRARY_STATUSES: dict[type[AnyVideoError], int] = {
    InvalidRequest: 400,
    UnsupportedFeature: 400,
    Conflict: 409,
    # The provider no longer has what the service's records name (a room, a recording): the
    # service's view and the provider's disagree, which the caller cannot mend.
    NotFound: 502,
    # The provider refused the service's own credentials: a fault of the deployment, not the caller's.
    AuthenticationError: 502,
    Forbidden: 502,
    RateLimited: 503,
    Unreachable: 503,
    DeadlineExceeded: 503,
    WaitTimeout: 503,
    ProviderError: 502,
    AnyVideoError: 502,
}
#: A provider's answers that say "not now": passed on as 503.
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` came of a request that got no answer in time (``requests`` and urllib3
    have timeout classes of their own, which are no :class:`TimeoutError`)."""
    timeouts = (TimeoutError, requests.Timeout, urllib3.exceptions.TimeoutError)
    return any(isinstance(cause, timeouts) for cause in causes(exc))


def library_problem(exc: AnyVideoError) -> ProblemError:
    """The problem answering ``exc``, an anyvideo error no endpoint answered itself."""
    status = next(LIBRARY_STATUSES[cls] for cls in type(exc).__mro__ if cls in LIBRARY_STATUSES)
    if isinstance(exc, ProviderError) and status == 502 and (exc.status in UNAVAILABLE_STATUSES or _timed_out(exc)):
        status = 503
    if isinstance(exc, UnsupportedFeature):
        detail = f"the {exc.backend} backend cannot do {exc.feature.value}" + (f": {exc.hint}" if exc.hint else "")
    elif status >= 500:
        detail = f"the video provider failed the request: {exc}"
    else:
        detail = str(exc)
    headers = None
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return ProblemError(status, detail, headers=headers)


def _library(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnyVideoError)
    problem = library_problem(exc)
    if problem.status >= 500:
        log.warning("%s %s: %s answered %d", request.method, request.url.path, type(exc).__name__, problem.status)
    return _problem(request, problem)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem document."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(AnyVideoError, _library)
    app.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered 413 before the app sees it.

    The body is read (up to the limit) and replayed to the app, so a body sent without a
    ``Content-Length`` is held to the same limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            response = problem_response(400, "the Content-Length header is not a number", field="Content-Length")
            return await response(scope, receive, send)
        if declared is not None and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self._refuse(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(413, f"the body is larger than {self.limit} bytes", field="body")
        await response(scope, receive, send)
