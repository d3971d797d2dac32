"""Invitations through Vonage's messaging APIs, as their specs describe them.

- SMS: the SMS API (``vonage_sms.yml``: ``POST /sms/json``, a form), the SDK's
  ``vonage_sms`` client (``video.native.sms``), with the account's API key and
  secret (``api_key``/``api_secret``, ``VONAGE_API_KEY``/``VONAGE_API_SECRET``).
  It answers every request with a 200 whose message carries a ``status``:
  ``"0"`` sent; ``"2"``/``"3"`` (a missing or invalid parameter) are bad input;
  any other is an error.
- WhatsApp and Viber: the Messages API as ``vonage_messages.yml`` (0.4.0) defines
  it (``POST /v0.1/messages``, its ``to``/``from``/``message.content`` body), with
  the application's JWT. The SDK's ``vonage_messages`` speaks ``/v1/messages``,
  which no spec here defines, so the body goes through the SDK client's own HTTP
  client (its host, its JWT), as provisioning does for the Application API.

The sender is the backend's ``message_sender`` setting (``VONAGE_MESSAGE_SENDER``:
a Vonage number or sender name, a WhatsApp business number or a Viber service id)
unless the call names one. Vonage takes E.164 numbers without the ``+``. A send
is not repeated after a lost answer: the message may have gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vonage_sms import SmsMessage

from anyvideo.errors import ConfigurationError, InvalidRequest, ProviderError
from anyvideo.messaging import Channel, Invitation, InvitationSpec
from anyvideo.retry import Safety
from anyvideo_vonage.transport import Transport

__all__ = ["CHANNELS", "MESSAGES_API", "SENDER_ENV", "SMS_API", "send"]

#: The environment variable of the default sender.
SENDER_ENV = "VONAGE_MESSAGE_SENDER"
#: The Messages API's path (the spec's server, ``https://api.nexmo.com/v0.1/messages``).
MESSAGES_API = "/v0.1/messages"
#: The SMS API's send operation (the spec's server ``https://rest.nexmo.com/sms``, path ``/{format}``).
SMS_API = "/sms/json"
#: anyvideo's channel → the Messages API's channel (``to.type``) and the sender's key in ``from``;
#: SMS (``None``) goes through the SMS API.
CHANNELS: Mapping[Channel, tuple[str, str] | None] = {
    Channel.SMS: None,
    Channel.WHATSAPP: ("whatsapp", "number"),
    Channel.VIBER: ("viber_service_msg", "id"),
}
#: SMS API statuses that say the request itself was wrong (missing, invalid parameter): bad input.
_BAD_INPUT = frozenset({"2", "3"})


def send(transport: Transport, spec: InvitationSpec, default_sender: str | None) -> Invitation:
    """Send ``spec`` (SMS through the SMS API, the others through Messages); the invitation, ``submitted``."""
    sender = spec.sender or default_sender
    if not sender:
        raise ConfigurationError(
            f"vonage: an invitation needs a sender: set message_sender ({SENDER_ENV}) or pass sender="
        )
    to, sender = spec.to.removeprefix("+"), sender.removeprefix("+")
    route = CHANNELS[spec.channel]
    if route is None:
        return _send_sms(transport, spec, to, sender)
    channel, sender_key = route
    body = {
        "to": {"type": channel, "number": to},
        "from": {"type": channel, sender_key: sender},
        "message": {"content": {"type": "text", "text": spec.text}},
    }

    def post() -> Any:
        client = transport.sdk().http_client
        return client.post(client.api_host, MESSAGES_API, body, "jwt", "json")

    answer = transport.run("send invitation", post, safety=Safety.UNSAFE)
    return Invitation(str(answer["message_uuid"]), "vonage", spec.channel, spec.to, "submitted")


def _send_sms(transport: Transport, spec: InvitationSpec, to: str, sender: str) -> Invitation:
    if not transport.has_api_secret:
        raise ConfigurationError(
            "vonage: SMS invitations use the SMS API, which takes the account's API key and secret: "
            "set api_key and api_secret (VONAGE_API_KEY, VONAGE_API_SECRET)"
        )
    form = SmsMessage(to=to, from_=sender, text=spec.text).model_dump(by_alias=True, exclude_none=True)

    def post() -> Any:
        # The request the SDK's ``sms.send`` makes (its HTTP client, Basic auth, a form), without
        # its raising on a non-zero status: the status is what anyvideo reads.
        client = transport.sdk().sms.http_client
        return client.post(client.rest_host, SMS_API, form, "basic", "form")["messages"][0]

    message = transport.run("send invitation", post, safety=Safety.UNSAFE)
    status = str(message.get("status"))
    if status != "0":
        text = str(message.get("error-text") or f"status {status}")
        if status in _BAD_INPUT:
            raise InvalidRequest("to", f"the Vonage SMS API refused it: {text}")
        raise ProviderError(f"vonage: the SMS API answered status {status}: {text}", provider="vonage")
    return Invitation(str(message["message-id"]), "vonage", spec.channel, spec.to, "submitted")
