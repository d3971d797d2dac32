"""The extensions that reach the rest of Twilio's Video API: tracks, anonymization,
room recordings, transcriptions; checked before any request, answered from the
emulator's real state."""

from __future__ import annotations

import pytest

from anyvideo import StreamKind
from anyvideo.errors import InvalidRequest, NotFound
from anyvideo_twilio.models import TranscriptionConfig

TTID = "video_extension_2c70be23-4788-423d-9351-df6705efa035"  # the spec's example


def test_subscribed_tracks_follow_the_subscribe_rules(video, room, browser):
    ann = browser.join(video.tokens.create(room, "ann"))
    bob = browser.join(video.tokens.create(room, "bob"))
    mic = ann.publish(StreamKind.AUDIO, name="mic")
    cam = ann.publish(StreamKind.VIDEO, name="cam")
    received = {t.id for t in video.ext.list_subscribed_tracks(room, bob.participant_id)}
    assert received == {mic, cam}
    video.ext.set_subscribe_rules(room, bob.participant_id, [{"type": "include", "kind": "audio"}])
    (only,) = video.ext.list_subscribed_tracks(room, bob.participant_id)
    assert (only.id, only.publisher_id, only.participant_id) == (mic, ann.participant_id, bob.participant_id)
    with pytest.raises(NotFound):
        video.ext.get_subscribed_track(room, bob.participant_id, cam)
    assert video.ext.get_published_track(room, ann.participant_id, cam).name == "cam"


def test_anonymize_replaces_the_identity_of_a_participant_who_left(video, room, browser):
    ann = browser.join(video.tokens.create(room, "ann-personal"))
    video.participants.disconnect(room, ann.participant_id)
    anonymized = video.ext.anonymize_participant(room, ann.participant_id)
    assert anonymized.identity == ann.participant_id and anonymized.status == "disconnected"
    assert video.participants.get(room, ann.participant_id).identity == ann.participant_id


def test_transcriptions_stop_start_and_end_with_the_room(video, room, emulator):
    started = video.ext.start_transcriptions(room, TranscriptionConfig(language="en-us", partial_results=True))
    assert (started.status, started.configuration) == ("started", {"languageCode": "en-US", "partialResults": True})
    emulator.control.advance(30)
    stopped = video.ext.update_transcriptions(room, started.id, status="stopped")
    assert stopped.status == "stopped" and stopped.duration == 30
    again = video.ext.update_transcriptions(room, started.id, status="started")
    assert (again.status, again.ended_at, again.duration) == ("started", None, None)
    video.rooms.end(room)
    (ended,) = video.ext.list_transcriptions(room)
    assert ended.status == "stopped" and ended.ended_at is not None
    with pytest.raises(Exception, match="(?i)room completed"):
        video.ext.start_transcriptions(room)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda ext: ext.start_transcriptions("RM1"), "room_id"),
        (lambda ext: ext.start_transcriptions("RM" + "0" * 32, TranscriptionConfig(engine="whisper")), "engine"),
        (lambda ext: ext.update_transcriptions("RM" + "0" * 32, TTID, status="failed"), "status"),
        (lambda ext: ext.update_transcriptions("RM" + "0" * 32, TTID), "status"),
        (
            lambda ext: ext.update_transcriptions("RM" + "0" * 32, "video_extension_x?status=x", status="stopped"),
            "transcription_id",
        ),
        (lambda ext: ext.get_transcriptions("RM" + "0" * 32, "../x"), "transcription_id"),
        (lambda ext: ext.get_room_recording("RM" + "0" * 32, "win_" + "0" * 24), "recording_id"),
        (lambda ext: ext.get_subscribed_track("RM" + "0" * 32, "PA" + "0" * 32, "nope"), "track_id"),
    ],
)
def test_bad_input_is_refused_before_any_request(video, call, field):
    sent = video.backend.requests_sent
    with pytest.raises(InvalidRequest) as raised:
        call(video.ext)
    assert raised.value.field == field
    assert video.backend.requests_sent == sent


def test_a_transcriptions_id_of_another_shape_is_asked_for_not_refused(video, room):
    """The spec gives the id no format: one unlike its example reaches Twilio, which knows it or not."""
    sent = video.backend.requests_sent
    with pytest.raises(NotFound):
        video.ext.get_transcriptions(room.id, "TT" + "0" * 32)
    assert video.backend.requests_sent > sent
