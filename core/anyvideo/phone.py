"""``video.phone``: phone numbers in rooms, as audio-only participants.

Dial out (:meth:`Phone.call`) calls a number into a room; dial in
(:meth:`Phone.dial_in`) gives the number and PIN people call to join one, the
number's voice webhooks answered by anyvideo's webhook adapters
(:func:`anyvideo.webhooks.wsgi_app` …, through :meth:`Phone.reply`). A phone
participant is a :class:`~anyvideo.Participant` with ``phone`` set and its
number masked; its join and leave come as the usual events, and
``video.participants.disconnect`` hangs it up. Input is checked before any
request: numbers are E.164 (:mod:`anyvideo.phone_numbers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anyvideo import operations
from anyvideo.backend import Feature
from anyvideo.models import Participant, make_ref
from anyvideo.operations import Call, Effect, Operation
from anyvideo.phone_numbers import e164
from anyvideo.voice import DialIn, PhoneCallSpec, VoiceReply
from anyvideo.webhooks import WebhookRequest

if TYPE_CHECKING:
    from anyvideo.aio.client import Video as AsyncVideo
    from anyvideo.client import ObjectRef, Video

__all__ = ["AsyncPhone", "Phone", "call_phone", "dial_in"]


def call_phone(video: Video, room: ObjectRef, to: str, caller_id: str, identity: str | None) -> Operation[Participant]:
    """The operation of :meth:`Phone.call`."""
    spec = PhoneCallSpec(to, caller_id, identity or "")
    video.require(Feature.PHONE_DIAL_OUT)
    room_id = video._id(room, "room")

    def hang_up(made: Participant) -> Call:
        held = make_ref(made.provider, made.id) if video.backend.accepts_refs else made.id
        return Call("disconnect_participant", (room_id, held), effect=Effect.CHANGE)

    called: Participant = yield Call("call_phone", (room_id, spec), effect=Effect.CREATE, undo=hang_up)
    return called


def dial_in(video: Video, room: ObjectRef, number: str) -> Operation[DialIn]:
    """The operation of :meth:`Phone.dial_in`."""
    number = e164(number, "number")
    video.require(Feature.PHONE_DIAL_IN)
    opened: DialIn = yield Call("dial_in", (video._id(room, "room"), number), effect=Effect.CHANGE)
    return opened


class Phone:
    """Phone participants: call a number into a room, or let people dial in with a PIN."""

    def __init__(self, video: Video) -> None:
        self._video = video

    def call(self, room: ObjectRef, to: str, *, caller_id: str, identity: str | None = None) -> Participant:
        """Call ``to`` (E.164) into ``room`` as an audio-only participant named ``identity``
        (default: the number, masked), showing ``caller_id``, a number of the provider
        account (E.164). Returns the phone participant; remove it with
        ``video.participants.disconnect``, which hangs up. Needs ``PHONE_DIAL_OUT``."""
        return operations.run(self._video, call_phone(self._video, room, to, caller_id, identity))

    def dial_in(self, room: ObjectRef, *, number: str) -> DialIn:
        """The PIN that joins ``room`` when ``number`` (a number of the provider account,
        E.164, whose voice webhooks reach anyvideo's webhook adapter) is called; the same
        PIN each time for one room. Needs ``PHONE_DIAL_IN``."""
        return operations.run(self._video, dial_in(self._video, room, number))

    def reply(self, request: WebhookRequest) -> VoiceReply | None:
        """The answer to a voice webhook (a call to a dial-in number, the PIN it keyed, a call
        placed by :meth:`call` asking what to do), verified as callbacks are; ``None`` when
        ``request`` is not one. The webhook adapters ask this before handling a callback."""
        return self._video.backend.voice_reply(request)


class AsyncPhone:
    """``anyvideo.aio.Video.phone``: :class:`Phone`, awaited (the same operations, driven
    from the event loop)."""

    def __init__(self, video: AsyncVideo) -> None:
        self._video = video
        self._core = video._core

    async def call(self, room: ObjectRef, to: str, *, caller_id: str, identity: str | None = None) -> Participant:
        """As :meth:`Phone.call`."""
        called: Participant = await self._video._drive(call_phone(self._core, room, to, caller_id, identity))
        return called

    async def dial_in(self, room: ObjectRef, *, number: str) -> DialIn:
        """As :meth:`Phone.dial_in`."""
        opened: DialIn = await self._video._drive(dial_in(self._core, room, number))
        return opened

    async def reply(self, request: WebhookRequest) -> VoiceReply | None:
        """As :meth:`Phone.reply`, in a worker thread."""
        import asyncio  # only an async caller pays for it

        return await asyncio.to_thread(self._core.backend.voice_reply, request)
