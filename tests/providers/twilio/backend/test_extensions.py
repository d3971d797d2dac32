"""Twilio's own features as typed provider extensions (``video.ext``): recording
rules, subscribe rules, composition hooks, recording/composition settings."""

from __future__ import annotations

import pytest

from anyvideo import CompositionStatus, Feature, Layout, StreamKind
from anyvideo.errors import Conflict, InvalidRequest
from anyvideo_twilio.extensions import StorageSettings, TrackRule

AUDIO, VIDEO = StreamKind.AUDIO, StreamKind.VIDEO
CREDENTIAL = "CR" + "1" * 32
KEY = "CR" + "2" * 32


def test_every_extension_has_its_feature(video):
    for feature in (
        Feature.RECORDING_RULES,
        Feature.SUBSCRIBE_RULES,
        Feature.COMPOSITION_HOOKS,
        Feature.EXTERNAL_STORAGE,
    ):
        assert video.supports(feature)


# --- recording rules ----------------------------------------------------------------


def test_recording_rules_choose_what_twilio_records(video, ext, room, join):
    ann = join(room, "ann")
    mic, _ = ann.publish(AUDIO), ann.publish(VIDEO)
    assert ext.get_recording_rules(room).rules == ()
    chosen = ext.set_recording_rules(room, [TrackRule("include", kind="audio")])
    assert chosen.rules == (TrackRule("include", kind="audio"),) and chosen.updated_at is not None
    recorded = video.native.video.v1.rooms(room.id).recordings.list()
    assert [r.source_sid for r in recorded] == [mic]
    # what anyvideo lists: a track recording made outside a window is an individual recording of its own
    assert [r.id for r in video.recordings.list(room=room)] == [recorded[0].sid]


def test_recording_rules_belong_to_an_open_window(video, ext, room, join):
    join(room, "ann").publish(AUDIO)
    recording = video.recordings.start(room)
    with pytest.raises(Conflict, match="stop that recording"):
        ext.set_recording_rules(room, [TrackRule.exclude_all()])
    video.recordings.stop(recording)
    ext.set_recording_rules(room, [{"type": "exclude", "all": True}])


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([], "rules"),
        ("include all", "rules"),
        ([{"type": "keep", "all": True}], "rules.type"),
        ([{"type": "include"}], "rules"),
        ([{"type": "include", "all": True, "kind": "audio"}], "rules.all"),
        ([{"type": "include", "kind": "data"}], "rules.kind"),
        ([{"type": "include", "kind": "audio", "priority": "high"}], "rules.priority"),
        ([{"type": "include", "colour": "blue"}], "rules"),
        ([TrackRule.include_all()] * 21, "rules"),
    ],
)
def test_bad_recording_rules_fail_before_any_request(ext, room, emulator, rules, field):
    from anyvideo.testing.faults import Fault

    emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest) as caught:
        ext.set_recording_rules(room, rules)
    assert caught.value.field == field
    assert emulator.faults.injected == []


# --- subscribe rules ----------------------------------------------------------------


def test_subscribe_rules_choose_what_a_participant_receives(video, ext, room, join):
    ann, bob = join(room, "ann"), join(room, "bob")
    bob.publish(AUDIO, name="mic")
    bob.publish(VIDEO, name="cam")
    assert ext.get_subscribe_rules(room, ann.participant_id).rules == (TrackRule.include_all(),)
    rules = [TrackRule("include", kind="audio", priority="high"), {"type": "exclude", "publisher": "carol"}]
    chosen = ext.set_subscribe_rules(room, ann.participant_id, rules)
    assert chosen.rules == (
        TrackRule("include", kind="audio", priority="high"),
        TrackRule("exclude", publisher="carol"),
    )
    subscribed = video.native.video.v1.rooms(room.id).participants(ann.participant_id).subscribed_tracks.list()
    assert [t.kind for t in subscribed] == ["audio"]
    assert ext.get_subscribe_rules(room, ann.participant_id).rules == chosen.rules


def test_subscribe_rules_may_name_data_tracks(ext, room, join):
    ann = join(room, "ann")
    assert ext.set_subscribe_rules(room, ann.participant_id, [{"type": "include", "kind": "data"}]).rules


# --- composition hooks --------------------------------------------------------------


