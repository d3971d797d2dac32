"""The Messages API (``POST /v0.1/messages``), the SMS API (``POST /sms/json``) and the
Verify API (``/verify/json``, ``/verify/check/json``) of Vonage's communications APIs,
as their specs describe them.

Messages (``vonage_messages.yml`` 0.4.0, the application JWT): the body is the
spec's, ``to`` and ``from`` objects whose ``type`` is the channel (``sms``,
``whatsapp``, ``viber_service_msg``; Viber's sender is an ``id``, the others' a
``number``) and ``message.content`` a text within the channel's limit; the
answer ``202 {message_uuid}``, or the spec's 400 ``Error``.

SMS (``vonage_sms.yml`` 1.0.10): a form (``from``, ``to``, ``text``) with the
account's key and secret, as the SDK's ``vonage_sms`` sends them (HTTP Basic)
or in the form, as the spec writes them. Every answer is a 200 whose one
message carries a ``status``: ``"0"`` sent (with its ``message-id``), ``"2"`` a
missing parameter, ``"3"`` an invalid one, ``"4"`` bad credentials.

Each accepted message goes to the emulator's message log (``GET
/_emulator/messages``) as ``submitted`` (``api``: ``messages`` or ``sms``); no
status callback or delivery receipt is sent.

Verify (``vonage_verify.yml`` 1.1.7, the API ``vonage_verify_legacy`` speaks): a
request sends a code by SMS (logged, as ``api: "verify"``, with the code in its
text) and answers ``{request_id, status: "0"}``; a check answers status ``"0"``
for the right code, ``"16"`` for a wrong one, and ``"17"`` on the third wrong
one, which ends the request (``"6"`` after that: no such request). Credentials
come as the SDK sends them (HTTP Basic, key and secret) or in the form, as the
spec writes them; wrong ones answer status ``"4"``. Every Verify answer is a
200, the error in ``status``, as the spec says. The codes are readable at
``GET /_emulator/vonage/verifications``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
from typing import Any

import attrs

from anyvideo.testing.messages import MessageLogRoutes, SentMessage
from anyvideo.testing.server import CONTROL_PREFIX, Request, Response, route
from anyvideo_vonage.emulator.base import VonageFace
from anyvideo_vonage.emulator.ids import new_uuid

__all__ = ["MESSAGES_API", "MESSAGES_CHANNELS", "OWN_CREDENTIALS", "MessagingRoutes", "VerifyRequest"]

#: Where the Messages API is (the spec's server, ``https://api.nexmo.com/v0.1/messages``).
MESSAGES_API = "/v0.1/messages"
#: The Messages API's channels that take a phone number and a text (``to.type``) → the spec's text limit.
MESSAGES_CHANNELS = {"sms": 1000, "whatsapp": 4096, "viber_service_msg": 1000}
#: Paths whose handlers check their credentials themselves (SMS and Verify answer a bad key with a status, not a 401).
OWN_CREDENTIALS = ("/verify/", "/sms/")
#: The longest SMS text the emulator takes (the Messages spec's "Limited to 1000 characters").
MAX_SMS_TEXT = 1000
#: What the SMS API's refusals say for each status the emulator gives (its troubleshooting table).
SMS_ERRORS = {
    "2": "Missing {} param",
    "3": "Invalid {} param",
    "4": "Bad Credentials",
}
#: Wrong codes a Verify request takes; the last one ends it (status 17).
MAX_TRIES = 3
#: What Verify's answers say for each status the emulator gives (the spec's table).
VERIFY_ERRORS = {
    "2": "Your request is incomplete and missing the mandatory parameter `{}`",
    "3": "Invalid value for parameter `{}`",
    "4": "Bad Credentials",
    "6": "The Vonage platform was unable to process this message for the following reason: "
    "Request '{}' was not found or it has been verified already.",
    "16": "The code provided does not match the expected value",
    "17": "The wrong code was provided too many times. Workflow terminated",
}
#: A request id: 32 hex digits (the spec's example and ``maxLength``).
_NUMBER = re.compile(r"[1-9][0-9]{6,14}")
_DIGITS = re.compile(r"[0-9]+")


@attrs.define
class VerifyRequest:
    """One Verify request: its number, its code, and the wrong tries so far."""

    id: str
    number: str
    code: str
    tries: int = 0
    done: bool = False


class MessagingRoutes(VonageFace, MessageLogRoutes):
    """``/v0.1/messages``, ``/sms/json``, ``/verify/json``, ``/verify/check/json`` and the control routes."""

    def __init__(self, **options: Any) -> None:
        self._verify_lock = threading.Lock()
        self.verifications: dict[str, VerifyRequest] = {}
        super().__init__(**options)

    # --- Messages -------------------------------------------------------------------

    @route("POST", MESSAGES_API)
    def send_message(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return _messages_error("The request body is not a JSON object.")
        to, sender, message = body.get("to"), body.get("from"), body.get("message")
        channel = to.get("type") if isinstance(to, dict) else None
        if not isinstance(to, dict) or channel not in MESSAGES_CHANNELS:
            return _messages_error(f"to.type must be one of {', '.join(sorted(MESSAGES_CHANNELS))}.")
        number = to.get("number")
        if not isinstance(number, str) or not _NUMBER.fullmatch(number):
            return _messages_error("to.number must be a phone number in E.164 format without a leading +.")
        sender_key = "id" if channel == "viber_service_msg" else "number"
        if not isinstance(sender, dict) or sender.get("type") != channel or not sender.get(sender_key):
            return _messages_error(f"from must have type {channel!r} and a {sender_key}.")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, dict) or content.get("type") != "text":
            return _messages_error("message.content must be a text (the emulator sends text only).")
        text, limit = content.get("text"), MESSAGES_CHANNELS[channel]
        if not isinstance(text, str) or not text or len(text) > limit:
            return _messages_error(f"message.content.text is required, at most {limit} characters.")
        logged = SentMessage(new_uuid(), number, str(sender[sender_key]), channel, text, "submitted", self.clock.now())
        self.messages.add(logged)
        return Response.json({"message_uuid": logged.id}, 202)

    # --- SMS ------------------------------------------------------------------------

    @route("POST", "/sms/json")
    def send_sms(self, request: Request) -> Response:
        form = _form(request)
        if not self._good_account(request, form):
            return _sms_status("4")
        for name in ("from", "to", "text"):
            if not form.get(name):
                return _sms_status("2", name)
        to, text = form["to"], form["text"]
        if not _NUMBER.fullmatch(to):
            return _sms_status("3", "to")
        if len(text) > MAX_SMS_TEXT:
            return _sms_status("3", "text")
        logged = SentMessage(new_uuid(), to, form["from"], "sms", text, "submitted", self.clock.now(), "sms")
        self.messages.add(logged)
        sent = {"to": to, "message-id": logged.id, "status": "0", "remaining-balance": "10.00000000"}
        return Response.json({"message-count": "1", "messages": [{**sent, "message-price": "0.03330000"}]})

    # --- Verify ---------------------------------------------------------------------

    def _good_account(self, request: Request, form: dict[str, str]) -> bool:
        """Whether the account's key and secret came, as the SDK sends them (HTTP Basic) or in the form."""
        key, secret = _basic(request) or (form.get("api_key"), form.get("api_secret"))
        good = key == self.application.api_key and secret is not None
        return good and secrets.compare_digest(str(secret), self.application.api_secret)

    def _verify_form(self, request: Request) -> tuple[dict[str, str], Response | None]:
        """The form's first values, and the answer for bad credentials (``None``: they are good)."""
        form = _form(request)
        return form, None if self._good_account(request, form) else _verify_status("4", request_id="")

    @route("POST", "/verify/json")
    def start_verification(self, request: Request) -> Response:
        form, refused = self._verify_form(request)
        if refused is not None:
            return refused
        for name in ("number", "brand"):
            if not form.get(name):
                return _verify_status("2", name, request_id="")
        number, brand = form["number"].removeprefix("+"), form["brand"]
        if not _NUMBER.fullmatch(number):
            return _verify_status("3", "number", request_id="")
        if len(brand) > 18:
            return _verify_status("3", "brand", request_id="")
        length = form.get("code_length", "4")
        if length not in ("4", "6"):
            return _verify_status("3", "code_length", request_id="")
        code = "".join(secrets.choice("0123456789") for _ in range(int(length)))
        verification = VerifyRequest(secrets.token_hex(16), number, code)
        with self._verify_lock:
            self.verifications[verification.id] = verification
        text = f"{brand} code: {code}. Valid for 5 minutes."
        self.messages.add(
            SentMessage(new_uuid(), number, "VERIFY", "sms", text, "delivered", self.clock.now(), "verify")
        )
        return Response.json({"request_id": verification.id, "status": "0"})

    @route("POST", "/verify/check/json")
    def check_verification(self, request: Request) -> Response:
        form, refused = self._verify_form(request)
        if refused is not None:
            return refused
        for name in ("request_id", "code"):
            if not form.get(name):
                return _verify_status("2", name, request_id=form.get("request_id", ""))
        request_id, code = form["request_id"], form["code"]
        if not _DIGITS.fullmatch(code) or not 4 <= len(code) <= 6:
            return _verify_status("3", "code", request_id=request_id)
        with self._verify_lock:
            verification = self.verifications.get(request_id)
            if verification is None or verification.done:
                return _verify_status("6", request_id, request_id=request_id)
            if secrets.compare_digest(code, verification.code):
                verification.done = True
                answer = {"request_id": request_id, "event_id": new_uuid().replace("-", "")[:16], "status": "0"}
                return Response.json({**answer, "price": "0.10000000", "currency": "EUR"})
            verification.tries += 1
            if verification.tries >= MAX_TRIES:
                verification.done = True
                return _verify_status("17", request_id=request_id)
        return _verify_status("16", request_id=request_id)

    # --- control API ----------------------------------------------------------------

    @route("GET", CONTROL_PREFIX + "/vonage/verifications")
    def _control_verifications(self, request: Request) -> Any:
        """Every Verify request, with its code (what the phone would show)."""
        with self._verify_lock:
            return {"verifications": [attrs.asdict(v) for v in self.verifications.values()]}


def _messages_error(detail: str) -> Response:
    body = {
        "type": "https://developer.vonage.com/api-errors/messages#1150",
        "title": "Invalid params",
        "detail": detail,
        "instance": new_uuid(),
    }
    return Response.json(body, 400)


def _form(request: Request) -> dict[str, str]:
    """The form's first values."""
    return {name: values[0] for name, values in request.form().items() if values}


def _sms_status(status: str, *fields: str) -> Response:
    """The SMS API's refusal: a 200 whose one message carries the status, as the spec's ``Error``."""
    error = {"status": status, "error-text": SMS_ERRORS[status].format(*fields)}
    return Response.json({"message-count": "1", "messages": [error]})


def _verify_status(status: str, *fields: str, request_id: str) -> Response:
    return Response.json(
        {"request_id": request_id, "status": status, "error_text": VERIFY_ERRORS[status].format(*fields)}
    )


def _basic(request: Request) -> tuple[str, str] | None:
    """The key and secret of an ``Authorization: Basic`` header, or ``None``."""
    scheme, _, encoded = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, colon, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (key, secret) if colon else None
