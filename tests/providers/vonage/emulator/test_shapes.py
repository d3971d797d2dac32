"""Vonage emulator: each answer has the shape of the provider's real answer.

For every body in ``samples/vonage`` (taken from the official SDK's own test
data), the emulator produces the same answer through the SDK and the key
sets must match, recursively. Keys the provider sends only when they are set
(``OPTIONAL``) are left out of the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.vonage_requests import OpenTokProject
from vonage_http_client.errors import HttpRequestError
from vonage_video.errors import VideoError
from vonage_video.models import (
    AddStreamRequest,
    AudioConnectorOptions,
    AudioConnectorWebSocket,
    BroadcastHls,
    BroadcastOutputSettings,
    BroadcastRtmp,
    CaptionsOptions,
    CreateArchiveRequest,
    CreateBroadcastRequest,
    ExperienceComposerOptions,
    ExperienceComposerProperties,
    InitiateSipRequest,
    ListArchivesFilter,
    ListBroadcastsFilter,
    ListExperienceComposersFilter,
    SessionOptions,
    SipOptions,
    StreamLayout,
    StreamLayoutOptions,
    TokenOptions,
)

from anyvideo.testing.faults import Fault

#: Sent by the provider only when set (or, for ``streams``, when streams were chosen).
OPTIONAL = frozenset({"maxBitrate", "quantizationParameter", "transcription", "streams"})

#: Samples with no emulated counterpart, and why.
NOT_EMULATED = {"nothing.json": "an empty object; no operation of the API answers one"}


def differences(expected: Any, answer: Any, where: str = "") -> list[str]:
    """Where ``answer`` has other keys than ``expected``, recursively; optional keys
    count only when both have them."""
    if not (isinstance(expected, dict) and isinstance(answer, dict)):
        return []
    missing = set(expected) - set(answer) - OPTIONAL
    extra = set(answer) - set(expected) - OPTIONAL
    found = [
        f"{where or '.'}: {what} {sorted(keys)}" for what, keys in (("missing", missing), ("extra", extra)) if keys
    ]
    for key in set(expected) & set(answer):
        found += differences(expected[key], answer[key], f"{where}.{key}")
        if isinstance(expected[key], list) and expected[key] and isinstance(answer[key], list) and answer[key]:
            found += differences(expected[key][0], answer[key][0], f"{where}.{key}[0]")
    return found


def shape(value: Any) -> Any:
    """The keys of ``value``, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items()) if key not in OPTIONAL}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [shape(value[0])]
    return None


class Scene:
    """One test's world: the SDK, the emulator, a routed session with ann publishing."""

    def __init__(self, server, client, session_id, join) -> None:
        self.server, self.client, self.video = server, client, client.video
        self.session_id = session_id
        self.ann = join(session_id)
        self.stream_id = self.ann.publish()

    @property
    def answer(self) -> Any:
        return self.client.http_client.last_response.json()

    def token(self, **options: Any) -> str:
        return self.video.generate_client_token(TokenOptions(session_id=self.session_id, **options)).decode()

    def error(self, call: Callable[[], Any]) -> Any:
        """The body of the error ``call`` meets (the SDK turns some 409s into its own errors)."""
        with pytest.raises((HttpRequestError, VideoError)):
            call()
        return self.answer

    def archive(self, **options: Any):
        return self.video.start_archive(CreateArchiveRequest(session_id=self.session_id, **options))

    def available_archive(self, **options: Any):
        archive = self.archive(**options)
        self.video.stop_archive(archive.id)
        self.server.control.advance(2)
        return archive

    def broadcast(self, **options: Any):
        outputs = BroadcastOutputSettings(
            hls=BroadcastHls(dvr=True), rtmp=[BroadcastRtmp(id="test", server_url="rtmp://a/live2", stream_name="k")]
        )
        return self.video.start_broadcast(
            CreateBroadcastRequest(session_id=self.session_id, outputs=outputs, max_bitrate=1_000_000, **options)
        )

    def render(self, **options: Any):
        return self.video.start_experience_composer(
            ExperienceComposerOptions(
                session_id=self.session_id, token=self.token(), url="https://example.com", **options
            )
        )

    def captions(self):
        return self.video.start_captions(
            CaptionsOptions(session_id=self.session_id, token=self.token(role="moderator"))
        )


