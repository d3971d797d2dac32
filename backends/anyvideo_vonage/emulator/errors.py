"""How the Vonage Video API says no: status, body shape, and the codes and
messages it is known to use.

The body is the spec's ``Video-Error`` (``code``, ``message``) plus the
``description`` every real error body in ``samples/vonage`` carries
(``stop_archive_error.json``, ``delete_archive_error.json``,
``captions_error_already_enabled.json``). Where the provider's own code is
known it is used; elsewhere ``code`` is the HTTP status, as in the spec's
examples. Each problem below says where it comes from.
"""

from __future__ import annotations

from typing import Any

import attrs

from anyvideo.testing.server import HttpError, Response

__all__ = ["Problem", "error_body", "message_only"]


def error_body(status: int, message: str, code: int | str | None = None) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {"code": status if code is None else code, "message": message, "description": message}


def message_only(status: int, message: str) -> HttpError:
    """An error whose body is only ``{"message": …}``, a shape some operations answer with
    (``start_broadcast_error.json``; the spec's migrate responses)."""
    return HttpError(status, message, response=Response.json({"message": message}, status))


@attrs.frozen
class Problem:
    """One kind of error answer."""

    status: int
    message: str
    code: int | None = None

    def error(self, message: str | None = None) -> HttpError:
        """The exception that answers with this problem (optionally with a more precise message)."""
        return HttpError(self.status, message or self.message, code=self.code)


# --- authentication (the spec answers every credential problem with 403) -----

#: No usable credentials. Seen answered by video.api.vonage.com as
#: ``403 {"code":-1,"message":"Invalid token format",…}`` (opentok/learning-opentok-node#68).
INVALID_TOKEN = Problem(403, "Invalid token format", -1)
#: Bad signature, unknown application, missing claims (spec, Experience Composer 403: 10002).
UNAUTHORIZED = Problem(403, "Unauthorized token.", 10002)
#: Spec, Experience Composer 403: 10012.
EXPIRED = Problem(403, "Expired token.", 10012)
#: A client token for another session (spec, Experience Composer 403: 10007).
TOKEN_SESSION_MISMATCH = Problem(403, "The token does not match the session ID.", 10007)
#: The project in the URL is not the one the credentials are for (spec, migrate 403).
PROJECT_MISMATCH = Problem(403, "Id in the token does not match the id provided in the url")

# --- sessions, connections, streams (spec examples) --------------------------

INVALID_SESSION = Problem(400, "You do not pass in a session ID or you pass in an invalid session ID.")
SESSION_NOT_FOUND = Problem(404, "Not found. The session or stream is not found")
CONNECTION_NOT_FOUND = Problem(
    404, "The client specified by the connectionId property is not connected to the session."
)
STREAM_NOT_FOUND = Problem(404, "Not found. The session or stream is not found")
INVALID_STREAM = Problem(400, "Invalid request. You passed in an invalid stream ID.")
INVALID_JSON = Problem(
    400, "Invalid request. This response may indicate that data in your request data is invalid JSON."
)
INVALID_SIGNAL = Problem(400, "One of the signal properties — data, type, sessionId or connectionId — is invalid.")
SIGNAL_TOO_LARGE = Problem(
    413, "The type string exceeds the maximum length (128 bytes), or the data string exceeds the maximum size (8 kB)."
)
NO_CLIENTS = "Not found. No clients are actively connected to the OpenTok session."  # spec, migrate 404
MIGRATE_NOT_FOUND = Problem(404, NO_CLIENTS)
MIGRATION_STARTED = "Session migration initiated"

# --- archives ---------------------------------------------------------------

ARCHIVE_NOT_FOUND = Problem(404, "You passed an invalid archive ID")
ARCHIVE_NO_CLIENTS = Problem(
    404, "The session does not exist, or the session exists but there are no clients connected to it."
)
ARCHIVE_RELAYED = Problem(
    409, "You attempted to start an archive for a session that does not use the Vonage Video Media Router."
)
ARCHIVE_RUNNING = Problem(
    409,
    "You attempt to start an archive for a session that is already being recorded without setting the "
    "multiArchiveTag option",
)
ARCHIVE_TAG_TAKEN = Problem(
    409, "You attempt to start a simultaneous archive for a session without setting a unique multiArchiveTag value."
)
#: ``stop_archive_error.json``: the provider's own code and words.
ARCHIVE_NOT_STOPPABLE = Problem(
    409, "You can only stop an archive that has one of the following statuses: started OR paused OR stopped", 15002
)
#: ``delete_archive_error.json``.
ARCHIVE_NOT_DELETABLE = Problem(
    409,
    "You can only delete an archive that has one of the following statuses: available OR uploaded OR deleted",
    15004,
)
ARCHIVE_NOT_MANUAL = Problem(
    400,
    "Invalid request. The request couldn't be fulfilled because the archive was started with streamMode set to "
    '"auto", which does not support stream manipulation.',
)
ARCHIVE_STREAM_NOT_FOUND = Problem(404, "Archive or stream not found")

# --- broadcasts ---------------------------------------------------------------

BROADCAST_NOT_FOUND = Problem(404, "The broadcast (with the specified ID) was not found or it has already stopped.")
#: ``start_broadcast_error.json`` (a second broadcast with the same tag); the
#: wording without a tag is assumed to follow the archive conflict's
#: (spec: ``session is already composed with code 409``).
BROADCAST_TAG_TAKEN = "Session is already composed for given tag with code 409"
BROADCAST_RUNNING = "Session is already composed with code 409"
BROADCAST_NOT_MANUAL = Problem(
    400,
    "Invalid request. The request couldn't be fulfilled because the broadcast was started with streamMode set to "
    '"auto", which does not support stream manipulation.',
)
BROADCAST_STREAM_NOT_FOUND = Problem(404, "Broadcast or stream not found.")

# --- SIP, captions, Experience Composer ------------------------------------------

SIP_RELAYED = Problem(
    409, "SIP calling can only be used in a session that uses the Vonage Video Media Router (media mode routed)."
)
INVALID_DTMF = Problem(400, "One of the properties digits or sessionId is invalid.")
#: ``captions_error_already_enabled.json``.
CAPTIONS_ACTIVE = Problem(409, "Audio captioning is already enabled", 60003)
CAPTIONS_NOT_FOUND = Problem(404, "The captions ID was not found")
#: Experience Composer codes are the spec's (start 400/404).
RENDER_BAD_URL = Problem(400, "Invalid application URL structure.", 50001)
RENDER_BAD_DURATION = Problem(400, "Invalid maxDuration provided.", 50005)
RENDER_BAD_RESOLUTION = Problem(400, "Invalid resolution provided.", 50006)
RENDER_BAD_NAME = Problem(400, "Invalid stream name provided.", 50007)
RENDER_BAD_SESSION = Problem(400, "Invalid sessionId provided.", 50008)
RENDER_NOT_FOUND = Problem(404, "No Experience Composer matching the specified ID was found.")
RENDER_STOPPED = Problem(
    404, "The Experience Composer (with the specified ID) was not found or it has already stopped."
)
