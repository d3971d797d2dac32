"""The application's Vonage Voice side: what a SIP dial into it does, calls from phones
to its numbers, the NCCOs its answer webhook gives, and the Voice API's view of the
calls (``GET /v1/calls``, ``GET``/``PUT /v1/calls/{uuid}``; ``vonage_voice.yml``).

The Voice side is configured through the control API (``PUT /_emulator/vonage/voice``:
``answer_url``, ``answer_method`` (default ``GET``, as the spec's), ``event_url``, and
the ``numbers`` linked to the application), as the application's voice capability and
linked numbers are on the platform.

A SIP dial from a session to ``sip:<number>@sip.nexmo.com`` is a call *into* the Voice
side: its answer webhook gets ``to`` (the number), ``from``, ``uuid``,
``conversation_uuid`` and each ``X-`` header as ``SipHeader_<name>``. A phone calling
one of the numbers (``POST /_emulator/phones/{number}/call``) is the same, from the
phone. Every webhook is signed as the application's callbacks are. The NCCO runs:
``talk`` and ``stream`` pass; ``connect`` to a ``phone`` endpoint rings that phone (as
scripted: answered, the call stays while the phone does; unanswered, the next action
runs); ``input`` waits for the digits the phone keys and posts them (``dtmf.digits``)
to its ``eventUrl``, whose NCCO then runs; ``conversation`` holds the call in a named
conversation, where a phone and a session's SIP call meet: the phone is then in the
room as that SIP connection. At the end of its NCCO a call completes; a SIP call
completing takes its connection out of the session, and the connection leaving
(``forceDisconnect``) completes every call it carried (``endOnExit``); a phone hanging
up (``PUT /v1/calls/{uuid}`` ``hangup``) ends the call it was connected from.

The platform answers the dial before the Voice side has asked its webhook; here the
webhook is asked (and its NCCO run) first, so what a test asks next already holds.
"""

from __future__ import annotations

import functools
import json
import threading
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from anyvideo.errors import AnyVideoError
from anyvideo.models import EventType
from anyvideo.sim import SimEvent
from anyvideo.sim.records import ParticipantRecord
from anyvideo.testing.phones import ENDED, Phones, SimCall, fetch
from anyvideo.testing.server import CONTROL_PREFIX, HttpError, Request, Response, route
from anyvideo_vonage.emulator.base import VonageFace

__all__ = ["SIP_DOMAIN", "VoiceRoutes", "VoiceSettings"]

#: The host of the SIP URIs that reach the application's Voice side.
SIP_DOMAIN = "sip.nexmo.com"
_CALLS = "/v1/calls"


