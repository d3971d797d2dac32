"""The Twilio emulator against Twilio's own descriptions: every operation it
emulates answers as ``twilio_video_v1.yaml`` says (checked by the
``twilio_server`` fixture), its bodies have the keys of the SDK's samples,
and its status maps cover the spec's enums."""

from __future__ import annotations

import json
import re

import pytest
from support.specs import TWILIO_SPEC, load_spec

from anyvideo.models import StreamKind
from anyvideo_twilio.emulator.statuses import (
    COMPOSITION_STATUS,
    PARTICIPANT_STATUS,
    RECORDING_STATUS,
    ROOM_STATUS,
    TRACK_KIND,
)

AUDIO, VIDEO = StreamKind.AUDIO, StreamKind.VIDEO
PROCESSING = 30

#: Spec operations the emulator does not emulate (listed in ``anyvideo_twilio.emulator``).
NOT_EMULATED = {
    "GET /v1/Rooms/{RoomSid}/Transcriptions",
    "POST /v1/Rooms/{RoomSid}/Transcriptions",
    "GET /v1/Rooms/{RoomSid}/Transcriptions/{Ttid}",
    "POST /v1/Rooms/{RoomSid}/Transcriptions/{Ttid}",
}

_ROOM = r"/v1/Rooms/RM\w{32}"
_PARTICIPANT = _ROOM + r"/Participants/PA\w{32}"
#: Sample resource name -> (path of its list or singleton, SID prefix of an instance, or None for a singleton).
RESOURCES = {
    "composition": (r"/v1/Compositions", "CJ"),
    "composition_hook": (r"/v1/CompositionHooks", "HK"),
    "composition_settings": (r"/v1/CompositionSettings/Default", None),
    "recording": (r"/v1/Recordings", "RT"),
    "recording_settings": (r"/v1/RecordingSettings/Default", None),
    "room": (r"/v1/Rooms", "RM"),
    "room_participant": (_ROOM + r"/Participants", "PA"),
    "room_participant_anonymize": (_PARTICIPANT + r"/Anonymize", None),
    "room_participant_published_track": (_PARTICIPANT + r"/PublishedTracks", "MT"),
    "room_participant_subscribe_rule": (_PARTICIPANT + r"/SubscribeRules", None),
    "room_participant_subscribed_track": (_PARTICIPANT + r"/SubscribedTracks", "MT"),
    "room_recording_rule": (_ROOM + r"/RecordingRules", None),
}
#: Keys whose values are objects with a fixed set of keys of their own.
NESTED = ("links", "meta")


def exchange_for(sample: str) -> tuple[str, re.Pattern[str]]:
    """The method and path of the request whose answer ``sample`` shows."""
    resource, _, test = sample.partition("__")
    path, prefix = RESOURCES[resource]
    instance = path if prefix is None else rf"{path}/{prefix}\w{{32}}"
    operation = test.split("_")[0]
    method, where = {
        "create": ("POST", path),
        "fetch": ("GET", instance),
        "read": ("GET", path),
        "update": ("POST", instance),
    }[operation]
    return method, re.compile(where + "$")


def shape(body: dict, *, items: bool) -> dict:
    """The keys of a body, of its nested objects, and (``items``) of its list's first item."""
    found: dict = {"": set(body)}
    for key in NESTED:
        if isinstance(body.get(key), dict):
            found[key] = set(body[key])
    if items and "meta" in body and body[body["meta"]["key"]]:
        found["item"] = shape(body[body["meta"]["key"]][0], items=False)
    return found


