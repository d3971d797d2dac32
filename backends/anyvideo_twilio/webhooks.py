"""Twilio Video status callbacks -> verified :class:`~anyvideo.models.Event` objects.

Twilio calls a room's ``status_callback`` (room, participant, track and track
recording events) and a composition's or hook's (composition events) with
form parameters, signed in ``X-Twilio-Signature``: Base64 HMAC-SHA1, keyed
with the account's auth token, of the URL and the parameters. The check
(:func:`signature_valid`) accepts exactly what the SDK's ``RequestValidator``
accepts (the URL with and without its port; a JSON body against its
``bodySHA256``), computing the HMAC once per URL variant until one matches, and
taking the URL's variants apart once per URL. Verification fails closed: without an auth token
configured, or with a wrong, missing or stale signature (the signed
``Timestamp`` outside the replay window), the callback is refused. A JSON
body must come with its ``bodySHA256`` in the URL: otherwise the signature
would not cover it.

Twilio's signature has no time and no id of its own: the replay window is
judged by the ``Timestamp`` parameter, which is signed with the others; a
callback without one cannot be told from a replay. Inside the window a
replayed callback is the same callback (Twilio's retries are identical
requests): it keeps its ``event_id``, which is how an application drops it.

Track recordings are Twilio's; anyvideo's recordings are windows of them
(:mod:`anyvideo_twilio.windows`), and each transition of a window is one
event, however many tracks report it: ``recording.started`` with the first
of its tracks' ``recording-started``; ``recording.available`` when a
callback finds the stopped window available (individual: every track
recording completed; composed: its composition completed too, which its
``composition-available`` tells); ``recording.failed`` when one finds it
failed. No callback sends a request: a track's ``recording-completed`` or
``-failed`` files what it carries for the track in the window's registry
entry (:data:`TRACK_FIELDS`), a composition's callback its status, and the
window is judged from that entry (the callback that files its last track
announces it). Which callback announced a transition is claimed in the backend's
registry (:class:`anyvideo.webhooks.Transitions`), so concurrent receivers
sharing it announce it once, and a restarted one does not again. Every track
callback of a window also yields its own ``twilio.track_recording_*`` event.
A track recording of no window is an individual recording of its own.

With ``enforce_roles``, a ``track-added`` callback of a participant whose
token's role cannot publish disconnects that participant (a REST update to
``disconnected``) and yields ``twilio.role_enforced``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import attrs
from twilio.request_validator import add_port, remove_port

from anyvideo.errors import AnyVideoError, Conflict, NotFound, WebhookVerificationError
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    EventType,
    MediaFile,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Room,
    Stream,
)
from anyvideo.registry import EndedRooms
from anyvideo.webhooks import DEFAULT_REPLAY_WINDOW, Transitions, WebhookRequest, check_fresh, stable_event_id
from anyvideo_twilio import statuses, translate
from anyvideo_twilio.tokens import Roles
from anyvideo_twilio.windows import NOTHING_TO_COMPOSE, RecordingWindows, Window

__all__ = [
    "COMPOSITION_EVENTS",
    "COMPOSITION_OUTCOMES",
    "RECORDING_EVENTS",
    "ROLE_ENFORCED",
    "ROOM_EVENTS",
    "TRACK_FIELDS",
    "TRACK_OUTCOMES",
    "TRACK_RECORDING_EVENTS",
    "COMPOSED_OUTCOMES",
    "CallbackParser",
    "signature_valid",
    "window_outcome",
]

PROVIDER = "twilio"
_DIGITS = re.compile(r"[0-9]+")

#: Room status callback events (``StatusCallbackEvent``) -> event type.
ROOM_EVENTS: Mapping[str, str] = {
    "room-created": EventType.ROOM_STARTED,
    "room-ended": EventType.ROOM_ENDED,
    "participant-connected": EventType.PARTICIPANT_JOINED,
    "participant-disconnected": EventType.PARTICIPANT_LEFT,
    "participant-reconnecting": "twilio.participant_reconnecting",
    "participant-reconnected": "twilio.participant_reconnected",
    "track-added": EventType.STREAM_PUBLISHED,
    "track-removed": EventType.STREAM_UNPUBLISHED,
    "track-enabled": "twilio.track_enabled",
    "track-disabled": "twilio.track_disabled",
}

#: Track recording events -> (event type of a recording of its own, status it reports).
RECORDING_EVENTS: Mapping[str, tuple[str, RecordingStatus]] = {
    "recording-started": (EventType.RECORDING_STARTED, RecordingStatus.PROCESSING),
    "recording-completed": (EventType.RECORDING_AVAILABLE, RecordingStatus.AVAILABLE),
    "recording-failed": (EventType.RECORDING_FAILED, RecordingStatus.FAILED),
}

#: Track recording events of a window's track -> the track-level event each yields.
TRACK_RECORDING_EVENTS: Mapping[str, str] = {
    "recording-started": "twilio.track_recording_started",
    "recording-completed": "twilio.track_recording_completed",
    "recording-failed": "twilio.track_recording_failed",
}

#: Track recording events that settle a track -> the status it files for the track.
TRACK_OUTCOMES: Mapping[str, str] = {"recording-completed": "completed", "recording-failed": "failed"}

#: Callback parameters of a track recording -> the field of its REST answer each one
#: is, and how its text reads there (what a window files of its tracks, without asking).
TRACK_FIELDS: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "Duration": ("duration", lambda text: _whole(text)),
    "Size": ("size", lambda text: _whole(text)),
    "Container": ("container_format", str),
    "Codec": ("codec", str),
    "MediaExternalLocation": ("media_external_location", str),
}

#: Composition events that settle a composition -> its status then.
COMPOSITION_OUTCOMES: Mapping[str, str] = {"composition-available": "completed", "composition-failed": "failed"}

#: A participant whose role cannot publish published, and was disconnected (``enforce_roles``).
ROLE_ENFORCED = "twilio.role_enforced"

#: Composition events -> (event type, the composition's status then).
COMPOSITION_EVENTS: Mapping[str, tuple[str, CompositionStatus]] = {
    "composition-enqueued": ("twilio.composition_enqueued", CompositionStatus.QUEUED),
    "composition-hook-failed": ("twilio.composition_hook_failed", CompositionStatus.FAILED),
    "composition-started": (EventType.COMPOSITION_STARTED, CompositionStatus.PROCESSING),
    "composition-progress": ("twilio.composition_progress", CompositionStatus.PROCESSING),
    "composition-available": (EventType.COMPOSITION_AVAILABLE, CompositionStatus.AVAILABLE),
    "composition-failed": (EventType.COMPOSITION_FAILED, CompositionStatus.FAILED),
}


class CallbackParser:
    """Verifies and translates the callbacks of one account.

    ``auth_tokens`` are the account's auth tokens that may sign (the current
    one, and the previous one while rotating); ``windows`` resolves track
    recordings to anyvideo's recordings; ``transitions`` keeps which callback
    announced each window's transitions; ``ended`` keeps the rooms a ``room-ended``
    callback said ended (no new tokens for them); ``roles`` (``enforce_roles`` on) are
    the roles tokens were minted with, and ``disconnect(room_sid,
    participant_sid)`` disconnects a participant whose role cannot publish;
    ``replay_window`` is how far the signed ``Timestamp`` may lie from now.
    """

    def __init__(
        self,
        auth_tokens: Sequence[str],
        windows: RecordingWindows,
        transitions: Transitions,
        *,
        roles: Roles | None = None,
        disconnect: Callable[[str, str], None] | None = None,
        ended: EndedRooms | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        replay_window: timedelta = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        if (roles is None) != (disconnect is None):
            raise ValueError("roles are enforced with both roles and disconnect, or not at all")
        self._keys = [token.encode("utf-8") for token in auth_tokens]
        self._windows = windows
        self._transitions = transitions
        self._ended = ended
        self._roles = roles
        self._disconnect = disconnect
        self._now = now
        if replay_window <= timedelta(0):
            raise ValueError("the replay window must be positive")
        #: How far the signed ``Timestamp`` may lie from now.
        self.replay_window = replay_window
        #: How long a track recording's callback waits for the window being opened in its room (seconds).
        self.window_wait = 5.0

    def __repr__(self) -> str:
        return f"CallbackParser({len(self._keys)} auth tokens)"  # never the tokens

    def parse(self, request: WebhookRequest) -> list[Event]:
        params, sent_at = self._verified(request)
        name = params.get("StatusCallbackEvent")
        if not name:
            raise AnyVideoError("twilio: the callback has no StatusCallbackEvent; it is not a Twilio Video callback")
        occurred_at = sent_at or self._now()
        if name in ROOM_EVENTS:
            return self._room_events(name, params, occurred_at)
        if name in RECORDING_EVENTS:
            return self._recording_events(name, params, occurred_at)
        if name in COMPOSITION_EVENTS:
            return self._composition_events(name, params, occurred_at)
        return [_event(EventType.UNKNOWN, params, occurred_at, None, name, params.get("RoomSid"))]

    def verify(self, request: WebhookRequest) -> dict[str, str]:
        """The callback's parameters, once its signature is checked (WebhookVerificationError if not)."""
        return self._verified(request)[0]

    def _verified(self, request: WebhookRequest) -> tuple[dict[str, str], datetime | None]:
        """:meth:`verify`, and the signed ``Timestamp`` as a time (read once), if there is one."""
        signature = request.headers.get("X-Twilio-Signature")
        if not self._keys:
            raise WebhookVerificationError(
                "twilio callbacks are signed with the account's auth token: configure auth_token to receive them"
            )
        if not signature:
            raise WebhookVerificationError("the callback has no X-Twilio-Signature")
        if request.method == "GET":
            signed: Mapping[str, str] | str = {}  # the parameters are in the URL, which is signed whole
            params = request.form()
        elif request.headers.get("Content-Type", "").startswith("application/json"):
            parts = _url_parts(request.url)  # None: a URL no signature matches (refused below)
            if parts is not None and parts[1] is None:
                # the signature covers the URL only: without the body's hash in it, any body would pass
                raise WebhookVerificationError("the JSON callback's URL carries no bodySHA256")
            signed = request.body.decode("utf-8", "replace")  # checked against the URL's bodySHA256
            body = request.json()
            params = {str(key): str(value) for key, value in body.items()} if isinstance(body, dict) else {}
        else:
            signed = params = request.form()
        valid = signature_valid(self._keys, request.url, signed, signature)
        if not valid:
            raise WebhookVerificationError("the callback's X-Twilio-Signature does not match")
        sent_at = None
        if params.get("Timestamp"):
            sent_at = _moment(params["Timestamp"])
            if sent_at is None:  # signed, yet no time: its age cannot be judged, so it is not taken
                raise WebhookVerificationError("the callback's signed Timestamp is not a time")
            check_fresh(sent_at, self._now(), self.replay_window)
        return params, sent_at

    # --- rooms, participants, tracks ----------------------------------------

    def _room_events(self, name: str, params: dict[str, str], occurred_at: datetime) -> list[Event]:
        event = self._room_event(name, params, occurred_at)
        if name == "track-added" and self._roles is not None:
            return [event, *self._enforce_role(params, occurred_at)]
        return [event]

    def _room_event(self, name: str, params: dict[str, str], occurred_at: datetime) -> Event:
        room_sid = params.get("RoomSid")
        subject: Any = None
        if name.startswith("room-") and room_sid:
            if name == "room-ended" and self._ended is not None:
                self._ended.end(room_sid, occurred_at)
            subject = Room(
                id=room_sid,
                provider=PROVIDER,
                name=params.get("RoomName"),
                status=statuses.room_status(params.get("RoomStatus")),
                ended_at=occurred_at if name == "room-ended" else None,
            )
        elif name.startswith("participant-") and room_sid and params.get("ParticipantSid"):
            subject = _participant(params, room_sid)
        elif name.startswith("track-") and room_sid and params.get("TrackSid") and _track_kind(params):
            kind = statuses.stream_kind(params["TrackKind"])
            subject = Stream(
                id=params["TrackSid"],
                provider=PROVIDER,
                room_id=room_sid,
                participant_id=params.get("ParticipantSid", ""),
                kind=kind,
                name=params.get("TrackName"),
                video_source=translate.video_source(kind, params.get("TrackName")),
            )
        return _event(ROOM_EVENTS[name], params, occurred_at, subject, name, room_sid)

    def _enforce_role(self, params: dict[str, str], occurred_at: datetime) -> list[Event]:
        """Disconnect a participant that published though its token's role cannot; the
        first of its tracks that does so announces it (``twilio.role_enforced``)."""
        assert self._roles is not None and self._disconnect is not None
        room_sid, participant_sid = params.get("RoomSid"), params.get("ParticipantSid")
        identity = params.get("ParticipantIdentity")
        if not (room_sid and participant_sid and identity):
            return []
        role = self._roles.of(room_sid, identity)
        if role is None or role.can_publish:
            return []
        try:
            self._disconnect(room_sid, participant_sid)
        except Conflict:
            pass  # it left already (disconnected for an earlier track, or by itself)
        by = params.get("TrackSid", "")
        if self._transitions.announce(participant_sid, "role_enforced", by, ROLE_ENFORCED) is None:
            return []
        subject = attrs.evolve(
            _participant(params, room_sid), status=ParticipantStatus.DISCONNECTED, role=role, left_at=occurred_at
        )
        # one id per participant, whichever of its tracks' callbacks announced it
        return [
            _event(
                ROLE_ENFORCED,
                params,
                occurred_at,
                subject,
                ROLE_ENFORCED,
                room_sid,
                resource=participant_sid,
                sequence=False,
            )
        ]

    # --- track recordings ---------------------------------------------------

    def _recording_events(self, name: str, params: dict[str, str], occurred_at: datetime) -> list[Event]:
        kind, status = RECORDING_EVENTS[name]
        room_sid = params.get("RoomSid")
        sid = params.get("RecordingSid", "")
        window = self._window_of(sid, room_sid, occurred_at if "Timestamp" in params else None, name)
        if window is not None and (name in TRACK_OUTCOMES or sid not in window.tracks):
            window = self._windows.note_track(window.id, sid, _track_changes(name, params), known=window)
        track = _track_recording(params, status, None if window is None else window.id)
        if window is None:
            return [_event(kind, params, occurred_at, track, name, room_sid)]
        events = [_event(TRACK_RECORDING_EVENTS[name], params, occurred_at, track, name, room_sid)]
        by = f"{sid}:{name}"
        if name == "recording-started":
            # The window started recording with its first track.
            announced = self._transitions.announce(window.id, "started", by, EventType.RECORDING_STARTED)
            if announced is not None:
                events.append(_window_event(announced, params, occurred_at, _recording_now(window), window))
        elif not window.open:
            # A track of a stopped window arrived: the window may have arrived with it.
            events += self._window_outcome(window, by, params, occurred_at)
        return events

    def _window_outcome(self, window: Window, by: str, params: dict[str, str], occurred_at: datetime) -> list[Event]:
        """``recording.available`` or ``recording.failed`` for a stopped window that got there,
        announced once (by ``by`` when it is the first callback to find it so); the window's
        recording is built only for the callback that announces it."""
        standing = self._windows.standing(window)
        status, composition = standing
        kind = _outcome(status, window.mode, composition.get("status"))
        announced = None if kind is None else self._transitions.announce(window.id, "outcome", by, kind)
        if announced is None:
            return []
        return [_window_event(announced, params, occurred_at, self._windows.recording(window, standing), window)]

    def _window_of(self, recording_sid: str, room_sid: str | None, moment: datetime | None, name: str) -> Window | None:
        """The window a track recording belongs to, if any: the one that claimed it, else
        the room's window it started in (the open one, or one closed whose tracks were not
        listed yet; :meth:`RecordingWindows.window_at`, by the callback's ``Timestamp``).

        The claim is read again *after* the room's windows: a read or listing may claim
        the track in between. (Without it, the track would be claimed twice.)
        """
        claimed = self._windows.claimed(recording_sid)
        if claimed is not None or not room_sid:
            return claimed
        window = self._window_at(room_sid, moment, started=name == "recording-started")
        return self._windows.claimed(recording_sid) or window

    def _window_at(self, room_sid: str, moment: datetime | None, *, started: bool) -> Window | None:
        """The room's window at ``moment``. Twilio calls back while ``recordings.start`` is still setting
        the rules: the room names its window before the window is filed, so wait (briefly) for it."""
        deadline = time.monotonic() + self.window_wait
        while True:
            try:
                return self._windows.window_at(room_sid, moment, started=started)
            except NotFound:
                if time.monotonic() >= deadline:
                    raise AnyVideoError(
                        f"twilio: the recording of room {room_sid!r} is still being started; the callback is early"
                    ) from None
                time.sleep(0.02)

    # --- compositions -------------------------------------------------------

    def _composition_events(self, name: str, params: dict[str, str], occurred_at: datetime) -> list[Event]:
        kind, status = COMPOSITION_EVENTS[name]
        subject = None
        sid = params.get("CompositionSid")
        if sid and params.get("RoomSid"):
            subject = Composition(
                id=sid,
                provider=PROVIDER,
                room_id=params["RoomSid"],
                output=CompositionOutput.FILE,
                status=status,
                ended_at=occurred_at if status is CompositionStatus.AVAILABLE else None,
                duration=_number(params.get("Duration")),
            )
        events = [_event(kind, params, occurred_at, subject, name, params.get("RoomSid"))]
        window = self._windows.composed_by(sid) if sid and name in COMPOSITION_OUTCOMES else None
        if window is not None:
            window = self._windows.note_composition(
                window.id, {"status": COMPOSITION_OUTCOMES[name], "size": _whole(params.get("Size"))}
            )
            # A composed window arrives with its composition.
            events += self._window_outcome(window, f"{sid}:{name}", params, occurred_at)
        return events


