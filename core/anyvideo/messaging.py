"""Invitations and phone verification: what the facade sends to a phone.

An invitation is one message, on a messaging channel the backend's provider
offers (:class:`Channel`), carrying a room's join link and, when the room has
dial-in, its number and PIN (:class:`DialIn`). A verification proves that a
person holds a phone number: the provider sends a one-time code, the person
types it into the application, the application checks it, and only then
issues a client token.

Every number is checked for E.164 form (:func:`anyvideo.phone_numbers.e164`)
and every input here before any request; a channel the backend's provider
lacks is :class:`~anyvideo.UnsupportedFeature`, with the reason.
"""

from __future__ import annotations

import re
import string
from enum import StrEnum
from typing import ClassVar

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo.phone_numbers import e164, masked

__all__ = [
    "INVITE_URL_ENV",
    "Channel",
    "DialIn",
    "Invitation",
    "InvitationSpec",
    "Verification",
    "VerificationSpec",
    "VerificationStatus",
    "check_code",
    "invitation_text",
    "join_link",
]

#: The environment variable holding the join-link template when ``invite`` is given none.
INVITE_URL_ENV = "ANYVIDEO_INVITE_URL"
#: The fields a join-link template may name.
LINK_FIELDS = frozenset({"room", "name"})
#: The fields an invitation's text template may name.
TEXT_FIELDS = frozenset({"link", "number", "pin"})
#: What an invitation says without a template of the caller's.
DEFAULT_TEXT = "Join the video meeting: {link}"
#: What it adds when the room has dial-in.
DEFAULT_DIAL_IN_TEXT = "\nOr call {number} and enter PIN {pin}"
#: The longest text anyvideo sends (the shortest limit among the channels backends offer: 1000 characters).
MAX_TEXT = 1000

_PIN = re.compile(r"[0-9]{1,16}")
_CODE = re.compile(r"[0-9]{4,6}")
_BRAND = re.compile(r"[A-Za-z0-9 ._-]{1,18}")


