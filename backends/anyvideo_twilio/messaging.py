"""Invitations through Programmable Messaging (``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``
in ``twilio_api_v2010.yaml``; the SDK's ``client.messages.create``).

SMS goes to the number as it is; WhatsApp to ``whatsapp:``-prefixed numbers (Twilio's
address form for that channel), from a WhatsApp-enabled sender. Twilio Messages has no
Viber channel. The sender is the ``message_sender`` setting (``TWILIO_MESSAGE_SENDER``)
unless the call names one. A send is not repeated after a lost answer: the message may
have gone.
"""

from __future__ import annotations

from collections.abc import Mapping

from anyvideo.errors import ConfigurationError
from anyvideo.messaging import Channel, Invitation, InvitationSpec
from anyvideo.retry import Safety
from anyvideo_twilio.transport import Transport

__all__ = ["CHANNEL_HINTS", "PREFIXES", "send"]

#: anyvideo's channel → the prefix Twilio addresses it with.
PREFIXES: Mapping[Channel, str] = {Channel.SMS: "", Channel.WHATSAPP: "whatsapp:"}
#: Why the other channels are missing.
CHANNEL_HINTS: Mapping[Channel, str] = {Channel.VIBER: "Twilio Messages has no Viber channel; use sms or whatsapp"}


def send(transport: Transport, spec: InvitationSpec, default_sender: str | None) -> Invitation:
    """Send ``spec`` through Twilio Messages; the invitation, with Twilio's status (``queued``)."""
    sender = spec.sender or default_sender
    if not sender:
        raise ConfigurationError(
            "twilio: an invitation needs a sender: set message_sender (TWILIO_MESSAGE_SENDER) or pass sender="
        )
    prefix = PREFIXES[spec.channel]
    message = transport.call(
        "send invitation",
        lambda: transport.client.messages.create(to=prefix + spec.to, from_=prefix + sender, body=spec.text),
        safety=Safety.UNSAFE,
    )
    return Invitation(str(message.sid), "twilio", spec.channel, spec.to, str(message.status))
