"""Twilio's answers become the taxonomy's errors, with the SDK exception chained
and Twilio's request id and Retry-After kept; no secret in any message."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

import anyvideo
from anyvideo import StreamKind
from anyvideo.errors import (
    AuthenticationError,
    Conflict,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
)
from anyvideo.testing.faults import Fault
from anyvideo_twilio.errors import CODES, translate


@pytest.fixture
def once(connect_twilio):
    """anyvideo that tries each request once (``retries=0``): errors come straight out."""
    return connect_twilio(retries=0)


def test_429_is_rate_limited_with_retry_after(once, emulator):
    video = once
    emulator.faults.add(Fault(status=429, retry_after=7), path="/v1/Rooms")
    with pytest.raises(RateLimited) as caught:
        video.rooms.create("busy")
    assert caught.value.retry_after == 7
    assert isinstance(caught.value.__cause__, TwilioRestException)


def test_a_server_error_is_a_provider_error_with_status_and_code(once, emulator):
    video = once
    emulator.faults.script("/v1/Rooms", [Fault(status=503)])
    with pytest.raises(ProviderError) as caught:
        video.rooms.create("down")
    assert (caught.value.status, caught.value.code, caught.value.provider) == (503, "20503", "twilio")
    assert video.rooms.create("down").name == "down"  # the next request goes through


def test_a_dropped_connection_is_a_provider_error(once, emulator):
    video = once
    emulator.faults.script("/v1/Rooms", [Fault(drop=True)] * 5)
    with pytest.raises(ProviderError, match="could not reach Twilio") as caught:
        video.rooms.create("dropped")
    assert isinstance(caught.value.__cause__, requests.RequestException)


def test_errors_while_listing_lazily_are_translated(once, emulator):
    video = once
    video.rooms.create("one")
    emulator.faults.add(Fault(status=500), path="/v1/Rooms", method="GET")
    with pytest.raises(ProviderError) as caught:
        list(video.rooms.list())
    assert caught.value.request_id is None or caught.value.request_id.startswith("RQ")


def test_the_request_id_is_kept(video, room, join, control):
    join(room, "ann").publish(StreamKind.AUDIO)
    video.recordings.stop(video.recordings.start(room, mode="individual"))
    video.rooms.end(room)
    control.advance(3)
    composition = video.compositions.start(room)
    # Twilio deletes only completed compositions; this one is still processing (a 400 with no finer code).
    with pytest.raises(ProviderError) as caught:
        video.compositions.delete(composition)
    assert caught.value.status == 400 and caught.value.request_id.startswith("RQ")
    assert isinstance(caught.value.__cause__, TwilioRestException)


def test_wrong_credentials_are_an_authentication_error(twilio_emulator):
    creds = {**twilio_emulator.credentials, "api_key_secret": "wrong-secret-value"}
    with anyvideo.connect("twilio", environ={}, base_url=twilio_emulator.base_url, **creds) as video:
        with pytest.raises(AuthenticationError) as caught:
            video.rooms.create("nope")
    assert "wrong-secret-value" not in str(caught.value)


def test_twilio_codes_map_to_the_taxonomy():
    def exc(code: int, status: int = 400) -> TwilioRestException:
        return TwilioRestException(status, "https://video.twilio.com/v1/Rooms", "message", code)

    assert isinstance(translate(exc(53113)), Conflict)  # room exists
    assert isinstance(translate(exc(53118)), Conflict)  # room completed
    assert isinstance(translate(exc(20404, 404)), NotFound)
    assert translate(exc(53120)).field == "rules"  # recording rules invalid
    assert translate(exc(53215)).field == "rules"  # subscribe rules invalid
    assert translate(exc(53115)).field == "provider_options.media_region"
    assert isinstance(translate(exc(20003, 401)), AuthenticationError)
    assert isinstance(translate(exc(99999, 418)), ProviderError)
    assert all(
        isinstance(make("m"), InvalidRequest | Conflict | NotFound | AuthenticationError | RateLimited)
        for make in CODES.values()
    )


def test_an_invalid_recording_rule_from_twilio_names_the_rules(video, room, emulator):
    # A rule anyvideo accepts but this room refuses (a peer-to-peer room cannot be recorded -> 53114).
    p2p = video.rooms.create("p2p", provider_options={"type": "peer-to-peer"})
    with pytest.raises(InvalidRequest) as caught:
        video.ext.set_recording_rules(p2p.id, [{"type": "include", "all": True}])
    assert caught.value.field == "provider_options.type"
    assert isinstance(caught.value.__cause__, TwilioRestException)


# --- the retry policy (anyvideo.retry, read from the retries/timeout settings) ------------


def test_a_read_that_fails_on_the_server_is_tried_again(video, emulator, room):
    emulator.faults.script(f"/v1/Rooms/{room.id}$", [Fault(status=503), Fault(drop=True)], method="GET")
    assert video.rooms.get(room).id == room.id
    assert len(emulator.faults.injected) == 2


def test_a_rate_limited_request_is_tried_again_after_retry_after(video, emulator):
    emulator.faults.script("/v1/Rooms$", [Fault(status=429, retry_after=0)], method="POST")
    assert video.rooms.create("patient").name == "patient"


def test_a_page_that_fails_mid_listing_is_fetched_again(connect_twilio, emulator):
    video = connect_twilio(page_size=2)
    made = [video.rooms.create(f"room-{i}").id for i in range(5)]
    listing = video.rooms.list(status="open")
    first = [next(listing).id, next(listing).id]
    emulator.faults.script("/v1/Rooms$", [Fault(status=500)], method="GET")
    assert first + [room.id for room in listing] == made


def test_a_create_whose_answer_was_lost_is_adopted_not_repeated(connect_twilio, emulator):
    video = connect_twilio(timeout=(2, 0.3))
    # The emulator makes the room after the client stopped waiting for the answer.
    emulator.faults.script("/v1/Rooms$", [Fault(latency=0.6)], method="POST")
    room = video.rooms.create("lost-answer")
    assert [r.id for r in video.rooms.list(status="open", name="lost-answer")] == [room.id]


def test_a_composition_create_is_not_repeated_after_a_server_error(connect_twilio, emulator, join, control):
    video = connect_twilio()
    room = video.rooms.create("composed")
    join(room, "ann").publish(StreamKind.AUDIO)
    video.recordings.stop(video.recordings.start(room, mode="individual"))
    video.rooms.end(room)
    control.advance(3)
    emulator.faults.script("/v1/Compositions$", [Fault(status=502)], method="POST")
    with pytest.raises(ProviderError):
        video.compositions.start(room)
    assert list(video.compositions.list()) == []


def test_bad_retry_settings_are_configuration_errors(connect_twilio):
    from anyvideo.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="retries"):
        connect_twilio(retries=-1)
    with pytest.raises(ConfigurationError, match="timeout"):
        connect_twilio(timeout=0)
