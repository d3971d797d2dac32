"""Typed inputs and results of the Vonage-only operations (:mod:`anyvideo_vonage.extensions`:
SIP dial, DTMF, live captions, Experience Composer), validated before any request."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from anyvideo.errors import InvalidRequest

__all__ = ["CAPTION_LANGUAGES", "Captions", "Render", "RenderSpec", "SipCall", "SipConnection", "validate_digits"]

_DIGITS = re.compile(r"[0-9*#p]+")
_SIP_URI = re.compile(r"sips?:[^\s@]+@[^\s@;]+(;[^\s]*)?|sips?:[^\s@;]+(;[^\s]*)?", re.IGNORECASE)
#: SIP header names: a token (RFC 3261); custom headers must start with X-.
_HEADER = re.compile(r"X-[A-Za-z0-9!%*_+`'~.-]+", re.IGNORECASE)

#: Live captions languages (``Start-Live-Captions.languageCode`` in the spec).
CAPTION_LANGUAGES = frozenset(
    {
        "af-ZA", "ar-AE", "ar-SA", "eu-ES", "ca-ES", "zh-HK", "zh-CN", "zh-TW", "hr-HR", "cs-CZ", "da-DK", "nl-NL",
        "en-AU", "en-GB", "en-IN", "en-IE", "en-NZ", "en-AB", "en-ZA", "en-US", "en-WL", "fa-IR", "fi-FI", "fr-FR",
        "fr-CA", "gl-ES", "de-DE", "de-CH", "el-GR", "he-IL", "hi-IN", "id-ID", "it-IT", "ja-JP", "ko-KR", "lv-LV",
        "ms-MY", "no-NO", "pl-PL", "pt-PT", "pt-BR", "ro-RO", "ru-RU", "sr-RS", "sk-SK", "so-SO", "es-ES", "es-US",
        "sv-SE", "tl-PH", "th-TH", "uk-UA", "vi-VN", "zu-ZA",
    }
)  # fmt: skip


def validate_digits(digits: object) -> str:
    """DTMF digits: ``0-9``, ``*``, ``#`` and ``p`` (a 500 ms pause)."""
    if not isinstance(digits, str) or not _DIGITS.fullmatch(digits):
        raise InvalidRequest("digits", "DTMF digits are 0-9, *, # and p (a pause), at least one")
    return digits


def _sip_uri(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _SIP_URI.fullmatch(value) or len(value) > 2048:
        raise InvalidRequest("sip.uri", "must be a SIP URI such as 'sip:user@sip.example.com;transport=tls'")


def _from(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not re.fullmatch(r"[^\s@]+@[^\s@]+", value)):
        raise InvalidRequest("sip.from_", "must look like 'from@example.com' (a number or name, then a host)")


def _headers(instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, str]) -> None:
    for name, header in value.items():
        if not isinstance(name, str) or not _HEADER.fullmatch(name):
            raise InvalidRequest("sip.headers", f"{name!r} is not a custom SIP header name (X-…)")
        if not isinstance(header, str) or "\n" in header or "\r" in header:
            raise InvalidRequest("sip.headers", f"the value of {name} must be a one-line string")


def _optional_text(field: str) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidRequest(field, "must be a non-empty string")

    return validate


@attrs.frozen
class SipCall:
    """A SIP endpoint to dial into a room. ``password`` (digest authentication) never appears in a repr.

    The call joins as a connection with a publisher token minted for
    ``identity`` (and ``data``), like any participant.
    """

    uri: str = attrs.field(validator=_sip_uri)
    identity: str = attrs.field(default="sip", validator=_optional_text("sip.identity"))
    data: str | None = None
    from_: str | None = attrs.field(default=None, validator=_from)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=dict, validator=_headers)
    username: str | None = attrs.field(default=None, validator=_optional_text("sip.username"))
    password: str | None = attrs.field(default=None, repr=False, validator=_optional_text("sip.password"))
    secure: bool = False
    video: bool = False
    observe_force_mute: bool = False

    def __attrs_post_init__(self) -> None:
        if (self.username is None) != (self.password is None):
            raise InvalidRequest("sip.password", "digest authentication needs both username and password")


@attrs.frozen
class SipConnection:
    """A dialled SIP call: the connection and stream it appears as in the room."""

    id: str
    room_id: str
    connection_id: str
    stream_id: str
    created_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Captions:
    """Live captions running in a room."""

    id: str
    room_id: str


@attrs.frozen
class RenderSpec:
    """An Experience Composer: ``url`` rendered by a browser and published into the room as a stream."""

    url: str
    name: str | None = None
    resolution: str | None = None
    max_duration: int | None = None
    identity: str = "render"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise InvalidRequest("url", "must be an http:// or https:// URL")
        if not 15 <= len(self.url) <= 2048:
            raise InvalidRequest("url", "must be 15 to 2048 characters long")
        if self.name is not None and (not isinstance(self.name, str) or not 1 <= len(self.name) <= 200):
            raise InvalidRequest("name", "must be 1 to 200 characters long")
        if self.max_duration is not None and (
            isinstance(self.max_duration, bool)
            or not isinstance(self.max_duration, int)
            or not 60 <= self.max_duration <= 36_000
        ):
            raise InvalidRequest("max_duration", "must be a whole number of seconds from 60 to 36000")


@attrs.frozen
class Render:
    """An Experience Composer as the provider reports it; ``status`` is the provider's own word."""

    id: str
    room_id: str
    status: str
    url: str | None = None
    stream_id: str | None = None
    name: str | None = None
    resolution: str | None = None
    reason: str | None = None
    created_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
