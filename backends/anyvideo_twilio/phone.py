"""Phone participants on Twilio: Programmable Voice calls (REST API 2010, ``Calls``)
connected to a room by TwiML ``<Connect><Room participantIdentity="…">UniqueName</Room></Connect>``.

Twilio takes phone participants in group rooms only, at most
:data:`MAX_PHONE_PARTICIPANTS` at once (``docs/providers`` and
``specs/SOURCES.md``): a peer-to-peer or Go room is refused with
:class:`~anyvideo.UnsupportedFeature`, a 36th phone with :class:`~anyvideo.Conflict`,
before any call is placed.

**Dial out**: ``Calls.create`` with the TwiML inline; Twilio rings the phone, and
once answered the call joins the room as a participant of the identity asked for.
``call`` waits (:data:`RING_TIMEOUT` at most) until the participant is in the room,
or the call ended unanswered (:class:`~anyvideo.Conflict`).

**Dial in**: the number's ``VoiceUrl`` is anyvideo's webhook endpoint. A call to it
is answered (:meth:`TwilioPhone.reply`) with a ``<Gather>`` asking for the PIN; the
keyed digits come back to the same URL with ``anyvideo_attempt`` in its query
(signed by Twilio with the rest of the URL), and are answered with the
``<Connect><Room>`` of the room the PIN opens, or asked again, or, after the third
wrong PIN, a goodbye and ``<Hangup>``.

What Twilio does not say, anyvideo keeps: which participants are phones (the
registry, kind :data:`KIND`, by room and identity), so ``participants.list`` and
the participant events mark them (:meth:`TwilioPhone.mark`).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from twilio.twiml.voice_response import Connect, VoiceResponse

from anyvideo.backend import Feature
from anyvideo.errors import Conflict, InvalidRequest, NotFound, UnsupportedFeature
from anyvideo.models import Event, Participant, ParticipantStatus, RoomStatus
from anyvideo.phone_numbers import masked
from anyvideo.retry import Safety
from anyvideo.voice import ASK_PIN, GOODBYE, WRONG_PIN, DialIn, PhoneCallSpec, Pins, PinVerdict, VoiceReply, judge_pin
from anyvideo.webhooks import WebhookRequest
from anyvideo_twilio import translate
from anyvideo_twilio.ids import IDS

if TYPE_CHECKING:
    from anyvideo_twilio.backend import TwilioBackend

__all__ = ["KIND", "MAX_PHONE_PARTICIPANTS", "PEER_TO_PEER", "TwilioPhone"]

#: Twilio's limit of phone (PSTN) participants in one room.
MAX_PHONE_PARTICIPANTS = 35
#: Room types that take no phone participants.
PEER_TO_PEER = frozenset({"peer-to-peer", "go"})
#: The registry kind of the phone participants anyvideo placed: ``room_sid|identity`` → masked number.
KIND = "phone"
#: How long ``call`` waits for the phone to answer and join (Twilio rings for 60 seconds by default).
RING_TIMEOUT = 75.0
#: Call statuses after which the call will not join.
_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
#: The query parameter that carries how many PINs a caller has keyed.
ATTEMPT = "anyvideo_attempt"
_TWIML = "application/xml"


class TwilioPhone:
    """The Twilio backend's phone participants."""

    def __init__(self, backend: TwilioBackend, verify: Callable[[WebhookRequest], dict[str, str]]) -> None:
        self.backend = backend
        self.pins = Pins(backend.registry)
        self._verify = verify

    @property
    def _account(self) -> Any:
        return self.backend.transport.client.api.v2010.account

    # --- dial out -----------------------------------------------------------------

    def call(self, room_id: str, spec: PhoneCallSpec) -> Participant:
        IDS.check("room", room_id)
        name = self._group_room(room_id, Feature.PHONE_DIAL_OUT)
        if self._full(room_id):
            raise Conflict(f"room {room_id} has {MAX_PHONE_PARTICIPANTS} phone participants, Twilio's limit per room")
        self._file(room_id, spec.identity, spec.to)
        response = VoiceResponse()
        connect = Connect()
        connect.room(name, participant_identity=spec.identity)
        response.append(connect)
        # A repeat would ring the phone twice: tried again only after a 429.
        call = self.backend.transport.call(
            "create call",
            lambda: self._account.calls.create(to=spec.to, from_=spec.caller_id, twiml=str(response)),
            safety=Safety.UNSAFE,
        )
        return self._joined(room_id, spec, str(call.sid))

    def _full(self, room_id: str) -> bool:
        """Whether the room has as many phone participants as Twilio takes."""
        connected = self.backend.list_participants(room_id, status=ParticipantStatus.CONNECTED)
        return sum(1 for p in connected if p.phone) >= MAX_PHONE_PARTICIPANTS

    def _group_room(self, room_id: str, feature: Feature) -> str:
        """The unique name of the room, an in-progress group room; refused otherwise."""
        room = self.backend.get_room(room_id)
        kind = room.raw.get("type")
        if kind in PEER_TO_PEER:
            raise UnsupportedFeature(
                feature,
                self.backend.name,
                f"Twilio connects phone calls to group rooms only; room {room_id} is a {kind} room",
            )
        if room.status is not RoomStatus.OPEN or not room.name:
            raise Conflict(f"room {room_id} is not in progress: a call cannot join it")
        return room.name

    def _joined(self, room_id: str, spec: PhoneCallSpec, call_sid: str) -> Participant:
        """The participant the call became, once the phone answered and joined the room."""
        deadline = time.monotonic() + RING_TIMEOUT
        while True:
            status = self.backend.transport.call("fetch call", lambda: self._account.calls(call_sid).fetch()).status
            if status in _ENDED:
                raise Conflict(f"the call to {masked(spec.to)} ended ({status}) without joining room {room_id}")
            if status == "in-progress":
                try:
                    return self._participant(room_id, spec.identity)
                except NotFound:
                    pass  # answered, not in the room yet
            if time.monotonic() >= deadline:
                raise Conflict(f"the call to {masked(spec.to)} did not join room {room_id} in {RING_TIMEOUT:.0f} s")
            time.sleep(1.0)  # the call's status callbacks would need a URL of the application: look again

    def _participant(self, room_id: str, identity: str) -> Participant:
        """The connected participant of this identity (Twilio's participant path takes one)."""
        path = f"/Rooms/{room_id}/Participants/{urllib.parse.quote(identity, safe='')}"
        transport = self.backend.transport
        found = transport.call("fetch participant", lambda: translate.participant(transport.fetch(path)))
        return self.mark(found)

    def _file(self, room_id: str, identity: str, number: str) -> None:
        self.backend.registry.put(KIND, f"{room_id}|{identity}", {"room_id": room_id, "number": masked(number)})

    # --- which participants are phones ------------------------------------------------

    def mark(self, participant: Participant) -> Participant:
        """``participant`` with ``phone`` and its masked number when it is a phone anyvideo placed."""
        entry = self.backend.registry.get(KIND, f"{participant.room_id}|{participant.identity}")
        if entry is None:
            return participant
        return attrs.evolve(participant, phone=True, phone_number=entry["number"])

    def marked(self, events: list[Event]) -> list[Event]:
        """``events`` with their participants marked."""
        return [
            attrs.evolve(e, subject=self.mark(e.subject)) if isinstance(e.subject, Participant) else e for e in events
        ]

    # --- dial in -----------------------------------------------------------------------

    def dial_in(self, room_id: str, number: str) -> DialIn:
        IDS.check("room", room_id)
        self._group_room(room_id, Feature.PHONE_DIAL_IN)
        numbers = self.backend.transport.call(
            "list incoming numbers", lambda: self._account.incoming_phone_numbers.list(phone_number=number, limit=1)
        )
        if not numbers:
            raise InvalidRequest("number", f"{masked(number)} is not a number of this Twilio account")
        return DialIn(room_id=room_id, provider=self.backend.name, number=number, pin=self.pins.issue(room_id, number))

    def reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The TwiML for a call to a dial-in number (a voice webhook: ``CallSid``, no
        ``StatusCallbackEvent``), once its signature is checked; ``None`` for anything else."""
        unverified = request.form()
        if "CallSid" not in unverified or "StatusCallbackEvent" in unverified:
            return None
        params = self._verify(request)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
        digits = params.get("Digits")
        if digits is None:
            return _twiml(_ask(request.url, 1, ASK_PIN))
        attempt = int(query.get(ATTEMPT, "1")) if query.get(ATTEMPT, "1").isdigit() else 1
        verdict, room_id = judge_pin(self.pins, params.get("To", ""), digits, attempt)
        if verdict is PinVerdict.RETRY:
            return _twiml(_ask(request.url, attempt + 1, WRONG_PIN))
        if verdict is PinVerdict.JOIN:
            assert room_id is not None
            return _twiml(self._join(room_id, params))
        return _twiml(_goodbye(GOODBYE))

    def _join(self, room_id: str, params: Mapping[str, str]) -> VoiceResponse:
        """The TwiML that puts the caller in the room its PIN opened, if it still can."""
        room = self.backend.get_room(room_id)
        if room.status is not RoomStatus.OPEN or not room.name:
            return _goodbye("The meeting has ended. Goodbye.")
        if self._full(room_id):
            return _goodbye("The meeting has as many phones as it can take. Goodbye.")
        caller = params.get("From", "")
        identity = f"{masked(caller)} {params['CallSid'][-6:]}"
        self._file(room_id, identity, caller)
        response = VoiceResponse()
        connect = Connect()
        connect.room(room.name, participant_identity=identity)
        response.append(connect)
        return response


def _goodbye(text: str) -> VoiceResponse:
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return response


def _ask(url: str, attempt: int, prompt: str) -> VoiceResponse:
    """A ``<Gather>`` of the PIN, its digits sent back to ``url`` as the ``attempt``-th try."""
    split = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(split.query, keep_blank_values=True) if k != ATTEMPT]
    action = split._replace(query=urllib.parse.urlencode([*query, (ATTEMPT, str(attempt))])).geturl()
    response = VoiceResponse()
    gather = response.gather(input="dtmf", finish_on_key="#", action=action, method="POST", timeout=10)
    gather.say(prompt)
    response.say(GOODBYE)  # when no digits come
    response.hangup()
    return response


def _twiml(response: VoiceResponse) -> VoiceReply:
    return VoiceReply(_TWIML, str(response).encode())
