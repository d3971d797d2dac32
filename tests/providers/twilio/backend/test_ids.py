"""Every id the Twilio backend takes is checked against the provider's formats
(``anyvideo_twilio.ids``) before any request: the SDK puts ids into URL paths
as they are, so ``RMa/Participants/PAb`` would reach a participant."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.ids import cases, hostile, refused_before_any_request, requests_to
from support.specs import TWILIO_SAMPLES

from anyvideo import InvalidRequest, ParticipantStatus, StreamKind, Video
from anyvideo.testing import Emulator, EmulatorControl
from anyvideo_twilio.backend import _media_path
from anyvideo_twilio.emulator import sids
from anyvideo_twilio.ids import FORMATS, IDS
from anyvideo_twilio.windows import new_window_id

REAL = {
    kind: prefix + "0123456789abcdef0123456789ABCDEF"
    for kind, prefix in [
        ("room", "RM"),
        ("participant", "PA"),
        ("stream", "MT"),
        ("recording", "RT"),
        ("composition", "CJ"),
        ("hook", "HK"),
    ]
}
ROOM, PARTICIPANT, HOOK = REAL["room"], REAL["participant"], REAL["hook"]
WINDOW = "win_0123456789abcdef01234567"

Operation = Callable[[Video, str], Any]

#: Every core operation and extension that takes an id: its kind, the field it names, the call with ``bad``.
OPERATIONS: dict[str, tuple[str, str, Operation]] = {
    "rooms.get": ("room", "room", lambda v, bad: v.rooms.get(bad)),
    "rooms.end": ("room", "room", lambda v, bad: v.rooms.end(bad)),
    "participants.list": ("room", "room", lambda v, bad: list(v.participants.list(bad))),
    "participants.get room": ("room", "room", lambda v, bad: v.participants.get(bad, PARTICIPANT)),
    "participants.get": ("participant", "participant", lambda v, bad: v.participants.get(ROOM, bad)),
    "participants.disconnect room": ("room", "room", lambda v, bad: v.participants.disconnect(bad, PARTICIPANT)),
    "participants.disconnect": ("participant", "participant", lambda v, bad: v.participants.disconnect(ROOM, bad)),
    "streams.list": ("room", "room", lambda v, bad: list(v.streams.list(bad))),
    "streams.get room": ("room", "room", lambda v, bad: v.streams.get(bad, REAL["stream"])),
    "streams.get": ("stream", "stream", lambda v, bad: v.streams.get(ROOM, bad)),
    "tokens.create": ("room", "room", lambda v, bad: v.tokens.create(bad, "ann")),
    "recordings.start": ("room", "room", lambda v, bad: v.recordings.start(bad)),
    "recordings.stop": ("recording", "recording", lambda v, bad: v.recordings.stop(bad)),
    "recordings.get": ("recording", "recording", lambda v, bad: v.recordings.get(bad)),
    "recordings.list": ("room", "room", lambda v, bad: list(v.recordings.list(room=bad))),
    "recordings.delete": ("recording", "recording", lambda v, bad: v.recordings.delete(bad)),
    "recordings.iter_bytes": ("recording", "recording", lambda v, bad: v.recordings.iter_bytes(bad)),
    "compositions.start": ("room", "room", lambda v, bad: v.compositions.start(bad)),
    "compositions.start recordings": (
        "recording",
        "recordings",
        lambda v, bad: v.compositions.start(ROOM, recordings=[bad]),
    ),
    "compositions.get": ("composition", "composition", lambda v, bad: v.compositions.get(bad)),
    "compositions.list": ("room", "room", lambda v, bad: list(v.compositions.list(room=bad))),
    "compositions.delete": ("composition", "composition", lambda v, bad: v.compositions.delete(bad)),
    "compositions.iter_bytes": ("composition", "composition", lambda v, bad: v.compositions.iter_bytes(bad)),
    "ext.get_recording_rules": ("room", "room_id", lambda v, bad: v.ext.get_recording_rules(bad)),
    "ext.set_recording_rules": ("room", "room_id", lambda v, bad: v.ext.set_recording_rules(bad, [])),
    "ext.get_subscribe_rules room": ("room", "room_id", lambda v, bad: v.ext.get_subscribe_rules(bad, PARTICIPANT)),
    "ext.get_subscribe_rules": (
        "participant",
        "participant_id",
        lambda v, bad: v.ext.get_subscribe_rules(ROOM, bad),
    ),
    "ext.set_subscribe_rules room": (
        "room",
        "room_id",
        lambda v, bad: v.ext.set_subscribe_rules(bad, PARTICIPANT, []),
    ),
    "ext.set_subscribe_rules": (
        "participant",
        "participant_id",
        lambda v, bad: v.ext.set_subscribe_rules(ROOM, bad, []),
    ),
    "ext.get_composition_hook": ("hook", "hook_id", lambda v, bad: v.ext.get_composition_hook(bad)),
    "ext.update_composition_hook": ("hook", "hook_id", lambda v, bad: v.ext.update_composition_hook(bad, "all")),
    "ext.delete_composition_hook": ("hook", "hook_id", lambda v, bad: v.ext.delete_composition_hook(bad)),
    "ext.get_published_track": (
        "stream",
        "track_id",
        lambda v, bad: v.ext.get_published_track(ROOM, PARTICIPANT, bad),
    ),
    "ext.list_subscribed_tracks": (
        "participant",
        "participant_id",
        lambda v, bad: list(v.ext.list_subscribed_tracks(ROOM, bad)),
    ),
    "ext.anonymize_participant": (
        "participant",
        "participant_id",
        lambda v, bad: v.ext.anonymize_participant(ROOM, bad),
    ),
    "ext.list_room_recordings": ("room", "room_id", lambda v, bad: list(v.ext.list_room_recordings(bad))),
    "ext.start_transcriptions": ("room", "room_id", lambda v, bad: v.ext.start_transcriptions(bad)),
}


@pytest.fixture(scope="module")
def shared_emulator(anyvideo_session_emulator: Callable[..., Emulator]) -> Emulator:
    """Nothing is sent to it (that is the point): one emulator serves every case."""
    return anyvideo_session_emulator("twilio")


@pytest.fixture(scope="module")
def shared_video(shared_emulator: Emulator) -> Video:
    return shared_emulator.connect()


@pytest.mark.parametrize(("operation", "case"), cases(OPERATIONS, REAL))
def test_a_hostile_id_is_refused_before_any_request(
    shared_emulator: Emulator, shared_video: Video, operation: str, case: str
) -> None:
    kind = OPERATIONS[operation][0]
    refused_before_any_request(shared_emulator, shared_video, OPERATIONS[operation], hostile(REAL[kind])[case])


def test_ending_a_room_cannot_reach_one_of_its_participants(
    twilio_emulator: Emulator, video: Video, browser: EmulatorControl
) -> None:
    room = video.rooms.create("weekly")
    ann = browser.join(video.tokens.create(room, "ann"))
    with requests_to(twilio_emulator) as seen, pytest.raises(InvalidRequest) as refused:
        video.rooms.end(f"{room.id}/Participants/{ann.participant_id}")
    assert refused.value.field == "room" and seen == []
    assert video.participants.get(room, ann.participant_id).status is ParticipantStatus.CONNECTED


# --- the formats accept every real id -------------------------------------------------------

#: SID fields in the provider's answers, by the kind of id they hold.
_FIELDS = {"room_sid": "room", "participant_sid": "participant", "publisher_sid": "participant"}
_FIELDS |= {"source_sid": "stream"}  # a track recording's published track
#: What an answer's own ``sid`` is, by the resource its file is named for (longest first).
_OWN_SID = {
    "room_participant_published_track": "stream",
    "room_participant": "participant",
    "room": "room",
    "recording": "recording",
    "composition_hook": "hook",
    "composition": "composition",
}


def _sample_ids() -> Iterator[tuple[str, str, str]]:
    for path in sorted(TWILIO_SAMPLES.glob("*.json")):
        resource = path.stem.partition("__")[0]
        yield from _ids_in(json.loads(path.read_text())["body"], _OWN_SID.get(resource), path.stem)


def _ids_in(body: Any, own: str | None, where: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(body, list):
        for item in body:
            yield from _ids_in(item, own, where)
    elif isinstance(body, dict):
        for key, value in body.items():
            kind = _FIELDS.get(key) or (own if key == "sid" else None)
            if kind and isinstance(value, str):
                yield kind, value, where
            elif key != "meta":
                yield from _ids_in(value, own, where)


SAMPLE_IDS = list(_sample_ids())


def test_the_samples_hold_ids_of_every_kind() -> None:
    assert {kind for kind, _, _ in SAMPLE_IDS} == FORMATS.keys()


@pytest.mark.parametrize(("kind", "value", "where"), SAMPLE_IDS, ids=[f"{w}-{k}" for k, _, w in SAMPLE_IDS])
def test_every_id_in_the_providers_answers_is_accepted(kind: str, value: str, where: str) -> None:
    assert IDS.accepts(kind, value)


@pytest.mark.parametrize("kind", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(hostile(ROOM)))
def test_every_format_refuses_every_hostile_id(kind: str, case: str) -> None:
    assert not IDS.accepts(kind, hostile(REAL[kind])[case])


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_sid_of_another_kind_is_refused(kind: str) -> None:
    assert [other for other, sid in REAL.items() if IDS.accepts(kind, sid)] == [kind]


def test_every_id_the_emulator_hands_out_is_accepted(
    video: Video, browser: EmulatorControl, control: EmulatorControl
) -> None:
    room = video.rooms.create("weekly")
    ann = browser.join(video.tokens.create(room, "ann"))
    mic = ann.publish(StreamKind.AUDIO)
    window = video.recordings.start(room, mode="individual")
    control.advance(2)
    video.recordings.stop(window)
    video.rooms.end(room)
    control.advance(3)
    tracks = video.recordings.get(window).raw["window"]["tracks"]
    composition = video.compositions.start(room)
    hook = video.ext.create_composition_hook("every room")
    made = {
        "room": [room.id],
        "participant": [ann.participant_id],
        "stream": [mic],
        "recording": [window.id, *tracks],
        "composition": [composition.id],
        "hook": [hook.id],
    }
    assert made.keys() == FORMATS.keys() and tracks
    assert [(kind, i) for kind, ids in made.items() for i in ids if not IDS.accepts(kind, i)] == []
    # and the operations take them
    assert video.recordings.get(tracks[0]).id == tracks[0]
    assert video.compositions.get(composition).id == composition.id
    assert video.ext.get_composition_hook(hook.id).id == hook.id


def test_every_sid_and_window_id_made_is_accepted() -> None:
    made = [(kind, sids.new_sid(sids.PREFIXES[kind])) for kind in FORMATS if kind != "hook" for _ in range(20)]
    made += [("hook", sids.new_sid(sids.HOOK)), ("recording", new_window_id())]
    assert [(kind, i) for kind, i in made if not IDS.accepts(kind, i)] == []


# --- property: anything else is refused before a request ------------------------------------------

#: One backend operation per kind of id, called directly (no facade in between).
BY_KIND: dict[str, Callable[[Any, str], Any]] = {
    "room": lambda b, bad: b.end_room(bad),
    "participant": lambda b, bad: b.disconnect_participant(ROOM, bad),
    "stream": lambda b, bad: b.get_stream(ROOM, bad),
    "recording": lambda b, bad: b.delete_recording(bad),
    "composition": lambda b, bad: b.delete_composition(bad),
    "hook": lambda b, bad: b.extensions_class(b).delete_composition_hook(bad),
}


def _near_misses(kind: str) -> st.SearchStrategy[str]:
    """A well-formed id (a SID, or a window id) with one character put in, anywhere."""
    real = st.sampled_from([REAL[kind], WINDOW] if kind == "recording" else [REAL[kind]])
    return st.builds(lambda r, at, char: r[:at] + char + r[at:], real, st.integers(0, 40), st.characters())


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


def test_a_media_path_keeps_its_sid_one_segment() -> None:
    assert (
        _media_path("Recordings", "RT1/../Compositions/CJ2?x#y")
        == "/v1/Recordings/RT1%2F..%2FCompositions%2FCJ2%3Fx%23y/Media"
    )
