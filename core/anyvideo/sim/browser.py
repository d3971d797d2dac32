"""Play client devices against the simulated platform: join with a token,
publish, unpublish, receive signals, leave — what a browser running a
provider's client SDK would do."""

from __future__ import annotations

from collections.abc import Callable

from anyvideo.errors import Forbidden
from anyvideo.models import AccessToken, StreamKind, VideoSource
from anyvideo.sim.records import Grant, SignalRecord
from anyvideo.sim.world import World

__all__ = ["Browser", "Client"]

#: Checks a client token's signature and issuer and returns what it grants;
#: raises AuthenticationError when the token is not genuine.
TokenVerifier = Callable[[str], Grant]


class Browser:
    """Joins rooms of ``world`` with tokens checked by ``verify``."""

    def __init__(self, world: World, verify: TokenVerifier) -> None:
        self._world = world
        self._verify = verify

    def join(self, token: str | AccessToken, room_id: str | None = None) -> Client:
        """Connect with ``token`` to ``room_id`` (by default, the room the token names).

        An expired token, a token for another room, an ended or full room are refused.
        """
        grant = self._verify(token.token if isinstance(token, AccessToken) else token)
        participant = self._world.join(grant.room_id if room_id is None else room_id, grant)
        return Client(self._world, participant.id, participant.room_id, participant.identity)


class Client:
    """One connected client device."""

    def __init__(self, world: World, participant_id: str, room_id: str, identity: str) -> None:
        self._world = world
        self.participant_id = participant_id
        self.room_id = room_id
        self.identity = identity

    def __repr__(self) -> str:
        return f"Client(identity={self.identity!r}, participant_id={self.participant_id!r})"

    def publish(
        self,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        *,
        name: str | None = None,
        video_source: VideoSource | None = None,
    ) -> str:
        """Publish a stream; returns its id. A subscriber is refused with Forbidden."""
        return self._world.publish(self.participant_id, kind, name=name, video_source=video_source).id

    def unpublish(self, stream_id: str) -> None:
        stream = self._world.get_stream(stream_id)
        if stream.participant_id != self.participant_id:
            raise Forbidden(f"stream {stream_id!r} belongs to another participant")
        self._world.unpublish(stream_id)

    def signals(self) -> list[SignalRecord]:
        """Every signal this client has received, oldest first."""
        return self._world.signals_for(self.participant_id)

    def leave(self) -> None:
        self._world.leave(self.participant_id)
