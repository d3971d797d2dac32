"""Twilio's error bodies and the error codes this emulator answers with.

Every error is ``{"code", "message", "more_info", "status"}``. Codes marked
*confirmed* come from Twilio's documentation; the others are from Twilio's
error dictionary as remembered, not verified offline. Where no specific code
is known the emulator answers ``20000 + status`` (20404 and 20429 are real
codes of that family).
"""

from __future__ import annotations

from typing import Any

import attrs

from anyvideo.testing.server import HttpError

__all__ = ["TwilioError", "body", "code_for", "invalid"]

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


@attrs.frozen
class TwilioError:
    """One kind of error: HTTP status, Twilio code, message template."""

    status: int
    code: int
    message: str

    def __call__(self, **details: Any) -> HttpError:
        """The exception to raise, with ``details`` filled into the message."""
        return HttpError(self.status, self.message.format(**details), code=self.code)


AUTHENTICATE = TwilioError(401, 20003, "Authenticate")  # confirmed
NOT_FOUND = TwilioError(404, 20404, "The requested resource {path} was not found")  # confirmed
ROOM_NAME_TOO_LONG = TwilioError(400, 53101, "Room name is too long")
MAX_PARTICIPANTS_OUT_OF_RANGE = TwilioError(400, 53107, "MaxParticipants is out of range: {detail}")
ROOM_TYPE_INVALID = TwilioError(400, 53108, "RoomType is not valid")
TIMEOUT_OUT_OF_RANGE = TwilioError(400, 53109, "Timeout is out of range: {detail}")
STATUS_CALLBACK_METHOD_INVALID = TwilioError(400, 53110, "StatusCallbackMethod is invalid")
STATUS_CALLBACK_INVALID = TwilioError(400, 53111, "StatusCallback is invalid")
STATUS_INVALID = TwilioError(400, 53112, "Status is invalid")
ROOM_EXISTS = TwilioError(400, 53113, "Unable to create Room: Room exists")  # confirmed
ROOM_TYPE_INCOMPATIBLE = TwilioError(400, 53114, "Room creation parameter(s) incompatible with the Room type: {detail}")
MEDIA_REGION_INVALID = TwilioError(400, 53115, "MediaRegion is invalid")
ROOM_COMPLETED = TwilioError(400, 53118, "Room completed")
RECORDING_RULES_INVALID = TwilioError(400, 53120, "Invalid Recording Rule(s)")  # confirmed
SUBSCRIBE_RULES_INVALID = TwilioError(400, 53215, "Invalid Subscribe Rule(s)")

#: The code of an error known only by its HTTP status.
_GENERIC = {401: 20003, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503}


def code_for(status: int) -> int:
    return _GENERIC.get(status, 20000 + status)


def invalid(message: str, status: int = 400) -> HttpError:
    """A request Twilio would refuse for which no specific code is known."""
    return HttpError(status, message, code=code_for(status))


def body(status: int, message: str, code: int | str | None = None) -> dict[str, Any]:
    code = code_for(status) if code is None else code
    return {"code": code, "message": message, "more_info": MORE_INFO.format(code=code), "status": status}
