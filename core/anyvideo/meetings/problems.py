"""Every 4xx and 5xx as ``application/problem+json`` (RFC 9457), naming the field or the reason.

Bad JSON is a 400, a body that does not fit the schema (wrong types, unknown or missing
fields) a 422 listing each field, a body over the limit a 413, before any of it is parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["BodyLimit", "ProblemError", "install", "problem_response"]

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


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem document."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ProblemError, _problem)
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
