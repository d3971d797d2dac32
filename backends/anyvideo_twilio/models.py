"""Typed Twilio-only objects the provider extensions (:mod:`anyvideo_twilio.extensions`)
take and return: track rules (recording and subscribe rules), composition hooks,
and the account's recording/composition settings (external S3 storage, encryption).

Each validates on the way in, so a bad rule or setting fails before any request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo.models import Resolution

__all__ = [
    "TRANSCRIPTION_ENGINES",
    "UNNAMED_SETTINGS",
    "AnonymizedParticipant",
    "CompositionHook",
    "RoomTrack",
    "StorageSettings",
    "TrackRecording",
    "TrackRule",
    "TrackRules",
    "Transcription",
    "TranscriptionConfig",
    "rule_set",
]

#: The name StorageSettings gets when the account never named (or set) its settings.
UNNAMED_SETTINGS = "(not set)"

_RULE_TYPES = ("include", "exclude")
_PRIORITIES = ("low", "standard", "high")
_CREDENTIAL = re.compile(r"CR[0-9a-fA-F]{32}")
#: Twilio allows at most this many rules in one set.
MAX_RULES = 20


@attrs.frozen
class TrackRule:
    """One recording or subscribe rule. Filters combine with AND; ``all=True`` stands alone.

    ``publisher`` is an identity or participant SID, ``track`` a track name or
    SID, ``kind`` audio/video (and data, for subscribe rules); ``priority``
    (low/standard/high) only for subscribe rules.
    """

    type: str
    all: bool | None = None
    kind: str | None = None
    publisher: str | None = None
    track: str | None = None
    priority: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.type not in _RULE_TYPES:
            raise InvalidRequest("rules.type", f"{self.type!r} is not include or exclude")
        filters = {"all": self.all, "kind": self.kind, "publisher": self.publisher, "track": self.track}
        used = [name for name, value in filters.items() if value is not None]
        if not used:
            raise InvalidRequest("rules", "a rule needs a filter: all, kind, publisher or track")
        if self.all is not None and (self.all is not True or len(used) > 1):
            raise InvalidRequest("rules.all", "all must be true and stand alone")
        if self.kind is not None and self.kind not in ("audio", "video", "data"):
            raise InvalidRequest("rules.kind", f"{self.kind!r} is not audio, video or data")
        for name in ("publisher", "track"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidRequest(f"rules.{name}", "must be a non-empty string")
        if self.priority is not None and self.priority not in _PRIORITIES:
            raise InvalidRequest("rules.priority", f"{self.priority!r} is not one of {', '.join(_PRIORITIES)}")

    @classmethod
    def include_all(cls) -> TrackRule:
        return cls("include", all=True)

    @classmethod
    def exclude_all(cls) -> TrackRule:
        return cls("exclude", all=True)

    @classmethod
    def parse(cls, value: TrackRule | Mapping[str, Any]) -> TrackRule:
        if isinstance(value, TrackRule):
            return value
        if not isinstance(value, Mapping):
            raise InvalidRequest("rules", f"each rule must be a TrackRule or a mapping, got {type(value).__name__}")
        unknown = set(value) - {"type", "all", "kind", "publisher", "track", "priority"}
        if unknown:
            raise InvalidRequest("rules", f"unknown rule fields: {', '.join(sorted(unknown))}")
        return cls(**{key: item for key, item in value.items() if item is not None})

    def as_dict(self) -> dict[str, Any]:
        """The rule as Twilio takes it (only the filters in use)."""
        return {name: value for name, value in attrs.asdict(self).items() if value is not None}


def rule_set(rules: Sequence[TrackRule | Mapping[str, Any]], *, subscribe: bool) -> tuple[TrackRule, ...]:
    """Validated rules for Twilio: 1 to 20 of them; data tracks and priorities only in subscribe rules."""
    if isinstance(rules, str | Mapping) or not isinstance(rules, Sequence):
        raise InvalidRequest("rules", "must be a list of rules")
    parsed = tuple(TrackRule.parse(rule) for rule in rules)
    if not 1 <= len(parsed) <= MAX_RULES:
        raise InvalidRequest("rules", f"give 1 to {MAX_RULES} rules, not {len(parsed)}")
    if not subscribe:
        for rule in parsed:
            if rule.kind == "data":
                raise InvalidRequest("rules.kind", "data tracks are not recorded")
            if rule.priority is not None:
                raise InvalidRequest("rules.priority", "only subscribe rules have a priority")
    return parsed


@attrs.frozen
class TrackRules:
    """A room's recording rules, or a participant's subscribe rules, as Twilio has them."""

    rules: tuple[TrackRule, ...]
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class CompositionHook:
    """A composition hook: Twilio composes every room that ends with recordings, this way.

    ``video_layout`` is Twilio's region JSON (what :func:`anyvideo_twilio.layouts.to_video_layout`
    makes from a portable :class:`~anyvideo.models.Layout`).
    """

    id: str
    name: str
    enabled: bool
    video_layout: Mapping[str, Any]
    audio_sources: tuple[str, ...]
    audio_sources_excluded: tuple[str, ...]
    resolution: Resolution | None
    format: str
    trim: bool
    status_callback: str | None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class StorageSettings:
    """Recording or composition settings: external S3 storage and encryption.

    ``aws_credentials_sid`` and ``encryption_key_sid`` are Twilio Credential SIDs
    (``CR…``): the secrets stay in Twilio, never here.
    """

    friendly_name: str
    aws_storage_enabled: bool = False
    aws_credentials_sid: str | None = None
    aws_s3_url: str | None = None
    encryption_enabled: bool = False
    encryption_key_sid: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.friendly_name, str) or not self.friendly_name:
            raise InvalidRequest("friendly_name", "must be a non-empty string")
        for name in ("aws_credentials_sid", "encryption_key_sid"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and _CREDENTIAL.fullmatch(value)):
                raise InvalidRequest(name, "must be a Twilio Credential SID (CR followed by 32 hex digits)")
        if self.aws_s3_url is not None and not re.fullmatch(r"https://\S+", str(self.aws_s3_url)):
            raise InvalidRequest("aws_s3_url", "must be an https:// URL of the bucket (and folder)")
        if self.aws_storage_enabled and not (self.aws_credentials_sid and self.aws_s3_url):
            raise InvalidRequest("aws_storage_enabled", "external storage needs aws_credentials_sid and aws_s3_url")
        if self.encryption_enabled and not self.encryption_key_sid:
            raise InvalidRequest("encryption_enabled", "encryption needs encryption_key_sid")


@attrs.frozen
class RoomTrack:
    """A track in a room: one a participant publishes, or one it receives (subscribed).

    ``participant_id`` is the participant asked about (the publisher, or the subscriber);
    ``publisher_id`` is whose track it is (the same for a published track)."""

    id: str
    name: str
    kind: str
    enabled: bool
    room_id: str
    participant_id: str
    publisher_id: str
    created_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class AnonymizedParticipant:
    """A participant who left, its identity (personal data) replaced by its SID."""

    id: str
    room_id: str
    identity: str
    status: str
    joined_at: datetime | None = None
    left_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class TrackRecording:
    """One of a room's track recordings (``RT…``), as Twilio has it (not an anyvideo recording window)."""

    id: str
    room_id: str
    track_id: str
    track_name: str | None
    kind: str
    status: str
    container: str | None
    codec: str | None
    duration: float | None
    size: int | None
    created_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


