"""The ASGI application: seed 001's endpoints, the backend's webhook adapter, the OpenAPI document.

``create_app(settings)`` connects the backend (as :func:`anyvideo.connect` does, from
``settings.environ``), opens the database and, unless told not to, upgrades it to the
shipped migrations. ``uvicorn`` (``anyvideo serve``) or any ASGI server runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import sessionmaker
from starlette.routing import Route

import anyvideo
from anyvideo.client import Video
from anyvideo.meetings.auth import (
    SIGNATURE_HEADER,
    KeysUnavailable,
    Permission,
    Principal,
    SignatureRefused,
    TokenRefused,
    Verifier,
    verify_webhook,
)
from anyvideo.meetings.db import make_engine, migrate
from anyvideo.meetings.jobs import JobQueue, Worker
from anyvideo.meetings.problems import ASGIApp, BodyLimit, ProblemError, Receive, Scope, Send, install
from anyvideo.meetings.schema import (
    ArchiveList,
    ArchiveOut,
    AttendeeOut,
    MeetingOptions,
    Problem,
    SessionWebhook,
    TokenRequest,
    TokenResponse,
    VideoChatSessionPartial,
)
from anyvideo.meetings.service import MeetingHooks, MeetingService
from anyvideo.meetings.settings import Settings
from anyvideo.meetings.storage import StorageTargetBody, Vault
from anyvideo.sim import Clock, SystemClock
from anyvideo.webhooks import asgi_app

__all__ = ["PROVIDER_WEBHOOKS", "create_app"]

#: The largest offset a listing takes: what a database's 64-bit integer holds.
MAX_OFFSET = 2**63 - 1

#: What a request the seed lets leave its body out means: a meeting with no options, an edit
#: that changes nothing.
NO_OPTIONS = MeetingOptions()
NO_CHANGES = VideoChatSessionPartial()

#: Seconds to wait for the JWKS URL's answer.
JWKS_TIMEOUT = 10.0

#: Where the backend's own provider callbacks are received: point the provider here.
PROVIDER_WEBHOOKS = "/webhooks/provider"

_bearer = HTTPBearer(auto_error=False, description="A JWT carrying the permissions (anyvideo serve token).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

#: The errors each endpoint may answer, all as problem documents (see :func:`_openapi`).
_PROBLEMS: dict[int | str, dict[str, object]] = {
    status: {"description": description}
    for status, description in {
        400: "Refused: the problem names the field or the reason",
        401: "No valid bearer token",
        403: "The token lacks the permission",
        404: "No such meeting or archive",
        409: "The meeting's state forbids it",
        413: "The body is too large",
        422: "The body does not fit the schema: each field named",
        502: "The video provider failed or refused the service",
        503: "The video provider (or the identity provider's keys) cannot be reached now; Retry-After when known",
    }.items()
}
#: FastAPI's own error schemas, which the service never answers with (its 422 is a problem).
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _requires(permission: Permission) -> Callable[[Request, Credentials], Principal]:
    def check(request: Request, credentials: Credentials) -> Principal:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            raise ProblemError(401, "a bearer token is required", headers=challenge)
        verifier: Verifier = request.app.state.verifier
        try:
            principal = verifier.verify(credentials.credentials)
        except TokenRefused as exc:
            raise ProblemError(401, str(exc), headers=challenge) from None
        except KeysUnavailable as exc:
            raise ProblemError(503, str(exc)) from None
        if not principal.may(permission):
            raise ProblemError(403, f"the token does not grant {permission.value}")
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by _permissions
    return check


def _verifier(settings: Settings) -> Verifier:
    """The token checks ``settings`` configure: the shared secret, and the JWKS URL when one is set."""
    jwks = None
    if settings.jwks_url is not None:
        cache = settings.jwks_cache_seconds
        jwks = jwt.PyJWKClient(
            settings.jwks_url,
            cache_jwk_set=cache > 0,
            lifespan=cache or 1,
            timeout=JWKS_TIMEOUT,
            cooldown_duration=settings.jwks_cooldown_seconds,
        )
    return Verifier((settings.auth_secret,), jwks, settings.jwt_issuer, settings.jwt_audience)


async def _signed(
    request: Request,
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            description="t=<unix time>,v1=<hex HMAC-SHA256 of '<unix time>.<body>' with the webhook secret>",
        ),
    ] = None,
) -> None:
    """The third party's webhook is signed with the webhook secret (401 otherwise)."""
    settings: Settings = request.app.state.settings
    if settings.webhook_secret is None:
        raise ProblemError(401, "this service takes no third-party webhooks: it has no webhook secret configured")
    service: MeetingService = request.app.state.service
    try:
        verify_webhook(settings.webhook_secret, signature, await request.body(), service.clock.now())
    except SignatureRefused as exc:
        raise ProblemError(401, str(exc), field=SIGNATURE_HEADER) from None


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The document FastAPI makes, with every error as ``application/problem+json`` (the
    :class:`Problem` schema) and each operation's permission as ``x-permission``, as the seed lists it."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        for name in _UNUSED_SCHEMAS:
            schemas.pop(name, None)
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        permissions = _permissions(app)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                for status, response in operation["responses"].items():
                    if int(status) >= 400:
                        response["content"] = problem
                permission = permissions.get((method.upper(), path))
                if permission is not None:
                    operation["x-permission"] = permission.value
        app.openapi_schema = schema
        return schema

    return document