class Channel(StrEnum):
    """A messaging channel an invitation goes out on."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    VIBER = "viber"


class VerificationStatus(StrEnum):
    """Where a phone verification stands."""

    #: The code was sent and has not been matched yet (a wrong code leaves it pending while tries remain).
    PENDING = "pending"
    #: The right code was given: the number is verified.
    VERIFIED = "verified"
    #: Over: too many wrong codes, expired or cancelled. Start a new one.
    FAILED = "failed"


def _e164_to(value: str) -> str:
    return e164(value, "to")


def _e164_number(value: str) -> str:
    return e164(value, "dial_in.number")


def _pin(value: str) -> str:
    if not isinstance(value, str) or not _PIN.fullmatch(value):
        raise InvalidRequest("dial_in.pin", "a PIN is 1 to 16 digits, as a string")
    return value


@attrs.frozen
class DialIn:
    """How to join a room by phone: the number to call and the PIN to enter (then ``#``).

    ``video.phone.dial_in(room, number=…)`` gives one with the room and the backend it is
    for (``room_id``, ``provider``); one made by hand for ``video.invite`` may leave them out.
    """

    number: str = attrs.field(converter=_e164_number)
    pin: str = attrs.field(converter=_pin, repr=False)
    room_id: str | None = None
    provider: str | None = None

    def __repr__(self) -> str:
        return f"DialIn(number={masked(self.number)!r}, pin='…', room_id={self.room_id!r}, provider={self.provider!r})"


def _fields(template: str, allowed: frozenset[str], field: str) -> set[str]:
    if not isinstance(template, str):
        raise InvalidRequest(field, f"expected a string, got {type(template).__name__}")
    try:
        named = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise InvalidRequest(field, f"not a template: {exc}") from None
    unknown = named - allowed
    if unknown or "" in named:
        raise InvalidRequest(
            field, f"names {', '.join(sorted(unknown)) or '{}'}; it may name only {', '.join(sorted(allowed))}"
        )
    return named


def join_link(template: str, *, room: str, name: str | None) -> str:
    """The join link from ``template`` (``https://app.example/join/{room}``): ``{room}`` is the
    room's id, ``{name}`` its unique name; ``InvalidRequest`` naming ``link`` otherwise."""
    named = _fields(template, LINK_FIELDS, "link")
    if "name" in named and not name:
        raise InvalidRequest("link", "names {name}, but the room has no name")
    link = template.format(room=room, name=name or "")
    if not link.startswith(("https://", "http://")):
        raise InvalidRequest("link", "a join link is an http(s) URL")
    return link


def link_fields(template: str) -> set[str]:
    """The fields ``template`` names (checked): the facade asks for the room only when ``{name}`` is one."""
    return _fields(template, LINK_FIELDS, "link")


def invitation_text(link: str, dial_in: DialIn | None, template: str | None = None) -> str:
    """The message an invitation carries: ``template`` (default :data:`DEFAULT_TEXT`, plus
    :data:`DEFAULT_DIAL_IN_TEXT` with dial-in) with ``{link}``, ``{number}`` and ``{pin}`` filled in."""
    if template is None:
        template = DEFAULT_TEXT + (DEFAULT_DIAL_IN_TEXT if dial_in is not None else "")
    named = _fields(template, TEXT_FIELDS, "text")
    if named & {"number", "pin"} and dial_in is None:
        raise InvalidRequest("text", "names {number} or {pin}, but no dial_in was given")
    text = template.format(
        link=link, number="" if dial_in is None else dial_in.number, pin="" if dial_in is None else dial_in.pin
    )
    if len(text) > MAX_TEXT:
        raise InvalidRequest("text", f"an invitation is at most {MAX_TEXT} characters; this one is {len(text)}")
    return text


def _channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise InvalidRequest("channel", f"{value!r} is not one of: {', '.join(c.value for c in Channel)}") from None


def _sender(value: str | None) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidRequest("sender", "a sender is a phone number (E.164) or a sender name")
    return value


@attrs.frozen
class InvitationSpec:
    """One invitation to send, validated: the recipient, the channel, the text, and the sender
    (``None``: the backend's configured one)."""

    to: str = attrs.field(converter=_e164_to)
    channel: Channel = attrs.field(converter=_channel)
    text: str
    sender: str | None = attrs.field(default=None, converter=_sender)

    def __repr__(self) -> str:
        return f"InvitationSpec(to={masked(self.to)!r}, channel={self.channel.value!r})"


@attrs.frozen
class Invitation:
    """An invitation the provider accepted: its message id there, the channel, the recipient and
    the provider's status for it (``"submitted"``, ``"queued"`` …, as the provider says)."""

    id: str
    provider: str
    channel: Channel
    to: str
    status: str

    def __repr__(self) -> str:
        return (
            f"Invitation(id={self.id!r}, provider={self.provider!r}, channel={self.channel.value!r}, "
            f"to={masked(self.to)!r}, status={self.status!r})"
        )


def _e164_number_field(value: str) -> str:
    return e164(value, "number")


def _brand(value: str) -> str:
    if not isinstance(value, str) or not _BRAND.fullmatch(value):
        raise InvalidRequest("brand", "a brand is 1 to 18 letters, digits, spaces, '.', '_' or '-'")
    return value


def _code_length(value: int) -> int:
    if value not in (4, 6):
        raise InvalidRequest("code_length", "a verification code has 4 or 6 digits")
    return value


@attrs.frozen
class VerificationSpec:
    """A phone verification to start: the number, the brand the message names, the code's length."""

    number: str = attrs.field(converter=_e164_number_field)
    brand: str = attrs.field(default="anyvideo", converter=_brand)
    code_length: int = attrs.field(default=6, converter=_code_length)

    def __repr__(self) -> str:
        return f"VerificationSpec(number={masked(self.number)!r}, brand={self.brand!r})"


@attrs.frozen
class Verification:
    """A phone verification as the provider reports it (``number`` only where it was started)."""

    id: str
    provider: str
    status: VerificationStatus
    number: str | None = None

    #: Wrong codes a provider takes before it ends a verification (three, as verification APIs commonly allow).
    MAX_TRIES: ClassVar[int] = 3

    @property
    def verified(self) -> bool:
        """Whether the right code was given."""
        return self.status is VerificationStatus.VERIFIED

    def __repr__(self) -> str:
        number = None if self.number is None else masked(self.number)
        return (
            f"Verification(id={self.id!r}, provider={self.provider!r}, status={self.status.value!r}, number={number!r})"
        )


def check_code(code: object) -> str:
    """``code`` if it is a verification code (4 to 6 digits, a string); ``InvalidRequest`` otherwise."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidRequest("code", "a verification code is 4 to 6 digits, as a string")
    return code
