"""The API's bodies (pydantic), with the camelCase names seed 001 writes.

Request bodies refuse unknown fields (422 naming the field); times must carry a zone.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic.alias_generators import to_camel

__all__ = [
    "ArchiveList",
    "ArchiveOut",
    "AttendeeEvent",
    "AttendeeOut",
    "MeetingOptions",
    "Problem",
    "SessionWebhook",
    "TokenRequest",
    "TokenResponse",
    "TokenRole",
    "VideoChatSessionPartial",
]

#: How long a free-text field may be.
SHORT = 256


def _iso_text(value: object) -> object:
    """A time is written as ISO 8601 text (seed 001's ``date-time``), not as a number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a date-time is ISO 8601 text with a zone, such as 2026-05-01T09:30:00Z")
    return value


#: A request's time: ISO 8601 text with a zone.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


def _finite(value: Any) -> Any:
    """Refuses the numbers JSON cannot write (``1e999`` parses as infinity), anywhere inside."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite (JSON has no infinity or NaN)")
    if isinstance(value, dict):
        for item in value.values():
            _finite(item)
    elif isinstance(value, list):
        for item in value:
            _finite(item)
    return value


def _no_nul(value: str) -> str:
    """Text the service stores holds no NUL character, which PostgreSQL's text cannot hold."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


#: Text the service keeps in its database.
Text = Annotated[str, AfterValidator(_no_nul)]

#: The caller's own data: any JSON object, kept as given.
Metadata = Annotated[dict[str, Any], AfterValidator(_finite)]


class Body(BaseModel):
    """A request body: camelCase, no unknown fields."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=False, validate_by_alias=True, extra="forbid")


class Answer(BaseModel):
    """A response body: camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True)


class Audit(Answer):
    """Seed 001's audit fields."""

    created_on: datetime
    created_by: str | None
    modified_on: datetime
    modified_by: str | None
    deleted: bool
    deleted_on: datetime | None
    deleted_by: str | None


class MeetingOptions(Body):
    """``POST /session``: what the meeting needs. Archiving with end-to-end encryption is refused."""

    enable_archiving: StrictBool = Field(
        default=False, description="Record the meeting (its archive) from the first stream."
    )
    e2ee: StrictBool = Field(default=False, alias="e2ee", description="End-to-end encrypted media; not with archiving.")
    is_scheduled: StrictBool = Field(default=False, description="Booked for later: the room is made when first needed.")
    schedule_time: Timestamp | None = Field(
        default=None, description="When a scheduled meeting starts (in the future)."
    )
    ext_id: Text | None = Field(default=None, max_length=SHORT, description="An id of the caller's own.")
    ext_metadata: Metadata | None = Field(default=None, description="The caller's own data, kept as given.")


class VideoChatSessionPartial(Body):
    """``PATCH /session/{meetingLinkId}``: seed 001's meeting fields; only ``isScheduled``,
    ``scheduleTime``, ``isArchived``, ``extId`` and ``extMetadata`` may change (the others are the
    service's, and are refused with a 422 naming them)."""

    deleted: StrictBool | None = None
    deleted_on: Timestamp | None = None
    deleted_by: str | None = None
    created_on: Timestamp | None = None
    modified_on: Timestamp | None = None
    created_by: str | None = None
    modified_by: str | None = None
    id: float | None = None
    session_id: str | None = None
    meeting_link: str | None = None
    is_scheduled: StrictBool | None = None
    schedule_time: Timestamp | None = None
    is_archived: StrictBool | None = None
    archive_id: str | None = None
    upload_target: str | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    ext_id: Text | None = Field(default=None, max_length=SHORT)
    ext_metadata: Metadata | None = None


#: The fields of :class:`VideoChatSessionPartial` a caller may change.
EDITABLE = frozenset({"is_scheduled", "schedule_time", "is_archived", "ext_id", "ext_metadata"})


class TokenRole(StrEnum):
    """The roles seed 001 names."""

    MODERATOR = "moderator"
    PUBLISHER = "publisher"
    SUBSCRIBER = "subscriber"


class TokenRequest(Body):
    """``POST /session/{meetingLinkId}/token``: who joins, with what role, until when."""

    role: TokenRole = Field(default=TokenRole.PUBLISHER, description="What the holder may do.")
    expire_time: Timestamp | None = Field(
        default=None, description="When the token stops working (default: in 1 hour)."
    )
    identity: Text | None = Field(
        default=None, min_length=1, max_length=128, description="Who joins (default: the caller's token subject)."
    )
    data: str | None = Field(
        default=None, max_length=1000, description="Data the token carries to the other participants."
    )


class TokenResponse(Answer):
    """A client token for the meeting's room."""

    session_id: str
    token: str
    role: TokenRole
    expire_time: datetime


class AttendeeOut(Audit):
    """Someone who joined the meeting."""

    id: int
    session_id: str
    meeting_link_id: str
    attendee: str
    participant_id: str | None
    is_active: bool
    joined_on: datetime | None
    left_on: datetime | None
    ext_id: str | None
    ext_metadata: dict[str, Any] | None


class AttendeeEvent(StrEnum):
    """What a third party reports of an attendee."""

    JOINED = "joined"
    LEFT = "left"


class SessionWebhook(Body):
    """``POST /webhooks/session``: a third party adds or updates an attendee of a meeting."""

    meeting_link_id: Text = Field(min_length=1, max_length=64)
    attendee: Text = Field(min_length=1, max_length=128)
    event: AttendeeEvent
    occurred_at: Timestamp | None = Field(default=None, description="When it happened (default: when received).")
    ext_id: Text | None = Field(default=None, max_length=SHORT)
    ext_metadata: Metadata | None = None


class ArchiveOut(Audit):
    """A recording of a meeting."""

    archive_id: str
    meeting_link_id: str
    session_id: str | None
    name: str | None
    status: str
    start_time: datetime | None
    stop_time: datetime | None
    duration: float | None
    size: int | None


class ArchiveList(Answer):
    """A page of archives, newest first."""

    count: int = Field(description="How many archives there are in all.")
    items: list[ArchiveOut]


class Problem(Answer):
    """An error, as RFC 9457 ``application/problem+json``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="The field at fault, where one is.")
    errors: list[dict[str, Any]] | None = Field(default=None, description="Each invalid field, for a 422.")
