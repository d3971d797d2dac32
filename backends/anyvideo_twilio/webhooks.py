"""Twilio Video status callbacks -> verified :class:`~anyvideo.models.Event` objects.

Twilio calls a room's ``status_callback`` (room, participant, track and track
recording events) and a composition's or hook's (composition events) with
form parameters, signed in ``X-Twilio-Signature``: Base64 HMAC-SHA1, keyed
with the account's auth token, of the URL and the parameters. The check is
the SDK's own ``RequestValidator`` (with and without the port; a JSON body
against its ``bodySHA256``). Verification fails closed: without an auth token
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
(:mod:`anyvideo_twilio.windows`). A track recording of a window reports as
the window: ``recording.started`` when one of its tracks starts (every
track's callback says it, under one event id), ``recording.available``
once every track of a closed window is (``twilio.track_recording_completed``
before), ``recording.failed`` when one fails. A track recording of no
window is an individual recording of its own.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

from anyvideo.errors import AnyVideoError, NotFound, WebhookVerificationError
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    EventType,
    MediaFile,
    Participant,
    Recording,
    RecordingMode,
    RecordingStatus,
    Room,
    Stream,
)
from anyvideo.webhooks import DEFAULT_REPLAY_WINDOW, WebhookRequest, check_fresh, stable_event_id
from anyvideo_twilio import statuses, translate
from anyvideo_twilio.windows import RecordingWindows, Window

__all__ = ["COMPOSITION_EVENTS", "RECORDING_EVENTS", "ROOM_EVENTS", "CallbackParser"]

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
    recordings to anyvideo's recordings; ``replay_window`` is how far the
    signed ``Timestamp`` may lie from now.
    """

    def __init__(
        self,
        auth_tokens: Sequence[str],
        windows: RecordingWindows,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        replay_window: timedelta = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        self._validators = [RequestValidator(token) for token in auth_tokens]
        self._windows = windows
        self._now = now
        if replay_window <= timedelta(0):
            raise ValueError("the replay window must be positive")
        #: How far the signed ``Timestamp`` may lie from now.
        self.replay_window = replay_window
        #: How long a track recording's callback waits for the window being opened in its room (seconds).
        self.window_wait = 5.0

    def __repr__(self) -> str:
        return f"CallbackParser({len(self._validators)} auth tokens)"  # never the tokens

    def parse(self, request: WebhookRequest) -> list[Event]:
        params = self.verify(request)
        name = params.get("StatusCallbackEvent")
        if not name:
            raise AnyVideoError("twilio: the callback has no StatusCallbackEvent; it is not a Twilio Video callback")
        occurred_at = _moment(params.get("Timestamp")) or self._now()
        if name in ROOM_EVENTS:
            return [self._room_event(name, params, occurred_at)]
        if name in RECORDING_EVENTS:
            return [self._recording_event(name, params, occurred_at)]
        if name in COMPOSITION_EVENTS:
            return [self._composition_event(name, params, occurred_at)]
        return [_event(EventType.UNKNOWN, params, occurred_at, None, name, params.get("RoomSid"))]

    def verify(self, request: WebhookRequest) -> dict[str, str]:
        """The callback's parameters, once its signature is checked (WebhookVerificationError if not)."""
        signature = request.headers.get("X-Twilio-Signature")
        if not self._validators:
            raise WebhookVerificationError(
                "twilio callbacks are signed with the account's auth token: configure auth_token to receive them"
            )
        if not signature:
            raise WebhookVerificationError("the callback has no X-Twilio-Signature")
        if request.method == "GET":
            signed: Any = {}  # the parameters are in the URL, which is signed whole
            params = dict(request.form())
        elif request.headers.get("Content-Type", "").startswith("application/json"):
            if "bodySHA256" not in parse_qs(urlsplit(request.url).query):
                # the signature covers the URL only: without the body's hash in it, any body would pass
                raise WebhookVerificationError("the JSON callback's URL carries no bodySHA256")
            signed = request.body.decode("utf-8", "replace")  # checked against the URL's bodySHA256
            body = request.json()
            params = {str(key): str(value) for key, value in body.items()} if isinstance(body, dict) else {}
        else:
            signed = params = request.form()
        try:
            valid = any(validator.validate(request.url, signed, signature) for validator in self._validators)
        except ValueError:  # a URL the validator cannot take apart (its port) was never signed by Twilio
            valid = False
        if not valid:
            raise WebhookVerificationError("the callback's X-Twilio-Signature does not match")
        if params.get("Timestamp"):
            sent_at = _moment(params["Timestamp"])
            if sent_at is None:  # signed, yet no time: its age cannot be judged, so it is not taken
                raise WebhookVerificationError("the callback's signed Timestamp is not a time")
            check_fresh(sent_at, self._now(), self.replay_window)
        return params

    # --- rooms, participants, tracks ----------------------------------------

    def _room_event(self, name: str, params: dict[str, str], occurred_at: datetime) -> Event:
        room_sid = params.get("RoomSid")
        subject: Any = None
        if name.startswith("room-") and room_sid:
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
            subject = Stream(
                id=params["TrackSid"],
                provider=PROVIDER,
                room_id=room_sid,
                participant_id=params.get("ParticipantSid", ""),
                kind=statuses.stream_kind(params["TrackKind"]),
                name=params.get("TrackName"),
            )
        return _event(ROOM_EVENTS[name], params, occurred_at, subject, name, room_sid)

    # --- track recordings ---------------------------------------------------

    def _recording_event(self, name: str, params: dict[str, str], occurred_at: datetime) -> Event:
        kind, status = RECORDING_EVENTS[name]
        room_sid = params.get("RoomSid")
        window = self._window_of(params.get("RecordingSid", ""), room_sid)
        if window is None:
            return _event(kind, params, occurred_at, _track_recording(params, status), name, room_sid)
        if name == "recording-started":
            # The window started recording with its first track; each of its tracks'
            # callbacks says so again, under the window's one event id.
            kind = EventType.RECORDING_STARTED
            return _event(kind, params, occurred_at, _recording_now(window), kind, room_sid, resource=window.id)
        recording = self._windows.recording(window)
        arrived = {"recording-failed": RecordingStatus.FAILED, "recording-completed": RecordingStatus.AVAILABLE}
        if arrived.get(name) is recording.status:
            # The window became available (or failed) with this track; each of its
            # tracks' callbacks that finds it so says the same, under one event id.
            kind = EventType.RECORDING_FAILED if name == "recording-failed" else EventType.RECORDING_AVAILABLE
            return _event(kind, params, occurred_at, recording, kind, room_sid, resource=window.id)
        # one of the window's tracks moved; the window itself has not arrived anywhere yet
        provider_kind = "twilio.track_" + name.replace("-", "_")
        return _event(provider_kind, params, occurred_at, recording, name, room_sid)

    def _window_of(self, recording_sid: str, room_sid: str | None) -> Window | None:
        claimed = self._windows.claimed(recording_sid)
        if claimed is not None:
            return claimed
        # A track recording that starts while a window is open in its room is the window's.
        return self._open_window(room_sid) if room_sid else None

    def _open_window(self, room_sid: str) -> Window | None:
        """The room's open window. Twilio calls back while ``recordings.start`` is still setting the
        rules: the room names its window before the window is filed, so wait (briefly) for it."""
        deadline = time.monotonic() + self.window_wait
        while True:
            try:
                return self._windows.open_window(room_sid)
            except NotFound:
                if time.monotonic() >= deadline:
                    raise AnyVideoError(
                        f"twilio: the recording of room {room_sid!r} is still being started; the callback is early"
                    ) from None
                time.sleep(0.02)

    # --- compositions -------------------------------------------------------

    def _composition_event(self, name: str, params: dict[str, str], occurred_at: datetime) -> Event:
        kind, status = COMPOSITION_EVENTS[name]
        subject = None
        if params.get("CompositionSid") and params.get("RoomSid"):
            subject = Composition(
                id=params["CompositionSid"],
                provider=PROVIDER,
                room_id=params["RoomSid"],
                output=CompositionOutput.FILE,
                status=status,
                ended_at=occurred_at if status is CompositionStatus.AVAILABLE else None,
                duration=_number(params.get("Duration")),
            )
        return _event(kind, params, occurred_at, subject, name, params.get("RoomSid"))


def _event(
    kind: str,
    params: dict[str, str],
    occurred_at: datetime,
    subject: Any,
    name: str,
    room_sid: str | None,
    *,
    resource: str | None = None,
) -> Event:
    # Twilio numbers a room's callbacks (SequenceNumber); recordings and
    # compositions send each event once per resource: a retried callback keeps its id.
    resource = resource or params.get("CompositionSid") or params.get("RecordingSid") or room_sid
    return Event(
        type=kind,
        provider=PROVIDER,
        event_id=stable_event_id(PROVIDER, params.get("AccountSid"), resource, name, params.get("SequenceNumber")),
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


def _track_recording(params: dict[str, str], status: RecordingStatus) -> Recording | None:
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
    )


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
