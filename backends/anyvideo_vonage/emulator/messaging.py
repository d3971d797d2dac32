"""The Messages API (``POST /v1/messages``) and the Verify API (``/verify/json``,
``/verify/check/json``) of Vonage's communications APIs, as the official SDK
(``vonage_messages``, ``vonage_verify_legacy``) sends them.

Messages: the SDK sends the v1 body (``message_type``, ``channel``, ``to``,
``from``, ``text``) with the application JWT; ``vonage_messages.yml`` (0.4.0)
describes the older v0.1 body, and the answer both share, ``202 {message_uuid}``.
Each accepted message goes to the emulator's message log (``GET
/_emulator/messages``) as ``submitted``; no status callback is sent (the v1
status webhook's body is in no spec at hand).

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

__all__ = ["CHANNELS", "OWN_CREDENTIALS", "MessagingRoutes", "VerifyRequest"]

#: The Messages API's channels that take a phone number and a text (the SDK's ``channel`` values).
CHANNELS = frozenset({"sms", "whatsapp", "viber_service", "mms", "rcs"})
#: Paths whose handlers check their credentials themselves (Verify answers a bad key with a status, not a 401).
OWN_CREDENTIALS = ("/verify/",)
#: The SMS text limit of the Messages API (the spec: "Limited to 1000 characters").
MAX_SMS_TEXT = 1000
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
    """``/v1/messages``, ``/verify/json``, ``/verify/check/json`` and the control routes."""

    def __init__(self, **options: Any) -> None:
        self._verify_lock = threading.Lock()
        self.verifications: dict[str, VerifyRequest] = {}
        super().__init__(**options)

    # --- Messages -------------------------------------------------------------------

    @route("POST", "/v1/messages")
    def send_message(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return _messages_error("The request body is not a JSON object.")
        channel, kind = body.get("channel"), body.get("message_type")
        to, sender, text = body.get("to"), body.get("from"), body.get("text")
        if channel not in CHANNELS:
            return _messages_error(f"channel must be one of {', '.join(sorted(CHANNELS))}.")
        if kind != "text":
            return _messages_error("The emulator sends message_type 'text' only.")
        if not isinstance(to, str) or not _NUMBER.fullmatch(to):
            return _messages_error("to must be a phone number in E.164 format without a leading +.")
        if not isinstance(sender, str) or not sender:
            return _messages_error("from is required.")
        if not isinstance(text, str) or not text or (channel == "sms" and len(text) > MAX_SMS_TEXT):
            return _messages_error(f"text is required, at most {MAX_SMS_TEXT} characters for SMS.")
        message = SentMessage(new_uuid(), to, sender, channel, text, "submitted", self.clock.now())
        self.messages.add(message)
        return Response.json({"message_uuid": message.id}, 202)

    # --- Verify ---------------------------------------------------------------------

    def _verify_form(self, request: Request) -> tuple[dict[str, str], Response | None]:
        """The form's first values, and the answer for bad credentials (``None``: they are good)."""
        form = {name: values[0] for name, values in request.form().items() if values}
        key, secret = _basic(request) or (form.get("api_key"), form.get("api_secret"))
        good = key == self.application.api_key and secret is not None
        if not good or not secrets.compare_digest(str(secret), self.application.api_secret):
            return form, _verify_status("4", request_id="")
        return form, None

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