class VoiceSettings:
    """The application's voice capability and linked numbers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answer_url: str | None = None
        self.answer_method = "GET"
        self.event_url: str | None = None
        self.numbers: set[str] = set()
        #: Conversation name → the calls in it.
        self.conversations: dict[str, list[str]] = {}

    def describe(self) -> dict[str, Any]:
        return {
            "answer_url": self.answer_url,
            "answer_method": self.answer_method,
            "event_url": self.event_url,
            "numbers": sorted(self.numbers),
        }


class VoiceRoutes(VonageFace):
    """The Voice side; :mod:`.sip` hands it the dials into it."""

    phones: Phones

    @functools.cached_property
    def voice(self) -> VoiceSettings:
        """The application's voice settings."""
        return VoiceSettings()

    # --- control ---------------------------------------------------------------------

    @route("PUT", CONTROL_PREFIX + "/vonage/voice")
    def _control_voice(self, request: Request) -> Any:
        """``{"answer_url", "answer_method", "event_url", "numbers": [...]}``; a key left out keeps its value."""
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "expected a JSON object")
        try:
            numbers = {self.phones.check_number(n) for n in body.get("numbers", ())}
        except (TypeError, ValueError) as exc:
            raise HttpError(400, f"numbers: {exc}") from None
        method = body.get("answer_method", self.voice.answer_method)
        if method not in ("GET", "POST"):
            raise HttpError(400, "answer_method is GET or POST")
        with self.voice.lock:
            self.voice.answer_url = body.get("answer_url", self.voice.answer_url)
            self.voice.event_url = body.get("event_url", self.voice.event_url)
            self.voice.answer_method = method
            if "numbers" in body:
                self.voice.numbers = numbers
            return self.voice.describe()

    # --- the Voice API ------------------------------------------------------------------

    @route("GET", _CALLS)
    def list_calls(self, request: Request) -> Any:
        with self.phones.lock:
            calls = [c for c in self.phones.calls.values() if "conversation_uuid" in c.extra]
        status = request.arg("status")
        if status:
            calls = [c for c in calls if c.status == status]
        return {
            "count": len(calls),
            "page_size": len(calls),
            "record_index": 0,
            "_links": {"self": {"href": _CALLS}},
            "_embedded": {"calls": [self.call_json(c) for c in calls]},
        }

    @route("GET", _CALLS + "/{uuid}")
    def get_call(self, request: Request) -> Any:
        return self.call_json(self._voice_call(request))

    @route("PUT", _CALLS + "/{uuid}")
    def update_call(self, request: Request) -> Response:
        """``{"action": "hangup"}`` ends the call; the other actions are not emulated (400)."""
        call = self._voice_call(request)
        body = request.json()
        action = body.get("action") if isinstance(body, dict) else None
        if action != "hangup":
            raise HttpError(400, f"action {action!r} is not emulated; hangup is")
        self.end_call(call, "completed")
        return Response(204)

    def _voice_call(self, request: Request) -> SimCall:
        try:
            call = self.phones.get(request.params["uuid"])
        except KeyError:
            raise HttpError(404, "Not Found") from None
        if "conversation_uuid" not in call.extra:
            raise HttpError(404, "Not Found")
        return call

    def call_json(self, call: SimCall) -> dict[str, Any]:
        """A call as ``GetCallResponse`` writes it."""
        body: dict[str, Any] = {
            "_links": {"self": {"href": f"{_CALLS}/{call.id}"}},
            "uuid": call.id,
            "conversation_uuid": call.extra["conversation_uuid"],
            "to": call.extra["to_endpoint"],
            "from": call.extra["from_endpoint"],
            "status": call.status,
            "direction": "outbound" if call.direction == "outbound" else "inbound",
            "network": "65512",
        }
        if call.status == "completed" and call.ended_at is not None:
            started = call.created_at
            body.update(
                start_time=started.strftime("%Y-%m-%d %H:%M:%S"),
                end_time=call.ended_at.strftime("%Y-%m-%d %H:%M:%S"),
                duration=str(int((call.ended_at - started).total_seconds())),
                rate="0.00",
                price="0.00",
            )
        return body

    # --- calls into the Voice side ----------------------------------------------------------

    def _new_call(self, direction: str, from_: dict[str, str], to: dict[str, str], status: str) -> SimCall:
        call = SimCall(
            str(uuid.uuid4()),
            direction,
            from_.get("number") or from_.get("uri", ""),
            to.get("number") or to.get("uri", ""),
            status,
            self.clock.now(),
            extra={"conversation_uuid": f"CON-{uuid.uuid4()}", "to_endpoint": to, "from_endpoint": from_},
        )
        return self.phones.add(call)

    def sip_dialled(self, participant_id: str, uri: str, headers: Mapping[str, str]) -> None:
        """A session's SIP dial reached ``uri``: into the Voice side when it is on :data:`SIP_DOMAIN`
        (the connection is ``participant_id``); elsewhere there is nothing of the emulator's to ring."""
        address = uri.removeprefix("sip:").removeprefix("sips:").split(";")[0]
        user, _, host = address.partition("@")
        if host.lower() != SIP_DOMAIN:
            return
        call = self._new_call("inbound", {"type": "sip", "uri": uri}, {"type": "phone", "number": user}, "answered")
        call.participant_id = participant_id
        extra = {f"SipHeader_{name}": value for name, value in headers.items() if name.lower().startswith("x-")}
        self._answer(call, {"to": user, "from": "sip-video", "endpoint_type": "sip", **extra})

    def incoming_call(self, caller: str, called: str) -> SimCall:
        """The phone at ``caller`` calls ``called``, a number linked to the application."""
        with self.voice.lock:
            linked = called in self.voice.numbers
        if not linked:
            raise HttpError(404, f"no number {called} is linked to the application")
        number, phone = called.removeprefix("+"), caller.removeprefix("+")
        call = self._new_call(
            "inbound", {"type": "phone", "number": phone}, {"type": "phone", "number": number}, "answered"
        )
        self._answer(call, {"to": number, "from": phone})
        return call

    def _answer(self, call: SimCall, params: dict[str, str]) -> None:
        """Ask the answer webhook for the call's NCCO, and run it."""
        with self.voice.lock:
            url, method = self.voice.answer_url, self.voice.answer_method
        if url is None:
            self.end_call(call, "failed")
            return
        fields = {**params, "uuid": call.id, "conversation_uuid": call.extra["conversation_uuid"]}
        if method == "GET":
            split = urllib.parse.urlsplit(url)
            query = urllib.parse.urlencode([*urllib.parse.parse_qsl(split.query), *fields.items()])
            status, answer = self._webhook(split._replace(query=query).geturl(), "GET", b"")
        else:
            status, answer = self._webhook(url, "POST", json.dumps(fields).encode())
        self._run(call, status, answer)

    def _webhook(self, url: str, method: str, body: bytes) -> tuple[int | None, bytes]:
        headers = {"Content-Type": "application/json"} if body else {}
        signed = self.callback_settings.signed(headers, body, self.clock.now())
        return fetch(self.callbacks, url, method, signed, body)

    def _run(self, call: SimCall, status: int | None, answer: bytes) -> None:
        """Run the NCCO a webhook answered with (a call whose webhook fails ends)."""
        try:
            ncco = json.loads(answer) if status == 200 else None
        except ValueError:
            ncco = None
        if not isinstance(ncco, list) or not all(isinstance(a, dict) for a in ncco):
            self.end_call(call, "failed")
            return
        for action in ncco:
            kind = action.get("action")
            if kind == "connect" and self._connect(call, action):
                return
            if kind == "input":
                urls = action.get("eventUrl") or []
                if urls:
                    call.on_digits = functools.partial(self._keyed, call, str(urls[0]))
                    return
            if kind == "conversation":
                self._converse(call, str(action.get("name", "")))
                return
        self.end_call(call, "completed")

    def _connect(self, call: SimCall, action: Mapping[str, Any]) -> bool:
        """``connect`` to a phone: whether it answered (the call then stays, bridged to it)."""
        endpoints = action.get("endpoint") or []
        endpoint = endpoints[0] if endpoints and isinstance(endpoints[0], dict) else {}
        number = str(endpoint.get("number", ""))
        if endpoint.get("type") != "phone" or not number:
            return False
        from_ = {"type": "phone", "number": str(action.get("from", ""))}
        leg = self._new_call("outbound", from_, {"type": "phone", "number": number}, "ringing")
        try:
            answers = self.phones.answers(number)
        except ValueError:
            answers = False
        if not answers:
            self.phones.end(leg, "unanswered", self.clock.now())
            return False
        leg.status = "answered"
        leg.participant_id = call.participant_id
        leg.extra["bridged"] = call.id  # the phone hanging up ends the connect, and with it this NCCO
        return True

    def _keyed(self, call: SimCall, url: str, digits: str) -> None:
        keyed = digits.split("#")[0]
        body = {
            "dtmf": {"digits": keyed, "timed_out": "#" not in digits},
            "uuid": call.id,
            "conversation_uuid": call.extra["conversation_uuid"],
            "to": call.extra["to_endpoint"].get("number", ""),
            "from": call.extra["from_endpoint"].get("number", ""),
            "timestamp": self.clock.now().isoformat(),
        }
        status, answer = self._webhook(url, "POST", json.dumps(body).encode())
        self._run(call, status, answer)

    def _converse(self, call: SimCall, name: str) -> None:
        """Hold the call in conversation ``name``: calls there share the connection one of them is."""
        with self.voice.lock:
            members = self.voice.conversations.setdefault(name, [])
            members.append(call.id)
            joined = [self.phones.get(c) for c in members]
        live = [c for c in joined if c.status not in ENDED]
        connection = next((c.participant_id for c in live if c.participant_id), None)
        for member in live:
            member.participant_id = member.participant_id or connection

    def end_call(self, call: SimCall, status: str) -> None:
        """End ``call``, and the call whose ``connect`` it answered (nothing follows a
        ``connect`` in the NCCOs anyvideo gives); a SIP call's connection leaves its session."""
        if not self.phones.end(call, status, self.clock.now()):
            return
        if "bridged" in call.extra:
            self.end_call(self.phones.get(call.extra["bridged"]), "completed")
        if call.participant_id is not None and call.extra["from_endpoint"].get("type") == "sip":
            try:
                self.world.leave(call.participant_id)
            except AnyVideoError:  # gone already
                pass

    def voice_event(self, event: SimEvent) -> None:
        """A connection leaving completes every call it carried."""
        if event.type == EventType.PARTICIPANT_LEFT:
            self.phones.participant_left(event.subject_as(ParticipantRecord).id, event.occurred_at)
