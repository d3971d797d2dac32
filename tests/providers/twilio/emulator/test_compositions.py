"""Twilio compositions, composition hooks and recording/composition settings
through the official SDK."""

from __future__ import annotations

import json

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from anyvideo.models import StreamKind

AUDIO, VIDEO = StreamKind.AUDIO, StreamKind.VIDEO
PROCESSING = 30  # seconds, as the twilio_server fixture sets it
GRID = {"grid": {"video_sources": ["*"]}}


def refused(call, *args, **kwargs) -> tuple[int, int]:
    with pytest.raises(TwilioRestException) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


def composed(composition, clock):
    """Let the room's recordings process, then the composition (which starts at
    the first request after they are ready)."""
    clock.advance(PROCESSING)
    assert composition.fetch().status == "processing"
    clock.advance(PROCESSING)
    return composition.fetch()


@pytest.fixture
def recorded_room(twilio_video, twilio_join, twilio_clock):
    """A room where ann and bob each published audio and video, recorded, just completed
    (its recordings still processing)."""
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    for identity in ("ann", "bob"):
        client = twilio_join("standup", identity)
        client.publish(AUDIO, name=f"{identity}-mic")
        client.publish(VIDEO, name=f"{identity}-cam")
    twilio_clock.advance(20)
    room.update(status="completed")
    return room


# --- compositions -----------------------------------------------------------------------


def test_a_composition_waits_enqueued_for_the_recordings_then_processes_and_completes(
    twilio_video, recorded_room, twilio_clock
):
    composition = twilio_video.compositions.create(room_sid=recorded_room.sid, audio_sources=["*"], video_layout=GRID)
    assert (composition.status, composition.sid[:2], composition.room_sid) == ("enqueued", "CJ", recorded_room.sid)
    twilio_clock.advance(PROCESSING)
    assert composition.fetch().status == "processing"
    twilio_clock.advance(PROCESSING)
    done = composition.fetch()
    assert (done.status, done.duration, done.format) == ("completed", 20, "webm")
    assert done.size > 0 and done.bitrate >= 0 and done.date_completed is not None


def test_a_composition_of_processed_recordings_starts_processing_at_once(twilio_video, recorded_room, twilio_clock):
    twilio_clock.advance(PROCESSING)
    composition = twilio_video.compositions.create(room_sid=recorded_room.sid, audio_sources=["*"])
    assert composition.status == "processing"


def test_a_composition_echoes_what_it_was_asked_for(twilio_video, recorded_room, twilio_receiver):
    layout = {"main": {"video_sources": ["ann-*"], "x_pos": 10, "max_columns": 2}}
    composition = twilio_video.compositions.create(
        room_sid=recorded_room.sid,
        video_layout=layout,
        audio_sources=["*"],
        audio_sources_excluded=["bob-mic"],
        resolution="1280x720",
        format="mp4",
        trim=False,
        status_callback=twilio_receiver.url("/compositions"),
        status_callback_method="POST",
    )
    assert composition.video_layout == {
        "main": {
            "video_sources": ["ann-*"],
            "video_sources_excluded": [],
            "reuse": "show_oldest",
            "x_pos": 10,
            "y_pos": 0,
            "z_pos": 0,
            "width": None,
            "height": None,
            "max_columns": 2,
            "max_rows": None,
            "cells_excluded": [],
        }
    }
    assert (composition.audio_sources, composition.audio_sources_excluded) == (["*"], ["bob-mic"])
    assert (composition.resolution, composition.format, composition.trim) == ("1280x720", "mp4", False)
    assert composition.status_callback == twilio_receiver.url("/compositions")


def test_sources_pick_the_recordings_composed(twilio_video, twilio_server, recorded_room, twilio_clock):
    twilio_clock.advance(PROCESSING)
    composition = twilio_video.compositions.create(
        room_sid=recorded_room.sid, audio_sources=["*-mic"], audio_sources_excluded=["bob*"], video_layout=GRID
    )
    chosen = twilio_server.world.get_composition(composition.sid).recording_ids
    names = {r.sid: r.track_name for r in twilio_video.recordings.list()}
    assert sorted(names[sid] for sid in chosen) == ["ann-cam", "ann-mic", "bob-cam"]


def test_composition_media_is_served_like_recording_media(twilio_client, twilio_video, recorded_room, twilio_clock):
    composition = twilio_video.compositions.create(room_sid=recorded_room.sid, audio_sources=["*"], format="mp4")
    assert twilio_client.request("GET", composition.links["media"]).status_code == 404  # not composed yet
    composed(composition, twilio_clock)
    location = json.loads(twilio_client.request("GET", composition.links["media"]).text)["redirect_to"]
    media = requests.get(location, timeout=10)
    assert (media.headers["Content-Type"], len(media.content)) == ("video/mp4", composition.fetch().size)


