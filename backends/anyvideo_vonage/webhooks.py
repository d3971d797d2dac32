"""Vonage Video callbacks -> verified :class:`~anyvideo.models.Event` objects.

Vonage posts JSON to the application's callback URLs: session monitoring
(``sessionCreated``, ``connectionCreated``, ``streamCreated`` and their
``…Destroyed``), archive, broadcast and Experience Composer status. With
"secure callbacks" on, each carries ``Authorization: Bearer <JWT>``, HS256
with the application's signature secret. anyvideo refuses any callback
without a valid signature (fail closed): configure ``signature_secret``
(``VONAGE_SIGNATURE_SECRET``; a list rotates secrets).

Session monitoring is also how anyvideo learns what the REST API does not
say: the identity and data behind a connection (from its connection data)
and who published a stream. Both are filed in the registry, so
``participants.list`` reports identities once their callbacks have arrived.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import jwt

from anyvideo.errors import AnyVideoError, WebhookVerificationError
from anyvideo.models import Event, EventType, Participant, ParticipantStatus, Stream
from anyvideo.registry import Registry
from anyvideo.webhooks import DEFAULT_REPLAY_WINDOW, WebhookRequest, check_fresh, stable_event_id
from anyvideo_vonage import translate

__all__ = ["ARCHIVE_EVENTS", "BROADCAST_EVENTS", "MONITORING_EVENTS", "CallbackParser"]

PROVIDER = "vonage"

#: Session-monitoring ``event`` -> event type.
MONITORING_EVENTS: Mapping[str, str] = {
    "connectionCreated": EventType.PARTICIPANT_JOINED,
    "connectionDestroyed": EventType.PARTICIPANT_LEFT,
    "streamCreated": EventType.STREAM_PUBLISHED,
    "streamDestroyed": EventType.STREAM_UNPUBLISHED,
    "sessionCreated": "vonage.session_created",  # the first client connected
    "sessionDestroyed": "vonage.session_destroyed",  # the last client left
}
#: Archive ``status`` -> event type (others: ``vonage.archive_<status>``).
ARCHIVE_EVENTS: Mapping[str, str] = {
    "started": EventType.RECORDING_STARTED,
    "available": EventType.RECORDING_AVAILABLE,
    "uploaded": EventType.RECORDING_AVAILABLE,
    "failed": EventType.RECORDING_FAILED,
}
#: Broadcast ``status`` -> event type.
BROADCAST_EVENTS: Mapping[str, str] = {
    "started": EventType.COMPOSITION_STARTED,
    "stopped": EventType.COMPOSITION_ENDED,
}

_WORD = re.compile(r"[^a-z0-9_]+")


class CallbackParser:
    """Verifies and translates the callbacks of one application."""

    def __init__(
        self,
        registry: Registry,
        secrets: Sequence[str],
        layout_of: Callable[[str, str], Any],
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._registry = registry
        self._secrets = tuple(secrets)
        self._layout_of = layout_of  # (kind, id) -> the layout anyvideo asked for
        self._now = now

    def __repr__(self) -> str:
        return f"CallbackParser(secrets={len(self._secrets)})"

    # --- verification -----------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        if not self._secrets:
            raise WebhookVerificationError(
                "vonage callbacks are verified with the application's signature secret: set signature_secret "
                "(VONAGE_SIGNATURE_SECRET) and turn on signed callbacks"
            )
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise WebhookVerificationError("the vonage callback carries no signature (Authorization: Bearer)")
        claims = None
        for secret in self._secrets:
            try:
                claims = jwt.decode(token.strip(), secret, algorithms=["HS256"], options={"verify_iat": False})
                break
            except jwt.ExpiredSignatureError:
                raise WebhookVerificationError("the vonage callback's signature has expired") from None
            except jwt.InvalidTokenError:
                continue
        if claims is None:
            raise WebhookVerificationError("the vonage callback's signature does not verify with any secret")
        expected = claims.get("payload_hash")
        if expected is not None and expected != hashlib.sha256(request.body).hexdigest():
            raise WebhookVerificationError("the vonage callback's body is not the one that was signed")
        if isinstance(claims.get("iat"), int | float):
            check_fresh(datetime.fromtimestamp(claims["iat"], UTC), self._now(), DEFAULT_REPLAY_WINDOW)

    # --- translation -----------------------------------------------------------

    def parse(self, request: WebhookRequest) -> list[Event]:
        self.verify(request)
        body = request.json()
        if not isinstance(body, dict):
            raise AnyVideoError("a vonage callback is a JSON object")
        if body.get("event") in MONITORING_EVENTS:
            return [self._monitoring(body)]
        kind = body.get("event")
        if kind == "archive" or (kind is None and "outputMode" in body):
            return [self._archive(body)]
        if kind == "broadcast" or (kind is None and "broadcastUrls" in body):
            return [self._broadcast(body)]
        if kind == "render":
            status = _word(body.get("status"))
            return [self._event(f"vonage.render_{status}", body, ("render", body.get("id"), status))]
        return [self._event(EventType.UNKNOWN, body, ("unknown", hashlib.sha256(request.body).hexdigest()))]

    def _event(
        self, kind: str, body: Mapping[str, Any], key: tuple[Any, ...], subject: Any = None, at: Any = None
    ) -> Event:
        occurred = translate.from_ms(at if at is not None else body.get("timestamp") or body.get("updatedAt"))
        return Event(
            type=kind,
            provider=PROVIDER,
            event_id=stable_event_id(PROVIDER, *key),
            occurred_at=occurred or self._now(),
            room_id=body.get("sessionId"),
            subject=subject,
            raw=dict(body),
        )

    def _monitoring(self, body: dict[str, Any]) -> Event:
        name, session_id = body["event"], str(body.get("sessionId") or "")
        key: tuple[Any, ...] = (name, session_id, body.get("timestamp"))
        subject: Participant | Stream | None = None
        if name.startswith("connection"):
            connection = body.get("connection") or {}
            subject = self._participant(session_id, connection, left=name == "connectionDestroyed", at=body)
            key += (subject.id,)
        elif name.startswith("stream"):
            stream = body.get("stream") or {}
            connection = stream.get("connection") or {}
            if connection.get("id"):
                self._participant(session_id, connection, left=False, at=None)
            stream_id = str(stream.get("id") or "")
            if name == "streamCreated":
                known = self._registry.get("stream", stream_id) or {}
                self._registry.put("stream", stream_id, {**known, "participant_id": connection.get("id")})
            subject = translate.stream(session_id, stream, connection.get("id"))
            key += (stream_id,)
        return self._event(MONITORING_EVENTS[name], body, key, subject)

    def _participant(
        self, session_id: str, connection: Mapping[str, Any], *, left: bool, at: Mapping[str, Any] | None
    ) -> Participant:
        """The connection as a participant, filing what its connection data says in the registry."""
        connection_id = str(connection.get("id") or "")
        identity, data = translate.read_connection_data(connection.get("data"))
        known = self._registry.get("connection", connection_id) or {}
        entry = {
            **known,
            "room_id": session_id,
            "identity": identity or known.get("identity"),
            "data": data if identity else known.get("data", data),
        }
        if left and at is not None:
            entry["left_at"] = at.get("timestamp")
        self._registry.put("connection", connection_id, entry)
        return Participant(
            id=connection_id,
            provider=PROVIDER,
            room_id=session_id,
            identity=entry["identity"] or connection_id,
            status=ParticipantStatus.DISCONNECTED if left else ParticipantStatus.CONNECTED,
            data=entry["data"],
            joined_at=translate.from_ms(connection.get("createdAt")),
            left_at=translate.from_ms(entry.get("left_at")),
            raw=dict(connection),
        )

    def _archive(self, body: dict[str, Any]) -> Event:
        raw_status = body.get("status")
        status = _word(raw_status)
        kind = ARCHIVE_EVENTS.get(raw_status, f"vonage.archive_{status}") if isinstance(raw_status, str) else None
        subject = translate.archive(body, self._layout_of("archive", str(body.get("id"))))
        kind = kind or "vonage.archive_unknown"
        return self._event(kind, body, ("archive", body.get("id"), status, body.get("updatedAt")), subject)

    def _broadcast(self, body: dict[str, Any]) -> Event:
        raw_status = body.get("status")
        status = _word(raw_status)
        kind = BROADCAST_EVENTS.get(raw_status, f"vonage.broadcast_{status}") if isinstance(raw_status, str) else None
        subject = translate.broadcast(body, self._layout_of("broadcast", str(body.get("id"))))
        return self._event(
            kind or "vonage.broadcast_unknown",
            body,
            ("broadcast", body.get("id"), status, body.get("updatedAt")),
            subject,
        )


def _word(value: Any) -> str:
    """A provider value as a safe part of an event type (``vonage.archive_<word>``)."""
    if value is None:
        return "unknown"
    return _WORD.sub("_", str(value).lower()).strip("_") or "unknown"