def signature_valid(keys: Sequence[bytes], url: str, signed: Mapping[str, str] | str, signature: str) -> bool:
    """Whether ``signature`` (``X-Twilio-Signature``) signs a callback to ``url`` with one of
    ``keys`` (auth tokens, UTF-8): what ``RequestValidator(key).validate(url, signed,
    signature)`` answers for any of them, computed once per URL variant until one matches.

    ``signed`` is the form's parameters, or a JSON body (text) that the URL's
    ``bodySHA256`` must be the SHA-256 of (a body without one is refused); the HMAC-SHA1 (Base64) is of the URL
    followed by each parameter's name and value, by name (a JSON body's: the URL alone).
    The URL is tried without and with its port, as the SDK takes them apart; a URL it
    cannot take apart (its port) was never signed by Twilio.
    """
    parts = _url_parts(url)
    if parts is None or not signature.isascii():  # a signature is Base64: one that is not never matches
        return False
    variants, body_hash = parts
    if isinstance(signed, str):
        if body_hash is None:  # a body the signature does not cover (the SDK would not take it either)
            return False
        digest = hashlib.sha256(signed.encode("utf-8")).hexdigest()
        if not hmac.compare_digest(digest.encode(), body_hash.encode("utf-8")):
            return False
        suffix = ""
    else:
        suffix = "".join([name + signed[name] for name in sorted(signed)])
    given = signature.encode()
    try:
        messages = [(variant + suffix).encode("utf-8") for variant in variants]
    except UnicodeEncodeError:  # text no request carries (a lone surrogate): the SDK refuses it too
        return False
    return any(
        hmac.compare_digest(base64.b64encode(hmac.digest(key, message, "sha1")), given)
        for message in messages
        for key in keys
    )


