"""What the Vonage route modules share: looking things up the provider's way,
validating request fields, paging lists, joining service connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from anyvideo.errors import AnyVideoError, AuthenticationError, NotFound
from anyvideo.models import ParticipantStatus
from anyvideo.sim import Clock, World
from anyvideo.sim.records import ParticipantRecord, RoomRecord, StreamRecord
from anyvideo.testing.callbacks import Callbacks
from anyvideo.testing.server import Request
from anyvideo_vonage.emulator import errors
from anyvideo_vonage.emulator.applications import Applications
from anyvideo_vonage.emulator.auth import ApplicationCredentials, ClientToken
from anyvideo_vonage.emulator.callbacks import CallbackSettings
from anyvideo_vonage.emulator.errors import Problem
from anyvideo_vonage.emulator.ids import parse_session_id
from anyvideo_vonage.emulator.media import Downloads
from anyvideo_vonage.emulator.state import FaceState
from anyvideo_vonage.emulator.statuses import LAYOUT_TYPES, PAGE_DEFAULT, PAGE_MAX
from anyvideo_vonage.emulator.stylesheet import StylesheetError, parse

__all__ = ["VonageFace", "choice", "flag", "layout", "number", "text"]

T = TypeVar("T")


# --- request fields -------------------------------------------------------------


def text(body: dict[str, Any], name: str, problem: Problem, *, required: bool = False) -> str | None:
    """A string field; ``problem`` if it is missing (when required) or not a string."""
    value = body.get(name)
    if value is None:
        if required:
            raise problem.error(f"{problem.message} ({name} is required)")
        return None
    if not isinstance(value, str) or (required and not value):
        raise problem.error(f"{problem.message} ({name} must be a non-empty string)")
    return value


def flag(body: dict[str, Any], name: str, default: bool, problem: Problem) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise problem.error(f"{problem.message} ({name} must be true or false)")
    return value


def number(body: dict[str, Any], name: str, bounds: tuple[int, int], problem: Problem) -> int | None:
    """A whole number within ``bounds`` (inclusive), or ``None`` if absent."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise problem.error(f"{problem.message} ({name} must be a whole number)")
    if not bounds[0] <= value <= bounds[1]:
        raise problem.error(f"{problem.message} ({name} must be from {bounds[0]} to {bounds[1]})")
    return int(value)


def choice(body: dict[str, Any], name: str, allowed: Sequence[str], default: T, problem: Problem) -> str | T:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise problem.error(f"{problem.message} ({name} must be one of: {', '.join(allowed)})")
    return value


def layout(value: Any, problem: Problem) -> dict[str, Any]:
    """A ``Layout`` object as the spec and the provider's documentation constrain it."""
    if not isinstance(value, dict) or value.get("type") not in LAYOUT_TYPES:
        raise problem.error(f"{problem.message} (layout.type must be one of: {', '.join(LAYOUT_TYPES)})")
    kind, stylesheet, screenshare = value["type"], value.get("stylesheet"), value.get("screenshareType")
    if (kind == "custom") != isinstance(stylesheet, str):
        raise problem.error(f"{problem.message} (a stylesheet goes with, and only with, the custom layout type)")
    if screenshare is not None and (screenshare not in LAYOUT_TYPES or kind != "bestFit"):
        raise problem.error(f"{problem.message} (screenshareType is a layout type, set with type bestFit)")
    if kind == "custom":
        try:
            parse(value["stylesheet"])
        except StylesheetError as exc:
            raise problem.error(f"{problem.message} (stylesheet: {exc})") from None
    return {key: value[key] for key in ("type", "stylesheet", "screenshareType") if value.get(key) is not None}


# --- the shared part of the face ------------------------------------------------------


