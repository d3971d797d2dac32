"""Each core operation sends Twilio the requests the SDK sends to do the same work, no more:
counted as the emulator receives them, anyvideo's against the SDK's own calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from anyvideo import ParticipantStatus, RoomStatus, StreamKind, Video

PAGE = 50


def _sdk_streams(v1: Any, room_sid: str) -> list[Any]:
    participants = v1.rooms(room_sid).participants
    connected = [
        *participants.list(status="connected", page_size=PAGE),
        *participants.list(status="reconnecting", page_size=PAGE),
    ]
    return [track for p in connected for track in participants(p.sid).published_tracks.list(page_size=PAGE)]


#: operation -> (anyvideo doing it, the SDK doing it), each given (video, SDK Video v1, the scene).
OPERATIONS: dict[str, tuple[Callable[..., object], Callable[..., object]]] = {
    "create a room": (
        lambda video, v1, scene: video.rooms.create("made-by-anyvideo"),
        lambda video, v1, scene: v1.rooms.create(unique_name="made-by-the-sdk", type="group"),
    ),
    "create a nameless room": (
        lambda video, v1, scene: video.rooms.create(),
        lambda video, v1, scene: v1.rooms.create(type="group"),
    ),
    "get a room": (
        lambda video, v1, scene: video.rooms.get(scene["room"]),
        lambda video, v1, scene: v1.rooms(scene["room"]).fetch(),
    ),
    "list rooms in progress": (
        lambda video, v1, scene: list(video.rooms.list(status=RoomStatus.OPEN)),
        lambda video, v1, scene: v1.rooms.list(status="in-progress", page_size=PAGE),
    ),
    "end a room": (
        lambda video, v1, scene: video.rooms.end(scene["ours to end"]),
        lambda video, v1, scene: v1.rooms(scene["theirs to end"]).update(status="completed"),
    ),
    "list connected participants": (
        lambda video, v1, scene: list(video.participants.list(scene["room"], status=ParticipantStatus.CONNECTED)),
        lambda video, v1, scene: [
            *v1.rooms(scene["room"]).participants.list(status="connected", page_size=PAGE),
            *v1.rooms(scene["room"]).participants.list(status="reconnecting", page_size=PAGE),
        ],
    ),
    "get a participant": (
        lambda video, v1, scene: video.participants.get(scene["room"], scene["ann"]),
        lambda video, v1, scene: v1.rooms(scene["room"]).participants(scene["ann"]).fetch(),
    ),
    "disconnect a participant": (
        lambda video, v1, scene: video.participants.disconnect(scene["room"], scene["ours to disconnect"]),
        lambda video, v1, scene: (
            v1.rooms(scene["room"]).participants(scene["theirs to disconnect"]).update(status="disconnected")
        ),
    ),
    "list streams": (
        lambda video, v1, scene: list(video.streams.list(scene["room"])),
        lambda video, v1, scene: _sdk_streams(v1, scene["room"]),
    ),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_operation_sends_what_the_sdk_sends(connect_twilio, received, operation: str) -> None:
    video: Video = connect_twilio(page_size=PAGE)
    v1 = video.native.video.v1
    devices = video.backend.browser()
    room = video.rooms.create("scene")
    people = {name: devices.join(video.tokens.create(room, name)) for name in ("ann", "bob", "cem")}
    people["ann"].publish(StreamKind.AUDIO_VIDEO)
    scene = {
        "room": room.id,
        "ann": people["ann"].participant_id,
        "ours to disconnect": people["bob"].participant_id,
        "theirs to disconnect": people["cem"].participant_id,
        "ours to end": video.rooms.create("ours-to-end").id,
        "theirs to end": video.rooms.create("theirs-to-end").id,
    }
    ours, theirs = OPERATIONS[operation]
    del received[:]
    ours(video, v1, scene)
    sent_by_anyvideo = received[:]
    del received[:]
    theirs(video, v1, scene)
    # the same requests, in whatever order (anyvideo lists lazily); ids differ where each acts on its own
    assert sorted(_shape(r, scene) for r in sent_by_anyvideo) == sorted(_shape(r, scene) for r in received)
    assert sent_by_anyvideo


def _shape(request: tuple[str, str], scene: dict[str, str]) -> tuple[str, str]:
    method, path = request
    for name in ("ours to end", "theirs to end"):
        path = path.replace(scene[name], "<room to end>")
    for name in ("ours to disconnect", "theirs to disconnect"):
        path = path.replace(scene[name], "<participant to disconnect>")
    return method, path


def test_a_token_sends_nothing(video, room, received) -> None:
    video.tokens.create(room, "ann")
    assert received == []