def test_delete_a_completed_composition(twilio_video, recorded_room, twilio_clock):
    composition = twilio_video.compositions.create(room_sid=recorded_room.sid, audio_sources=["*"])
    assert refused(composition.delete)[0] == 400  # enqueued
    twilio_clock.advance(PROCESSING)
    assert refused(composition.delete)[0] == 400  # processing
    twilio_clock.advance(PROCESSING)
    assert composition.delete() is True
    deleted = composition.fetch()
    assert (deleted.status, deleted.date_deleted is not None) == ("deleted", True)
    assert refused(composition.delete) == (404, 20404)


def test_list_compositions_with_filters_and_pages(twilio_video, recorded_room, twilio_clock):
    first = twilio_video.compositions.create(room_sid=recorded_room.sid, audio_sources=["*"])
    composed(first, twilio_clock)
    second = twilio_video.compositions.create(room_sid=recorded_room.sid, video_layout=GRID)
    compositions = twilio_video.compositions
    assert [c.sid for c in compositions.list(status="completed")] == [first.sid]
    assert [c.sid for c in compositions.list(status="processing")] == [second.sid]
    assert [c.sid for c in compositions.list(room_sid=recorded_room.sid, page_size=1)] == [first.sid, second.sid]
    assert [c.sid for c in compositions.list(date_created_after=second.date_created)] == [second.sid]
    assert [c.sid for c in compositions.list(date_created_before=second.date_created)] == [first.sid]


def test_twilio_composes_a_room_only_after_it_ends(twilio_video):
    room = twilio_video.rooms.create(record_participants_on_connect=True)
    assert refused(twilio_video.compositions.create, room_sid=room.sid, audio_sources=["*"])[0] == 400


@pytest.mark.parametrize(
    "options",
    [
        {},  # neither a layout nor audio sources
        {"audio_sources": ["*"], "resolution": "1920x1080"},  # more than 921,600 pixels
        {"audio_sources": ["*"], "resolution": "wide"},
        {"audio_sources": ["*"], "format": "avi"},
        {"video_layout": {"grid": {"video_sources": "*"}}},
        {"video_layout": {"grid": {"reuse": "sometimes", "video_sources": ["*"]}}},
        {"audio_sources": ["nobody"]},  # matches no recorded track
    ],
)
def test_invalid_compositions_are_refused(twilio_video, recorded_room, twilio_clock, options):
    twilio_clock.advance(PROCESSING)
    assert refused(twilio_video.compositions.create, room_sid=recorded_room.sid, **options)[0] == 400


def test_a_room_with_nothing_recorded_or_unknown_cannot_be_composed(twilio_video):
    room = twilio_video.rooms.create()
    room.update(status="completed")
    assert refused(twilio_video.compositions.create, room_sid=room.sid, audio_sources=["*"])[0] == 400
    assert refused(twilio_video.compositions.create, room_sid="RM" + "0" * 32, audio_sources=["*"]) == (404, 20404)


# --- composition hooks ------------------------------------------------------------------------


def test_composition_hook_defaults_and_fetch(twilio_video):
    hook = twilio_video.composition_hooks.create(friendly_name="everything", audio_sources=["*"])
    assert (hook.sid[:2], hook.enabled, hook.format, hook.resolution, hook.trim) == (
        "HK",
        True,
        "webm",
        "640x480",
        True,
    )
    assert (hook.video_layout, hook.date_updated, hook.status_callback_method) == ({}, None, "POST")
    assert twilio_video.composition_hooks(hook.sid).fetch().friendly_name == "everything"


def test_updating_a_hook_replaces_it_entirely(twilio_video, twilio_clock):
    hook = twilio_video.composition_hooks.create(
        friendly_name="mp4s", audio_sources=["*"], format="mp4", resolution="1280x720", enabled=False
    )
    twilio_clock.advance(5)
    updated = twilio_video.composition_hooks(hook.sid).update(friendly_name="grid", video_layout=GRID)
    assert (updated.friendly_name, updated.audio_sources, updated.format, updated.resolution) == (
        "grid",
        [],
        "webm",
        "640x480",
    )
    assert updated.enabled is True and updated.date_updated > updated.date_created


