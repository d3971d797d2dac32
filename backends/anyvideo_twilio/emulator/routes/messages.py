"""Programmable Messaging's ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``
(``twilio_api_v2010.yaml``), as the SDK's ``client.messages.create`` sends it.

The message is accepted as ``queued`` (Twilio's first status) and goes to the
emulator's message log (``GET /_emulator/messages``): the channel is
``whatsapp`` for ``whatsapp:``-prefixed numbers, ``sms`` otherwise. Status
callbacks (``StatusCallback``) are not sent.
"""

from __future__ import annotations

import re
from email.utils import format_datetime
from typing import Any

from anyvideo.testing.messages import MessageLogRoutes, SentMessage
from anyvideo.testing.server import HttpError, Request, Response, route
from anyvideo_twilio.emulator import errors, sids
from anyvideo_twilio.emulator.reactions import Reactions

__all__ = ["MESSAGES", "MessageRoutes"]

MESSAGES = "/2010-04-01/Accounts/{account_sid}/Messages.json"
#: A Message SID's prefix.
MESSAGE = "SM"
#: The longest body Twilio takes (characters).
MAX_BODY = 1600
_ADDRESS = re.compile(r"(?:(whatsapp):)?(\+[1-9][0-9]{1,14})")


def _address(value: str | None, name: str) -> tuple[str, str]:
    """The channel and number of a ``To``/``From`` value; Twilio's 21211/21212 refusals otherwise."""
    match = _ADDRESS.fullmatch(value or "")
    if match is None:
        code = 21211 if name == "To" else 21212
        raise HttpError(400, f"The '{name}' number {value} is not a valid phone number.", code=code)
    return match.group(1) or "sms", match.group(2)


class MessageRoutes(MessageLogRoutes, Reactions):
    @route("POST", MESSAGES)
    def create_message(self, request: Request) -> Response:
        if request.params["account_sid"] != self.creds.account_sid:
            raise HttpError(404, f"The requested resource {request.path} was not found", code=20404)
        form = self.form(request)
        channel, to = _address(form.text("To", required=True), "To")
        sender_channel, sender = _address(form.text("From", required=True), "From")
        text = form.text("Body", required=True) or ""
        if sender_channel != channel:
            raise errors.invalid("To and From must be on the same channel (both whatsapp: or neither)")
        if not text or len(text) > MAX_BODY:
            raise HttpError(400, f"The message body is required and at most {MAX_BODY} characters.", code=21617)
        now = self.clock.now()
        message = self.messages.add(SentMessage(sids.new_sid(MESSAGE), to, sender, channel, text, "queued", now))
        prefix = "" if channel == "sms" else f"{channel}:"
        stamp = format_datetime(now, usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.creds.account_sid}/Messages/{message.id}"
        body: dict[str, Any] = {
            "body": text,
            "num_segments": str(-(-len(text) // 153) if len(text) > 160 else 1),
            "direction": "outbound-api",
            "from": prefix + sender,
            "to": prefix + to,
            "date_updated": stamp,
            "price": None,
            "error_message": None,
            "uri": uri + ".json",
            "account_sid": self.creds.account_sid,
            "num_media": "0",
            "status": message.status,
            "messaging_service_sid": None,
            "sid": message.id,
            "date_sent": None,
            "date_created": stamp,
            "error_code": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "subresource_uris": {"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
        }
        return Response.json(body, 201)
