"""Live captions: one captioning session per video session, started with a
moderator token, stopped by id or after ``maxDuration`` (4 hours unless told).

The emulator hears no speech, so it produces no captions; the status
callback sent to ``statusCallbackUrl`` is not emulated (its payload is not
documented in any source at hand).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anyvideo.models import Role
from anyvideo.testing.server import Request, Response, route
from anyvideo_vonage.emulator import errors
from anyvideo_vonage.emulator.base import VonageFace, choice, flag, number, text
from anyvideo_vonage.emulator.errors import Problem
from anyvideo_vonage.emulator.ids import new_uuid
from anyvideo_vonage.emulator.sessions import PROJECT
from anyvideo_vonage.emulator.state import Captions
from anyvideo_vonage.emulator.statuses import CAPTION_LANGUAGES, CAPTIONS_DURATION_RANGE, URL_LENGTH

__all__ = ["CaptionRoutes"]

CAPTIONS = PROJECT + "/captions"

_BAD_CAPTIONS = Problem(400, "Invalid request.")


class CaptionRoutes(VonageFace):
    """``…/captions`` and ``…/captions/{captions_id}/stop``."""

    def _active(self, captions: Captions) -> bool:
        return not captions.stopped and captions.ends_at > self.clock.now()

    @route("POST", CAPTIONS)
    def start_captions(self, request: Request) -> Response:
        body = self._body(request)
        session_id = text(body, "sessionId", _BAD_CAPTIONS, required=True)
        token = text(body, "token", _BAD_CAPTIONS, required=True)
        choice(body, "languageCode", CAPTION_LANGUAGES, "en-US", _BAD_CAPTIONS)
        seconds = number(body, "maxDuration", CAPTIONS_DURATION_RANGE, _BAD_CAPTIONS) or CAPTIONS_DURATION_RANGE[1]
        flag(body, "partialCaptions", True, _BAD_CAPTIONS)
        callback_url = text(body, "statusCallbackUrl", _BAD_CAPTIONS)
        if callback_url is not None and not URL_LENGTH[0] <= len(callback_url) <= URL_LENGTH[1]:
            raise _BAD_CAPTIONS.error("Invalid request. statusCallbackUrl must be 15 to 2048 characters long.")
        room = self._session(session_id, Problem(400, "Invalid request. The session does not exist."))
        if self._client_token(room.id, token).grant.role is not Role.MODERATOR:
            raise errors.UNAUTHORIZED.error("Unauthorized token. Live captions need a moderator token.")
        now = self.clock.now()
        with self.state.lock:
            if any(c.session_id == room.id and self._active(c) for c in self.state.captions.values()):
                raise errors.CAPTIONS_ACTIVE.error()
            captions = Captions(new_uuid(), room.id, now + timedelta(seconds=seconds))
            self.state.captions[captions.id] = captions
        return Response.json({"captionsId": captions.id}, 202)

    @route("POST", CAPTIONS + "/{captions_id}/stop")
    def stop_captions(self, request: Request) -> Any:
        with self.state.lock:
            captions = self.state.captions.get(request.params["captions_id"])
            if captions is None or not self._active(captions):
                raise errors.CAPTIONS_NOT_FOUND.error()
            captions.stopped = True
        return Response(202)
