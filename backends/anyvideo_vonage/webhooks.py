"""Vonage Video callbacks -> verified :class:`~anyvideo.models.Event` objects.

Vonage posts JSON to the application's callback URLs: session monitoring
(``sessionCreated``, ``connectionCreated``, ``streamCreated`` and their
``…Destroyed``), archive, broadcast and Experience Composer status. With
"secure callbacks" on, each carries ``Authorization: Bearer <JWT>``, HS256
with the application's signature secret. anyvideo refuses any callback
without a valid signature (fail closed): configure ``signature_secret``
(``VONAGE_SIGNATURE_SECRET``; a list rotates secrets).

What is checked, in order: the token verifies (HS256) with one of the
secrets; it is not expired (``exp``); it carries ``iat`` and
``payload_hash``; ``payload_hash`` is the SHA-256 of the body received (a
captured token cannot carry another body); ``iat`` lies inside the replay
window; and the token (its ``jti``, else the token itself) was not accepted
before — a callback delivered twice is a replay. Vonage's token does not
cover the URL: a callback delivered to another URL of the application is
refused only because its token was already used. When an application's hook
fails on a callback, the facade releases its token (:meth:`CallbackParser.release`),
so the provider's retry of the same signed request is accepted and handled.

Session monitoring is also how anyvideo learns what the REST API does not
say: the identity, role and data behind a connection (from its connection
data), when it joined and left, and who published a stream. All are filed in
the registry (:mod:`anyvideo_vonage.connections`), so ``participants.list``
reports identities and roles once their callbacks have arrived, and still
lists a connection that has left.

Vonage sessions are never created or destroyed as far as the provider is
concerned (see DESIGN.md): a room *starts* when its first client connects
for the first time while it is open (the first ``sessionCreated``), and *ends*
when the last connection of a room anyvideo has ended is gone
(``sessionDestroyed`` after ``rooms.end``). Other
``sessionCreated``/``sessionDestroyed`` are
``vonage.session_created``/``vonage.session_destroyed``.

A token minted before ``rooms.end`` still connects to the session: the
backend forces such a connection out when its ``connectionCreated`` arrives
(:meth:`anyvideo_vonage.backend.VonageBackend.parse_webhook`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from anyvideo.errors import AnyVideoError, WebhookVerificationError
from anyvideo.models import Event, EventType, Participant, ParticipantStatus, Role, RoomStatus
from anyvideo.registry import Registry
from anyvideo.webhooks import DEFAULT_REPLAY_WINDOW, Transitions, WebhookRequest, check_fresh, stable_event_id
from anyvideo_vonage import connections, translate

__all__ = ["ARCHIVE_EVENTS", "BROADCAST_EVENTS", "MONITORING_EVENTS", "RENDER_STATUSES", "CallbackParser"]

PROVIDER = "vonage"

#: Session-monitoring ``event`` -> event type. ``sessionCreated`` and
#: ``sessionDestroyed`` are ``room.started``/``room.ended`` only as the module docstring says.
MONITORING_EVENTS: Mapping[str, str] = {
    "connectionCreated": EventType.PARTICIPANT_JOINED,
    "connectionDestroyed": EventType.PARTICIPANT_LEFT,
    "streamCreated": EventType.STREAM_PUBLISHED,
    "streamDestroyed": EventType.STREAM_UNPUBLISHED,
    "sessionCreated": "vonage.session_created",  # a client connected to an empty session
    "sessionDestroyed": "vonage.session_destroyed",  # the last client left
}
#: Archive ``status`` -> event type (the others: ``vonage.archive_<status>``).
ARCHIVE_EVENTS: Mapping[str, str] = {
    "started": EventType.RECORDING_STARTED,
    "available": EventType.RECORDING_AVAILABLE,
    "uploaded": EventType.RECORDING_AVAILABLE,
    "failed": EventType.RECORDING_FAILED,
}
#: Broadcast ``status`` -> event type (the others: ``vonage.broadcast_<status>``).
BROADCAST_EVENTS: Mapping[str, str] = {
    "started": EventType.COMPOSITION_STARTED,
    "stopped": EventType.COMPOSITION_ENDED,
}
#: Experience Composer statuses (spec 0.3.2); each is ``vonage.render_<status>``: no core object renders a page.
RENDER_STATUSES = ("starting", "started", "stopped", "failed")

#: Claims a signed callback must carry: without them the body or its age would go unchecked.
REQUIRED_CLAIMS = ("iat", "payload_hash")

#: The registry's claims of the tokens accepted (:meth:`~anyvideo.registry.Registry.claim`): a replay is refused.
TOKENS = "callback_token"

_T = TypeVar("_T")

_WORD = re.compile(r"[^a-z0-9_]+")


class CallbackParser:
    """Verifies and translates the callbacks of one application.

    ``secrets`` are the signature secrets that may sign (several while
    rotating); ``layout_of(kind, id)`` is the layout anyvideo asked for;
    ``replay_window`` is how far ``iat`` may lie from now.
    """

    def __init__(
        self,
        registry: Registry,
        secrets: Sequence[str],
        layout_of: Callable[[str, str], Any],
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        replay_window: timedelta = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        if replay_window <= timedelta(0):
            raise ValueError("the replay window must be positive")
        self._registry = registry
        self._secrets = tuple(secrets)
        # HMAC-SHA256 keyed once per secret: each callback copies one (the key's padding is not redone)
        self._keys = tuple(hmac.new(secret.encode(), digestmod=hashlib.sha256) for secret in self._secrets)
        self._layout_of = layout_of
        self._now = now
        self.replay_window = replay_window
        self._seen = threading.Lock()  # one sweep at a time
        self._swept_at = now()
        registry.claims_from_entries(TOKENS, "iat")  # tokens an earlier version filed as entries

    def __repr__(self) -> str:
        return f"CallbackParser(secrets={len(self._secrets)})"  # never the secrets

    # --- verification -----------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Check the signature, body hash, age and novelty of a callback (WebhookVerificationError if not)."""
        if not self._secrets:
            raise WebhookVerificationError(
                "vonage callbacks are verified with the application's signature secret: set signature_secret "
                "(VONAGE_SIGNATURE_SECRET) and turn on signed callbacks"
            )
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise WebhookVerificationError("the vonage callback carries no signature (Authorization: Bearer)")
        claims = self._claims(token)
        expected = claims["payload_hash"]
        actual = hashlib.sha256(request.body).hexdigest()
        if not isinstance(expected, str) or not hmac.compare_digest(expected.lower(), actual):
            raise WebhookVerificationError("the vonage callback's body is not the one that was signed")
        issued = claims["iat"]
        if isinstance(issued, bool) or not isinstance(issued, int | float):
            raise WebhookVerificationError("the vonage callback's signature has no usable issue time (iat)")
        try:
            sent_at = datetime.fromtimestamp(issued, UTC)
        except (OverflowError, OSError, ValueError):
            raise WebhookVerificationError("the vonage callback's signature has no usable issue time (iat)") from None
        now = self._now()
        check_fresh(sent_at, now, self.replay_window)
        if "exp" in claims and claims["exp"] <= now.timestamp():  # by the same clock as iat
            raise WebhookVerificationError("the vonage callback's signature has expired")
        if "nbf" in claims and claims["nbf"] > now.timestamp():
            raise WebhookVerificationError("the vonage callback's signature is not valid yet (nbf)")
        self._first_use(_token_id(token, claims), issued)

    def release(self, request: WebhookRequest) -> None:
        """Forget a verified callback's token: handling it failed, and the provider's next
        delivery of the same signed request must not be refused as a replay."""
        token = (request.headers.get("Authorization") or "").partition(" ")[2].strip()
        if not token:
            return
        segments = token.split(".")
        claims = _segment(segments[1]) if len(segments) == 3 else None
        if claims is None:
            return  # not a token this parser ever accepted
        self._registry.unclaim(TOKENS, _token_id(token, claims))

    def _claims(self, token: str) -> dict[str, Any]:
        """The claims of ``token`` once its HS256 signature verifies with one of the secrets.

        The signature is checked first, over the signing input as received: the HMAC of
        ``header.payload``, base64url-encoded, must equal the token's third segment (compared in
        constant time), so nothing of a forged token is decoded. Then the header must name HS256
        (a token signed any other way is refused, whatever its signature) and the claims must be
        a JSON object carrying :data:`REQUIRED_CLAIMS`. ``iat`` is judged by the replay window
        (both directions) and ``exp`` and ``nbf`` by the same clock (the ``webhook_clock``
        setting), in :meth:`verify`; a token addressed to an audience is not Vonage's.
        """
        signing_input, _, signature = token.rpartition(".")
        header, _, payload = signing_input.partition(".")
        try:
            message, signed = signing_input.encode("ascii"), signature.rstrip("=").encode("ascii")
        except UnicodeEncodeError:
            message = signed = b""
        if (
            not payload
            or "." in payload
            or not any(hmac.compare_digest(_b64(_mac(key, message)), signed) for key in self._keys)
        ):
            raise WebhookVerificationError("the vonage callback's signature does not verify with any secret")
        if (_segment(header) or {}).get("alg") != "HS256":
            raise WebhookVerificationError("the vonage callback's signature is not HS256")
        claims = _segment(payload)
        if claims is None:
            raise WebhookVerificationError("the vonage callback's signature carries no claims")
        for claim in REQUIRED_CLAIMS:
            if claim not in claims:
                raise WebhookVerificationError(f"the vonage callback's signature has no {claim!r} claim")
        for limit, what in (("exp", "expiry"), ("nbf", "start")):
            value = claims.get(limit)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise WebhookVerificationError(f"the vonage callback's signature has no usable {what} ({limit})")
        if "aud" in claims:
            raise WebhookVerificationError("the vonage callback's signature is addressed to an audience")
        return claims

    def _first_use(self, token_id: str, issued: float) -> None:
        """Refuse a token accepted before (a replay), else file it until it is too old to matter."""
        # One insert-if-absent: of two receivers sharing the registry, exactly one accepts the token.
        if not self._registry.claim(TOKENS, token_id, issued):
            raise WebhookVerificationError("the vonage callback was already received (a replayed signature)")
        # Tokens too old to be replayed are forgotten once a replay window, by one statement: a sweep
        # by count would read through every token of the window each time (as many as the callbacks).
        now = self._now()
        with self._seen:
            due = now - self._swept_at >= self.replay_window
            if due:
                self._swept_at = now
        if due:
            self._registry.sweep_claims(TOKENS, (now - 2 * self.replay_window).timestamp())

    # --- translation -----------------------------------------------------------

    def parse(self, request: WebhookRequest) -> list[Event]:
        """Verify, then translate; a callback of an unknown kind is one ``unknown`` event.

        One registry transaction: the token filed against replays and what the callback tells
        (a connection's identity, a stream's publisher) are filed together, in one write, or,
        should the callback not translate, not at all (its redelivery is refused the same way).
        """
        return self.parse_and_read(request, lambda events: None)[0]

    def parse_and_read(self, request: WebhookRequest, read: Callable[[list[Event]], _T]) -> tuple[list[Event], _T]:
        """:meth:`parse`, and ``read(events)`` in the same registry transaction: what the caller
        reads of the registry about the events costs no transaction (no file locks) of its own."""
        with self._registry.transaction():
            self.verify(request)
            events = self._translate(request)
            return events, read(events)

    def _translate(self, request: WebhookRequest) -> list[Event]:
        body = request.json()
        if not isinstance(body, dict):
            raise AnyVideoError("a vonage callback is a JSON object")
        kind = body.get("event")
        if isinstance(kind, str) and kind in MONITORING_EVENTS:
            return [self._monitoring(kind, body)]
        if kind == "archive" or (kind is None and "outputMode" in body):
            return [self._archive(body)]
        if kind == "broadcast" or (kind is None and "broadcastUrls" in body):
            return [self._broadcast(body)]
        if kind == "render":
            status = _word(body.get("status"))
            return [self._event(f"vonage.render_{status}", body, ("render", body.get("id"), status))]
        return [self._event(EventType.UNKNOWN, body, ("unknown", hashlib.sha256(request.body).hexdigest()))]

    def _event(self, kind: str, body: Mapping[str, Any], key: tuple[Any, ...], subject: Any = None) -> Event:
        occurred = translate.from_ms(body.get("timestamp")) or translate.from_ms(body.get("updatedAt"))
        return Event(
            type=kind,
            provider=PROVIDER,
            event_id=stable_event_id(PROVIDER, *key),
            occurred_at=occurred or self._now(),
            room_id=_text(body, "sessionId"),
            subject=subject,
            raw=dict(body),
        )

    def _monitoring(self, name: str, body: dict[str, Any]) -> Event:
        session_id = _required(body, "sessionId", name)
        key: tuple[Any, ...] = (name, session_id, body.get("timestamp"))
        kind = MONITORING_EVENTS[name]
        subject: Any = None
        if name.startswith("session"):
            kind, subject = self._session(name, session_id, body.get("timestamp"))
        elif name.startswith("connection"):
            connection = _mapping(body, "connection", name)
            subject = self._participant(session_id, connection, left=name == "connectionDestroyed", at=body)
            key += (subject.id,)
        else:
            stream = _mapping(body, "stream", name)
            owner = stream.get("connection")
            connection = owner if isinstance(owner, Mapping) else {}
            publisher = _text(connection, "id")
            if publisher:
                self._participant(session_id, connection, left=False, at=None)
            stream_id = _required(stream, "id", name)
            if name == "streamCreated":
                known = self._registry.get("stream", stream_id) or {}
                self._registry.put("stream", stream_id, {**known, "participant_id": publisher})
            subject = translate.stream(session_id, stream, publisher)
            key += (stream_id,)
        return self._event(kind, body, key, subject)

    def _session(self, name: str, session_id: str, timestamp: Any) -> tuple[str, Any]:
        """``room.started``/``room.ended`` or the provider-only event, with the room as subject.

        Which one is filed by the callback's own timestamp, so the provider
        retrying the callback gets the same answer.
        """
        entry = self._registry.get("room", session_id)
        mark = "room_started" if name == "sessionCreated" else "room_ended"
        filed = self._registry.get(mark, session_id)
        ended = (entry or {}).get("status") == RoomStatus.ENDED.value
        # A room starts only while open: a client a token let into an ended room is forced out.
        if filed is None and (not ended if name == "sessionCreated" else ended):
            self._registry.put(mark, session_id, {"timestamp": timestamp})
            filed = {"timestamp": timestamp}
        core = filed is not None and filed.get("timestamp") == timestamp
        kind = MONITORING_EVENTS[name]
        if core:
            kind = EventType.ROOM_STARTED if name == "sessionCreated" else EventType.ROOM_ENDED
        return kind, translate.room(session_id, entry)

    def _participant(
        self, session_id: str, connection: Mapping[str, Any], *, left: bool, at: Mapping[str, Any] | None
    ) -> Participant:
        """The connection as a participant, filing what its connection data says in the registry."""
        connection_id = _required(connection, "id", "the connection")
        raw_data = connection.get("data")
        identity, data, role = translate.read_connection(raw_data if isinstance(raw_data, str) else None)
        phone = translate.read_phone(raw_data if isinstance(raw_data, str) else None)
        joined = connection.get("createdAt")
        gone = at.get("timestamp") if left and at is not None else None

        def file(entry: dict[str, Any]) -> None:
            entry["room_id"] = session_id
            if identity:
                entry["identity"], entry["data"] = identity, data
            else:
                entry.setdefault("data", data)
            if role is not None:
                entry["role"] = role.value
            if phone is not None:
                entry["phone"] = phone
            if translate.from_ms(joined) is not None:
                entry["joined_at"] = joined
            if translate.from_ms(gone) is not None:
                entry["left_at"] = gone

        entry = connections.remember(self._registry, connection_id, file)
        return Participant(
            id=connection_id,
            provider=PROVIDER,
            room_id=session_id,
            identity=entry.get("identity") or connection_id,
            status=ParticipantStatus.DISCONNECTED if left else ParticipantStatus.CONNECTED,
            role=Role(entry["role"]) if entry.get("role") else None,
            data=entry.get("data"),
            phone="phone" in entry,
            phone_number=entry.get("phone"),
            joined_at=translate.from_ms(joined),
            left_at=translate.from_ms(entry.get("left_at")) if left else None,
            raw=dict(connection),
        )

    def _archive(self, body: dict[str, Any]) -> Event:
        raw_status = body.get("status")
        status = _word(raw_status)
        kind = (ARCHIVE_EVENTS.get(raw_status) if isinstance(raw_status, str) else None) or f"vonage.archive_{status}"
        subject = translate.archive(body, self._layout_of("archive", str(body.get("id"))))
        parts = ("archive", subject.id, status, body.get("updatedAt"))
        if kind == EventType.RECORDING_STARTED:
            # An archive paused (no streams) and then resumed reports ``started`` again: the
            # recording started once, so a later ``started`` is a resumption.
            announced = Transitions(self._registry).announce(subject.id, "started", repr(parts), kind)
            kind = announced or "vonage.archive_resumed"
        return self._event(kind, body, parts, subject)

    def _broadcast(self, body: dict[str, Any]) -> Event:
        raw_status = body.get("status")
        status = _word(raw_status)
        kind = (BROADCAST_EVENTS.get(raw_status) if isinstance(raw_status, str) else None) or (
            f"vonage.broadcast_{status}"
        )
        subject = translate.broadcast(body, self._layout_of("broadcast", str(body.get("id"))))
        return self._event(kind, body, ("broadcast", subject.id, status, body.get("updatedAt")), subject)


