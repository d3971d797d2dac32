"""Answers that are not what Twilio's spec says become ProviderError, never a
KeyError/TypeError/AttributeError: fuzzed (hypothesis) at the translators,
fed the SDK's own instances made from mutated real answers (the spec's
samples), and end to end, the SDK reading fuzzed HTTP bodies from a
misbehaving server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.specs import TWILIO_SAMPLES as SAMPLES
from twilio.rest import Client
from twilio.rest.video.v1.composition import CompositionInstance
from twilio.rest.video.v1.composition_hook import CompositionHookInstance
from twilio.rest.video.v1.composition_settings import CompositionSettingsInstance
from twilio.rest.video.v1.recording import RecordingInstance
from twilio.rest.video.v1.room import RoomInstance
from twilio.rest.video.v1.room.participant import ParticipantInstance
from twilio.rest.video.v1.room.participant.published_track import PublishedTrackInstance
from twilio.rest.video.v1.room.participant.subscribe_rules import SubscribeRulesInstance
from twilio.rest.video.v1.room.recording_rules import RecordingRulesInstance

import anyvideo
from anyvideo.errors import AnyVideoError, ProviderError, RateLimited
from anyvideo_twilio import errors as twilio_errors
from anyvideo_twilio import translate

ROOM, PARTICIPANT = "RM" + "a" * 32, "PA" + "b" * 32

#: translator, how the SDK makes its instance from a payload, the real answer it starts from.
CASES: dict[str, tuple[Callable[[Any], Any], Callable[[Any, dict[str, Any]], Any], str]] = {
    "room": (translate.room, lambda v, p: RoomInstance(v, p), "room__fetch_response.json"),
    "participant": (
        translate.participant,
        lambda v, p: ParticipantInstance(v, p, ROOM),
        "room_participant__fetch_response.json",
    ),
    "stream": (
        lambda i: translate.stream(i, ROOM, PARTICIPANT),
        lambda v, p: PublishedTrackInstance(v, p, ROOM, PARTICIPANT),
        "room_participant_published_track__fetch_response.json",
    ),
    # rooms, participants and published tracks are also read from Twilio's JSON, of which the SDK made no instance
    "room (JSON)": (translate.room, lambda v, p: p, "room__fetch_response.json"),
    "participant (JSON)": (translate.participant, lambda v, p: p, "room_participant__fetch_response.json"),
    "stream (JSON)": (
        lambda i: translate.stream(i, ROOM, PARTICIPANT),
        lambda v, p: p,
        "room_participant_published_track__fetch_response.json",
    ),
    "composition": (translate.composition, lambda v, p: CompositionInstance(v, p), "composition__fetch_response.json"),
    "track recording": (
        translate.track_recording,
        lambda v, p: RecordingInstance(v, p),
        "recording__fetch_response.json",
    ),
    "hook": (translate.hook, lambda v, p: CompositionHookInstance(v, p), "composition_hook__fetch_response.json"),
    "recording rules": (
        translate.rules,
        lambda v, p: RecordingRulesInstance(v, p, ROOM),
        "room_recording_rule__fetch_response.json",
    ),
    "subscribe rules": (
        translate.rules,
        lambda v, p: SubscribeRulesInstance(v, p, ROOM, PARTICIPANT),
        "room_participant_subscribe_rule__update_filters_response.json",
    ),
    "storage settings": (
        translate.storage_settings,
        lambda v, p: CompositionSettingsInstance(v, p),
        "composition_settings__fetch_response.json",
    ),
}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def version() -> Any:
    return Client("AC" + "0" * 32, "token", "AC" + "0" * 32).video.v1


def sample(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"the provider samples are not at {SAMPLES} (set ANYVIDEO_SPECS)")
    return json.loads(path.read_text())["body"]  # {"status": ..., "body": ...}


@pytest.mark.parametrize("case", list(CASES))
def test_the_real_answers_translate(case, version):
    translator, make, name = CASES[case]
    translator(make(version, sample(name)))


@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_answer_translates_or_is_a_provider_error(case, version, data):
    translator, make, name = CASES[case]
    payload = sample(name)
    for field in data.draw(st.lists(st.sampled_from(sorted(payload)), max_size=4, unique=True), label="fields"):
        if data.draw(st.booleans(), label=f"drop {field}"):
            del payload[field]
        else:
            payload[field] = data.draw(JSON, label=field)
    try:
        translator(made(make, version, payload))
    except ProviderError as exc:
        assert "twilio" in str(exc)


@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.text(max_size=12), JSON, max_size=6))
def test_an_answer_of_any_shape_translates_or_is_a_provider_error(case, version, payload):
    translator, make, _ = CASES[case]
    try:
        translator(made(make, version, payload))
    except ProviderError:
        pass


def made(make: Callable[[Any, dict[str, Any]], Any], version: Any, payload: dict[str, Any]) -> Any:
    """The SDK's instance of ``payload``, made as the transport has the SDK make it: inside
    the translation of its errors (the SDK parses fields as it builds the instance)."""
    with twilio_errors.translating():
        return make(version, payload)


def test_a_number_too_big_for_the_sdk_is_a_provider_error(version):
    # JSON as Python reads it allows Infinity; the SDK's int() of it overflows.
    payload = {**sample("composition__fetch_response.json"), "bitrate": float("inf")}
    with pytest.raises(ProviderError, match="OverflowError"):
        translate.composition(made(CASES["composition"][1], version, payload))


def test_a_time_the_sdk_could_not_parse_names_the_field(version):
    payload = {**sample("room__fetch_response.json"), "date_created": "yesterday"}
    with pytest.raises(ProviderError, match="date_created"):
        translate.room(RoomInstance(version, payload))


def test_a_time_that_is_not_iso_8601_in_json_names_the_field():
    payload = {**sample("room__fetch_response.json"), "end_time": "yesterday"}
    with pytest.raises(ProviderError, match="end_time"):
        translate.room(payload)


@pytest.mark.parametrize("case", ["room", "participant", "stream"])
def test_json_and_the_sdks_instance_of_it_translate_alike(case, version):
    translator, make, name = CASES[case]
    payload = sample(name)
    from_json, from_instance = translator(payload), translator(make(version, payload))
    assert from_json == from_instance
    assert dict(from_json.raw) == payload  # the answer as Twilio sent it
    assert dict(from_instance.raw) == {key: payload[key] for key in from_instance.raw}  # times written back alike


def test_a_rule_twilio_should_not_send_is_a_provider_error_not_invalid_input(version):
    payload = {**sample("room_recording_rule__fetch_response.json"), "rules": [{"type": "include", "colour": "red"}]}
    with pytest.raises(ProviderError) as caught:
        translate.rules(RecordingRulesInstance(version, payload, ROOM))
    assert caught.value.__cause__ is not None


# --- end to end: the SDK reads what a misbehaving server sends ------------------------------------


class Answers:
    """What the server answers next: status, headers, body."""

    def __init__(self) -> None:
        self.status, self.headers, self.body = 200, {"Content-Type": "application/json"}, b"{}"
        self.received = 0


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Answers]]:
    answers = Answers()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer's body waits for a delayed ACK

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answers.received += 1
            self.send_response(answers.status)
            for key, value in answers.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answers.body)))
            self.end_headers()
            self.wfile.write(answers.body)

        do_GET = do_POST = do_DELETE = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", answers
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def misled(server) -> Iterator[Any]:
    url, _ = server
    settings_ = {"account_sid": "AC" + "1" * 32, "api_key_sid": "SK" + "2" * 32, "api_key_secret": "s3cr3t-value"}
    with anyvideo.connect("twilio", environ={}, base_url=url, retries=0, **settings_) as video:
        yield video


OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "create room": lambda video: video.rooms.create("weekly"),
    "get room": lambda video: video.rooms.get(ROOM),
    "list rooms": lambda video: list(video.rooms.list(status="open")),
    "end room": lambda video: video.rooms.end(ROOM),
    "list participants": lambda video: list(video.participants.list(ROOM)),
    "get composition": lambda video: video.compositions.get("CJ" + "c" * 32),
    "list hooks": lambda video: list(video.ext.list_composition_hooks()),
    "recording rules": lambda video: video.ext.get_recording_rules(ROOM),
}

BODIES = st.one_of(
    st.binary(max_size=40),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["sid", "status", "rooms", "meta", "message", "code", "rules"]), JSON).map(
        lambda value: json.dumps(value).encode()
    ),
)


@pytest.mark.parametrize("operation", list(OPERATIONS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from([200, 201, 202, 400, 404, 429, 500, 503]),
    body=BODIES,
    retry_after=st.none() | st.text(alphabet="0123456789.-eE xyz", min_size=1, max_size=6).map(str.strip),
)
def test_any_answer_is_a_result_or_an_anyvideo_error(server, misled, operation, status, body, retry_after):
    _, answers = server
    answers.status, answers.body = status, body
    answers.headers = {"Content-Type": "application/json", **({"Retry-After": retry_after} if retry_after else {})}
    try:
        OPERATIONS[operation](misled)
    except AnyVideoError as exc:
        assert "s3cr3t-value" not in str(exc)


@pytest.mark.parametrize("link", ["http://elsewhere.example/v1/Rooms?Page=1", "SELF"])
def test_a_next_page_elsewhere_or_again_is_not_followed(server, misled, link):
    url, answers = server
    link = f"{url}/v1/Rooms?Status=in-progress&PageSize=100&Page=1" if link == "SELF" else link
    answers.status, answers.headers = 200, {"Content-Type": "application/json"}
    answers.body = json.dumps({"rooms": [], "meta": {"key": "rooms", "next_page_url": link}}).encode()
    received = answers.received
    with pytest.raises(ProviderError, match="next"):
        list(misled.rooms.list(status="open"))
    # credentials never go to another host; a page that links to itself is fetched once more at most
    assert answers.received - received <= 2


def rate_limited(server: tuple[str, Answers], misled: Any, retry_after: str) -> RateLimited:
    """What a 429 answered with ``Retry-After: <retry_after>`` is raised as (``misled`` never retries)."""
    _, answers = server
    answers.status, answers.headers = 429, {"Content-Type": "application/json", "Retry-After": retry_after}
    answers.body = json.dumps({"code": 20429, "message": "Too Many Requests", "status": 429}).encode()
    with pytest.raises(RateLimited) as caught:
        misled.rooms.get(ROOM)
    return caught.value


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), ("0.5", 0.5), ("-5", 0.0), ("nan", None), ("soon", None)])
def test_retry_after_is_seconds_to_wait_never_below_zero(server, misled, header, seconds):
    assert rate_limited(server, misled, header).retry_after == seconds


def test_retry_after_may_be_an_http_date(server, misled):
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    waited = rate_limited(server, misled, later).retry_after
    assert waited is not None and 590 <= waited <= 600
