"""Vonage emulator: archives through the official SDK — lifecycle, downloads,
the provider's rules (each 409), listing, layout and stream selection."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import requests
from vonage_http_client.errors import HttpRequestError, NotFoundError
from vonage_video.errors import InvalidArchiveStateError
from vonage_video.models import (
    AddStreamRequest,
    ArchiveStatus,
    ComposedLayout,
    CreateArchiveRequest,
    ListArchivesFilter,
    SessionOptions,
)

from anyvideo.models import StreamKind
from anyvideo.sim.media import CONTENT_TYPE


@pytest.fixture
def recorded(vonage_session, vonage_join):
    """A routed session with ann connected and publishing; gives (session id, ann, her stream id)."""
    ann = vonage_join(vonage_session)
    return vonage_session, ann, ann.publish(name="camera")


def start(video, session_id, **options):
    return video.start_archive(CreateArchiveRequest(session_id=session_id, **options))


def finish(video, server, archive_id, seconds=10):
    """Record for ``seconds``, stop, and let processing finish; returns the available archive."""
    server.control.advance(seconds)
    video.stop_archive(archive_id)
    server.control.advance(2)
    return video.get_archive(archive_id)


# --- lifecycle ---------------------------------------------------------------------


def test_an_archive_goes_started_stopped_available(vonage_server, vonage_video, recorded):
    session_id, _, _ = recorded
    archive = start(vonage_video, session_id, name="standup", resolution="1280x720")
    assert (archive.status, archive.duration, archive.size, archive.url) == (ArchiveStatus.STARTED, 0, 0, None)
    vonage_server.control.advance(30)
    stopped = vonage_video.stop_archive(archive.id)
    assert (stopped.status, stopped.reason, stopped.duration) == (ArchiveStatus.STOPPED, "user initiated", 30)
    assert vonage_video.get_archive(archive.id).status is ArchiveStatus.STOPPED
    vonage_server.control.advance(2)  # the processing delay
    available = vonage_video.get_archive(archive.id)
    assert available.status is ArchiveStatus.AVAILABLE
    assert available.size > 0 and len(available.sha256_sum) == 64 and available.url
    assert (available.name, available.resolution.value, available.session_id) == ("standup", "1280x720", session_id)


def test_an_archive_stops_at_four_hours(vonage_server, vonage_video, recorded):
    archive = start(vonage_video, recorded[0])
    vonage_server.control.advance(4 * 3600)
    stopped = vonage_video.get_archive(archive.id)
    assert (stopped.status, stopped.reason, stopped.duration) == (
        ArchiveStatus.STOPPED,
        "maximum duration exceeded",
        4 * 3600,
    )


def test_the_download_is_the_archive_file(vonage_server, vonage_video, recorded):
    archive = finish(vonage_video, vonage_server, start(vonage_video, recorded[0]).id)
    download = requests.get(archive.url, timeout=10)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == CONTENT_TYPE
    assert len(download.content) == archive.size
    assert hashlib.sha256(download.content).hexdigest() == archive.sha256_sum
    again = vonage_video.get_archive(archive.id)
    assert requests.get(again.url, timeout=10).content == download.content  # stable bytes, fresh URL


def test_a_download_url_expires_after_ten_minutes(vonage_server, vonage_video, recorded):
    archive = finish(vonage_video, vonage_server, start(vonage_video, recorded[0]).id)
    vonage_server.control.advance(601)
    assert requests.get(archive.url, timeout=10).status_code == 403


def test_a_tampered_download_url_is_refused(vonage_server, vonage_video, recorded):
    archive = finish(vonage_video, vonage_server, start(vonage_video, recorded[0]).id)
    assert requests.get(archive.url.replace("signature=", "signature=0"), timeout=10).status_code == 403


def test_an_individual_archive_downloads_as_a_zip_of_streams(vonage_server, vonage_video, recorded, vonage_join):
    session_id, _, camera = recorded
    screen = vonage_join(session_id, "bob").publish(StreamKind.AUDIO)
    archive = finish(vonage_video, vonage_server, start(vonage_video, session_id, output_mode="individual").id)
    download = requests.get(archive.url, timeout=10)
    assert download.headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sorted(names) == sorted([f"{camera}.sim", f"{screen}.sim", f"{archive.id}.json"])


def test_an_individual_archive_with_transcription(vonage_server, vonage_video, recorded):
    archive = start(vonage_video, recorded[0], output_mode="individual", has_transcription=True)
    assert archive.has_transcription and archive.transcription.status == "requested"
    available = finish(vonage_video, vonage_server, archive.id)
    assert available.transcription.status == "available"
    assert requests.get(available.transcription.url, timeout=10).json()["archiveId"] == archive.id


def test_a_composed_archive_records_at_most_16_streams(vonage_server, vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session)
    streams = [ann.publish() for _ in range(17)]
    archive = finish(vonage_video, vonage_server, start(vonage_video, vonage_session).id)
    captured = [sid for sid, _ in vonage_server.world.get_recording(archive.id).sources]
    assert captured == streams[:16]


def test_an_individual_archive_records_at_most_50_streams(vonage_server, vonage_video, vonage_session, vonage_join):
    ann = vonage_join(vonage_session)
    streams = [ann.publish(StreamKind.AUDIO) for _ in range(51)]
    archive = finish(vonage_video, vonage_server, start(vonage_video, vonage_session, output_mode="individual").id)
    names = zipfile.ZipFile(io.BytesIO(requests.get(archive.url, timeout=10).content)).namelist()
    assert sorted(n.removesuffix(".sim") for n in names if n.endswith(".sim")) == sorted(streams[:50])


# --- the provider's rules ---------------------------------------------------------


def test_a_relayed_session_cannot_be_archived(vonage_video, vonage_join):
    session_id = vonage_video.create_session(SessionOptions(media_mode="relayed")).session_id
    vonage_join(session_id)
    with pytest.raises(HttpRequestError) as caught:
        start(vonage_video, session_id)
    assert caught.value.response.status_code == 409


def test_a_session_without_clients_cannot_be_archived(vonage_video, vonage_session, vonage_join):
    vonage_join(vonage_session).leave()
    with pytest.raises(NotFoundError):
        start(vonage_video, vonage_session)


def test_a_second_archive_needs_a_multi_archive_tag(vonage_video, recorded):
    start(vonage_video, recorded[0])
    with pytest.raises(HttpRequestError) as caught:
        start(vonage_video, recorded[0])
    assert caught.value.response.status_code == 409
    tagged = start(vonage_video, recorded[0], multi_archive_tag="second")
    assert tagged.multi_archive_tag == "second"


def test_simultaneous_archives_need_distinct_tags(vonage_video, recorded):
    start(vonage_video, recorded[0], multi_archive_tag="a")
    with pytest.raises(HttpRequestError) as caught:
        start(vonage_video, recorded[0], multi_archive_tag="a")
    assert caught.value.response.status_code == 409


def test_an_archive_can_start_again_once_the_first_stopped(vonage_video, recorded):
    first = start(vonage_video, recorded[0])
    vonage_video.stop_archive(first.id)
    assert start(vonage_video, recorded[0]).status is ArchiveStatus.STARTED


def test_stopping_an_available_archive_is_a_conflict(vonage_server, vonage_video, recorded):
    archive = finish(vonage_video, vonage_server, start(vonage_video, recorded[0]).id)
    with pytest.raises(InvalidArchiveStateError) as caught:
        vonage_video.stop_archive(archive.id)
    assert '"code": 15002' in str(caught.value)


def test_stopping_a_stopped_archive_answers_it_unchanged(vonage_video, recorded):
    archive = start(vonage_video, recorded[0])
    stopped = vonage_video.stop_archive(archive.id)
    assert vonage_video.stop_archive(archive.id) == stopped


def test_deleting_a_recording_archive_is_a_conflict(vonage_video, recorded):
    archive = start(vonage_video, recorded[0])
    with pytest.raises(InvalidArchiveStateError) as caught:
        vonage_video.delete_archive(archive.id)
    assert '"code": 15004' in str(caught.value)


def test_a_deleted_archive_is_deleted_and_unlisted(vonage_server, vonage_video, recorded):
    archive = finish(vonage_video, vonage_server, start(vonage_video, recorded[0]).id)
    vonage_video.delete_archive(archive.id)
    vonage_video.delete_archive(archive.id)  # "available OR uploaded OR deleted"
    assert vonage_video.get_archive(archive.id).status is ArchiveStatus.DELETED
    assert vonage_video.list_archives(ListArchivesFilter())[1] == 0


def test_an_unknown_archive_is_not_found(vonage_video):
    with pytest.raises(NotFoundError):
        vonage_video.get_archive("5b1521e6-115f-4efd-bed9-e527b87f0699")


def test_an_individual_archive_has_no_resolution(vonage_client, vonage_server, recorded):
    http = vonage_client.http_client
    path = f"/v2/project/{vonage_server.credentials['application_id']}/archive"
    body = {"sessionId": recorded[0], "outputMode": "individual", "resolution": "1280x720"}
    with pytest.raises(HttpRequestError) as caught:  # the SDK refuses this before sending
        http.post(http.video_host, path, body)
    assert caught.value.response.status_code == 400


# --- listing --------------------------------------------------------------------------


def test_archives_are_listed_newest_first_by_offset_and_count(vonage_video, recorded):
    ids = []
    for tag in "abc":
        ids.append(start(vonage_video, recorded[0], multi_archive_tag=tag).id)
    archives, count, _ = vonage_video.list_archives(ListArchivesFilter(offset=1, page_size=1))
    assert count == 3 and [a.id for a in archives] == [ids[1]]


def test_archives_are_listed_by_session(vonage_client, vonage_server, vonage_video, recorded, vonage_join):
    other = vonage_video.create_session().session_id
    vonage_join(other, "bob")
    mine = start(vonage_video, recorded[0])
    start(vonage_video, other)
    # The SDK's ListArchivesFilter sends "session_id", which the provider ignores
    # (an SDK defect): the documented "sessionId" goes through its HTTP client.
    http = vonage_client.http_client
    path = f"/v2/project/{vonage_server.credentials['application_id']}/archive"
    listing = http.get(http.video_host, path, {"sessionId": recorded[0]})
    assert listing["count"] == 1 and listing["items"][0]["id"] == mine.id
    assert vonage_video.list_archives(ListArchivesFilter(session_id=recorded[0]))[1] == 2


def test_the_list_reports_the_provider_total_not_the_sdk_page(vonage_client, vonage_video, recorded):
    for tag in "ab":
        start(vonage_video, recorded[0], multi_archive_tag=tag)
    vonage_video.list_archives(ListArchivesFilter(page_size=1))
    answer = vonage_client.http_client.last_response.json()
    assert answer["count"] == 2 and len(answer["items"]) == 1


# --- layout and streams ---------------------------------------------------------------


def test_the_layout_of_a_composed_archive_changes(vonage_server, vonage_video, recorded):
    archive = start(vonage_video, recorded[0], layout=ComposedLayout(type="pip"))
    changed = vonage_video.change_archive_layout(archive.id, ComposedLayout(type="custom", stylesheet="stream {}"))
    assert changed.id == archive.id
    assert vonage_server.state.archives[archive.id].layout == {"type": "custom", "stylesheet": "stream {}"}


def test_streams_are_added_and_removed_in_manual_mode(vonage_video, recorded):
    session_id, _, camera = recorded
    archive = start(vonage_video, session_id, stream_mode="manual")
    vonage_video.add_stream_to_archive(archive.id, AddStreamRequest(stream_id=camera, has_video=False))
    [included] = vonage_video.get_archive(archive.id).streams
    assert (included.stream_id, included.has_audio, included.has_video) == (camera, True, False)
    vonage_video.remove_stream_from_archive(archive.id, camera)
    assert vonage_video.get_archive(archive.id).streams is None


def test_streams_cannot_be_chosen_in_auto_mode(vonage_video, recorded):
    archive = start(vonage_video, recorded[0])
    with pytest.raises(HttpRequestError) as caught:
        vonage_video.add_stream_to_archive(archive.id, AddStreamRequest(stream_id=recorded[2]))
    assert caught.value.response.status_code == 400


def test_an_unknown_stream_cannot_be_added(vonage_video, recorded):
    archive = start(vonage_video, recorded[0], stream_mode="manual")
    with pytest.raises(NotFoundError):
        vonage_video.add_stream_to_archive(archive.id, AddStreamRequest(stream_id="nope"))


# --- automatic archiving ---------------------------------------------------------------


def test_a_session_archived_always_records_while_clients_are_connected(vonage_server, vonage_video, vonage_join):
    session_id = vonage_video.create_session(SessionOptions(archive_mode="always")).session_id
    ann = vonage_join(session_id)
    [archive], _, _ = vonage_video.list_archives(ListArchivesFilter(session_id=session_id))
    assert archive.status is ArchiveStatus.STARTED
    assert vonage_video.stop_archive(archive.id).status is ArchiveStatus.STARTED  # no effect on automatic archives
    ann.leave()
    stopped = vonage_video.get_archive(archive.id)
    assert (stopped.status, stopped.reason) == (ArchiveStatus.STOPPED, "session ended")
