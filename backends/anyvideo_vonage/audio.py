"""The audio connector's typed input and result (``video.ext.start_audio_connector``):
a room's audio streamed to a WebSocket server, validated before any request.

The fields and their limits are the spec's (``Start-Audio-Connector``, Vonage Video
0.3.2), sent as the official SDKs send them (Node's ``connectToWebsocket``, Python's
``start_audio_connector``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from anyvideo.errors import InvalidRequest
from anyvideo_vonage.ids import IDS

__all__ = ["AUDIO_RATES", "HEADERS_MAX_BYTES", "AudioConnection", "AudioConnector", "header_bytes"]

#: ``websocket.audioRate`` (Hz), the spec's enum; Vonage's default is 16000.
AUDIO_RATES = frozenset({8000, 16000, 24000})
#: The spec: the headers sent to the WebSocket server have "a maximum length of 512 bytes".
HEADERS_MAX_BYTES = 512


def header_bytes(headers: Mapping[str, str]) -> int:
    """What ``headers`` weigh against :data:`HEADERS_MAX_BYTES`: every name and value, UTF-8."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in headers.items())


def _uri(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.startswith(("ws://", "wss://")) or len(value) > 2048:
        raise InvalidRequest("connector.uri", "must be a ws:// or wss:// URL the platform can reach")


def _streams(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidRequest("connector.streams", "give a list of stream ids")
    return IDS.check_all("stream", value, "connector.streams")


def _headers(instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, str]) -> None:
    if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()):
        raise InvalidRequest("connector.headers", "map header names to string values")
    if header_bytes(value) > HEADERS_MAX_BYTES:
        raise InvalidRequest("connector.headers", f"names and values may total at most {HEADERS_MAX_BYTES} bytes")


def _rate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or value not in AUDIO_RATES):
        raise InvalidRequest("connector.audio_rate", f"must be one of {', '.join(map(str, sorted(AUDIO_RATES)))} Hz")


def _flag(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidRequest(f"connector.{attribute.name}", "must be True or False")


def _identity(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidRequest("connector.identity", "must be a non-empty string")


@attrs.frozen
class AudioConnector:
    """Where and how to stream a room's audio: the WebSocket server at ``uri``.

    ``streams`` limits the audio to those stream ids (default: every stream in
    the room); ``headers`` go to the WebSocket server (at most 512 bytes of
    names and values); ``audio_rate`` is 8000, 16000 or 24000 Hz (default:
    Vonage's, 16000); ``bidirectional`` also publishes into the room, as an
    audio stream, what the server sends back. The connector joins as a
    connection with a publisher token minted for ``identity`` (and ``data``).
    """

    uri: str = attrs.field(validator=_uri)
    streams: tuple[str, ...] | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(_streams),
    )
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=dict, validator=_headers)
    audio_rate: Literal[8000, 16000, 24000] | None = attrs.field(default=None, validator=_rate)
    bidirectional: bool = attrs.field(default=False, validator=_flag)
    identity: str = attrs.field(default="audio-connector", validator=_identity)
    data: str | None = None

    def websocket(self) -> dict[str, Any]:
        """The request's ``websocket`` object, as the spec names its fields."""
        body: dict[str, Any] = {"uri": self.uri}
        if self.streams is not None:
            body["streams"] = list(self.streams)
        if self.headers:
            body["headers"] = dict(self.headers)
        if self.audio_rate is not None:
            body["audioRate"] = self.audio_rate
        if self.bidirectional:
            body["bidirectional"] = True
        return body


@attrs.frozen
class AudioConnection:
    """A running audio connector: its id and the connection it appears as in the room.

    Stop it with ``video.ext.stop_audio_connector(connection)`` (Vonage stops a
    connector by force-disconnecting its connection).
    """

    id: str
    room_id: str
    connection_id: str
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