@functools.lru_cache(maxsize=256)
def _url_parts(url: str) -> tuple[tuple[str, str], str | None] | None:
    """The variants of ``url`` Twilio may have signed (without its port, with it: as the SDK's
    ``RequestValidator`` forms them) and its ``bodySHA256``, if any; ``None`` for a URL the
    SDK cannot take apart. Kept per URL: a receiver is called back at a few."""
    try:
        parsed = urlparse(url)
        variants = (remove_port(parsed), add_port(parsed))
    except ValueError:
        return None
    return variants, parse_qs(parsed.query).get("bodySHA256", [None])[0]


#: A composed window's composition status (``raw["composition"]["status"]``) -> what it
#: makes of a window whose tracks are all available; any other status: not there yet.
COMPOSED_OUTCOMES: Mapping[str, str] = {
    "completed": EventType.RECORDING_AVAILABLE,
    NOTHING_TO_COMPOSE: EventType.RECORDING_AVAILABLE,  # nothing was published: no mixed file to wait for
    "failed": EventType.RECORDING_FAILED,
}


def window_outcome(recording: Recording) -> str | None:
    """The event a stopped window's recording has arrived at, if any: ``recording.failed``
    when a track (or its composition) failed; ``recording.available`` when every track
    completed and, composed, its composition too; ``None`` while it is on its way."""
    return _outcome(recording.status, recording.mode, (recording.raw.get("composition") or {}).get("status"))


