"""Twilio emulator: track recordings seeded in bulk through the control API are
track recordings like any other, and listing them reads only the page asked for."""

from __future__ import annotations

import pytest
import requests

from anyvideo.errors import Conflict
from anyvideo.models import StreamKind
from anyvideo.sim.records import RecordingRecord

#: What differs between any two track recordings: who and when.
OWN = {
    "sid",
    "date_created",
    "date_updated",
    "source_sid",
    "grouping_sids",
    "links",
    "url",
    "duration",
    "size",
    "offset",
    "track_name",
}


def fetch(server, path: str) -> dict:
    creds = server.credentials
    answer = requests.get(server.base_url + path, auth=(creds["account_sid"], creds["auth_token"]), timeout=10)
    answer.raise_for_status()
    return answer.json()


def test_a_seeded_track_recording_is_shaped_like_one_the_rules_made(
    twilio_server, twilio_video, twilio_join, twilio_clock
):
    room = twilio_video.rooms.create(unique_name="standup", record_participants_on_connect=True)
    ann = twilio_join("standup", "ann")
    ann.publish(StreamKind.AUDIO)
    twilio_clock.advance(1)
    ann.leave()
    twilio_clock.advance(30)  # processing
    [made_by_rules] = twilio_video.recordings.list()
    seeded = twilio_server.control.seed_recordings(room.sid, 2)

    run = fetch(twilio_server, f"/v1/Recordings/{made_by_rules.sid}")
    made = fetch(twilio_server, f"/v1/Recordings/{seeded['first_id']}")
    assert made.keys() == run.keys()
    assert {k: v for k, v in made.items() if k not in OWN} == {k: v for k, v in run.items() if k not in OWN}
    assert (made["status"], made["duration"], made["grouping_sids"]["room_sid"]) == ("completed", 1, room.sid)
    creds = twilio_server.credentials
    media = requests.get(
        f"{twilio_server.base_url}/v1/Recordings/{seeded['first_id']}/Media",
        auth=(creds["account_sid"], creds["auth_token"]),
        timeout=10,
    )
    assert media.ok and len(media.content) == made["size"]


def test_seeded_recordings_list_in_order_and_cost_the_face_no_memory(twilio_server, twilio_video):
    room = twilio_video.rooms.create(unique_name="big")
    seeded = twilio_server.control.seed_recordings(room.sid, 30)
    listed = twilio_video.rooms(room.sid).recordings.list(page_size=7)
    assert [r.sid for r in listed][::29] == [seeded["first_id"], seeded["last_id"]] and len(listed) == 30
    assert twilio_server.state.recordings == {}  # what the face knows of them lives in their records
    twilio_video.recordings(seeded["last_id"]).delete()
    assert len(twilio_video.recordings.list(page_size=50)) == 29
    assert twilio_video.recordings(seeded["last_id"]).fetch().status == "deleted"


@pytest.mark.parametrize("path", ["/v1/Recordings", "/v1/Rooms/{room}/Recordings"])
def test_a_page_of_recordings_decodes_about_a_page_however_many_there_are(twilio_server, twilio_video, path):
    """Room listings built the whole list for every page: quadratic over an account."""
    room = twilio_video.rooms.create(unique_name="big")
    store = twilio_server.world.store
    url = path.format(room=room.sid)

    def decoded_for_pages(count: int) -> list[int]:
        spent, page = [], fetch(twilio_server, f"{url}?PageSize=50")
        for _ in range(count):
            before = store.decoded
            page = fetch(twilio_server, page["meta"]["next_page_url"].removeprefix(twilio_server.base_url))
            assert len(page["recordings"]) == 50
            spent.append(store.decoded - before)
        return spent

    twilio_server.control.seed_recordings(room.sid, 150)
    small = decoded_for_pages(1)
    twilio_server.control.seed_recordings(room.sid, 1850)
    large = decoded_for_pages(30)
    # the page's 50 and one either side, then each one's track and room: the same whatever the account holds
    assert set(large) == set(small) and max(small) < 200
    assert twilio_server.world.count(RecordingRecord) == 2000


def test_a_peer_to_peer_room_is_not_seeded(twilio_server, twilio_video):
    room = twilio_video.rooms.create(unique_name="p2p", type="peer-to-peer")
    with pytest.raises(Conflict, match="cannot be recorded"):
        twilio_server.control.seed_recordings(room.sid, 1)
