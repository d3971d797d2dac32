"""Programmable Voice calls (REST API 2010: ``/2010-04-01/Accounts/{AccountSid}/Calls``)
and the TwiML they run, with the simulated phones of :mod:`anyvideo.testing.phones`.

A call out (``POST …/Calls.json``, ``To``, ``From`` and ``Twiml`` or ``Url``) rings
the phone at ``To``: as scripted, it answers (``in-progress``) or not (``no-answer``).
Answered, the call runs its TwiML: ``<Say>`` and ``<Pause>`` pass, ``<Hangup>`` ends the
call, ``<Gather>`` waits for the digits the phone keys (the control API's DTMF) and
posts them to its ``action``, whose TwiML then runs, and ``<Connect><Room
participantIdentity="…">UniqueName</Room></Connect>`` joins the in-progress *group*
room of that unique name as a participant publishing one audio track (no such room,
or a peer-to-peer one: the next instruction runs). At the end of its TwiML the call
completes. The participant leaving (disconnected through the Video API, say) completes
the call; a call completed through ``POST …/Calls/{Sid}.json`` ``Status=completed``
takes the participant out.

A call in (the control API's ``POST /_emulator/phones/{number}/call``) to a number of
:mod:`.numbers` asks the number's ``VoiceUrl`` for TwiML, signed as every request
Twilio makes to an application (``X-Twilio-Signature``), and runs it the same way.
Twilio answers the REST call before the phone rings; here the phone is rung (and the
TwiML run) before the answer is sent, so what a test asks next already holds.
"""

from __future__ import annotations

import functools
import urllib.parse
import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from typing import Any

from anyvideo.errors import AnyVideoError
from anyvideo.models import EventType, Role, StreamKind
from anyvideo.sim import Grant, SimEvent
from anyvideo.sim.records import ParticipantRecord
from anyvideo.testing.phones import SimCall, fetch
from anyvideo.testing.server import HttpError, Request, Response, route
from anyvideo_twilio.emulator import errors, sids, webhooks
from anyvideo_twilio.emulator.routes.numbers import API_2010, NumberRoutes, rfc2822
from anyvideo_twilio.emulator.routes.rooms import PEER_TO_PEER

__all__ = ["CallRoutes"]

#: How long a phone participant's grant lasts (Twilio ends a call at 4 hours, its ``TimeLimit`` default).
_CALL_LIMIT = timedelta(hours=4)
#: TwiML verbs that do nothing the emulator can observe.
_PASSING = frozenset({"Say", "Pause", "Play"})