def _outcome(status: RecordingStatus, mode: RecordingMode, composition: str | None) -> str | None:
    """:func:`window_outcome` of a window whose recording's status, mode and composition status are these."""
    if status is RecordingStatus.FAILED:
        return EventType.RECORDING_FAILED
    if mode is RecordingMode.COMPOSED:
        outcome = COMPOSED_OUTCOMES.get(composition or "")
        if outcome == EventType.RECORDING_FAILED:
            return outcome
        return outcome if status is RecordingStatus.AVAILABLE else None
    return EventType.RECORDING_AVAILABLE if status is RecordingStatus.AVAILABLE else None


def _window_event(
    kind: str, params: dict[str, str], occurred_at: datetime, subject: Recording, window: Window
) -> Event:
    """The event of a window's transition: one id per window and transition, whichever callback announced it."""
    return _event(kind, params, occurred_at, subject, kind, window.room_sid, resource=window.id, sequence=False)


def _event(
    kind: str,
    params: dict[str, str],
    occurred_at: datetime,
    subject: Any,
    name: str,
    room_sid: str | None,
    *,
    resource: str | None = None,
    sequence: bool = True,
) -> Event:
    # Twilio numbers a room's callbacks (SequenceNumber); recordings and
    # compositions send each event once per resource: a retried callback keeps its id.
    resource = resource or params.get("CompositionSid") or params.get("RecordingSid") or room_sid
    number = params.get("SequenceNumber") if sequence else None
    return Event(
        type=kind,
        provider=PROVIDER,
        event_id=stable_event_id(PROVIDER, params.get("AccountSid"), resource, name, number),
        occurred_at=occurred_at,
        room_id=room_sid,
        subject=subject,
        raw=params,
    )


