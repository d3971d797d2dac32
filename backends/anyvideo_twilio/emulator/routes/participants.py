"""Participants and their tracks: ``/v1/Rooms/{RoomSid}/Participants/...``
(list, fetch, disconnect, anonymize; published and subscribed tracks;
subscribe rules)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from anyvideo.models import ParticipantStatus, RoomStatus
from anyvideo.sim.records import ParticipantRecord, RoomRecord, StreamRecord
from anyvideo.testing.server import Request, Response, route
from anyvideo_twilio.emulator import errors, rules, sids
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.statuses import PARTICIPANT_STATUS, world_statuses
from anyvideo_twilio.emulator.translate import track_name

__all__ = ["ParticipantRoutes"]

PARTICIPANT_STATUSES = ("connected", "disconnected", "reconnecting")
SUBSCRIBE_KINDS = ("audio", "video", "data")
PRIORITIES = ("low", "standard", "high")
_BASE = "/v1/Rooms/{RoomSid}/Participants"


class ParticipantRoutes(Reactions):
    def participant(self, request: Request, room: RoomRecord) -> ParticipantRecord:
        """The participant a path names, by SID or by the identity of a connected one."""
        reference = urllib.parse.unquote(request.params["ParticipantSid"])  # an identity is URL-encoded
        if sids.is_sid(reference, "PA"):
            return self.participant_of(request, room, reference)
        for participant in self.world.participants(room.id, status=ParticipantStatus.CONNECTED):
            if participant.identity == reference:
                return participant
        raise errors.NOT_FOUND(path=request.path)

    # --- participants -------------------------------------------------------

    @route("GET", _BASE)
    def list_participants(self, request: Request) -> dict[str, Any]:
        room = self.room_of(request)
        query = self.query(request)
        # Twilio lists connected participants of a room in progress, else the disconnected ones.
        default = PARTICIPANT_STATUS[
            ParticipantStatus.CONNECTED if room.status is RoomStatus.OPEN else ParticipantStatus.DISCONNECTED
        ]
        status = query.choice("Status", PARTICIPANT_STATUSES, default)
        identity = query.text("Identity")
        after, before = query.moment("DateCreatedAfter"), query.moment("DateCreatedBefore")

        def keep(participant: ParticipantRecord) -> bool:
            return (
                (identity is None or participant.identity == identity)
                and (after is None or participant.joined_at >= after)
                and (before is None or participant.joined_at < before)
            )

        return self.listing_of(
            request,
            ParticipantRecord,
            key="participants",
            render=self._render_participant(request),
            room_id=room.id,
            statuses=sorted(s.value for s in world_statuses(PARTICIPANT_STATUS, status)),
            keep=keep if (identity, after, before) != (None, None, None) else None,
        )

    def _render_participant(self, request: Request) -> Callable[[ParticipantRecord], dict[str, Any]]:
        site = self.site(request)
        return lambda participant: site.participant(participant, anonymized=participant.id in self.state.anonymized)

    @route("GET", _BASE + "/{ParticipantSid}")
    def fetch_participant(self, request: Request) -> dict[str, Any]:
        return self._render_participant(request)(self.participant(request, self.room_of(request)))

    @route("POST", _BASE + "/{ParticipantSid}")
    def update_participant(self, request: Request) -> Response:
        participant = self.participant(request, self.room_of(request))
        if self.form(request).text("Status") != PARTICIPANT_STATUS[ParticipantStatus.DISCONNECTED]:
            raise errors.invalid("Status must be disconnected")
        if participant.status is not ParticipantStatus.CONNECTED:
            raise errors.invalid(f"Participant {participant.id} is not connected")
        return Response.json(self._render_participant(request)(self.world.leave(participant.id)), 202)

    @route("POST", _BASE + "/{ParticipantSid}/Anonymize")
    def anonymize_participant(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        if participant.status is ParticipantStatus.CONNECTED:
            raise errors.invalid(f"Participant {participant.id} is still connected; anonymize after it leaves")
        with self.state.lock:
            self.state.anonymized.add(participant.id)
        return self.site(request).anonymized_participant(participant)

    # --- published tracks ---------------------------------------------------

    def published(self, participant: ParticipantRecord) -> list[StreamRecord]:
        return [s for s in self.world.streams(participant.room_id) if s.participant_id == participant.id]

    @route("GET", _BASE + "/{ParticipantSid}/PublishedTracks")
    def list_published_tracks(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        site = self.site(request)
        return self.listing(
            request, self.published(participant), key="published_tracks", render=site.published_track, sid=_sid
        )

    @route("GET", _BASE + "/{ParticipantSid}/PublishedTracks/{Sid}")
    def fetch_published_track(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        reference = request.params["Sid"]
        for track in self.published(participant):
            if reference in (track.id, track_name(track)):
                return self.site(request).published_track(track)
        raise errors.NOT_FOUND(path=request.path)

    # --- subscriptions ------------------------------------------------------

    def subscribed(self, participant: ParticipantRecord) -> list[StreamRecord]:
        """The other participants' tracks that this one's subscribe rules pick."""
        if participant.status is not ParticipantStatus.CONNECTED:
            return []
        others = [s for s in self.world.streams(participant.room_id) if s.participant_id != participant.id]
        chosen = rules.select(self.state.subscribe_rules_of(participant.id), (self.track_view(s) for s in others))
        return [s for s in others if s.id in chosen]

    @route("GET", _BASE + "/{ParticipantSid}/SubscribedTracks")
    def list_subscribed_tracks(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        site = self.site(request)
        return self.listing(
            request,
            self.subscribed(participant),
            key="subscribed_tracks",
            render=lambda track: site.subscribed_track(track, participant.id),
            sid=_sid,
        )

    @route("GET", _BASE + "/{ParticipantSid}/SubscribedTracks/{Sid}")
    def fetch_subscribed_track(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        for track in self.subscribed(participant):
            if track.id == request.params["Sid"]:
                return self.site(request).subscribed_track(track, participant.id)
        raise errors.NOT_FOUND(path=request.path)

    @route("GET", _BASE + "/{ParticipantSid}/SubscribeRules")
    def fetch_subscribe_rules(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        return self.site(request).subscribe_rules(participant, self.state.subscribe_rules_of(participant.id))

    @route("POST", _BASE + "/{ParticipantSid}/SubscribeRules")
    def update_subscribe_rules(self, request: Request) -> dict[str, Any]:
        participant = self.participant(request, self.room_of(request))
        raw = self.form(request).json("Rules", error=errors.SUBSCRIBE_RULES_INVALID)
        chosen = rules.parse(raw, kinds=SUBSCRIBE_KINDS, priorities=PRIORITIES, error=errors.SUBSCRIBE_RULES_INVALID())
        with self.state.lock:
            self.state.subscribe_rules[participant.id] = chosen
        return self.site(request).subscribe_rules(participant, chosen)


def _sid(track: StreamRecord) -> str:
    return track.id