def _get_archive_with_transcription(s: Scene) -> Any:
    archive = s.available_archive(output_mode="individual", has_transcription=True)
    s.video.get_archive(archive.id)
    return s.answer


def _stopped_render(s: Scene) -> Any:
    render = s.render()
    s.video.stop_experience_composer(render.id)
    s.video.get_experience_composer(render.id)
    return s.answer


def _listed_archives(s: Scene) -> Any:
    s.available_archive(multi_archive_tag="one")
    s.archive(multi_archive_tag="two", stream_mode="manual", max_bitrate=2_000_000)
    s.video.list_archives(ListArchivesFilter())
    return s.answer


def _listed_renders(s: Scene) -> Any:
    s.video.stop_experience_composer(s.render().id)
    s.render()
    s.video.list_experience_composers(ListExperienceComposersFilter())
    return s.answer


def _listed_broadcasts(s: Scene) -> Any:
    s.broadcast(multi_broadcast_tag="one")
    s.broadcast(multi_broadcast_tag="two")
    s.video.list_broadcasts(ListBroadcastsFilter())
    return s.answer


def _stop_broadcast_timeout(s: Scene) -> Any:
    broadcast = s.broadcast()
    s.server.faults.script(r"/stop$", [Fault(status=504)])
    return s.error(lambda: s.video.stop_broadcast(broadcast.id))


def _sip_call(s: Scene) -> Any:
    sip = SipOptions(uri="sip:user@sip.example.com")
    s.video.initiate_sip_call(InitiateSipRequest(session_id=s.session_id, token=s.token(), sip=sip))
    return s.answer


def _audio_connector(s: Scene) -> Any:
    websocket = AudioConnectorWebSocket(uri="wss://example.com/ws")
    s.video.start_audio_connector(AudioConnectorOptions(session_id=s.session_id, token=s.token(), websocket=websocket))
    return s.answer


def _changed_layout_classes(s: Scene) -> Any:
    items = [StreamLayout(id=s.stream_id, layout_class_list=["full"])]
    s.video.change_stream_layout(s.session_id, StreamLayoutOptions(items=items))
    return s.answer


def _started_archive(s: Scene) -> Any:
    archive = s.archive(multi_archive_tag="my-multi-archive", stream_mode="manual", max_bitrate=2_000_000)
    s.video.add_stream_to_archive(archive.id, AddStreamRequest(stream_id=s.stream_id))
    s.video.get_archive(archive.id)
    return s.answer


def _answer_of(call: Callable[[Scene], Any]) -> Callable[[Scene], Any]:
    """A producer that makes one SDK call and takes its raw answer."""

    def produce(s: Scene) -> Any:
        call(s)
        return s.answer

    return produce


def _second_captions(s: Scene) -> Any:
    s.captions()
    return s.error(s.captions)


def _same_broadcast_tag(s: Scene) -> Any:
    s.broadcast(multi_broadcast_tag="t")
    return s.error(lambda: s.broadcast(multi_broadcast_tag="t"))


#: sample file -> how the emulator produces the same answer.
PRODUCERS: dict[str, Callable[[Scene], Any]] = {
    "archive.json": _started_archive,
    "archive_with_transcription.json": _get_archive_with_transcription,
    "audio_connector.json": _audio_connector,
    "broadcast.json": _answer_of(lambda s: s.broadcast()),
    "captions_error_already_enabled.json": _second_captions,
    "change_stream_layout.json": _changed_layout_classes,
    "create_session.json": _answer_of(lambda s: s.video.create_session(SessionOptions(media_mode="routed"))),
    "delete_archive_error.json": lambda s: s.error(lambda: s.video.delete_archive(s.archive().id)),
    "get_experience_composer.json": _stopped_render,
    "get_stream.json": _answer_of(lambda s: s.video.get_stream(s.session_id, s.stream_id)),
    "initiate_sip_call.json": _sip_call,
    "list_archives.json": _listed_archives,
    "list_archives_with_transcription.json": _listed_archives,
    "list_broadcasts.json": _listed_broadcasts,
    "list_broadcasts_next_page.json": _listed_broadcasts,
    "list_experience_composers.json": _listed_renders,
    "list_streams.json": _answer_of(lambda s: s.video.list_streams(s.session_id)),
    "start_broadcast_error.json": _same_broadcast_tag,
    "start_captions.json": _answer_of(lambda s: s.captions()),
    "start_experience_composer.json": _answer_of(
        lambda s: s.render(properties=ExperienceComposerProperties(name="test_experience_composer"))
    ),
    "stop_archive.json": _answer_of(lambda s: s.video.stop_archive(s.archive(multi_archive_tag="start-to-stop").id)),
    "stop_archive_error.json": lambda s: s.error(lambda: s.video.stop_archive(s.available_archive().id)),
    "stop_broadcast.json": _answer_of(lambda s: s.video.stop_broadcast(s.broadcast().id)),
    "stop_broadcast_timeout_error.json": _stop_broadcast_timeout,
}