def _participant(params: dict[str, str], room_sid: str) -> Participant:
    return Participant(
        id=params["ParticipantSid"],
        provider=PROVIDER,
        room_id=room_sid,
        identity=params.get("ParticipantIdentity", ""),
        status=statuses.participant_status(params.get("ParticipantStatus")),
    )


def _recording_now(window: Window) -> Recording:
    """The window as a track's ``recording-started`` finds it, from what the registry holds.

    Asking Twilio (:meth:`RecordingWindows.recording`) would claim the window's
    tracks, while ``recordings.start`` in the application claims them too: the
    callback arrives as the window opens, and reads only.
    """
    return Recording(
        id=window.id,
        provider=PROVIDER,
        room_id=window.room_sid,
        mode=window.mode,
        status=RecordingStatus.RECORDING if window.open else RecordingStatus.PROCESSING,
        name=window.name,
        layout=window.layout,
        resolution=window.resolution,
        has_audio=window.has_audio,
        has_video=window.has_video,
        started_at=window.started_at,
        stopped_at=window.stopped_at,
        raw={"window": window.to_entry()},
    )


def _track_recording(params: dict[str, str], status: RecordingStatus, window_id: str | None) -> Recording | None:
    """The track recording a callback is about; ``raw["window_id"]`` names the window it belongs to, if any."""
    sid, room_sid = params.get("RecordingSid"), params.get("RoomSid")
    if not (sid and room_sid):
        return None
    kind = statuses.stream_kind(params["Type"]) if params.get("Type") in statuses.TRACK_KIND else None
    files: tuple[MediaFile, ...] = ()
    if status is RecordingStatus.AVAILABLE and params.get("Container"):
        container = params["Container"]
        files = (
            MediaFile(
                f"{sid}.{container}",
                translate.CONTENT_TYPES.get(container, "application/octet-stream"),
                size=int(params["Size"]) if _DIGITS.fullmatch(params.get("Size", "")) else None,
            ),
        )
    return Recording(
        id=sid,
        provider=PROVIDER,
        room_id=room_sid,
        mode=RecordingMode.INDIVIDUAL,
        status=status,
        name=params.get("TrackName"),
        has_audio=kind is None or kind.has_audio,
        has_video=kind is None or kind.has_video,
        duration=_number(params.get("Duration")),
        files=files,
        raw={} if window_id is None else {"window_id": window_id},
    )


def _track_changes(name: str, params: Mapping[str, str]) -> dict[str, Any]:
    """What a track recording's callback says of it, as REST fields (the window files them)."""
    changes: dict[str, Any] = {
        "sid": params.get("RecordingSid"),
        "status": TRACK_OUTCOMES.get(name, "processing"),
        "type": params.get("Type"),
        "source_sid": params.get("SourceSid"),
        "track_name": params.get("TrackName"),
        "grouping_sids": {"room_sid": params.get("RoomSid"), "participant_sid": params.get("ParticipantSid")},
    }
    for parameter, (field, read) in TRACK_FIELDS.items():
        if params.get(parameter):
            changes[field] = read(params[parameter])
    return changes


def _whole(text: str | None) -> int | None:
    return int(text) if text and _DIGITS.fullmatch(text) else None


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _number(value: str | None) -> float | None:
    try:
        number = None if value is None else float(value)
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) and number >= 0 else None


def _track_kind(params: Mapping[str, str]) -> bool:
    """Whether the track is of a kind anyvideo models (a stream); another kind's event has no subject."""
    return params.get("TrackKind") in statuses.TRACK_KIND