#: The speech engines Twilio's real-time transcriptions offer.
TRANSCRIPTION_ENGINES = ("google", "deepgram")
_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,4})?")


@attrs.frozen
class TranscriptionConfig:
    """How a room is transcribed (Twilio's ``Configuration``); what is ``None`` is left to Twilio."""

    language: str | None = None
    engine: str | None = None
    speech_model: str | None = None
    partial_results: bool | None = None
    profanity_filter: bool | None = None
    automatic_punctuation: bool | None = None
    hints: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.language is not None and not (isinstance(self.language, str) and _LANGUAGE.fullmatch(self.language)):
            raise InvalidRequest("language", "must be a language tag such as en-US")
        if self.engine is not None and self.engine not in TRANSCRIPTION_ENGINES:
            raise InvalidRequest("engine", f"must be one of {', '.join(TRANSCRIPTION_ENGINES)}")
        for name in ("speech_model", "hints"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value):
                raise InvalidRequest(name, "must be a non-empty string")
        for name in ("partial_results", "profanity_filter", "automatic_punctuation"):
            if getattr(self, name) not in (None, True, False):
                raise InvalidRequest(name, "must be true or false")

    def as_dict(self) -> dict[str, Any]:
        """Twilio's ``Configuration`` JSON (camelCase), without what is left to Twilio."""
        names = {
            "language": "languageCode",
            "engine": "transcriptionEngine",
            "speech_model": "speechModel",
            "partial_results": "partialResults",
            "profanity_filter": "profanityFilter",
            "automatic_punctuation": "enableAutomaticPunctuation",
            "hints": "hints",
        }
        return {twilio: getattr(self, ours) for ours, twilio in names.items() if getattr(self, ours) is not None}


@attrs.frozen
class Transcription:
    """A room's real-time transcriptions: ``started``, ``stopped`` or ``failed``.

    ``duration`` (seconds it ran) is known once it is stopped."""

    id: str
    room_id: str
    status: str
    configuration: Mapping[str, Any]
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration: float | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