def _mac(key: hmac.HMAC, message: bytes) -> bytes:
    """The HMAC of ``message`` under ``key`` (a keyed HMAC left as it was)."""
    mac = key.copy()
    mac.update(message)
    return mac.digest()


def _b64(raw: bytes) -> bytes:
    """``raw`` base64url-encoded without padding, as a JWT writes its segments."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _segment(segment: str) -> dict[str, Any] | None:
    """A JWT segment (base64url, padding optional) decoded as a JSON object; ``None`` when it is not one."""
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):  # bad base64 (binascii.Error), bad JSON, bad UTF-8
        return None
    return value if isinstance(value, dict) else None


def _token_id(token: str, claims: Mapping[str, Any]) -> str:
    """What identifies a callback's token for replay checks: its ``jti``, else the token."""
    jti = claims.get("jti")
    return jti if isinstance(jti, str) and jti else hashlib.sha256(token.encode()).hexdigest()


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _required(body: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(body, key)
    if value is None:
        raise AnyVideoError(f"the vonage {what} callback has no usable {key!r}")
    return value


def _mapping(body: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise AnyVideoError(f"the vonage {what} callback has no {key!r} object")
    return value


def _word(value: Any) -> str:
    """A provider value as a safe part of an event type (``vonage.archive_<word>``)."""
    if not isinstance(value, str):
        return "unknown"
    return _WORD.sub("_", value.lower()).strip("_") or "unknown"
