"""Invitations through Vonage's Messages API (``POST /v1/messages``, the SDK's
``vonage_messages``), with the application's JWT.

Channels: SMS, WhatsApp and Viber (the Messages API's ``viber_service``), each a
text to a phone number; the sender is the backend's ``message_sender`` setting
(``VONAGE_MESSAGE_SENDER``: a Vonage number, a WhatsApp business number or a
Viber service id) unless the call names one. Vonage takes E.164 numbers without
the ``+``. A send is not repeated after a lost answer: the message may have gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from vonage_messages import Sms, ViberText, WhatsappText
from vonage_messages.models.base_message import BaseMessage

from anyvideo.errors import ConfigurationError
from anyvideo.messaging import Channel, Invitation, InvitationSpec
from anyvideo.retry import Safety
from anyvideo_vonage.transport import Transport

__all__ = ["CHANNELS", "SENDER_ENV", "send"]

#: The environment variable of the default sender.
SENDER_ENV = "VONAGE_MESSAGE_SENDER"
#: anyvideo's channel → the SDK's text message model for it.
CHANNELS: Mapping[Channel, Callable[..., BaseMessage]] = {
    Channel.SMS: Sms,
    Channel.WHATSAPP: WhatsappText,
    Channel.VIBER: ViberText,
}


def send(transport: Transport, spec: InvitationSpec, default_sender: str | None) -> Invitation:
    """Send ``spec`` through the Messages API; the invitation, ``submitted``."""
    sender = spec.sender or default_sender
    if not sender:
        raise ConfigurationError(
            f"vonage: an invitation needs a sender: set message_sender ({SENDER_ENV}) or pass sender="
        )
    message = CHANNELS[spec.channel](to=spec.to.removeprefix("+"), from_=sender.removeprefix("+"), text=spec.text)
    answer = transport.run("send invitation", lambda: transport.sdk().messages.send(message), safety=Safety.UNSAFE)
    return Invitation(answer.message_uuid, "vonage", spec.channel, spec.to, "submitted")
