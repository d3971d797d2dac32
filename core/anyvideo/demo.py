"""A scripted meeting, run against any backend that can play participants.

Room created → three participants join with tokens → streams published →
a composed recording is started and stopped → the room ends → the recording
is waited for (``video.recordings.wait``) and its one mixed file downloaded →
the events received are counted. Each step is printed as a line
of a timeline; any failure raises, so ``anyvideo demo`` exits non-zero.
"""

from __future__ import annotations

import collections
import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from anyvideo.backend import Feature
from anyvideo.client import Video
from anyvideo.errors import AnyVideoError, Forbidden
from anyvideo.hookspecs import hookimpl
from anyvideo.models import Event, Layout, Recording, Role, StreamKind, VideoSource

__all__ = ["run_demo"]

#: How long the demo waits for a recording to be processed before it gives up.
PROCESSING_TIMEOUT = 120.0


class DemoFailed(AnyVideoError):
    """The scripted meeting did not go as a working platform would make it go."""


class _Timeline:
    """Prints each step, then the events that step caused, indented beneath it."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._start = time.monotonic()
        self._events: list[str] = []

    def step(self, what: str, detail: str = "") -> None:
        self._write(f"{time.monotonic() - self._start:6.2f}s  {what:<21} {detail}".rstrip())
        for event in self._events:
            self._write(f"{'':9}· {event}")
        self._events.clear()

    def event(self, event: Event) -> None:
        self._events.append(event.type)


class _EventLog:
    """An ``anyvideo_event`` hook implementation: the demo listens like any plugin."""

    def __init__(self, timeline: _Timeline) -> None:
        self.timeline = timeline
        self.events: list[Event] = []

    @hookimpl
    def anyvideo_event(self, event: Event, video: Video) -> None:
        self.events.append(event)
        self.timeline.event(event)


def run_demo(
    video: Video,
    write: Callable[[str], object] = print,
    *,
    output: Path | None = None,
    record_seconds: float = 1.0,
    progress: Callable[[float], object] | None = None,
) -> Recording:
    """Run the scripted meeting on ``video``; returns the processed recording.

    ``output`` is a folder to keep the recording's file in (made if missing;
    default: a temporary folder, removed afterwards); ``progress`` is called
    with the seconds waited so far while the recording is processed.
    """
    timeline = _Timeline(write)
    log = _EventLog(timeline)
    video.plugins.manager.register(log)
    try:
        return _meeting(video, timeline, log, output, record_seconds, progress)
    finally:
        video.plugins.manager.unregister(log)


def _meeting(
    video: Video,
    timeline: _Timeline,
    log: _EventLog,
    output: Path | None,
    record_seconds: float,
    progress: Callable[[float], object] | None,
) -> Recording:
    timeline.step("demo starting", f"on the {video.backend_name} backend")
    browser = video.backend.browser()

    room = video.rooms.create(f"demo-{secrets.token_hex(3)}")
    timeline.step("room created", f"{room.name} ({room.ref})")

    with_roles = video.supports(Feature.TOKEN_ROLES)
    if with_roles:
        cast = [("alice", Role.MODERATOR), ("bob", Role.PUBLISHER), ("carol", Role.SUBSCRIBER)]
    else:  # every token may publish: carol simply does not
        cast = [("alice", Role.PUBLISHER), ("bob", Role.PUBLISHER), ("carol", Role.PUBLISHER)]
    tokens = {name: video.tokens.create(room, name, role=role, ttl=600) for name, role in cast}
    timeline.step("tokens minted", ", ".join(f"{name} ({role})" for name, role in cast))

    clients = {}
    for name, _ in cast:
        clients[name] = browser.join(tokens[name])
        timeline.step("participant joined", name)

    clients["alice"].publish(StreamKind.AUDIO_VIDEO, name="alice-camera", video_source=VideoSource.CAMERA)
    clients["bob"].publish(StreamKind.AUDIO_VIDEO, name="bob-camera", video_source=VideoSource.CAMERA)
    clients["alice"].publish(StreamKind.VIDEO, name="alice-slides", video_source=VideoSource.SCREEN)
    streams = list(video.streams.list(room))
    timeline.step("streams published", ", ".join(s.name or s.id for s in streams))
    if with_roles:
        try:
            clients["carol"].publish()
        except Forbidden:
            timeline.step("publish refused", "carol holds a subscriber token")
        else:
            raise DemoFailed("a subscriber token was allowed to publish")
    else:
        timeline.step("no token roles", f"{video.backend_name} tokens all publish; carol only watches")

    recording = video.recordings.start(room, layout=Layout.grid(), resolution="1280x720", name="demo")
    timeline.step("recording started", f"composed, grid, 1280x720 ({recording.ref})")
    time.sleep(record_seconds)
    recording = video.recordings.stop(recording)
    timeline.step("recording stopped", f"{recording.status}, {recording.duration or 0:.1f}s captured")

    clients["bob"].leave()
    timeline.step("participant left", "bob")
    ended = video.rooms.end(room)  # some providers mix a composed recording only once its room has ended
    timeline.step("room ended", f"{ended.status}")

    recording = video.recordings.wait(recording, timeout=PROCESSING_TIMEOUT, progress=progress)
    if len(recording.files) != 1:
        raise DemoFailed(f"a composed recording is one mixed file; this one has {len(recording.files)}")
    file = recording.files[0]
    timeline.step("recording available", f"1 file, {file.size or 0:,} bytes")

    with contextlib.ExitStack() as cleanup:
        folder = output or Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="anyvideo-demo-")))
        saved = video.recordings.download(recording, f"{folder}{os.sep}")
        where = str(saved) if output else saved.name
        if file.sha256:
            checked = f"sha256 {file.sha256[:12]}… verified"
        else:
            checked = "size verified" if file.size is not None else "the provider gave nothing to verify against"
        timeline.step("recording downloaded", f"{where}, {checked}")

    counts = collections.Counter(e.type for e in log.events)
    if not counts:
        timeline.step("events received", "none (this backend delivers events by webhook)")
    else:
        summary = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in counts.items())
        timeline.step("events received", f"{len(log.events)}: {summary}")
    return recording