class CallRoutes(NumberRoutes):
    """Calls, their TwiML, and the phones' side of them."""

    # --- the REST API ---------------------------------------------------------------

    @route("POST", API_2010 + "/Calls.json")
    def create_call(self, request: Request) -> Any:
        self._number_account(request)
        form = self.form(request)
        to = form.text("To", required=True) or ""
        from_ = form.text("From", required=True) or ""
        twiml, url = form.text("Twiml"), form.text("Url")
        if twiml is None and url is None and form.text("ApplicationSid") is None:
            raise errors.invalid("Either url, twiml or applicationSid must be provided")
        try:
            to_number, from_number = self.phones.check_number(to), self.phones.check_number(from_)
        except ValueError:
            raise errors.invalid(f"The phone number you are attempting to call, {to}, is not valid.") from None
        call = SimCall(
            sids.new_sid("CA"),
            "outbound-api",
            from_number,
            to_number,
            "queued",
            self.clock.now(),
            extra={"method": (form.text("Method") or "POST").upper(), "url": url},
        )
        self.phones.add(call)
        created = self.call_json(call)
        self._ring(call, twiml, url)
        return Response.json(created, 201)

    @route("GET", API_2010 + "/Calls.json")
    def list_calls(self, request: Request) -> Any:
        """The account's calls, newest first, in one page (``To``, ``From`` and ``Status`` filter)."""
        account = self._number_account(request)
        query = self.query(request)
        wanted = {"to": query.text("To"), "from_": query.text("From"), "status": query.text("Status")}
        with self.phones.lock:
            calls = [c for c in self.phones.calls.values() if c.direction in ("outbound-api", "inbound")]
        calls = [c for c in reversed(calls) if all(v is None or getattr(c, k) == v for k, v in wanted.items())]
        uri = f"/2010-04-01/Accounts/{account}/Calls.json?PageSize=50&Page=0"
        return {
            "calls": [self.call_json(c) for c in calls],
            "end": max(len(calls) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    @route("GET", API_2010 + "/Calls/{Sid}.json")
    def fetch_call(self, request: Request) -> Any:
        self._number_account(request)
        return self.call_json(self._call(request))

    @route("POST", API_2010 + "/Calls/{Sid}.json")
    def update_call(self, request: Request) -> Any:
        """``Status=completed`` (or ``canceled``) hangs the call up; other changes are not emulated."""
        self._number_account(request)
        call = self._call(request)
        status = self.form(request).choice("Status", ("completed", "canceled"))
        if status is not None:
            self.hang_up(call, "completed" if call.status == "in-progress" else "canceled")
        return self.call_json(call)

    def _call(self, request: Request) -> SimCall:
        try:
            return self.phones.get(request.params["Sid"])
        except KeyError:
            raise errors.NOT_FOUND(path=request.path) from None

    def call_json(self, call: SimCall) -> dict[str, Any]:
        """A call as the 2010 API writes it (``api.v2010.account.call``)."""
        account = self.creds.account_sid
        uri = f"/2010-04-01/Accounts/{account}/Calls/{call.id}.json"
        started = call.extra.get("started_at")
        duration = None
        if started is not None and call.ended_at is not None:
            duration = str(int((call.ended_at - started).total_seconds()))
        return {
            "sid": call.id,
            "date_created": rfc2822(call.created_at),
            "date_updated": rfc2822(call.ended_at or started or call.created_at),
            "parent_call_sid": None,
            "account_sid": account,
            "to": call.to,
            "to_formatted": call.to,
            "from": call.from_,
            "from_formatted": call.from_,
            "phone_number_sid": call.extra.get("phone_number_sid"),
            "status": call.status,
            "start_time": rfc2822(started),
            "end_time": rfc2822(call.ended_at),
            "duration": duration,
            "price": None,
            "price_unit": "USD",
            "direction": call.direction,
            "answered_by": None,
            "api_version": "2010-04-01",
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": uri,
            "subresource_uris": {
                "notifications": uri.replace(".json", "/Notifications.json"),
                "recordings": uri.replace(".json", "/Recordings.json"),
            },
        }

    # --- the phone's side ----------------------------------------------------------------

    def _ring(self, call: SimCall, twiml: str | None, url: str | None) -> None:
        """Ring the phone at ``call.to``; answered, run the call's TwiML."""
        call.status = "ringing"
        if not self.phones.answers(call.to):
            self.phones.end(call, "no-answer", self.clock.now())
            return
        self._answered(call)
        if twiml is not None:
            self._run(call, twiml, url or "")
        elif url is not None:
            self._ask(call, url, call.extra["method"], {})

    def _answered(self, call: SimCall) -> None:
        call.status = "in-progress"
        call.extra["started_at"] = self.clock.now()

    def incoming_call(self, caller: str, called: str) -> SimCall:
        """The phone at ``caller`` calls ``called``: a number of :mod:`.numbers`, whose ``VoiceUrl``
        is asked what to do."""
        number = self.numbers.get(called)
        if number is None:
            raise HttpError(404, f"the account has no number {called}")
        call = SimCall(sids.new_sid("CA"), "inbound", caller, called, "ringing", self.clock.now())
        call.extra["phone_number_sid"] = number["sid"]
        self.phones.add(call)
        self._answered(call)
        if not number.get("voice_url"):
            self.hang_up(call, "failed")
        else:
            self._ask(call, number["voice_url"], number.get("voice_method") or "POST", {})
        return call

    def _ask(self, call: SimCall, url: str, method: str, extra: dict[str, str]) -> None:
        """Ask the application at ``url`` what ``call`` does next (signed, as Twilio asks), and run it."""
        params = {
            "AccountSid": self.creds.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": call.id,
            "CallStatus": call.status,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
            **extra,
        }
        body = urllib.parse.urlencode(params)
        headers = {"User-Agent": webhooks.USER_AGENT}
        if method.upper() == "GET":
            signed = f"{url}{'&' if '?' in url else '?'}{body}"
            headers["X-Twilio-Signature"] = webhooks.sign(signed, {}, self.creds.auth_token)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-Twilio-Signature"] = webhooks.sign(url, params, self.creds.auth_token)
        status, answer = fetch(self.callbacks, url, method.upper(), headers, body.encode())
        if status != 200:
            self.hang_up(call, "failed")  # Twilio says "An application error has occurred" and hangs up
            return
        self._run(call, answer.decode("utf-8", "replace"), url)

    def _run(self, call: SimCall, twiml: str, url: str) -> None:
        """Run a TwiML document until it waits (``<Gather>``, a room) or ends."""
        try:
            document = ElementTree.fromstring(twiml)
        except ElementTree.ParseError:
            self.hang_up(call, "failed")
            return
        if document.tag != "Response":
            self.hang_up(call, "failed")
            return
        for verb in document:
            if verb.tag in _PASSING:
                continue
            if verb.tag == "Hangup":
                break
            if verb.tag == "Gather":
                action = urllib.parse.urljoin(url, verb.get("action") or url)
                method = verb.get("method") or "POST"
                call.on_digits = functools.partial(self._gathered, call, action, method, verb)
                return
            if verb.tag == "Connect" and self._connect(call, verb):
                return
        self.hang_up(call, "completed")

    def _gathered(self, call: SimCall, action: str, method: str, gather: ElementTree.Element, digits: str) -> None:
        finish = gather.get("finishOnKey", "#")
        if finish and finish in digits:
            digits = digits[: digits.index(finish)]
        self._ask(call, action, method, {"Digits": digits, "FinishedOnKey": finish if finish else ""})

    def _connect(self, call: SimCall, connect: ElementTree.Element) -> bool:
        """``<Connect><Room>``: whether the call joined the room (then it stays there)."""
        room_verb = connect.find("Room")
        if room_verb is None:
            return False
        room = self._room_by_reference((room_verb.text or "").strip())
        if room is None or room.options["type"] in PEER_TO_PEER:
            return False  # Twilio moves to the next instruction
        identity = room_verb.get("participantIdentity") or call.from_
        now = self.clock.now()
        grant = Grant(room_id=room.id, identity=identity, role=Role.PUBLISHER, expires_at=now + _CALL_LIMIT)
        participant = self.world.join(room.id, grant)
        call.participant_id = participant.id
        self.world.publish(participant.id, StreamKind.AUDIO, name=f"phone-{call.id}")
        return True

    def hang_up(self, call: SimCall, status: str) -> None:
        """End ``call``; the participant it is leaves its room."""
        if not self.phones.end(call, status, self.clock.now()) or call.participant_id is None:
            return
        try:
            self.world.leave(call.participant_id)
        except AnyVideoError:  # it has left already
            pass

    def on_event(self, event: SimEvent) -> None:
        """A phone participant leaving its room hangs its call up."""
        super().on_event(event)
        if event.type == EventType.PARTICIPANT_LEFT:
            self.phones.participant_left(event.subject_as(ParticipantRecord).id, event.occurred_at)
