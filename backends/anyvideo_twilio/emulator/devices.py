"""Browsers against a Twilio emulator, publishing as Twilio's client SDKs do.

A Twilio client publishes one track per kind: ``connect(token, {audio: true,
video: true})`` in twilio-video.js publishes an audio track and a video track.
The emulator's control API holds to that (it refuses an audio+video stream),
so a device here turns a core ``AUDIO_VIDEO`` publish into those two tracks,
returns the video track's SID, and unpublishes both together.

Twilio does not say what a video track shows: an application names it (a
screen share ``"screen"``), as anyvideo's Twilio backend documents. A device
asked to publish a screen (or custom) video names its track so: ``"screen"``,
or ``"screen-<name>"`` when the name given does not already say it (see
:data:`SOURCE_NAMES`). Everything else is the emulator's control API unchanged.
"""

from __future__ import annotations

from anyvideo.models import AccessToken, StreamKind, VideoSource
from anyvideo.testing.control import EmulatorControl, RemoteClient

__all__ = ["SOURCE_NAMES", "TwilioClient", "TwilioDevices"]

#: The word a device puts in the name of a video track that is not a camera's.
SOURCE_NAMES = {VideoSource.SCREEN: "screen", VideoSource.CUSTOM: "custom"}


class TwilioDevices(EmulatorControl):
    """The emulator's control API, whose browsers publish audio and video as separate tracks."""

    def join(self, token: str | AccessToken, room_id: str | None = None) -> TwilioClient:
        joined = super().join(token, room_id)
        return TwilioClient(self, joined.participant_id, joined.room_id, joined.identity)


class TwilioClient(RemoteClient):
    """One browser in a Twilio room."""

    def __init__(self, control: EmulatorControl, participant_id: str, room_id: str, identity: str) -> None:
        super().__init__(control, participant_id, room_id, identity)
        #: Video track SID -> the audio track published with it.
        self._paired: dict[str, str] = {}

    def publish(
        self,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        *,
        name: str | None = None,
        video_source: VideoSource | None = None,
    ) -> str:
        word = SOURCE_NAMES.get(video_source) if kind.has_video and video_source is not None else None
        if word is not None:
            name = _named(name, word)
        if kind is not StreamKind.AUDIO_VIDEO:
            return super().publish(kind, name=name, video_source=video_source)
        # Track names are unique per participant: the audio track gets its own.
        audio = super().publish(StreamKind.AUDIO, name=None if name is None else f"{name}-audio")
        video = super().publish(StreamKind.VIDEO, name=name, video_source=video_source)
        self._paired[video] = audio
        return video

    def unpublish(self, stream_id: str) -> None:
        super().unpublish(stream_id)
        if stream_id in self._paired:
            super().unpublish(self._paired.pop(stream_id))


def _named(name: str | None, word: str) -> str:
    """``name``, saying ``word`` (as an application following the backend's docs names the track)."""
    if name is None:
        return word
    return name if word in name.casefold() else f"{word}-{name}"
