"""Phone participants on Vonage: the Video API's SIP dial (``POST …/dial``) into the
application's own Vonage Voice side (``sip:<number>@sip.nexmo.com``), whose answer
webhook, anyvideo's webhook endpoint, tells the call what to do with an NCCO
(Voice spec ``vonage_voice.yml``; ``specs/SOURCES.md``).

**Dial out**: anyvideo files the call (registry kind :data:`CALL_KIND`, its key in the
SIP header :data:`CALL_HEADER`) and dials the session into the Voice side under the
application's number (``caller_id``). The Voice side asks the answer webhook, which
answers ``connect`` to the phone number from that caller id. The SIP connection is the
phone participant: it joins while the phone rings and leaves when the call ends
(unanswered: at once, and ``call`` says so with :class:`~anyvideo.Conflict`).

**Dial in**: the application's number is linked to the Voice side, its answer webhook
anyvideo's endpoint. A call to it is answered with a ``talk`` and an ``input`` of the
PIN (DTMF, ``#`` to finish); the keyed digits come to the same endpoint (the input's
``eventUrl``, carrying ``anyvideo_attempt``): a PIN that opens a room puts the caller in
a named conversation and dials the room's session into it over SIP (the phone
participant, whose call ends the conversation when removed); a wrong one is asked
again, and after the third the call hears goodbye and ends.

Every voice webhook is verified as the application's callbacks are (a signed JWT,
HS256 with the signature secret, over the body's hash). A phone participant's
connection data carries its masked number, so the participant and its events say
``phone`` wherever they are read (:func:`anyvideo_vonage.translate.connection_data`).
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from vonage_video.models import InitiateSipRequest, SipOptions
from vonage_voice import Connect, Conversation, Dtmf, Input, NccoAction, PhoneEndpoint, Talk

from anyvideo.errors import Conflict
from anyvideo.models import Participant, ParticipantStatus, Role
from anyvideo.phone_numbers import masked
from anyvideo.retry import Safety
from anyvideo.voice import (
    ASK_PIN,
    GOODBYE,
    PIN_LENGTH,
    WRONG_PIN,
    DialIn,
    PhoneCallSpec,
    Pins,
    PinVerdict,
    VoiceReply,
    judge_pin,
)
from anyvideo.webhooks import WebhookRequest
from anyvideo_vonage import connections, translate
from anyvideo_vonage.ids import IDS

if TYPE_CHECKING:
    from anyvideo_vonage.backend import VonageBackend

__all__ = ["CALL_HEADER", "CALL_KIND", "CONVERSATION_HEADER", "SIP_DOMAIN", "VonagePhone"]

#: Where the Video API's SIP dial reaches the application's Voice side.
SIP_DOMAIN = "sip.nexmo.com"
#: The SIP header naming a dial-out anyvideo filed; its answer webhook carries it as ``SipHeader_<name>``.
CALL_HEADER = "X-AnyVideo-Call"
#: The SIP header naming the conversation a dial-in caller waits in.
CONVERSATION_HEADER = "X-AnyVideo-Conversation"
#: The registry kind of the dial-outs anyvideo placed: key → room, number, caller id.
CALL_KIND = "phone_call"
#: The query parameter that carries how many PINs a caller has keyed.
ATTEMPT = "anyvideo_attempt"
#: How long the token of a phone's SIP connection stays valid to join with.
JOIN_TTL = 3600
_NCCO = "application/json"


def _digits(number: str) -> str:
    """An E.164 number as NCCO and SIP URIs write it: digits only."""
    return number.removeprefix("+")


class VonagePhone:
    """The Vonage backend's phone participants."""

    def __init__(self, backend: VonageBackend, verify: Callable[[WebhookRequest], None]) -> None:
        self.backend = backend
        self.pins = Pins(backend.registry)
        self._verify = verify

    # --- dial out -----------------------------------------------------------------

    def call(self, room_id: str, spec: PhoneCallSpec) -> Participant:
        IDS.check("room", room_id)
        key = uuid.uuid4().hex
        filed = {"room_id": room_id, "to": spec.to, "caller_id": spec.caller_id}
        self.backend.registry.put(CALL_KIND, key, filed)
        called = self._dial(room_id, spec.identity, spec.to, spec.caller_id, {CALL_HEADER: key})
        if called.status is not ParticipantStatus.CONNECTED:
            raise Conflict(f"the call to {masked(spec.to)} ended at once: the phone did not answer")
        return called

    def _dial(self, room_id: str, identity: str, number: str, through: str, headers: Mapping[str, str]) -> Participant:
        """Dial the session into the Voice side (the number ``through``) as a phone participant
        ``identity`` for ``number``; the participant as it is once the dial is answered."""
        data = translate.connection_data(identity, None, Role.PUBLISHER, phone=masked(number))
        token = self.backend.phone_token(room_id, data, time.time() + JOIN_TTL)
        sip = SipOptions(uri=f"sip:{_digits(through)}@{SIP_DOMAIN};transport=tls", headers=dict(headers), secure=True)
        transport = self.backend.transport
        # A repeat would dial a second call: tried again only after a 429.
        result = transport.call(
            transport.video.initiate_sip_call,
            InitiateSipRequest(session_id=room_id, token=token, sip=sip),
            safety=Safety.UNSAFE,
        )
        raw = translate.sdk_json(result)
        connection_id = translate.identifier(raw, "connectionId", "a SIP call")

        def file(entry: dict[str, Any]) -> None:
            entry.update(room_id=room_id, identity=identity, data=None, role=Role.PUBLISHER.value)
            entry["phone"] = masked(number)
            if isinstance(raw.get("createdAt"), int):
                entry.setdefault("joined_at", raw["createdAt"])

        connections.remember(self.backend.registry, connection_id, file)
        return self.backend.get_participant(room_id, connection_id)

    # --- dial in -----------------------------------------------------------------------

    def dial_in(self, room_id: str, number: str) -> DialIn:
        IDS.check("room", room_id)
        self.backend.check_open(room_id)
        return DialIn(room_id=room_id, provider=self.backend.name, number=number, pin=self.pins.issue(room_id, number))

    # --- the voice webhooks -----------------------------------------------------------

    def reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The NCCO for a voice webhook (a call's answer, the PIN it keyed; a call's events
        are acknowledged), once verified; ``None`` for anything that is not one."""
        params = _params(request)
        if params is None:
            return None
        self._verify(request)
        if "dtmf" in params:
            return self._keyed(request, params)
        if "status" in params:
            return VoiceReply("text/plain", b"")  # a call event: nothing to do
        sip = {k.removeprefix("SipHeader_"): v for k, v in params.items() if k.startswith("SipHeader_")}
        if CALL_HEADER in sip:
            return _ncco(self._dialled_out(str(sip[CALL_HEADER])))
        if CONVERSATION_HEADER in sip:
            return _ncco([Conversation(name=str(sip[CONVERSATION_HEADER]), endOnExit=True)])
        return _ncco(_ask(request.url, 1, ASK_PIN))

    def _dialled_out(self, key: str) -> list[NccoAction]:
        filed = self.backend.registry.get(CALL_KIND, key)
        if filed is None:  # not a call anyvideo placed: connect nobody
            return [Talk(text=GOODBYE)]
        endpoint = PhoneEndpoint(number=_digits(filed["to"]))
        return [Connect(endpoint=[endpoint], from_=_digits(filed["caller_id"]))]

    def _keyed(self, request: WebhookRequest, params: Mapping[str, Any]) -> VoiceReply:
        dtmf = params.get("dtmf")
        keyed = dtmf.get("digits") if isinstance(dtmf, dict) else None
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
        attempt = int(query[ATTEMPT]) if query.get(ATTEMPT, "").isdigit() else 1
        number = "+" + str(params.get("to", ""))
        verdict, room_id = judge_pin(self.pins, number, keyed if isinstance(keyed, str) else "", attempt)
        if verdict is PinVerdict.RETRY:
            return _ncco(_ask(request.url, attempt + 1, WRONG_PIN))
        if verdict is PinVerdict.HANG_UP or room_id is None:
            return _ncco([Talk(text=GOODBYE)])
        caller = "+" + str(params.get("from", ""))
        conversation = f"anyvideo-{params.get('uuid', uuid.uuid4().hex)}"
        identity = f"{masked(caller)} {str(params.get('uuid', ''))[-6:]}".strip()
        try:
            self._dial(room_id, identity, caller, number, {CONVERSATION_HEADER: conversation})
        except Conflict:
            return _ncco([Talk(text="The meeting has ended. Goodbye.")])
        return _ncco([Conversation(name=conversation, endOnExit=True)])


def _params(request: WebhookRequest) -> dict[str, Any] | None:
    """A Vonage voice webhook's fields (a GET's query, a POST's JSON); ``None`` when the request
    is not one (a Voice webhook names the call: ``uuid`` and ``conversation_uuid``)."""
    if request.method == "GET":
        found: dict[str, Any] = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
    else:
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        found = body
    return found if "uuid" in found and "conversation_uuid" in found else None


def _ask(url: str, attempt: int, prompt: str) -> list[NccoAction]:
    """``talk`` the prompt and ``input`` the PIN, its digits sent back to ``url`` as the ``attempt``-th try."""
    split = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(split.query, keep_blank_values=True) if k != ATTEMPT]
    action = split._replace(query=urllib.parse.urlencode([*query, (ATTEMPT, str(attempt))])).geturl()
    dtmf = Dtmf(maxDigits=PIN_LENGTH + 1, submitOnHash=True, timeOut=10)
    return [Talk(text=prompt, bargeIn=True), Input(type=["dtmf"], dtmf=dtmf, eventUrl=[action], eventMethod="POST")]


def _ncco(actions: list[NccoAction]) -> VoiceReply:
    body = [action.model_dump(by_alias=True, exclude_none=True, mode="json") for action in actions]
    return VoiceReply(_NCCO, json.dumps(body).encode())
