"""Every id the Vonage backend takes is checked against the provider's formats
(``anyvideo_vonage.ids``) before any request: the SDK puts ids into URL paths
as they are, so ``x/../../broadcast/<id>`` would reach another resource."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.ids import cases, hostile, refused_before_any_request, requests_to
from support.specs import VONAGE_SAMPLES

from anyvideo import CompositionStatus, InvalidRequest, Layout, Video
from anyvideo.testing import Emulator, EmulatorControl
from anyvideo_vonage import RenderSpec, SipCall
from anyvideo_vonage.emulator import ids as emulator_ids
from anyvideo_vonage.ids import FORMATS, IDS

ROOM = "1_MX4yOWY3NjBmOC03Y2UxLTQ2YzktYWRlMy1mMmRlZGVlNGVkNWZ-fjE3MjY0NjI1ODg2NDd-MTF4TGExYmJoelBlR1FHbVhzbWd4STBrfn5-"
UUID = "be7712a4-3a63-4ed7-a2c6-7ffaebefd4a6"

Operation = Callable[[Video, str], Any]

#: Every core operation and extension that takes an id: the field it names, and the call with ``bad`` in that place.
OPERATIONS: dict[str, tuple[str, str, Operation]] = {
    "rooms.get": ("room", "room", lambda v, bad: v.rooms.get(bad)),
    "rooms.end": ("room", "room", lambda v, bad: v.rooms.end(bad)),
    "participants.list": ("room", "room", lambda v, bad: list(v.participants.list(bad))),
    "participants.get room": ("room", "room", lambda v, bad: v.participants.get(bad, UUID)),
    "participants.get": ("participant", "participant", lambda v, bad: v.participants.get(ROOM, bad)),
    "participants.disconnect room": ("room", "room", lambda v, bad: v.participants.disconnect(bad, UUID)),
    "participants.disconnect": ("participant", "participant", lambda v, bad: v.participants.disconnect(ROOM, bad)),
    "streams.list": ("room", "room", lambda v, bad: list(v.streams.list(bad))),
    "streams.get room": ("room", "room", lambda v, bad: v.streams.get(bad, UUID)),
    "streams.get": ("stream", "stream", lambda v, bad: v.streams.get(ROOM, bad)),
    "streams.mute room": ("room", "room", lambda v, bad: v.streams.mute(bad, UUID)),
    "streams.mute": ("stream", "stream", lambda v, bad: v.streams.mute(ROOM, bad)),
    "streams.mute_all": ("room", "room", lambda v, bad: v.streams.mute_all(bad)),
    "streams.mute_all except": (
        "stream",
        "except_streams",
        lambda v, bad: v.streams.mute_all(ROOM, except_streams=[bad]),
    ),
    "tokens.create": ("room", "room", lambda v, bad: v.tokens.create(bad, "ann")),
    "signals.send": ("room", "room", lambda v, bad: v.signals.send(bad, "chat", "hi")),
    "signals.send to": ("participant", "to", lambda v, bad: v.signals.send(ROOM, "chat", "hi", to=bad)),
    "recordings.start": ("room", "room", lambda v, bad: v.recordings.start(bad)),
    "recordings.stop": ("recording", "recording", lambda v, bad: v.recordings.stop(bad)),
    "recordings.get": ("recording", "recording", lambda v, bad: v.recordings.get(bad)),
    "recordings.list": ("room", "room", lambda v, bad: list(v.recordings.list(room=bad))),
    "recordings.delete": ("recording", "recording", lambda v, bad: v.recordings.delete(bad)),
    "recordings.iter_bytes": ("recording", "recording", lambda v, bad: v.recordings.iter_bytes(bad)),
    "compositions.start": ("room", "room", lambda v, bad: v.compositions.start(bad, output="live", hls=True)),
    "compositions.start streams": (
        "stream",
        "streams",
        lambda v, bad: v.compositions.start(ROOM, output="live", hls=True, streams=[bad]),
    ),
    "compositions.stop": ("composition", "composition", lambda v, bad: v.compositions.stop(bad)),
    "compositions.get": ("composition", "composition", lambda v, bad: v.compositions.get(bad)),
    "compositions.list": ("room", "room", lambda v, bad: list(v.compositions.list(room=bad))),
    "ext.set_layout_classes": ("room", "room_id", lambda v, bad: v.ext.set_layout_classes(bad, {UUID: ["host"]})),
    "ext.set_layout_classes stream": (
        "stream",
        "classes",
        lambda v, bad: v.ext.set_layout_classes(ROOM, {bad: ["host"]}),
    ),
    "ext.migrate_room": ("room", "room_id", lambda v, bad: v.ext.migrate_room(bad)),
    "ext.change_recording_layout": (
        "recording",
        "recording_id",
        lambda v, bad: v.ext.change_recording_layout(bad, Layout.pip()),
    ),
    "ext.add_recording_stream": ("recording", "recording_id", lambda v, bad: v.ext.add_recording_stream(bad, UUID)),
    "ext.add_recording_stream stream": ("stream", "stream_id", lambda v, bad: v.ext.add_recording_stream(UUID, bad)),
    "ext.remove_recording_stream": (
        "recording",
        "recording_id",
        lambda v, bad: v.ext.remove_recording_stream(bad, UUID),
    ),
    "ext.remove_recording_stream stream": (
        "stream",
        "stream_id",
        lambda v, bad: v.ext.remove_recording_stream(UUID, bad),
    ),
    "ext.change_composition_layout": (
        "composition",
        "composition_id",
        lambda v, bad: v.ext.change_composition_layout(bad, Layout.pip()),
    ),
    "ext.add_composition_stream": (
        "composition",
        "composition_id",
        lambda v, bad: v.ext.add_composition_stream(bad, UUID),
    ),
    "ext.add_composition_stream stream": (
        "stream",
        "stream_id",
        lambda v, bad: v.ext.add_composition_stream(UUID, bad),
    ),
    "ext.remove_composition_stream": (
        "composition",
        "composition_id",
        lambda v, bad: v.ext.remove_composition_stream(bad, UUID),
    ),
    "ext.remove_composition_stream stream": (
        "stream",
        "stream_id",
        lambda v, bad: v.ext.remove_composition_stream(UUID, bad),
    ),
    "ext.dial_sip": ("room", "room_id", lambda v, bad: v.ext.dial_sip(bad, SipCall("sip:desk@example.com"))),
    "ext.play_dtmf": ("room", "room_id", lambda v, bad: v.ext.play_dtmf(bad, "1")),
    "ext.play_dtmf participant": (
        "participant",
        "participant_id",
        lambda v, bad: v.ext.play_dtmf(ROOM, "1", participant_id=bad),
    ),
    "ext.start_captions": ("room", "room_id", lambda v, bad: v.ext.start_captions(bad)),
    "ext.stop_captions": ("captions", "captions", lambda v, bad: v.ext.stop_captions(bad)),
    "ext.start_render": (
        "room",
        "room_id",
        lambda v, bad: v.ext.start_render(bad, RenderSpec("https://app.example.com/board")),
    ),
    "ext.get_render": ("render", "render_id", lambda v, bad: v.ext.get_render(bad)),
    "ext.stop_render": ("render", "render_id", lambda v, bad: v.ext.stop_render(bad)),
}

#: A well-formed id of each kind, for the hostile ids to be built on.
REAL = {"room": ROOM, **{kind: UUID for kind in FORMATS if kind != "room"}}


@pytest.fixture(scope="module")
def shared_emulator(anyvideo_session_emulator: Callable[..., Emulator]) -> Emulator:
    """Nothing is sent to it (that is the point): one emulator serves every case."""
    return anyvideo_session_emulator("vonage")


@pytest.fixture(scope="module")
def shared_video(shared_emulator: Emulator) -> Video:
    return shared_emulator.connect()


@pytest.mark.parametrize(("operation", "case"), cases(OPERATIONS, REAL))
def test_a_hostile_id_is_refused_before_any_request(
    shared_emulator: Emulator, shared_video: Video, operation: str, case: str
) -> None:
    kind = OPERATIONS[operation][0]
    refused_before_any_request(shared_emulator, shared_video, OPERATIONS[operation], hostile(REAL[kind])[case])


def test_a_traversal_to_a_broadcast_does_not_stop_it(video: Video, browser: EmulatorControl) -> None:
    room = video.rooms.create("weekly")
    browser.join(video.tokens.create(room, "ann")).publish()
    broadcast = video.compositions.start(room, output="live", hls=True)
    with pytest.raises(InvalidRequest) as refused:
        video.recordings.stop(f"x/../../broadcast/{broadcast.id}")
    assert refused.value.field == "recording"
    assert video.compositions.get(broadcast).status is CompositionStatus.LIVE


def test_a_query_in_an_archive_id_is_refused(vonage_emulator: Emulator, video: Video) -> None:
    with requests_to(vonage_emulator) as seen, pytest.raises(InvalidRequest) as refused:
        video.recordings.stop("a?b=c")
    assert refused.value.field == "recording" and seen == []


# --- the formats accept every real id -------------------------------------------------------

#: Id fields in the provider's answers, by the kind of id they hold.
_FIELDS = {"sessionId": "room", "session_id": "room", "connectionId": "participant", "streamId": "stream"}
_FIELDS |= {"captionsId": "captions"}
#: What an answer's own ``id`` is, by the file the answer is in (a SIP call's or an
#: Audio Connector's id is not one anyvideo takes back).
_OWN_ID = {
    "archive": "recording",
    "list_archives": "recording",
    "stop_archive": "recording",
    "broadcast": "composition",
    "list_broadcasts": "composition",
    "stop_broadcast": "composition",
    "get_experience_composer": "render",
    "list_experience_composers": "render",
    "start_experience_composer": "render",
    "get_stream": "stream",
    "list_streams": "stream",
    "change_stream_layout": "stream",
}
#: The SDK tests' placeholders, not ids the provider hands out.
_PLACEHOLDERS = {"test_session_id"}


def _sample_ids() -> Iterator[tuple[str, str, str]]:
    for path in sorted(VONAGE_SAMPLES.glob("*.json")):
        own = next((kind for name, kind in _OWN_ID.items() if path.stem.startswith(name)), None)
        yield from _ids_in(json.loads(path.read_text()), own, path.stem)


def _ids_in(body: Any, own: str | None, where: str) -> Iterator[tuple[str, str, str]]:
    items = body.get("items") if isinstance(body, dict) else body if isinstance(body, list) else None
    for item in [body] if isinstance(body, dict) else []:
        for key, value in item.items():
            kind = _FIELDS.get(key) or (own if key == "id" else None)
            if kind and isinstance(value, str) and value not in _PLACEHOLDERS:
                yield kind, value, where
    for item in items or []:
        yield from _ids_in(item, own, where)


SAMPLE_IDS = list(_sample_ids())


def test_the_samples_hold_ids_of_every_kind() -> None:
    assert {kind for kind, _, _ in SAMPLE_IDS} == FORMATS.keys()


@pytest.mark.parametrize(("kind", "value", "where"), SAMPLE_IDS, ids=[f"{w}-{k}-{v[:12]}" for k, v, w in SAMPLE_IDS])
def test_every_id_in_the_providers_answers_is_accepted(kind: str, value: str, where: str) -> None:
    assert IDS.accepts(kind, value)


@pytest.mark.parametrize("kind", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(hostile(UUID)))
def test_every_format_refuses_every_hostile_id(kind: str, case: str) -> None:
    assert not IDS.accepts(kind, hostile(REAL[kind])[case])


def test_every_id_the_emulator_hands_out_is_accepted(video: Video, browser: EmulatorControl) -> None:
    room = video.rooms.create("weekly")
    ann = browser.join(video.tokens.create(room, "ann"))
    camera = ann.publish()
    archive = video.recordings.start(room)
    broadcast = video.compositions.start(room, output="live", hls=True)
    sip = video.ext.dial_sip(room, SipCall("sip:desk@example.com"))
    captions = video.ext.start_captions(room)
    render = video.ext.start_render(room, RenderSpec("https://app.example.com/board"))
    made = {
        "room": [room.id],
        "participant": [ann.participant_id, sip.connection_id],
        "stream": [camera, sip.stream_id],
        "recording": [archive.id],
        "composition": [broadcast.id],
        "captions": [captions.id],
        "render": [render.id],
    }
    assert made.keys() == FORMATS.keys()
    assert [(kind, i) for kind, ids in made.items() for i in ids if not IDS.accepts(kind, i)] == []
    # and the operations take them
    assert video.streams.get(room, camera).id == camera
    assert video.participants.get(room, ann.participant_id).id == ann.participant_id
    assert video.ext.get_render(render.id).id == render.id
    video.recordings.stop(archive)
    video.compositions.stop(broadcast)
    video.ext.stop_captions(captions)


@settings(max_examples=50, deadline=None)
@given(application=st.uuids().map(str), created=st.datetimes(timezones=st.just(UTC)), relayed=st.booleans())
def test_every_session_id_the_emulator_makes_is_accepted(application: str, created: datetime, relayed: bool) -> None:
    assert IDS.accepts("room", emulator_ids.session_id(application, created, relayed=relayed))


def test_every_other_id_the_emulator_makes_is_accepted() -> None:
    assert all(IDS.accepts(kind, emulator_ids.new_uuid()) for kind in FORMATS if kind != "room" for _ in range(20))


# --- property: anything else is refused before a request ------------------------------------------

#: One backend operation per kind of id, called directly (no facade in between).
BY_KIND: dict[str, Callable[[Any, str], Any]] = {
    "room": lambda b, bad: b.get_room(bad),
    "participant": lambda b, bad: b.disconnect_participant(ROOM, bad),
    "stream": lambda b, bad: b.get_stream(ROOM, bad),
    "recording": lambda b, bad: b.stop_recording(bad),
    "composition": lambda b, bad: b.stop_composition(bad),
    "captions": lambda b, bad: b.extensions_class(b).stop_captions(bad),
    "render": lambda b, bad: b.extensions_class(b).stop_render(bad),
}


def _near_misses(kind: str) -> st.SearchStrategy[str]:
    """A well-formed id with one character put in, anywhere."""
    real = REAL[kind]
    return st.builds(lambda at, char: real[:at] + char + real[at:], st.integers(0, len(real)), st.characters())


@pytest.mark.parametrize("kind", sorted(FORMATS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_id_off_the_format_is_refused_before_a_request(
    shared_emulator: Emulator, shared_video: Video, kind: str, data: st.DataObject
) -> None:
    value = data.draw(st.one_of(st.text(), _near_misses(kind)).filter(lambda v: not IDS.accepts(kind, v)))
    with requests_to(shared_emulator) as seen, pytest.raises(InvalidRequest):
        BY_KIND[kind](shared_video.backend, value)
    assert seen == []


def test_the_property_covers_every_kind() -> None:
    assert BY_KIND.keys() == FORMATS.keys()
