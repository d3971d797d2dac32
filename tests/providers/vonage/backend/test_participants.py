"""Participants are connections; streams are Vonage streams; mute and signals."""

from __future__ import annotations

import pytest

from anyvideo import NotFound, ParticipantStatus, StreamKind, VideoSource


def test_participants_are_the_connections(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    listed = list(video.participants.list(room))
    assert [p.id for p in listed] == [ann.participant_id]
    assert listed[0].status is ParticipantStatus.CONNECTED and listed[0].joined_at is not None
    assert video.participants.get(room, ann.participant_id) == listed[0]
    assert list(video.participants.list(room, status="disconnected")) == []


def test_a_disconnected_participant_is_listed_as_disconnected(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    video.participants.disconnect(room, ann.participant_id)
    [gone] = video.participants.list(room)
    assert (gone.id, gone.status) == (ann.participant_id, ParticipantStatus.DISCONNECTED)
    assert gone.left_at is not None  # when anyvideo disconnected it: no callback said otherwise
    assert video.participants.get(room, ann.participant_id) == gone
    assert list(video.participants.list(room, status="connected")) == []
    video.participants.disconnect(room, ann.participant_id)  # Vonage: not connected; anyvideo: already gone, done


def test_a_participant_seen_in_a_listing_who_left_is_listed_as_disconnected(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    [seen] = video.participants.list(room)
    ann.leave()
    [gone] = video.participants.list(room, status="disconnected")
    # Without callbacks, nothing says who it was or when it left.
    assert (gone.id, gone.identity, gone.joined_at, gone.left_at) == (
        ann.participant_id,
        ann.participant_id,
        seen.joined_at,
        None,
    )
    assert video.participants.get(room, ann.participant_id) == gone


def test_without_callbacks_a_participant_never_seen_is_not_listed(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    ann.leave()  # between two listings, and no callback
    assert list(video.participants.list(room)) == []
    with pytest.raises(NotFound):
        video.participants.get(room, ann.participant_id)


def test_participants_are_listed_in_the_order_first_seen(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    list(video.participants.list(room))
    bob = browser.join(video.tokens.create(room, "bob"))
    ann.leave()
    assert [(p.id, p.status) for p in video.participants.list(room)] == [
        (ann.participant_id, ParticipantStatus.DISCONNECTED),
        (bob.participant_id, ParticipantStatus.CONNECTED),
    ]


def test_a_rooms_participants_are_its_own(video, browser, room) -> None:
    other = video.rooms.create("other")
    ann = browser.join(video.tokens.create(room, "ann"))
    bob = browser.join(video.tokens.create(other, "bob"))
    video.participants.disconnect(other, bob.participant_id)
    assert [p.id for p in video.participants.list(room)] == [ann.participant_id]
    with pytest.raises(NotFound):
        video.participants.get(room, bob.participant_id)


def test_streams(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    camera = ann.publish(name="ann-camera", video_source=VideoSource.CAMERA)
    screen = ann.publish(StreamKind.VIDEO, name="ann-screen", video_source=VideoSource.SCREEN)
    streams = {s.id: s for s in video.streams.list(room)}
    assert set(streams) == {camera, screen}
    assert streams[screen].video_source is VideoSource.SCREEN and streams[screen].name == "ann-screen"
    assert video.streams.get(room, camera).name == "ann-camera"
    ann.unpublish(screen)
    with pytest.raises(NotFound):
        video.streams.get(room, screen)


def test_mute_one_and_all(video, browser, room, vonage_emulator) -> None:
    ann, bob = (browser.join(video.tokens.create(room, who)) for who in ("ann", "bob"))
    a, b = ann.publish(), bob.publish()
    assert video.streams.mute(room, a).audio_muted
    assert vonage_emulator.world.get_stream(a).audio_muted
    assert not vonage_emulator.world.get_stream(b).audio_muted
    carol = browser.join(video.tokens.create(room, "carol"))
    c = carol.publish()
    video.streams.mute_all(room, except_streams=[c])
    assert vonage_emulator.world.get_stream(b).audio_muted and not vonage_emulator.world.get_stream(c).audio_muted
    assert {s.id for s in video.streams.list(room) if s.audio_muted} == {a, b}
    later = browser.join(video.tokens.create(room, "dan")).publish()
    assert not vonage_emulator.world.get_stream(later).audio_muted  # "mute all" means now


def test_signals_to_everyone_and_to_one(video, browser, room) -> None:
    ann, bob = (browser.join(video.tokens.create(room, who)) for who in ("ann", "bob"))
    video.signals.send(room, "chat", "hello all")
    video.signals.send(room, "chat", "just bob", to=bob.participant_id)
    assert [s.data for s in ann.signals()] == ["hello all"]
    assert [s.data for s in bob.signals()] == ["hello all", "just bob"]


def test_a_signal_to_someone_gone_is_not_found(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann"))
    ann.leave()
    with pytest.raises(NotFound):
        video.signals.send(room, "chat", "hi", to=ann.participant_id)


def test_layout_classes(video, browser, room) -> None:
    ann = browser.join(video.tokens.create(room, "ann", provider_options={"layout_classes": ["focus"]}))
    stream_id = ann.publish()
    assert video.streams.get(room, stream_id).raw["layoutClassList"] == ["focus"]
    changed = video.ext.set_layout_classes(room.id, {stream_id: ["full", "host"]})
    assert changed[0].raw["layoutClassList"] == ["full", "host"]
