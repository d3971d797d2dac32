"""The simulated platform through the facade: ``anyvideo.connect("local")``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest

import anyvideo
from anyvideo import (
    AuthenticationError,
    Backend,
    CompositionStatus,
    Conflict,
    Event,
    Feature,
    Forbidden,
    InvalidRequest,
    NotFound,
    ParticipantStatus,
    Plugins,
    RecordingMode,
    RecordingStatus,
    Role,
    RoomStatus,
    StreamKind,
    UnsupportedFeature,
    Video,
    hookimpl,
)
from anyvideo.local.tokens import LocalTokens
from anyvideo.sim import Grant, ManualClock


def connected(video: Video, browser, room, identity: str = "ann", **token_options):
    return browser.join(video.tokens.create(room, identity, **token_options))


def recorded(video: Video, browser, room, clock: ManualClock, *, mode=RecordingMode.COMPOSED, streams: int = 1):
    """Record ``streams`` publishers for 30 s and stop; the recording is then processing."""
    for n in range(streams):
        connected(video, browser, room, f"speaker-{n}").publish()
    recording = video.recordings.start(room, mode=mode)
    clock.advance(30)
    return video.recordings.stop(recording)


def ready(video: Video, clock: ManualClock, recording):
    clock.advance(2)
    recording = video.recordings.get(recording)
    assert recording.status is RecordingStatus.AVAILABLE
    return recording


# --- tokens and joining ------------------------------------------------------


def test_subscriber_token_cannot_publish(video, browser):
    room = video.rooms.create(name="standup")
    token = video.tokens.create(room, identity="ann", role=Role.SUBSCRIBER)
    ann = browser.join(token)
    with pytest.raises(Forbidden):
        ann.publish()


def test_publisher_token_publishes_a_stream_the_room_lists(video, browser, room):
    ann = connected(video, browser, room)
    stream_id = ann.publish()
    assert [s.id for s in video.streams.list(room)] == [stream_id]


def test_an_expired_token_cannot_join(video, browser, room, clock):
    token = video.tokens.create(room, "ann", ttl=60)
    clock.advance(61)
    with pytest.raises(AuthenticationError):
        browser.join(token)


def test_a_token_expires_ttl_seconds_after_it_is_minted(video, room, clock):
    clock.advance(0.25)  # tokens count whole seconds
    token = video.tokens.create(room, "ann", ttl=90)
    assert token.expires_at == clock.now().replace(microsecond=0) + timedelta(seconds=90)


def test_a_token_for_another_room_is_forbidden(video, browser, room):
    other = video.rooms.create("other")
    with pytest.raises(Forbidden):
        browser.join(video.tokens.create(other, "ann"), room_id=room.id)


def test_a_token_signed_with_another_worlds_key_is_not_authentic(video, browser, room, clock):
    with anyvideo.connect("local", clock=clock, environ={}) as elsewhere:
        forged = LocalTokens(elsewhere.backend.world).mint(
            Grant(room.id, "mallory", Role.MODERATOR, clock.now().replace(year=2030))
        )
    with pytest.raises(AuthenticationError):
        browser.join(forged)
    assert list(video.participants.list(room)) == []


def test_a_token_that_is_not_a_jwt_is_not_authentic(browser):
    with pytest.raises(AuthenticationError):
        browser.join("not-a-token")


def test_an_ended_room_refuses_new_tokens(video, room):
    video.rooms.end(room)
    with pytest.raises(Conflict):
        video.tokens.create(room, "late")


def test_a_token_carries_its_data_to_the_participant(video, browser, room):
    ann = connected(video, browser, room, data='{"seat": 4}')
    assert video.participants.get(room, ann.participant_id).data == '{"seat": 4}'


# --- rooms -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["id", "ref", "model"], ids=["by-id", "by-ref", "by-model"])
def test_a_room_is_found_by_id_ref_or_model(video, room, how):
    handle = {"id": room.id, "ref": room.ref, "model": room}[how]
    assert video.rooms.get(handle) == room


def test_a_rooms_ref_names_the_local_backend(room):
    assert room.ref == f"local:{room.id}"


def test_a_room_is_found_by_name(video, room):
    assert video.rooms.get(name="weekly") == room


def test_getting_a_room_needs_an_id_or_a_name_but_not_both(video, room):
    with pytest.raises(InvalidRequest) as caught:
        video.rooms.get(room, name="weekly")
    assert caught.value.field == "room"


def test_an_unknown_room_is_not_found(video):
    with pytest.raises(NotFound):
        video.rooms.get("local:rm_missing")


def test_creating_an_open_rooms_name_again_returns_that_room(video, room):
    assert video.rooms.create("weekly") == room


def test_creating_an_open_rooms_name_with_another_cap_is_a_conflict(video):
    video.rooms.create("capped", max_participants=4)
    assert video.rooms.create("capped", max_participants=4).max_participants == 4
    with pytest.raises(Conflict, match="holds 4 participants, not 5"):
        video.rooms.create("capped", max_participants=5)


def test_rooms_are_listed_by_status(video, room):
    done = video.rooms.create("done")
    video.rooms.end(done)
    assert [r.id for r in video.rooms.list(status=RoomStatus.OPEN)] == [room.id]
    assert [r.id for r in video.rooms.list(status="ended")] == [done.id]


def test_listing_rooms_by_an_unknown_status_is_invalid(video):
    with pytest.raises(InvalidRequest) as caught:
        video.rooms.list(status="closed")
    assert caught.value.field == "status"


def test_a_room_ended_by_name_is_ended(video, room, clock):
    clock.advance(5)
    ended = video.rooms.end(name="weekly")
    assert (ended.id, ended.status, ended.ended_at) == (room.id, RoomStatus.ENDED, clock.now())


# --- participants ------------------------------------------------------------


def test_participants_are_listed_with_their_identity_and_role(video, browser, room):
    connected(video, browser, room, "ann")
    connected(video, browser, room, "bob", role=Role.SUBSCRIBER)
    assert [(p.identity, p.role) for p in video.participants.list(room)] == [
        ("ann", Role.PUBLISHER),
        ("bob", Role.SUBSCRIBER),
    ]


def test_a_participant_is_fetched_by_id(video, browser, room):
    ann = connected(video, browser, room)
    participant = video.participants.get(room, ann.participant_id)
    assert (participant.identity, participant.status) == ("ann", ParticipantStatus.CONNECTED)


def test_a_participant_of_another_room_is_not_found(video, browser, room):
    other = video.rooms.create("other")
    stranger = connected(video, browser, other)
    with pytest.raises(NotFound):
        video.participants.get(room, stranger.participant_id)


def test_a_disconnected_participant_is_listed_as_disconnected(video, browser, room):
    ann, bob = connected(video, browser, room, "ann"), connected(video, browser, room, "bob")
    video.participants.disconnect(room, ann.participant_id)
    assert [p.id for p in video.participants.list(room, status="connected")] == [bob.participant_id]
    assert [p.id for p in video.participants.list(room, status="disconnected")] == [ann.participant_id]


def test_disconnecting_a_participant_unpublishes_their_streams(video, browser, room):
    ann = connected(video, browser, room)
    ann.publish()
    video.participants.disconnect(room, ann.participant_id)
    assert list(video.streams.list(room)) == []


def test_disconnecting_a_participant_of_another_room_is_not_found(video, browser, room):
    other = video.rooms.create("other")
    stranger = connected(video, browser, other)
    with pytest.raises(NotFound):
        video.participants.disconnect(room, stranger.participant_id)
    assert video.participants.get(other, stranger.participant_id).status is ParticipantStatus.CONNECTED


# --- streams -----------------------------------------------------------------


def test_a_stream_is_fetched_with_what_it_carries(video, browser, room):
    stream_id = connected(video, browser, room).publish(StreamKind.AUDIO, name="mic")
    stream = video.streams.get(room, stream_id)
    assert (stream.kind, stream.name, stream.audio_muted) == (StreamKind.AUDIO, "mic", False)


def test_an_unpublished_stream_is_not_found(video, browser, room):
    ann = connected(video, browser, room)
    stream_id = ann.publish()
    ann.unpublish(stream_id)
    with pytest.raises(NotFound):
        video.streams.get(room, stream_id)


def test_a_client_cannot_unpublish_another_clients_stream(video, browser, room):
    stream_id = connected(video, browser, room, "ann").publish()
    bob = connected(video, browser, room, "bob")
    with pytest.raises(Forbidden):
        bob.unpublish(stream_id)
    assert [s.id for s in video.streams.list(room)] == [stream_id]


def test_muting_a_stream_mutes_its_audio(video, browser, room):
    stream_id = connected(video, browser, room).publish()
    assert video.streams.mute(room, stream_id).audio_muted is True
    assert video.streams.get(room, stream_id).audio_muted is True


def test_muting_a_video_only_stream_is_a_conflict(video, browser, room):
    stream_id = connected(video, browser, room).publish(StreamKind.VIDEO)
    with pytest.raises(Conflict):
        video.streams.mute(room, stream_id)


def test_mute_all_spares_the_streams_listed(video, browser, room):
    host = connected(video, browser, room, "host").publish()
    guests = [connected(video, browser, room, f"guest-{n}").publish() for n in range(2)]
    video.streams.mute_all(room, except_streams=[host])
    muted = {s.id: s.audio_muted for s in video.streams.list(room)}
    assert muted == {host: False, guests[0]: True, guests[1]: True}


# --- recordings --------------------------------------------------------------


def test_a_recording_is_processing_when_stopped_and_available_after_the_delay(video, browser, room, clock):
    connected(video, browser, room).publish()
    recording = video.recordings.start(room)
    assert recording.status is RecordingStatus.RECORDING
    clock.advance(30)
    stopped = video.recordings.stop(recording)
    assert (stopped.status, stopped.duration, stopped.files) == (RecordingStatus.PROCESSING, 30.0, ())
    clock.advance(1)
    assert video.recordings.get(recording).status is RecordingStatus.PROCESSING
    clock.advance(1)
    assert video.recordings.get(recording).status is RecordingStatus.AVAILABLE


def test_a_downloaded_recording_has_the_reported_sha256(video, browser, room, clock, tmp_path):
    recording = ready(video, clock, recorded(video, browser, room, clock))
    (file,) = recording.files
    path = video.recordings.download(recording, tmp_path)
    assert path == tmp_path / file.name
    data = path.read_bytes()
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (file.sha256, file.size)


def test_a_download_to_a_file_path_leaves_only_that_file(video, browser, room, clock, tmp_path):
    recording = ready(video, clock, recorded(video, browser, room, clock))
    target = tmp_path / "standup.sim"
    assert video.recordings.download(recording.ref, target) == target
    assert [p.name for p in tmp_path.iterdir()] == ["standup.sim"]


def test_iter_bytes_gives_the_recordings_bytes(video, browser, room, clock):
    recording = ready(video, clock, recorded(video, browser, room, clock))
    data = b"".join(video.recordings.iter_bytes(recording))
    assert hashlib.sha256(data).hexdigest() == recording.files[0].sha256


def test_an_individual_recording_with_several_files_needs_a_folder(video, browser, room, clock, tmp_path):
    recording = ready(video, clock, recorded(video, browser, room, clock, mode="individual", streams=2))
    assert len(recording.files) == 2
    with pytest.raises(InvalidRequest) as caught:
        video.recordings.download(recording, tmp_path / "recording.sim")
    assert caught.value.field == "destination"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidRequest) as caught:
        b"".join(video.recordings.iter_bytes(recording))
    assert caught.value.field == "file_name"


def test_one_file_of_an_individual_recording_downloads_by_name(video, browser, room, clock, tmp_path):
    recording = ready(video, clock, recorded(video, browser, room, clock, mode="individual", streams=2))
    second = recording.files[1]
    data = video.recordings.download(recording, tmp_path, file_name=second.name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == second.sha256


def test_recordings_are_listed_by_room_and_status(video, browser, room, clock):
    first = ready(video, clock, recorded(video, browser, room, clock))
    second = recorded(video, browser, room, clock)
    video.recordings.start(video.rooms.create("other"))
    assert [r.id for r in video.recordings.list(room=room)] == [first.id, second.id]
    assert [r.id for r in video.recordings.list(room=room, status="available")] == [first.id]


def test_a_deleted_recording_is_listed_as_deleted_without_files(video, browser, room, clock):
    recording = ready(video, clock, recorded(video, browser, room, clock))
    video.recordings.delete(recording)
    deleted = video.recordings.get(recording)
    assert (deleted.status, deleted.files) == (RecordingStatus.DELETED, ())


def test_a_resolution_the_backend_does_not_offer_is_invalid(video, room):
    with pytest.raises(InvalidRequest) as caught:
        video.recordings.start(room, resolution="800x600")
    assert caught.value.field == "resolution"
    assert list(video.recordings.list()) == []


# --- compositions ------------------------------------------------------------


def test_a_file_composition_from_recordings_becomes_available_and_downloads(video, browser, room, clock, tmp_path):
    recording = ready(video, clock, recorded(video, browser, room, clock))
    composition = video.compositions.start(room, recordings=[recording])
    assert composition.status is CompositionStatus.PROCESSING
    clock.advance(2)
    composition = video.compositions.get(composition)
    assert (composition.status, composition.format) == (CompositionStatus.AVAILABLE, "mp4")
    data = video.compositions.download(composition, tmp_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == composition.files[0].sha256


def test_a_file_composition_without_available_recordings_is_a_conflict(video, browser, room, clock):
    recorded(video, browser, room, clock)  # still processing
    with pytest.raises(Conflict):
        video.compositions.start(room)
    assert list(video.compositions.list()) == []


def test_a_live_composition_is_unsupported_and_creates_nothing(video, browser, room):
    connected(video, browser, room).publish()
    with pytest.raises(UnsupportedFeature) as caught:
        video.compositions.start(room, output="live", hls=True)
    assert (caught.value.feature, caught.value.backend) == (Feature.LIVE_STREAMING, "local")
    assert list(video.compositions.list()) == []


def test_the_local_backend_does_not_claim_live_streaming(video):
    assert not video.supports(Feature.LIVE_STREAMING) and video.supports(Feature.POST_HOC_COMPOSITION)


# --- signals -----------------------------------------------------------------


def test_a_signal_reaches_every_connected_client(video, browser, room):
    ann, bob = connected(video, browser, room, "ann"), connected(video, browser, room, "bob")
    video.signals.send(room, "chat", "hello")
    assert [(s.type, s.data) for s in ann.signals()] == [("chat", "hello")]
    assert [(s.type, s.data) for s in bob.signals()] == [("chat", "hello")]


def test_a_signal_to_one_participant_reaches_only_them(video, browser, room):
    ann, bob = connected(video, browser, room, "ann"), connected(video, browser, room, "bob")
    video.signals.send(room, "nudge", "psst", to=video.participants.get(room, bob.participant_id))
    assert ([s.data for s in bob.signals()], ann.signals()) == (["psst"], [])


# --- events and refs ---------------------------------------------------------


class Recorder:
    """A plugin that keeps every event the ``anyvideo_event`` hook hears."""

    def __init__(self) -> None:
        self.heard: list[tuple[Event, Video]] = []

    @hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        self.heard.append((event, video))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def hooked(clock: ManualClock, recorder: Recorder) -> Iterator[Video]:
    with anyvideo.connect("local", plugins=Plugins(extra=[recorder]), clock=clock, environ={}) as video:
        yield video


def test_the_event_hook_hears_a_recording_become_available(hooked, recorder, clock):
    browser = hooked.backend.browser()
    room = hooked.rooms.create("hooked")
    recording = ready(hooked, clock, recorded(hooked, browser, room, clock))
    available = [(e, v) for e, v in recorder.heard if e.type == "recording.available"]
    assert len(available) == 1
    event, video = available[0]
    assert video is hooked
    assert (event.provider, event.room_id, event.subject) == ("local", room.id, recording)


def test_the_event_hook_hears_events_in_order(hooked, recorder):
    room = hooked.rooms.create("hooked")
    hooked.backend.browser().join(hooked.tokens.create(room, "ann")).leave()
    hooked.rooms.end(room)
    assert [e.type for e, _ in recorder.heard] == [
        "room.started",
        "participant.joined",
        "participant.left",
        "room.ended",
    ]


class AcmeBackend(Backend):
    """Registered only, never built: another installed backend for ref checks."""

    name = "acme"


class AcmePlugin:
    @hookimpl
    def anyvideo_register_backends(self, register) -> None:
        register("acme", AcmeBackend)


def test_a_ref_of_another_installed_backend_is_refused(clock):
    with anyvideo.connect("local", plugins=Plugins(extra=[AcmePlugin()]), clock=clock, environ={}) as video:
        room = video.rooms.create("weekly")
        with pytest.raises(InvalidRequest) as caught:
            video.rooms.get(f"acme:{room.id}")
    assert caught.value.field == "room"
