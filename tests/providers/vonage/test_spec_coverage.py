"""Every operation of the Vonage Video spec is reachable through anyvideo: the core API
or the typed extension ``video.ext``, never ``video.native``.

:data:`COVERAGE` maps each operation of ``vonage_video.yml`` (method, path template)
to a step that drives it against the emulator; the emulator records every request
it answers. The test enumerates the spec's operations: one without a step fails
(a spec that grows needs an entry), and so does one the steps never made the
emulator see, answered with success.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.specs import VONAGE_SPEC, RecordsExchanges, load_spec

from anyvideo import Layout, Room, Video
from anyvideo.testing import EmulatorControl
from anyvideo_vonage import AudioConnector, RenderSpec, SipCall
from anyvideo_vonage.emulator import VonageEmulator

METHODS = ("get", "put", "post", "delete", "patch")


class RecordingVonage(RecordsExchanges, VonageEmulator):
    """The Vonage emulator, keeping each REST exchange it answers."""


class Scene:
    """What the steps share: the connection, a room with a publishing client, and
    what earlier steps made (archives, broadcasts, calls, …), by name."""

    def __init__(self, video: Video, emulator: RecordingVonage) -> None:
        self.video = video
        self.emulator = emulator
        self.browser: EmulatorControl = video.backend.browser()  # type: ignore[attr-defined]
        self.made: dict[str, Any] = {}

    @property
    def room(self) -> Room:
        if "room" not in self.made:
            self.made["room"] = self.video.rooms.create("coverage")
        return self.made["room"]  # type: ignore[no-any-return]

    def publisher(self) -> tuple[str, str]:
        """(participant id, stream id) of a client that joined the room and publishes."""
        if "publisher" not in self.made:
            ann = self.browser.join(self.video.tokens.create(self.room, "ann"))
            self.made["publisher"] = (ann.participant_id, ann.publish())
        return self.made["publisher"]  # type: ignore[no-any-return]

    def live_room(self, name: str) -> Room:
        """Another room, with a client publishing: for a step that ends what it starts."""
        room = self.video.rooms.create(name)
        self.browser.join(self.video.tokens.create(room, "ann")).publish()
        return room

    def once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self.made:
            self.made[name] = make()
        return self.made[name]

    def archive(self) -> Any:
        self.publisher()
        return self.once(
            "archive", lambda: self.video.recordings.start(self.room, provider_options={"stream_mode": "manual"})
        )

    def broadcast(self) -> Any:
        self.publisher()
        options = {"stream_mode": "manual"}
        return self.once(
            "broadcast",
            lambda: self.video.compositions.start(self.room, output="live", hls=True, provider_options=options),
        )

    def sip(self) -> Any:
        return self.once("sip", lambda: self.video.ext.dial_sip(self.room.id, SipCall("sip:conf@sip.example.com")))

    def render(self) -> Any:
        return self.once(
            "render", lambda: self.video.ext.start_render(self.room.id, RenderSpec("https://app.example.com/board"))
        )

    def captions(self) -> Any:
        self.publisher()
        return self.once("captions", lambda: self.video.ext.start_captions(self.room.id))


def _stop_archive(s: Scene) -> None:
    s.video.recordings.stop(s.video.recordings.start(s.live_room("archive stopped")))


def _delete_archive(s: Scene) -> None:
    archive = s.video.recordings.stop(s.video.recordings.start(s.live_room("archive deleted")))
    s.emulator.control.advance(5)  # processed: available, deletable
    s.video.recordings.delete(archive)


def _stop_broadcast(s: Scene) -> None:
    s.video.compositions.stop(s.video.compositions.start(s.live_room("broadcast stopped"), output="live", hls=True))


P = "/v2/project/{application_id}"
S = P + "/session/{session_id}"

#: Each operation of the spec (method, path template) and the step that reaches it through anyvideo.
COVERAGE: dict[tuple[str, str], Callable[[Scene], object]] = {
    ("POST", "/session/create"): lambda s: s.room,
    ("POST", S + "/signal"): lambda s: s.video.signals.send(s.room, "chat", "hello"),
    ("POST", S + "/connection/{connection_id}/signal"): lambda s: s.video.signals.send(
        s.room, "chat", "hi", to=s.publisher()[0]
    ),
    ("DELETE", S + "/connection/{connection_id}"): lambda s: s.video.participants.disconnect(
        s.room, s.browser.join(s.video.tokens.create(s.room, "bob")).participant_id
    ),
    ("GET", S + "/stream/{stream_id}"): lambda s: s.video.streams.get(s.room, s.publisher()[1]),
    ("GET", S + "/stream"): lambda s: list(s.video.streams.list(s.room)),
    ("PUT", S + "/stream"): lambda s: s.video.ext.set_layout_classes(s.room.id, {s.publisher()[1]: ["focus"]}),
    ("POST", S + "/stream/{stream_id}/mute"): lambda s: s.video.streams.mute(s.room, s.publisher()[1]),
    ("POST", S + "/mute"): lambda s: s.video.streams.mute_all(s.room),
    ("GET", S + "/connection"): lambda s: list(s.video.participants.list(s.room)),
    ("POST", S + "/migrate"): lambda s: (s.publisher(), s.video.ext.migrate_room(s.room.id)),
    ("GET", P + "/archive"): lambda s: list(s.video.recordings.list(room=s.room)),
    ("POST", P + "/archive"): lambda s: s.archive(),
    ("GET", P + "/archive/{archive_id}"): lambda s: s.video.recordings.get(s.archive()),
    ("DELETE", P + "/archive/{archive_id}"): _delete_archive,
    ("PATCH", P + "/archive/{archive_id}/streams"): lambda s: s.video.ext.add_recording_stream(
        s.archive().id, s.publisher()[1]
    ),
    ("POST", P + "/archive/{archive_id}/stop"): _stop_archive,
    ("PUT", P + "/archive/{archive_id}/layout"): lambda s: s.video.ext.change_recording_layout(
        s.archive().id, Layout.pip()
    ),
    ("POST", P + "/dial"): lambda s: s.sip(),
    ("POST", "/v2/projects/{application_id}/session/{session_id}/play-dtmf"): lambda s: s.video.ext.play_dtmf(
        s.room.id, "1234#"
    ),
    ("POST", "/v2/projects/{application_id}/session/{session_id}/connection/{connection_id}/play-dtmf"): lambda s: (
        s.video.ext.play_dtmf(s.room.id, "9", participant_id=s.sip().connection_id)
    ),
    ("GET", P + "/broadcast"): lambda s: list(s.video.compositions.list(room=s.room)),
    ("POST", P + "/broadcast"): lambda s: s.broadcast(),
    ("GET", P + "/broadcast/{broadcast_id}"): lambda s: s.video.compositions.get(s.broadcast()),
    ("POST", P + "/broadcast/{broadcast_id}/stop"): _stop_broadcast,
    ("PUT", P + "/broadcast/{broadcast_id}/layout"): lambda s: s.video.ext.change_composition_layout(
        s.broadcast().id, Layout.pip()
    ),
    ("PATCH", P + "/broadcast/{broadcast_id}/streams"): lambda s: s.video.ext.add_composition_stream(
        s.broadcast().id, s.publisher()[1]
    ),
    ("POST", P + "/captions"): lambda s: s.captions(),
    ("POST", P + "/captions/{captions_id}/stop"): lambda s: s.video.ext.stop_captions(s.captions()),
    ("POST", P + "/connect"): lambda s: s.video.ext.start_audio_connector(
        s.room.id, AudioConnector("wss://ai.example.com/socket", audio_rate=16000)
    ),
    ("POST", P + "/render"): lambda s: s.render(),
    ("GET", P + "/render"): lambda s: list(s.video.ext.list_renders()),
    ("GET", P + "/render/{experience_composer_id}"): lambda s: s.video.ext.get_render(s.render().id),
    ("DELETE", P + "/render/{experience_composer_id}"): lambda s: s.video.ext.stop_render(s.render().id),
}


def spec_operations() -> list[tuple[str, str]]:
    """Every (method, path template) of the Vonage Video spec."""
    spec = load_spec(VONAGE_SPEC)
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in METHODS]


def matches(template: str, path: str) -> bool:
    """Whether a request path is an instance of the spec's template. The spec writes DTMF
    under ``/v2/projects/``, the SDKs (and anyvideo) ``/v2/project/``: either counts."""
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
    alternatives = {pattern, pattern.replace("/v2/projects/", "/v2/project/")}
    return any(re.fullmatch(alternative, path) for alternative in alternatives)


@pytest.fixture
def scene(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    with RecordingVonage(tls=True) as emulator:
        for variable, value in emulator.client_environment.items():
            if value is not None:
                monkeypatch.setenv(variable, value)
        yield Scene(emulator.connect(), emulator)


def test_every_spec_operation_has_a_step() -> None:
    operations = spec_operations()
    missing = [f"{method} {path}" for method, path in operations if (method, path) not in COVERAGE]
    assert not missing, "spec operations no step reaches through anyvideo:\n" + "\n".join(missing)
    stale = [f"{method} {path}" for method, path in COVERAGE if (method, path) not in operations]
    assert not stale, "steps for operations the spec does not have:\n" + "\n".join(stale)


def test_every_spec_operation_is_reached_through_anyvideo(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    operations = spec_operations()
    reached = []
    for method, template in operations:
        before = len(scene.emulator.exchanges)
        COVERAGE[method, template](scene)
        seen = scene.emulator.exchanges[before:]
        if any(
            request.method == method and matches(template, request.path) and 200 <= response.status < 300
            for request, response in seen
        ):
            reached.append((method, template))
    missed = [f"{method} {path}" for method, path in operations if (method, path) not in reached]
    with capsys.disabled():
        print(f"\nVonage Video spec: {len(reached)}/{len(operations)} operations reached through anyvideo")
    assert not missed, "steps that did not reach their operation:\n" + "\n".join(missed)
    assert len(reached) == len(operations) == 34
