"""One event per transition of a Twilio recording window, whichever receiver parses which
track's callback, and whenever: the callbacks the emulator sent are parsed by receivers that
start afresh, run side by side, or are raced by the application's stop."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anyvideo import EventType, Recording, RecordingMode, RecordingStatus, StreamKind, Video
from anyvideo.registry import Registry
from anyvideo.webhooks import Transitions, WebhookRequest
from anyvideo_twilio.webhooks import CallbackParser, window_outcome
from anyvideo_twilio.windows import NOTHING_TO_COMPOSE, RecordingWindows

HOOK = "http://127.0.0.1:9/twilio/status"  # nobody listens: the emulator records what it sent


def sent(control, since: int = 0) -> list[dict[str, Any]]:
    """The callbacks the emulator sent to ``HOOK`` (from the ``since``-th on)."""
    return [d for d in control.callbacks() if d["url"].startswith(HOOK)][since:]


def parse(video: Video, delivery: dict[str, Any]):
    return video.webhooks.parse(delivery["method"], delivery["url"], delivery["headers"], delivery["body"])


def core(events) -> list[tuple[str, str]]:
    """(type, subject id) of the core recording events, in order."""
    return [(str(e.type), e.subject.id) for e in events if e.type.startswith("recording.")]


@pytest.fixture
def shared(tmp_path: Path) -> str:
    return str(tmp_path / "registry.sqlite")


def recorded_meeting(app: Video, control, identities=("ann",)) -> Recording:
    """Each identity publishes a microphone and a camera; a window records them, stops, and is processed."""
    room = app.rooms.create("recorded", provider_options={"status_callback": HOOK})
    devices = app.backend.browser()
    for identity in identities:
        client = devices.join(app.tokens.create(room, identity))
        client.publish(StreamKind.AUDIO, name=f"{identity}-mic")
        client.publish(StreamKind.VIDEO, name=f"{identity}-cam")
    recording = app.recordings.start(room, mode="individual")
    control.advance(2)
    app.recordings.stop(recording)
    control.advance(5)
    return recording


def recording_callbacks(control) -> list[dict[str, Any]]:
    return [d for d in sent(control) if "=recording-" in d["body"]]


def test_a_receiver_started_afresh_for_each_callback_announces_each_transition_once(connect_twilio, control, shared):
    recording = recorded_meeting(connect_twilio(registry=shared), control)
    events = []
    for delivery in recording_callbacks(control):
        receiver = connect_twilio(registry=shared)  # a new process: it knows only the registry
        events += parse(receiver, delivery)
        receiver.close()
    assert core(events) == [("recording.started", recording.id), ("recording.available", recording.id)]


def test_receivers_side_by_side_announce_each_transition_once(connect_twilio, control, shared):
    recording = recorded_meeting(connect_twilio(registry=shared), control, identities=("ann", "bob", "cy"))
    callbacks = recording_callbacks(control)
    receivers = [connect_twilio(registry=shared) for _ in range(3)]
    with ThreadPoolExecutor(len(callbacks)) as pool:
        parsed = list(pool.map(lambda i: parse(receivers[i % 3], callbacks[i]), range(len(callbacks))))
    announced = sorted(core(e for events in parsed for e in events))
    assert announced == [("recording.available", recording.id), ("recording.started", recording.id)]
    assert sum(len(events) for events in parsed) == len(callbacks) + 2  # a track event each, and the two


class SteppingRegistry(Registry):
    """A registry connection that runs ``step`` once, right after the first entry it reads."""

    def __init__(self, path: str, namespace: str, step) -> None:
        super().__init__(path, namespace=namespace)
        self._step = step

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        entry = super().get(kind, key)
        if self._step is not None:
            step, self._step = self._step, None
            step()
        return entry


def test_a_stop_landing_while_a_receiver_reads_leaves_the_track_its_windows(connect_twilio, control, shared):
    """The stray ``recording.started`` of a single track: a track published while a window is
    open starts recording; the receiver read that its track recording was claimed by no
    window, the application's stop then claimed it and closed the window, and the receiver
    found no open window: a recording of its own."""
    app = connect_twilio(registry=shared)
    room = app.rooms.create("raced", provider_options={"status_callback": HOOK})
    ann = app.backend.browser().join(app.tokens.create(room, "ann"))
    recording = app.recordings.start(room, mode="individual")
    ann.publish(StreamKind.AUDIO, name="mic")  # recorded from now on: no window has claimed it yet
    [started] = [d for d in sent(control) if "=recording-started" in d["body"]]
    backend = connect_twilio(registry=shared).backend  # the receiver
    registry = SteppingRegistry(shared, backend.registry.namespace, lambda: app.recordings.stop(recording))
    windows = RecordingWindows(backend.transport, registry, backend.settings, backend.get_room)
    parser = CallbackParser(backend.settings.auth_tokens, windows, Transitions(registry))
    request = WebhookRequest(started["method"], started["url"], started["headers"], started["body"])
    events = parser.parse(request)
    assert app.recordings.get(recording).status is not RecordingStatus.RECORDING  # the stop did land meanwhile
    assert [e.type for e in events] == ["twilio.track_recording_started", "recording.started"]
    assert events[1].subject.id == recording.id and events[0].subject.raw["window_id"] == recording.id


def test_a_composed_window_is_available_with_its_composition_not_with_its_tracks(connect_twilio, control):
    app = connect_twilio(status_callback=HOOK)  # the window's composition calls back there too
    room = app.rooms.create("composed")
    ann = app.backend.browser().join(app.tokens.create(room, "ann"))
    ann.publish(StreamKind.AUDIO, name="mic")
    ann.publish(StreamKind.VIDEO, name="cam")
    recording = app.recordings.start(room, mode="composed")
    control.advance(2)
    app.recordings.stop(recording)
    control.advance(5)  # the track recordings complete; Twilio composes only once the room ended
    so_far = sent(control)
    before = [e for d in so_far for e in parse(app, d)]
    assert core(before) == [("recording.started", recording.id)]
    assert [e.type for e in before].count("twilio.track_recording_completed") == 2
    app.rooms.end(room)  # the window's composition is asked for
    control.advance(60)
    after = [e for d in sent(control, len(so_far)) for e in parse(app, d)]
    composition = [e for e in after if e.type.startswith("composition.")]
    assert [e.type for e in composition] == [EventType.COMPOSITION_STARTED, EventType.COMPOSITION_AVAILABLE]
    assert core(after) == [("recording.available", recording.id)]
    [available] = [e for e in after if e.type == EventType.RECORDING_AVAILABLE]
    assert after.index(available) == after.index(composition[-1]) + 1  # told by the composition's callback
    assert available.subject.raw["composition"]["status"] == "completed"


def window(mode: RecordingMode, status: RecordingStatus, composition: str | None = None) -> Recording:
    raw = {} if composition is None else {"composition": {"sid": None, "status": composition}}
    return Recording(
        id="win_" + "0" * 24,
        provider="twilio",
        room_id="RM" + "0" * 32,
        mode=mode,
        status=status,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        raw=raw,
    )


IND, COMP = RecordingMode.INDIVIDUAL, RecordingMode.COMPOSED
AVAILABLE, FAILED, PROCESSING = RecordingStatus.AVAILABLE, RecordingStatus.FAILED, RecordingStatus.PROCESSING

#: A stopped window as Twilio has it -> the event it has arrived at (None: not yet).
OUTCOMES = [
    (window(IND, PROCESSING), None),
    (window(IND, AVAILABLE), EventType.RECORDING_AVAILABLE),
    (window(IND, FAILED), EventType.RECORDING_FAILED),
    (window(IND, RecordingStatus.DELETED), None),
    (window(COMP, PROCESSING, "waiting-for-room-end"), None),
    (window(COMP, AVAILABLE, "waiting-for-room-end"), None),
    (window(COMP, AVAILABLE, "enqueued"), None),
    (window(COMP, AVAILABLE, "processing"), None),
    (window(COMP, PROCESSING, "completed"), None),  # as windows.py may come to say it while composing
    (window(COMP, AVAILABLE, "completed"), EventType.RECORDING_AVAILABLE),
    (window(COMP, AVAILABLE, NOTHING_TO_COMPOSE), EventType.RECORDING_AVAILABLE),
    (window(COMP, AVAILABLE, "failed"), EventType.RECORDING_FAILED),
    (window(COMP, FAILED, "failed"), EventType.RECORDING_FAILED),
    (window(COMP, FAILED, "waiting-for-room-end"), EventType.RECORDING_FAILED),  # a track failed
]


@pytest.mark.parametrize(("recording", "expected"), OUTCOMES)
def test_where_a_stopped_window_has_arrived(recording: Recording, expected: str | None) -> None:
    assert window_outcome(recording) == expected