class VonageFace:
    """Helpers of :class:`~anyvideo_vonage.emulator.VonageEmulator`'s route modules."""

    world: World
    clock: Clock
    state: FaceState
    application: ApplicationCredentials
    applications: Applications
    downloads: Downloads
    callback_settings: CallbackSettings
    callbacks: Callbacks
    base_url: str
    #: When the application was made (``createdAt`` of the project details).
    created_at: datetime
    #: Per thread, whether the session id being made is for a relayed session.
    _minting: threading.local

    def _body(self, request: Request) -> dict[str, Any]:
        body = request.json()
        if not isinstance(body, dict):
            raise errors.INVALID_JSON.error()
        return body

    def _session(
        self,
        session_id: str | None,
        missing: Problem = errors.SESSION_NOT_FOUND,
        malformed: Problem = errors.INVALID_SESSION,
    ) -> RoomRecord:
        """The session, if the id is well formed (else ``malformed``) and known (else ``missing``)."""
        if not session_id or parse_session_id(session_id) is None:
            raise malformed.error()
        try:
            return self.world.get_room(session_id)
        except NotFound:
            raise missing.error() from None

    def project_of_session(self, session_id: str) -> str:
        """The project (application id or API key) whose credentials created the session."""
        parts = parse_session_id(session_id)
        return parts.project_id if parts is not None else self.application.application_id

    @staticmethod
    def _relayed(room: RoomRecord) -> bool:
        return room.options.get("mediaMode") == "relayed"

    def _connected(self, session_id: str) -> list[ParticipantRecord]:
        return list(self.world.participants(session_id, status=ParticipantStatus.CONNECTED))

    def _connection(self, session_id: str, connection_id: str) -> ParticipantRecord:
        try:
            participant = self.world.get_participant(connection_id)
        except NotFound:
            raise errors.CONNECTION_NOT_FOUND.error() from None
        if participant.room_id != session_id or participant.status is not ParticipantStatus.CONNECTED:
            raise errors.CONNECTION_NOT_FOUND.error()
        return participant

    def _stream(self, session_id: str, stream_id: str, missing: Problem = errors.STREAM_NOT_FOUND) -> StreamRecord:
        """A stream published in the session now, else ``missing``."""
        try:
            stream = self.world.get_stream(stream_id)
        except NotFound:
            raise missing.error() from None
        if stream.room_id != session_id or not stream.published:
            raise missing.error()
        return stream

    def _client_token(self, session_id: str, token: str | None) -> ClientToken:
        """A client token the application made for this session, still valid."""
        try:
            verified = self.application.verify_client_token(token or "")
        except AuthenticationError:
            raise errors.UNAUTHORIZED.error() from None
        if verified.grant.room_id != session_id:
            raise errors.TOKEN_SESSION_MISMATCH.error()
        if verified.grant.expires_at <= self.clock.now():
            raise errors.EXPIRED.error()
        return verified

    def _join(self, session_id: str, token: str | None) -> ParticipantRecord:
        """Connect a service (SIP call, Experience Composer, audio connector) with a client token."""
        verified = self._client_token(session_id, token)
        try:
            participant = self.world.join(session_id, verified.grant)
        except AnyVideoError as exc:
            raise errors.UNAUTHORIZED.error(str(exc)) from None
        with self.state.lock:
            self.state.initial_classes[participant.id] = verified.layout_classes
        return participant

    def _select(
        self,
        body: dict[str, Any],
        session_id: str,
        chosen: dict[str, tuple[bool, bool]],
        limit: int,
        missing: Problem,
    ) -> None:
        """Add a stream to, or remove one from, the manual selection of an archive or broadcast."""
        if "addStream" in body:
            stream_id = text(body, "addStream", errors.INVALID_JSON, required=True) or ""
            self._stream(session_id, stream_id, missing)
            audio = flag(body, "hasAudio", True, errors.INVALID_JSON)
            video = flag(body, "hasVideo", True, errors.INVALID_JSON)
            if stream_id not in chosen and len(chosen) >= limit:
                raise errors.INVALID_JSON.error(f"Invalid request. At most {limit} streams can be included.")
            chosen[stream_id] = (audio, video)
        elif "removeStream" in body:
            stream_id = text(body, "removeStream", errors.INVALID_JSON, required=True) or ""
            if chosen.pop(stream_id, None) is None:
                raise missing.error()
        else:
            raise errors.INVALID_JSON.error("Invalid request. Give addStream or removeStream.")

    def notify(self, kind: str, payload: dict[str, Any]) -> None:
        """Send a callback of ``kind`` ("session", "archive", …) if the application set its URL:
        the one whose session it is about, when the Application API made it (its video
        capability's URLs), else the emulator's own (:attr:`callback_settings`)."""
        session_id = payload.get("sessionId")
        project = self.project_of_session(session_id) if isinstance(session_id, str) else None
        try:
            url = self.applications.callback_url(project or "", kind, payload)
        except KeyError:  # the emulator's own application
            self.callback_settings.send(self.callbacks, kind, payload, self.clock.now())
            return
        if url is not None:
            self.callback_settings.deliver(self.callbacks, url, payload, self.clock.now())

    @staticmethod
    def _page(request: Request, newest_first: list[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
        """``{"count": total, "items": […]}`` for the ``offset`` and ``count`` query parameters
        (unparseable values fall back to the defaults; ``count`` is capped at 1000)."""
        offset, count = _window(request)
        return {"count": len(newest_first), "items": [render(item) for item in newest_first[offset : offset + count]]}

    @staticmethod
    def _page_of(
        request: Request, total: int, read: Callable[[int, int], list[T]], render: Callable[[T], dict[str, Any]]
    ) -> dict[str, Any]:
        """:meth:`_page` of a list held by the world: ``total`` items, of which
        ``read(offset, count)`` gives the newest-first window asked for, and only it."""
        offset, count = _window(request)
        return {"count": total, "items": [render(item) for item in read(offset, count)]}


def _window(request: Request) -> tuple[int, int]:
    """The ``offset`` and ``count`` asked for."""
    return _whole(request.arg("offset"), 0), min(_whole(request.arg("count"), PAGE_DEFAULT), PAGE_MAX)


def _whole(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.isdigit() else default