def test_list_hooks_with_filters(twilio_video, twilio_clock):
    a = twilio_video.composition_hooks.create(friendly_name="My Special Hook1", audio_sources=["*"])
    twilio_clock.advance(5)
    b = twilio_video.composition_hooks.create(friendly_name="other", audio_sources=["*"], enabled=False)
    hooks = twilio_video.composition_hooks
    assert [h.sid for h in hooks.list(enabled=True)] == [a.sid]
    assert [h.sid for h in hooks.list(friendly_name="*hook*")] == [a.sid]
    assert [h.sid for h in hooks.list(date_created_after=b.date_created)] == [b.sid]
    assert [h.sid for h in hooks.list(date_created_before=b.date_created, page_size=1)] == [a.sid]


def test_delete_a_hook(twilio_video):
    hook = twilio_video.composition_hooks.create(friendly_name="h", audio_sources=["*"])
    assert twilio_video.composition_hooks(hook.sid).delete() is True
    assert refused(twilio_video.composition_hooks(hook.sid).fetch) == (404, 20404)


def test_hook_names_are_unique_and_hooks_need_sources(twilio_video):
    twilio_video.composition_hooks.create(friendly_name="h", audio_sources=["*"])
    assert refused(twilio_video.composition_hooks.create, friendly_name="H", audio_sources=["*"])[0] == 400
    assert refused(twilio_video.composition_hooks.create, friendly_name="quiet")[0] == 400
    assert refused(twilio_video.composition_hooks.create, friendly_name="x" * 101, audio_sources=["*"])[0] == 400


def test_enabled_hooks_compose_every_room_that_ends_with_recordings(twilio_video, twilio_join, twilio_clock):
    on = twilio_video.composition_hooks.create(friendly_name="on", audio_sources=["*"], format="mp4")
    twilio_video.composition_hooks.create(friendly_name="off", audio_sources=["*"], enabled=False)
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    twilio_join("standup", "ann").publish(AUDIO)
    twilio_clock.advance(10)
    room.update(status="completed")
    (composition,) = twilio_video.compositions.list()
    assert (composition.room_sid, composition.status, composition.format) == (room.sid, "enqueued", "mp4")
    assert composition.audio_sources == on.audio_sources
    assert composed(composition, twilio_clock).status == "completed"


def test_hooks_skip_rooms_with_nothing_recorded(twilio_video):
    twilio_video.composition_hooks.create(friendly_name="on", audio_sources=["*"])
    twilio_video.rooms.create().update(status="completed")
    assert twilio_video.compositions.list() == []


# --- settings -------------------------------------------------------------------------------


SETTINGS = {
    "friendly_name": "bucket",
    "aws_credentials_sid": "CR" + "a" * 32,
    "aws_s3_url": "https://bucket.example.com/recordings",
    "aws_storage_enabled": True,
    "encryption_key_sid": "CR" + "b" * 32,
    "encryption_enabled": True,
}


@pytest.mark.parametrize("kind", ["recording_settings", "composition_settings"])
def test_settings_start_empty_and_take_what_is_set(twilio_video, kind):
    settings = getattr(twilio_video, kind)()
    fetched = settings.fetch()
    assert (fetched.friendly_name, fetched.aws_storage_enabled, fetched.encryption_enabled) == (None, False, False)
    created = settings.create(**SETTINGS)
    assert {name: getattr(created, name) for name in SETTINGS} == SETTINGS
    assert {name: getattr(settings.fetch(), name) for name in SETTINGS} == SETTINGS


@pytest.mark.parametrize(
    "options",
    [
        {"aws_storage_enabled": True},  # without credentials and bucket
        {"encryption_enabled": True},  # without a key
        {"aws_credentials_sid": "AC" + "a" * 32},
        {"aws_s3_url": "bucket"},
    ],
)
def test_invalid_settings_are_refused(twilio_video, options):
    assert refused(twilio_video.recording_settings().create, friendly_name="s", **options)[0] == 400


def test_new_recordings_and_compositions_follow_the_settings(twilio_video, twilio_join, twilio_clock):
    twilio_video.recording_settings().create(**SETTINGS)
    twilio_video.composition_settings().create(**{**SETTINGS, "aws_s3_url": "https://bucket.example.com/c"})
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    twilio_join("standup", "ann").publish(AUDIO)
    room.update(status="completed")
    twilio_clock.advance(PROCESSING)
    recording = twilio_video.recordings.list()[0]
    assert recording.media_external_location == f"https://bucket.example.com/recordings/{recording.sid}.mka"
    composition = twilio_video.compositions.create(room_sid=room.sid, audio_sources=["*"])
    twilio_clock.advance(PROCESSING)
    assert composition.fetch().media_external_location == f"https://bucket.example.com/c/{composition.sid}.webm"