@pytest.fixture
def every_operation(twilio_server, twilio_client, twilio_video, twilio_join, twilio_clock):
    """Drive each emulated operation once through the SDK (the fixture checks every answer)."""
    video = twilio_video
    room = video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    ann, bob = twilio_join("standup", "ann"), twilio_join("standup", "bob")
    ann_mic = ann.publish(AUDIO, name="mic")
    ann.publish(VIDEO, name="cam")
    bob_mic = bob.publish(AUDIO, name="mic")
    video.rooms(room.sid).fetch()
    video.rooms.list()
    participants = video.rooms(room.sid).participants
    participants.list()
    ann_ = participants(ann.participant_id)
    ann_.fetch()
    ann_.published_tracks.list()
    ann_.published_tracks(ann_mic).fetch()
    ann_.subscribed_tracks.list()
    ann_.subscribed_tracks(bob_mic).fetch()
    ann_.subscribe_rules.fetch()
    ann_.subscribe_rules.update(rules=[{"type": "exclude", "all": True}])
    video.rooms(room.sid).recording_rules.fetch()
    video.rooms(room.sid).recording_rules.update(rules=[{"type": "include", "all": True}])
    participants(bob.participant_id).update(status="disconnected")
    participants(bob.participant_id).anonymize().update()
    for settings in (video.recording_settings(), video.composition_settings()):
        settings.create(friendly_name="defaults")
        settings.fetch()
    hook = video.composition_hooks.create(friendly_name="all audio", audio_sources=["*"])
    video.composition_hooks(hook.sid).fetch()
    video.composition_hooks.list()
    video.composition_hooks(hook.sid).update(friendly_name="all audio", audio_sources=["*"], enabled=False)
    twilio_clock.advance(10)
    video.rooms(room.sid).update(status="completed")
    video.rooms.list(status="completed")
    twilio_clock.advance(PROCESSING)
    recordings = video.recordings.list()
    video.recordings(recordings[0].sid).fetch()
    room_recordings = video.rooms(room.sid).recordings
    room_recordings.list()
    room_recordings(recordings[1].sid).fetch()
    composition = video.compositions.create(room_sid=room.sid, audio_sources=["*"])
    twilio_clock.advance(PROCESSING)
    video.compositions(composition.sid).fetch()
    video.compositions.list()
    twilio_client.request("GET", composition.links["media"])
    twilio_client.request("GET", recordings[0].links["media"])
    twilio_client.request("GET", room_recordings(recordings[1].sid).fetch().links["media"])
    video.compositions(composition.sid).delete()
    video.recordings(recordings[0].sid).delete()
    room_recordings(recordings[1].sid).delete()
    video.composition_hooks(hook.sid).delete()
    return twilio_server


def test_every_emulated_operation_is_checked_against_the_spec(every_operation, twilio_spec):
    covered = set()
    for request, _ in every_operation.exchanges:
        operation = twilio_spec.operation(request.method, request.path)
        if operation is not None:
            covered.add(operation.label)
    every = {operation.label for operation in _operations(twilio_spec)}
    assert every - covered == NOT_EMULATED


def _operations(twilio_spec):
    return [result.ok() for result in twilio_spec.schema.get_all_operations()]


def test_every_sample_has_the_keys_of_the_emulators_answer(every_operation, twilio_samples):
    mismatches = []
    for name, sample in twilio_samples.items():
        method, where = exchange_for(name)
        answers = [
            json.loads(response.body)
            for request, response in every_operation.exchanges
            if request.method == method and where.fullmatch(request.path) and 200 <= response.status < 300
        ]
        if not answers:
            mismatches.append(f"{name}: no {method} {where.pattern} answered")
            continue
        expected = shape(sample["body"], items=True)
        # Compare list items where both the sample and some answer have any.
        answer = next((a for a in answers if shape(a, items=True).keys() >= expected.keys()), answers[-1])
        got = shape(answer, items=True)
        for part, keys in expected.items():
            if got.get(part) != keys:
                mismatches.append(
                    f"{name} [{part or 'body'}]: sample {sorted(keys)} vs emulator {sorted(got.get(part, []))}"
                )
    assert not mismatches, "\n".join(mismatches)


def test_every_sample_is_mapped_to_an_operation(twilio_samples):
    for name in twilio_samples:
        exchange_for(name)  # raises for an unknown resource or operation


# --- status maps against the spec's enums ------------------------------------------


@pytest.fixture(scope="module")
def spec_schemas():
    return load_spec(TWILIO_SPEC)["components"]["schemas"]


@pytest.mark.parametrize(
    ("enum", "table", "not_emulated"),
    [
        ("room_enum_room_status", ROOM_STATUS, set()),
        ("room_participant_enum_status", PARTICIPANT_STATUS, {"reconnecting"}),
        ("recording_enum_status", RECORDING_STATUS, set()),
        ("room_recording_enum_status", RECORDING_STATUS, set()),
        ("composition_enum_status", COMPOSITION_STATUS, set()),
        ("room_participant_published_track_enum_kind", TRACK_KIND, set()),
    ],
)
def test_every_status_the_spec_lists_is_mapped(spec_schemas, enum, table, not_emulated):
    assert set(spec_schemas[enum]["enum"]) - set(table.values()) == not_emulated
    assert set(table.values()) <= set(spec_schemas[enum]["enum"])
