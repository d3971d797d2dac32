"""Answers that are not what the spec says: every path that reads one raises ProviderError,
never KeyError, TypeError, ValidationError or anything else (hypothesis).

The SDK is given an HTTP client that answers the generated body (a subclass of its
``HttpClient``, its documented extension point); the REST helper likewise. Bodies are
arbitrary JSON, objects built from the provider's field names, and the provider's real
answers (``samples/vonage``) with one field changed or removed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.specs import VONAGE_SAMPLES
from vonage_http_client import Auth, HttpClient, HttpClientOptions
from vonage_video import Video as SdkVideo

import anyvideo
from anyvideo import Composition, Layout, Participant, ProviderError, Recording, Room, Stream, Video
from anyvideo_vonage import Captions, Render, RenderSpec, SipCall, SipConnection, translate
from anyvideo_vonage.emulator.auth import ApplicationCredentials
from anyvideo_vonage.rest import VonageRest

ROOM = "1_MX4xMjM0NTY3OH4xMjcuMC4wLjF-fjE3MDAwMDAwMDAwMDB-fn4-"
# Shaped as the provider's ids, which the backend checks before asking
ARCHIVE, BROADCAST, STREAM, RENDER = (f"{n}0000000-0000-4000-8000-000000000000" for n in "abcd")
KEYS = [
    "id",
    "status",
    "name",
    "sessionId",
    "session_id",
    "createdAt",
    "updatedAt",
    "duration",
    "outputMode",
    "hasAudio",
    "hasVideo",
    "url",
    "size",
    "sha256sum",
    "resolution",
    "broadcastUrls",
    "hls",
    "rtmp",
    "serverUrl",
    "streamName",
    "streams",
    "streamId",
    "items",
    "count",
    "connectionId",
    "connectionState",
    "videoType",
    "layoutClassList",
    "captionsId",
    "reason",
    "multiArchiveTag",
]
WORDS = ["started", "stopped", "available", "composed", "individual", "1280x720", "camera", "Connected", ""]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(WORDS)
)
keys = st.sampled_from(KEYS) | st.text(max_size=4)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=5), max_leaves=12
)
objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=12)


def _samples() -> list[Any]:
    if not VONAGE_SAMPLES.exists():
        return []
    return [json.loads(path.read_text()) for path in sorted(VONAGE_SAMPLES.glob("*.json"))]


def _changed(sample: Any) -> st.SearchStrategy[Any]:
    """The sample with one of its fields (or one of its first item's) replaced or removed."""
    target = sample
    if isinstance(sample, list) and sample and isinstance(sample[0], dict):
        target = sample[0]
    elif isinstance(sample, dict) and isinstance(sample.get("items"), list) and sample["items"]:
        target = sample["items"][0] if isinstance(sample["items"][0], dict) else sample
    if not isinstance(target, dict) or not target:
        return st.just(sample)

    def change(key: str, value: Any, remove: bool) -> Any:
        copy = json.loads(json.dumps(sample))
        into = copy
        if isinstance(copy, list):
            into = copy[0]
        elif target is not sample:
            into = copy["items"][0]
        if remove:
            into.pop(key, None)
        else:
            into[key] = value
        return copy

    return st.builds(change, st.sampled_from(sorted(target)), json_values, st.booleans())


SAMPLES = _samples()
bodies = st.one_of(
    json_values,
    objects,
    st.lists(objects, max_size=2),
    st.fixed_dictionaries({"count": json_values, "items": st.lists(objects, max_size=3)}),
    *([st.sampled_from(SAMPLES).flatmap(_changed)] if SAMPLES else []),
)


class AnsweringHttpClient(HttpClient):
    """The SDK's HTTP client, answering every request with ``answer`` (already decoded JSON)."""

    answer: Any = None

    def make_request(self, *args: Any, **kwargs: Any) -> Any:
        return json.loads(json.dumps(self.answer))


class AnsweringRest(VonageRest):
    """The REST helper, answering every request with ``answer``."""

    answer: Any = None

    def _once(self, method: str, path: str, params: Any, body: Any, form: Any = None) -> Any:
        return json.loads(json.dumps(self.answer))


@pytest.fixture(scope="module")
def answering() -> Any:
    credentials = ApplicationCredentials()
    video = anyvideo.connect(
        "vonage",
        environ={},
        application_id=credentials.application_id,
        private_key=credentials.private_key,
        video_host="127.0.0.1:9",
        retries=0,
    )
    backend = video.backend
    http = AnsweringHttpClient(
        Auth(application_id=credentials.application_id, private_key=credentials.private_key),
        HttpClientOptions(video_host="127.0.0.1:9"),
    )
    transport = backend.transport
    rest = AnsweringRest("127.0.0.1:9", credentials.application_id, transport.jwt, calls=transport.calls)
    transport.rest = rest
    owner = threading.get_ident()
    # this thread's SDK client: the backend keeps one per thread, built on first use
    transport._local.client = SimpleNamespace(video=SdkVideo(http), http_client=http)

    def answer(body: Any) -> Video:
        assert threading.get_ident() == owner
        http.answer = rest.answer = body
        return video

    yield answer
    video.close()


OPERATIONS: dict[str, Callable[[Video], Any]] = {
    "create session": lambda v: v.rooms.create(),
    "start archive": lambda v: v.recordings.start(ROOM),
    "stop archive": lambda v: v.recordings.stop(ARCHIVE),
    "archive layout": lambda v: v.ext.change_recording_layout(ARCHIVE, Layout.pip()),
    "get archive": lambda v: v.recordings.get(ARCHIVE),
    "list archives": lambda v: list(v.recordings.list(room=ROOM)),
    "start broadcast": lambda v: v.compositions.start(ROOM, output="live", hls=True),
    "stop broadcast": lambda v: v.compositions.stop(BROADCAST),
    "broadcast layout": lambda v: v.ext.change_composition_layout(BROADCAST, Layout.pip()),
    "get broadcast": lambda v: v.compositions.get(BROADCAST),
    "list broadcasts": lambda v: list(v.compositions.list()),
    "list streams": lambda v: list(v.streams.list(ROOM)),
    "get stream": lambda v: v.streams.get(ROOM, STREAM),
    "layout classes": lambda v: v.ext.set_layout_classes(ROOM, {STREAM: ["host"]}),
    "list connections": lambda v: list(v.participants.list(ROOM)),
    "dial sip": lambda v: v.ext.dial_sip(ROOM, SipCall("sip:desk@example.com")),
    "start captions": lambda v: v.ext.start_captions(ROOM),
    "start render": lambda v: v.ext.start_render(ROOM, RenderSpec("https://app.example.com/board")),
    "get render": lambda v: v.ext.get_render(RENDER),
    "list renders": lambda v: list(v.ext.list_renders()),
}

#: What a successful read must look like: the id fields non-empty strings.
KINDS = (Room, Recording, Composition, Stream, Participant, Render, SipConnection, Captions)


def _well_formed(result: Any) -> None:
    for item in result if isinstance(result, list) else [result]:
        assert isinstance(item, KINDS), type(item)
        assert isinstance(item.id, str) and item.id
        for field in ("room_id", "name", "status"):
            value = getattr(item, field, "")
            assert value is None or isinstance(value, str), (field, value)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_a_malformed_answer_is_a_provider_error(answering, operation: str, body: Any) -> None:
    video = answering(body)
    try:
        result = OPERATIONS[operation](video)
    except ProviderError as exc:
        assert exc.provider == "vonage"
        return
    _well_formed(result)


@settings(max_examples=200, deadline=None)
@given(body=bodies, layout=st.sampled_from([None, Layout.grid()]))
def test_the_translators_read_or_refuse(body: Any, layout: Layout | None) -> None:
    for translator in (
        lambda: translate.archive(body, layout),
        lambda: translate.broadcast(body, layout),
        lambda: translate.stream(ROOM, body, None),
        lambda: translate.connection(ROOM, body, None),
        lambda: translate.render(body),
    ):
        try:
            result = translator()
        except ProviderError:
            continue
        _well_formed(result)