def test_composition_hooks_are_created_listed_updated_and_deleted(ext):
    hook = ext.create_composition_hook("every-room", layout=Layout.pip(), resolution="1280x720", format="webm")
    assert hook.id.startswith("HK") and hook.enabled and hook.format == "webm"
    assert set(hook.video_layout) == {"main", "pip"} and str(hook.resolution) == "1280x720"
    assert hook.audio_sources == ("*",)
    assert ext.get_composition_hook(hook.id) == hook
    assert [h.id for h in ext.list_composition_hooks()] == [hook.id]
    updated = ext.update_composition_hook(hook.id, "audio-only", layout={}, enabled=False)
    assert (updated.name, updated.enabled, updated.video_layout, updated.format) == ("audio-only", False, {}, "mp4")
    assert list(ext.list_composition_hooks(enabled=True)) == []
    ext.delete_composition_hook(hook.id)
    assert list(ext.list_composition_hooks()) == []


def test_a_composition_hook_fires_when_a_room_completes(video, ext, room, join, control):
    hook = ext.create_composition_hook("on-end", layout=Layout.grid(), status_callback="http://127.0.0.1:9/c")
    join(room, "ann").publish(AUDIO)
    recording = video.recordings.start(room, mode="individual")
    video.recordings.stop(recording)
    assert list(video.compositions.list()) == []
    video.rooms.end(room)
    (composed,) = video.compositions.list(room=room)
    assert composed.status in (CompositionStatus.QUEUED, CompositionStatus.PROCESSING)
    control.advance(3)
    control.advance(3)
    assert video.compositions.get(composed).status is CompositionStatus.AVAILABLE
    assert hook.status_callback == "http://127.0.0.1:9/c"


def test_bad_hooks_fail_before_any_request(ext, emulator):
    from anyvideo.testing.faults import Fault

    emulator.faults.add(Fault(status=500))
    with pytest.raises(InvalidRequest, match="resolution"):
        ext.create_composition_hook("big", resolution="1920x1080")
    with pytest.raises(InvalidRequest, match="name"):
        ext.create_composition_hook("")
    with pytest.raises(InvalidRequest, match="status_callback"):
        ext.create_composition_hook("cb", status_callback="nowhere")
    assert emulator.faults.injected == []


def test_a_hook_name_is_unique(ext):
    ext.create_composition_hook("only-one")
    with pytest.raises(Exception) as caught:
        ext.create_composition_hook("only-one")
    assert type(caught.value).__module__.startswith("anyvideo")


# --- recording and composition settings ---------------------------------------------


@pytest.mark.parametrize("kind", ["recording", "composition"])
def test_settings_put_media_in_the_customers_bucket_encrypted(ext, kind):
    get, put = getattr(ext, f"get_{kind}_settings"), getattr(ext, f"set_{kind}_settings")
    assert not get().aws_storage_enabled
    wanted = StorageSettings(
        "archive",
        aws_storage_enabled=True,
        aws_credentials_sid=CREDENTIAL,
        aws_s3_url="https://bucket.s3.amazonaws.com/video",
        encryption_enabled=True,
        encryption_key_sid=KEY,
    )
    assert put(wanted) == wanted
    assert get() == wanted


def test_external_storage_applies_to_new_track_recordings(video, ext, room, join, control):
    ext.set_recording_settings(
        StorageSettings(
            "archive",
            aws_storage_enabled=True,
            aws_credentials_sid=CREDENTIAL,
            aws_s3_url="https://bucket.s3.amazonaws.com/video",
        )
    )
    join(room, "ann").publish(AUDIO)
    recording = video.recordings.stop(video.recordings.start(room, mode="individual"))
    control.advance(3)
    (track,) = video.recordings.get(recording).raw["track_recordings"]
    assert track["media_external_location"].startswith("https://bucket.s3.amazonaws.com/video/RT")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"aws_storage_enabled": True}, "aws_storage_enabled"),
        ({"encryption_enabled": True}, "encryption_enabled"),
        ({"aws_credentials_sid": "AKIA-a-secret"}, "aws_credentials_sid"),
        ({"aws_s3_url": "s3://bucket"}, "aws_s3_url"),
    ],
)
def test_bad_settings_fail_before_any_request(settings, field):
    with pytest.raises(InvalidRequest) as caught:
        StorageSettings("archive", **settings)
    assert caught.value.field == field
