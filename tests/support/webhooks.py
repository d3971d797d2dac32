"""Helpers of the webhook tests.

The provider-neutral part: a collector of dispatched events, the scripted
meeting, and the projection two providers' event sequences are compared on.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import attrs
import jwt
from twilio.request_validator import RequestValidator

from anyvideo import Event, EventType, Participant, Recording, Room, StreamKind, Video
from anyvideo.hookspecs import hookimpl
from anyvideo.testing import Emulator, EmulatorControl, RemoteClient, WebhookServer

#: The signature secret the Vonage emulator signs with in these tests.
VONAGE_SECRET = "webhook-tests-signature-secret-of-32-bytes"
#: Where the offline connections point: nothing listens; parsing a callback makes no request.
UNREACHABLE = "127.0.0.1:9"
#: The auth token and account of the offline Twilio connection.
TWILIO_TOKEN = "offline-auth-token-0123456789abcdef"
TWILIO_ACCOUNT = "AC" + "0" * 32
#: Where nobody listens: the emulator records what it sent, for tests that replay it by hand.
NOWHERE = "http://127.0.0.1:9/hooks"

CORE_TYPES = frozenset(EventType) - {EventType.UNKNOWN}


@contextmanager
def vonage_callbacks(video: Video, emulator: Emulator, secret: str = VONAGE_SECRET) -> Iterator[WebhookServer]:
    """``video``'s webhook app on loopback, and the Vonage emulator configured (as the
    dashboard would be) to send every kind of callback there, signed with ``secret``."""
    with WebhookServer(video, path="/vonage/callbacks") as server:
        settings = {kind: server.url for kind in ("session", "archive", "broadcast", "render")}
        emulator.control.call("PUT", "/vonage/callbacks", settings | {"signature_secret": secret})
        yield server
        emulator.control.callbacks()  # nothing still on its way when the server stops


class Collector:
    """An ``anyvideo_event`` hook that keeps what it is handed, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    @hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        with self._lock:
            self.events.append(event)


# --- signing by hand, as each provider signs -------------------------------------------


def vonage_signed(body: Any, secret: str = VONAGE_SECRET, **claims: Any) -> tuple[dict[str, str], bytes]:
    """Headers and body of a Vonage callback signed now (``claims`` override or, as ``None``, drop claims)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    now = int(time.time())
    payload = {"iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), "payload_hash": hashlib.sha256(raw).hexdigest()}
    payload = {k: v for k, v in (payload | claims).items() if v is not None}
    token = jwt.encode(payload, secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, raw


def twilio_signed(token: str, url: str, params: dict[str, str]) -> tuple[dict[str, str], str]:
    """Headers and form body of a Twilio POST callback to ``url``, signed with the auth token."""
    signature = RequestValidator(token).compute_signature(url, params)
    return {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}, urlencode(params)


def deliveries(control: EmulatorControl, url: str) -> list[dict[str, Any]]:
    """What the emulator sent to ``url`` (a prefix), as the application received it (a GET's query in the URL)."""
    sent = []
    for delivery in control.callbacks():
        if not delivery["url"].startswith(url):
            continue
        if delivery["method"] == "GET":
            delivery = {**delivery, "url": f"{delivery['url']}?{delivery['body']}", "body": ""}
        sent.append(delivery)
    return sent


# --- the scripted meeting, and what is compared -----------------------------------------


@attrs.frozen
class Wiring:
    """One provider wired for the meeting: the application's ``video`` (whose webhook app the
    emulator calls), the browsers, room options that route callbacks, and the collected events."""

    video: Video
    control: EmulatorControl
    room_options: dict[str, Any]
    collector: Collector

    def settle(self) -> None:
        """Wait until every callback caused so far was delivered (and answered)."""
        self.control.callbacks()


def meeting(wiring: Wiring) -> tuple[Room, Recording]:
    """Room created, two participants join and publish (a microphone and a camera each), a
    recording started, stopped and processed, a participant leaves, the room ends.

    It names no provider: what differs (how callbacks are routed) is in ``wiring``.
    """
    video, devices = wiring.video, wiring.video.backend.browser()
    room = video.rooms.create("weekly-sync", provider_options=wiring.room_options or None)
    wiring.settle()
    clients: list[RemoteClient] = []
    for identity in ("ann", "bob"):
        clients.append(devices.join(video.tokens.create(room, identity)))
        wiring.settle()
    for client in clients:
        for kind in (StreamKind.AUDIO, StreamKind.VIDEO):
            client.publish(kind, name=f"{client.identity}-{kind.value}")
            wiring.settle()
    recording = video.recordings.start(room, mode="individual")
    wiring.settle()
    wiring.control.advance(2)
    video.recordings.stop(recording)
    wiring.settle()
    wiring.control.advance(10)  # processing finishes
    video.recordings.get(recording)
    wiring.settle()
    clients[1].leave()
    wiring.settle()
    video.rooms.end(room)
    wiring.settle()
    return room, recording


def projection(events: Iterable[Event]) -> list[tuple[str, ...]]:
    """The sequence two providers are compared on.

    1. Duplicates are dropped by ``event_id``, as an application does (one
       recording reported by each of its tracks is one event).
    2. Only core event types are kept: provider-only events (``vonage.*``,
       ``twilio.*``) say what the other provider cannot.
    3. Each event becomes (type, kind of subject, whose): the participant's
       identity for participant and stream events (a stream's publisher is
       found among the participants seen), nothing more for the others.
    """
    seen: set[str] = set()
    identities: dict[str, str] = {}
    projected: list[tuple[str, ...]] = []
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        if event.type not in CORE_TYPES:
            continue
        subject = event.subject
        whose: tuple[str, ...] = ()
        if isinstance(subject, Participant):
            identities[subject.id] = subject.identity
            whose = (subject.identity,)
        elif subject is not None and hasattr(subject, "participant_id"):
            whose = (identities.get(subject.participant_id, "?"),)
        projected.append((str(event.type), type(subject).__name__, *whose))
    return projected


def types(events: Sequence[Event]) -> list[str]:
    return [str(e.type) for e in events]


def no_refusals(control: EmulatorControl) -> list[tuple[str, Any]]:
    """Deliveries the application did not answer with 204."""
    return [(d["url"], d["status"] or d["error"]) for d in control.callbacks() if d["status"] != 204]