def test_every_sample_is_compared_or_explained(vonage_samples):
    assert set(vonage_samples) == set(PRODUCERS) | set(NOT_EMULATED)


@pytest.mark.parametrize("sample", sorted(PRODUCERS))
def test_the_answer_has_the_samples_shape(
    sample, vonage_samples, vonage_server, vonage_client, vonage_session, vonage_join
):
    expected = vonage_samples[sample]
    answer = PRODUCERS[sample](Scene(vonage_server, vonage_client, vonage_session, vonage_join))
    if isinstance(expected, dict) and "items" in expected:  # a list: the same kinds of items
        assert set(answer) == set(expected)
        assert {repr(shape(item)) for item in answer["items"]} == {repr(shape(item)) for item in expected["items"]}
    else:
        assert differences(expected, answer) == []


def _legacy(s: Scene) -> OpenTokProject:
    credentials = s.server.credentials
    return OpenTokProject(s.server.base_url, credentials["api_key"], credentials["api_secret"])


def _started_archive_with_transcription(s: Scene) -> Any:
    s.archive(output_mode="individual", has_transcription=True)
    return s.answer


def _got_broadcast(s: Scene) -> Any:
    broadcast = s.broadcast(multi_broadcast_tag="test-broadcast-1")
    s.video.get_broadcast(broadcast.id)
    return {"count": 1, "items": [s.answer]}


def _legacy_session(s: Scene) -> Any:
    return _legacy(s).create_session().json()


def _legacy_sip_call(s: Scene) -> Any:
    project = _legacy(s)
    session_id = project.session_id()
    s.server.control.join(project.jwt_token(session_id)).publish()
    body = {"sessionId": session_id, "token": project.t1_token(session_id), "sip": {"uri": "sip:user@sip.example.com"}}
    return project.post_json(f"/v2/project/{project.api_key}/dial", body).json()


#: More answers each sample describes: another moment of the same object, or the
#: same operation made with the legacy project credentials (id -> sample, producer).
MORE_PRODUCERS: dict[str, tuple[str, Callable[[Scene], Any]]] = {
    "started archive with transcription": ("archive_with_transcription.json", _started_archive_with_transcription),
    "broadcast got after its start": ("list_broadcasts.json", _got_broadcast),
    "session created with the api key": ("create_session.json", _legacy_session),
    "sip call dialled with a T1 token": ("initiate_sip_call.json", _legacy_sip_call),
}


@pytest.mark.parametrize("case", sorted(MORE_PRODUCERS))
def test_more_answers_have_their_samples_shape(
    case, vonage_samples, vonage_server, vonage_client, vonage_session, vonage_join
):
    sample, produce = MORE_PRODUCERS[case]
    answer = produce(Scene(vonage_server, vonage_client, vonage_session, vonage_join))
    expected = vonage_samples[sample]
    if isinstance(expected, dict) and "items" in expected:
        assert {repr(shape(item)) for item in answer["items"]} <= {repr(shape(item)) for item in expected["items"]}
    else:
        assert differences(expected, answer) == []


def test_the_comparison_notices_a_missing_nested_key():
    expected = {"id": "a", "settings": {"hls": {"dvr": True, "lowLatency": False}}, "maxBitrate": 1}
    answer = {"id": "b", "settings": {"hls": {"dvr": False}}}
    assert differences(expected, answer) == [".settings.hls: missing ['lowLatency']"]
