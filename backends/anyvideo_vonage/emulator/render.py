"""Experience Composer: a headless browser that joins the session with the
application's token and publishes what it renders of a web page as one
stream, until stopped or until ``maxDuration`` (2 hours unless told).

The render is "starting" in the answer to its start and "started" from then
on, its stream published (``start_experience_composer.json``,
``get_experience_composer.json``). Status changes go to the ``render``
callback URL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anyvideo.errors import Conflict, Forbidden
from anyvideo.models import StreamKind, VideoSource
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors, translate
from anyvideo_vonage.emulator.base import VonageFace, choice, number, text
from anyvideo_vonage.emulator.ids import new_uuid
from anyvideo_vonage.emulator.sessions import PROJECT
from anyvideo_vonage.emulator.state import Render
from anyvideo_vonage.emulator.statuses import (
    DEFAULT_RENDER_RESOLUTION,
    RENDER_DEFAULT_DURATION,
    RENDER_DURATION_RANGE,
    RENDER_NAME_LENGTH,
    RESOLUTIONS,
    URL_LENGTH,
)

__all__ = ["RenderRoutes"]

RENDER = PROJECT + "/render"

#: ``reason`` of a stopped render (the provider's words: spec and ``get_experience_composer.json``).
STOP_REQUESTED = "Stop Requested"
MAX_DURATION = "Max duration exceeded"


class RenderRoutes(VonageFace):
    """``/v2/project/{application_id}/render…``."""

    def render_json(self, render: Render, *, just_started: bool = False) -> dict[str, Any]:
        return translate.render(
            render,
            application_id=self.application.application_id,
            just_started=just_started,
            callback_url=self.callback_settings.urls.get("render"),
        )

    def _settle_renders(self) -> None:
        """Stop the renders that reached their maximum duration."""
        now = self.clock.now()
        with self.state.lock:
            for render in self.state.renders.values():
                if render.status == "started" and render.ends_at <= now:
                    self._stop_render(render, MAX_DURATION, at=render.ends_at)

    def _stop_render(self, render: Render, reason: str, *, at: datetime) -> None:
        render.status, render.reason, render.updated_at = "stopped", reason, at
        try:
            self.world.leave(render.connection_id)
        except Conflict:  # the application force-disconnected it already
            pass
        self.notify("render", self.render_json(render))

    def _render(self, render_id: str, problem: errors.Problem) -> Render:
        self._settle_renders()
        with self.state.lock:
            render = self.state.renders.get(render_id)
        if render is None:
            raise problem.error()
        return render

    @route("POST", RENDER)
    def start_render(self, request: Request) -> Response:
        body = self._body(request)
        session_id = text(body, "sessionId", errors.RENDER_BAD_SESSION, required=True)
        token = text(body, "token", errors.INVALID_TOKEN)
        url = text(body, "url", errors.RENDER_BAD_URL, required=True) or ""
        if not url.startswith(("http://", "https://")) or not URL_LENGTH[0] <= len(url) <= URL_LENGTH[1]:
            raise errors.RENDER_BAD_URL.error()
        seconds = number(body, "maxDuration", RENDER_DURATION_RANGE, errors.RENDER_BAD_DURATION)
        resolution = choice(body, "resolution", RESOLUTIONS, DEFAULT_RENDER_RESOLUTION, errors.RENDER_BAD_RESOLUTION)
        properties = body.get("properties")
        name = None
        if properties is not None:
            if not isinstance(properties, dict):
                raise errors.RENDER_BAD_NAME.error()
            name = text(properties, "name", errors.RENDER_BAD_NAME, required=True) or ""
            if not RENDER_NAME_LENGTH[0] <= len(name) <= RENDER_NAME_LENGTH[1]:
                raise errors.RENDER_BAD_NAME.error()
        room = self._session(session_id, errors.RENDER_BAD_SESSION, errors.RENDER_BAD_SESSION)
        participant = self._join(room.id, token)
        try:
            stream = self.world.publish(
                participant.id, StreamKind.AUDIO_VIDEO, name=name, video_source=VideoSource.CUSTOM
            )
        except Forbidden:
            self.world.leave(participant.id)
            raise errors.UNAUTHORIZED.error("Unauthorized token. The token's role cannot publish.") from None
        now = self.clock.now()
        render = Render(
            id=new_uuid(),
            session_id=room.id,
            connection_id=participant.id,
            stream_id=stream.id,
            url=url,
            resolution=resolution,
            created_at=now,
            ends_at=now + timedelta(seconds=seconds or RENDER_DEFAULT_DURATION),
            name=name,
        )
        with self.state.lock:
            self.state.renders[render.id] = render
        self.notify("render", self.render_json(render))
        return Response.json(self.render_json(render, just_started=True), 202)

    @route("GET", RENDER + "/{render_id}")
    def get_render(self, request: Request) -> Any:
        return self.render_json(self._render(request.params["render_id"], errors.RENDER_NOT_FOUND))

    @route("GET", RENDER)
    def list_renders(self, request: Request) -> Any:
        self._settle_renders()
        with self.state.lock:
            renders = list(self.state.renders.values())
        return self._page(request, renders[::-1], self.render_json)

    @route("DELETE", RENDER + "/{render_id}")
    def stop_render(self, request: Request) -> None:
        render = self._render(request.params["render_id"], errors.RENDER_STOPPED)
        with self.state.lock:
            if render.status != "started":
                raise errors.RENDER_STOPPED.error()
            self._stop_render(render, STOP_REQUESTED, at=self.clock.now())