def _permissions(app: FastAPI) -> dict[tuple[str, str], Permission]:
    """The permission each operation needs, read from its dependencies."""
    found = {}
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for dependency in route.dependant.dependencies:
            permission = getattr(dependency.call, "permission", None)
            if isinstance(permission, Permission):
                found.update({(method, route.path_format): permission for method in route.methods or ()})
    return found


def _known_query(request: Request) -> None:
    """An unknown query parameter is refused (422 naming it), as an unknown body field is."""
    route = request.scope.get("route")
    known = {param.alias for param in route.dependant.query_params} if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ProblemError(422, f"{', '.join(unknown)}: no such query parameter", field=f"query.{unknown[0]}")


class _Adapter:
    """An ASGI application as a route's endpoint (Starlette calls a plain function with a Request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _service(request: Request) -> MeetingService:
    service: MeetingService = request.app.state.service
    return service


Service = Annotated[MeetingService, Depends(_service)]


def create_app(settings: Settings, *, video: Video | None = None, clock: Clock | None = None) -> FastAPI:
    """The meeting service over ``video`` (default: connected from ``settings``); ``clock`` says what
    "now" is for schedules and expiries (default: the system clock; a test passes its backend's)."""
    engine = make_engine(settings.database_url)
    if settings.migrate_on_start:
        migrate(engine)
    vault = Vault(settings.storage_key) if settings.storage_key else None
    video = video or anyvideo.connect(settings.backend, environ=settings.environ)
    sessions = sessionmaker(engine, expire_on_commit=False)
    clock = clock or SystemClock()
    jobs = JobQueue(sessions, clock=clock.now, lease=timedelta(seconds=settings.job_lease))
    service = MeetingService(video, sessions, clock, jobs=jobs, vault=vault)
    video.plugins.manager.register(MeetingHooks(service))
    worker = Worker(jobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_worker:
            worker.start()
        try:
            yield
        finally:
            worker.stop()
            video.close()
            engine.dispose()

    app = FastAPI(
        title="Video Conferencing Service",
        version="1.0.0",
        description="Meetings on any anyvideo backend (seed 001): links, scheduling, role tokens, attendees, "
        "archives. Errors are application/problem+json (RFC 9457).",
        lifespan=lifespan,
        responses=_PROBLEMS,
        dependencies=[Depends(_known_query)],
    )
    app.state.settings = settings
    app.state.verifier = _verifier(settings)
    app.state.service = service
    app.state.video = video
    app.state.jobs = jobs
    install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body)
    # A route, not a mount: a mount answers its own path with a redirect to the path and a
    # slash, which a provider's POST does not follow.
    app.router.routes.append(Route(PROVIDER_WEBHOOKS, _Adapter(asgi_app(video)), methods=["GET", "POST"]))

    @app.post(
        "/session",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "The link id"}},
        summary="Create a meeting; answers its meeting link id",
    )
    def create_session(
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.CREATE_MEETING_SESSION))],
        options: MeetingOptions = NO_OPTIONS,  # the seed's body is optional
    ) -> PlainTextResponse:
        return PlainTextResponse(service.create(options, caller))

    @app.patch("/session/{meetingLinkId}", status_code=204, summary="Edit a meeting")
    def edit_session(
        meetingLinkId: str,  # noqa: N803 - the seed's name, as the path writes it
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.EDIT_MEETING))],
        changes: VideoChatSessionPartial = NO_CHANGES,  # the seed's body is optional
    ) -> Response:
        service.edit(meetingLinkId, changes, caller)
        return Response(status_code=204)

    @app.patch("/session/{meetingLinkId}/end", status_code=204, summary="End a meeting (once)")
    def end_session(
        meetingLinkId: str,  # noqa: N803
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.STOP_MEETING))],
    ) -> Response:
        service.end(meetingLinkId, caller)
        return Response(status_code=204)

    @app.post("/session/{meetingLinkId}/token", summary="A client token for the meeting, with a role and an expiry")
    def session_token(
        meetingLinkId: str,  # noqa: N803
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.GENERATE_MEETING_TOKEN))],
        request: TokenRequest | None = None,
    ) -> TokenResponse:
        return service.token(meetingLinkId, request or TokenRequest(), caller)

    @app.get("/session/{meetingLinkId}/attendees", summary="Who joined the meeting")
    def session_attendees(
        meetingLinkId: str,  # noqa: N803
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.GET_MEETING_ATTENDEES))],
        active: Annotated[bool | None, Query(description="true: connected now; false: gone")] = None,
    ) -> list[AttendeeOut]:
        return service.attendees(meetingLinkId, active)

    @app.post(
        "/webhooks/session",
        status_code=204,
        summary="A third party adds or updates an attendee (signed with the webhook secret)",
        dependencies=[Depends(_signed)],
    )
    def session_webhook(update: SessionWebhook, service: Service) -> Response:
        service.third_party_update(update)
        return Response(status_code=204)

    @app.get("/archives", summary="The meetings' archives, newest first")
    def list_archives(
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.GET_MEETING_ARCHIVES))],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> ArchiveList:
        return service.archives(limit, offset)

    @app.get("/archives/{archiveId}", summary="One archive")
    def get_archive(
        archiveId: str,  # noqa: N803
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.GET_MEETING_ARCHIVES))],
    ) -> ArchiveOut:
        return service.archive(archiveId)

    @app.delete(
        "/archives/{archiveId}",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "The archive id"}},
        summary="Delete an archive (provider and database); answers its id",
    )
    def delete_archive(
        archiveId: str,  # noqa: N803
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.DELETE_MEETING_ARCHIVE))],
    ) -> PlainTextResponse:
        service.delete_archive(archiveId, caller)
        return PlainTextResponse(archiveId)

    @app.put(
        "/archives/storage-target",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "The target's URL"},
            503: {"description": "The service has no key to encrypt storage credentials with"},
        },
        summary="Copy every recording that becomes available to an S3 bucket or an Azure Blob container",
    )
    def set_storage_target(
        target: Annotated[StorageTargetBody, Body()],
        service: Service,
        caller: Annotated[Principal, Depends(_requires(Permission.SET_MEETING_UPLOAD_TARGET))],
    ) -> PlainTextResponse:
        return PlainTextResponse(service.storage.set(target, caller))

    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app
