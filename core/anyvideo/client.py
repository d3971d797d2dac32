"""The facade applications use: ``anyvideo.connect()`` → :class:`Video`.

Every method validates its input and checks the backend's features before
the backend is called, so bad input and unsupported requests fail here, with
nothing sent to a provider.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol, TypeVar, cast

import attrs

from anyvideo import operations
from anyvideo.backend import Backend, Feature
from anyvideo.config import select_backend
from anyvideo.errors import (
    AnyVideoError,
    ConfigurationError,
    Conflict,
    InvalidRequest,
    ProviderError,
    UnsupportedFeature,
)
from anyvideo.extensions import VideoExtensions
from anyvideo.messaging import Channel, DialIn, Invitation, Verification
from anyvideo.models import (
    AccessToken,
    Composition,
    CompositionOutput,
    CompositionStatus,
    Event,
    Layout,
    MediaFile,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingMode,
    RecordingStatus,
    Resolution,
    Role,
    Room,
    RoomStatus,
    RtmpTarget,
    Stream,
    make_ref,
    split_ref,
)
from anyvideo.operations import optional_enum
from anyvideo.phone import Phone
from anyvideo.placement import check_selectors
from anyvideo.plugins import Plugins
from anyvideo.registry import Registry
from anyvideo.waiting import COMPOSITION_LIFE, INTERVAL, MAX_INTERVAL, RECORDING_LIFE, Life, Waits
from anyvideo.webhooks import HandledEvents, WebhookRequest

__all__ = ["MANIFEST", "Video", "connect"]

#: The file an individual recording's folder download writes last: whose each file is.
MANIFEST = "manifest.json"
_CHUNK = 1 << 16

#: One per-stream file a bundle holds, with a readable of its bytes.
_Part = tuple[MediaFile, BinaryIO]


_T = TypeVar("_T")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def provider(self) -> str: ...


#: An object given by model, by native id, or by ref (``"local:rm_…"``).
ObjectRef = str | _HasId


def connect(
    backend: str | None = None,
    *,
    plugins: Plugins | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> Video:
    """Connect to a video backend.

    ``backend`` names it (default: ``ANYVIDEO_BACKEND``, else ``local``);
    ``settings`` are passed to the backend, which reads the rest of its
    configuration from ``environ`` (default: the process environment).
    """
    environ = dict(os.environ if environ is None else environ)
    plugins = plugins or Plugins(environ=environ)
    name = select_backend(backend, environ)
    return Video(plugins.backend(name).from_settings(settings, environ), plugins)


class Video:
    """One connection to one backend, with the operations grouped by object:
    ``rooms``, ``participants``, ``streams``, ``tokens``, ``recordings``,
    ``compositions``, ``signals``, ``webhooks``, ``phone`` (phone participants), ``verify``
    (phone verification); ``invite``, which sends a room's join link to a phone; and ``ext``,
    the backend's provider extensions (:class:`~anyvideo.extensions.VideoExtensions`).
    """

    def __init__(self, backend: Backend, plugins: Plugins | None = None) -> None:
        self.backend = backend
        self.plugins = plugins or Plugins()
        self._waits = Waits()
        backend.attach(self.dispatch)
        self.rooms = Rooms(self)
        self.participants = Participants(self)
        self.streams = Streams(self)
        self.tokens = Tokens(self)
        self.recordings = Recordings(self)
        self.compositions = Compositions(self)
        self.signals = Signals(self)
        self.webhooks = Webhooks(self)
        self.verify = Verify(self)
        self.phone = Phone(self)
        self.ext = VideoExtensions(self)

    def __repr__(self) -> str:
        return f"Video(backend={self.backend_name!r})"

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the backend's connections and files."""
        self.backend.close()

    @property
    def backend_name(self) -> str:
        """The name of the backend this ``Video`` drives (``"local"``, say): what ``ANYVIDEO_BACKEND`` selects."""
        return self.backend.name

    @property
    def native(self) -> Any:
        """The backend's provider client, for what anyvideo does not cover."""
        return self.backend.native

    @property
    def features(self) -> frozenset[Feature]:
        """What the backend can do beyond the core operations (:meth:`supports` asks for one)."""
        return self.backend.features

    def supports(self, feature: Feature) -> bool:
        """Whether the backend can do ``feature``; ask before calling, or catch UnsupportedFeature."""
        return feature in self.backend.features

    def require(self, *features: Feature) -> None:
        """Raise :class:`UnsupportedFeature` unless the backend has one of ``features``."""
        if any(f in self.backend.features for f in features):
            return
        feature = features[0]
        hint = self.backend.feature_hints.get(feature)
        able = [name for name, cls in self.plugins.backends().items() if feature in cls.features]
        elsewhere = f"backends installed here that can: {', '.join(able)}" if able else ""
        raise UnsupportedFeature(feature, self.backend_name, "; ".join(p for p in (hint, elsewhere) if p) or None)

    def invite(
        self,
        room: ObjectRef,
        to: str,
        channel: Channel | str = Channel.SMS,
        *,
        link: str | None = None,
        dial_in: DialIn | None = None,
        text: str | None = None,
        sender: str | None = None,
    ) -> Invitation:
        """Send the room's join link to the phone ``to`` (E.164) on ``channel``
        (:attr:`~anyvideo.Feature.INVITATIONS`; ``docs/invitations.md``).

        ``link`` is the join URL, or a template naming ``{room}`` (the room's id) or ``{name}``
        (its unique name); default: ``ANYVIDEO_INVITE_URL``. With ``dial_in`` (a
        :class:`~anyvideo.messaging.DialIn`), the number and PIN follow. ``text`` replaces the
        message's template (``{link}``, ``{number}``, ``{pin}``); ``sender`` the backend's sender.
        """
        return operations.run(self, operations.invite(self, room, to, channel, link, dial_in, text, sender))

    def dispatch(self, event: Event) -> None:
        """Hand ``event`` to every ``anyvideo_event`` hook implementation, then wake the
        waits (``recordings.wait``, ``compositions.wait``) it may concern."""
        try:
            results = self.plugins.manager.hook.anyvideo_event(event=event, video=self)
            awaited = [result for result in results if inspect.isawaitable(result)]
            for result in awaited:
                getattr(result, "close", lambda: None)()  # never run: no "never awaited" warning
            if awaited:
                raise ConfigurationError(
                    "an async anyvideo_event hook is registered: events reach it through an anyvideo.aio.Video only"
                )
        finally:
            self._waits.notify(event)

    def _id(self, value: ObjectRef, field: str) -> str:
        """The native id in ``value``: a model, a ref or a bare id.

        A backend that routes between providers (``accepts_refs``) gets the
        ref itself, so it knows which provider holds the object.
        """
        if self.backend.accepts_refs:
            if isinstance(value, str):
                ref = value
            elif hasattr(value, "id") and hasattr(value, "provider"):
                ref = make_ref(value.provider, value.id)
            else:
                raise InvalidRequest(field, f"expected an id, a ref or a model object, got {type(value).__name__}")
            if not split_ref(ref)[1]:
                raise InvalidRequest(field, "must not be empty")
            return ref
        if isinstance(value, str):
            provider, object_id = split_ref(value)
            if provider is None or provider not in self.plugins.backend_names():
                object_id = value
        elif hasattr(value, "id") and hasattr(value, "provider"):
            provider, object_id = value.provider, value.id
        else:
            raise InvalidRequest(field, f"expected an id, a ref or a model object, got {type(value).__name__}")
        if provider is not None and provider != self.backend_name and provider in self.plugins.backend_names():
            raise InvalidRequest(
                field, f"{object_id!r} belongs to the {provider} backend; this Video uses {self.backend_name}"
            )
        if not object_id:
            raise InvalidRequest(field, "must not be empty")
        return object_id

    def _check_output(self, layout: Layout | None, resolution: Resolution | None) -> None:
        if layout is not None and layout.kind not in self.backend.layouts:
            raise InvalidRequest("layout", f"{self.backend_name} cannot render a {layout.kind} layout")
        check_selectors(layout, self.backend.selectors, self.backend_name)
        allowed = self.backend.resolutions
        if resolution is not None and allowed is not None and str(resolution) not in allowed:
            raise InvalidRequest(
                "resolution", f"{self.backend_name} does not offer {resolution}; it offers {', '.join(sorted(allowed))}"
            )


class _Resource:
    def __init__(self, video: Video) -> None:
        self._video = video
        self._backend = video.backend

    def _run(self, operation: operations.Operation[_T]) -> _T:
        return operations.run(self._video, operation)


class Rooms(_Resource):
    """Create, find, list and end rooms."""

    def create(
        self,
        name: str | None = None,
        *,
        max_participants: int | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Room:
        """Open a room. ``name`` is unique among open rooms.

        Creating a room under the name of an open room returns that room, so a
        create retried after a lost answer is harmless; asking it for a
        different ``max_participants`` is a :class:`~anyvideo.errors.Conflict`.
        """
        return self._run(operations.create_room(self._video, name, max_participants, provider_options))

    def get(self, room: ObjectRef | None = None, *, name: str | None = None) -> Room:
        """A room by id (or ref, or model), or by unique ``name``."""
        return self._run(operations.get_room(self._video, room, name))

    def list(self, *, status: RoomStatus | str | None = None, name: str | None = None) -> Iterator[Room]:
        """Rooms, oldest first, fetched lazily page by page."""
        return self._run(operations.list_rooms(self._video, status, name))

    def end(self, room: ObjectRef | None = None, *, name: str | None = None) -> Room:
        """End a room: everyone is disconnected and no one can join again. Ending a room
        that has ended returns it as it is, on every backend (a retried end is harmless)."""
        return self._run(operations.end_room(self._video, room, name))


class Participants(_Resource):
    """Who is (or was) in a room."""

    def list(self, room: ObjectRef, *, status: ParticipantStatus | str | None = None) -> Iterator[Participant]:
        """The room's participants, optionally only those with this ``status``, fetched lazily."""
        return self._run(operations.list_participants(self._video, room, status))

    def get(self, room: ObjectRef, participant: ObjectRef) -> Participant:
        """One participant of the room; :class:`~anyvideo.NotFound` if there is none."""
        return self._run(operations.get_participant(self._video, room, participant))

    def disconnect(self, room: ObjectRef, participant: ObjectRef) -> None:
        """Force a participant out of the room. Disconnecting someone who has already left is
        no error, on every backend: what was asked holds."""
        self._run(operations.disconnect_participant(self._video, room, participant))


class Streams(_Resource):
    """What participants publish."""

    def list(self, room: ObjectRef) -> Iterator[Stream]:
        """The streams published in the room now."""
        return self._run(operations.list_streams(self._video, room))

    def get(self, room: ObjectRef, stream: ObjectRef) -> Stream:
        """One stream published in the room now; :class:`~anyvideo.NotFound` if there is none."""
        return self._run(operations.get_stream(self._video, room, stream))

    def mute(self, room: ObjectRef, stream: ObjectRef) -> Stream:
        """Mute one stream's audio."""
        return self._run(operations.mute_stream(self._video, room, stream))

    def mute_all(self, room: ObjectRef, *, except_streams: Iterable[ObjectRef] = ()) -> None:
        """Mute every stream's audio in the room, but those listed."""
        self._run(operations.mute_all(self._video, room, except_streams))


class Tokens(_Resource):
    """Client tokens: what a browser or app needs to join a room."""

    def create(
        self,
        room: ObjectRef,
        identity: str,
        *,
        role: Role | str = Role.PUBLISHER,
        ttl: float | timedelta = 3600,
        data: str | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> AccessToken:
        """Mint a token for ``identity`` to join ``room``, valid for ``ttl`` seconds."""
        return self._run(operations.create_token(self._video, room, identity, role, ttl, data, provider_options))


class _Media(_Resource):
    """Download and waiting, shared by recordings and compositions."""

    #: What errors call the item, as the other operations on it do.
    _field: str
    #: The order of the item's statuses, for the subclasses' ``wait``.
    _life: Life
    #: The model of the items: one given as such, with files, is not fetched again.
    _model: type[Recording] | type[Composition]

    def _fetch(self, object_id: str) -> Recording | Composition:
        raise NotImplementedError

    def _chunks(self, item: Recording | Composition, file: MediaFile) -> Iterator[bytes]:
        raise NotImplementedError

    def _current(self, item: ObjectRef) -> Recording | Composition:
        """``item`` as the provider last described it. A model object with files (as listed, got
        or waited for) is taken as it is: its bytes are asked for without fetching it again (if
        it went since, the download says so). An id or ref, or an object without files (read
        while it was still processing, say), is fetched."""
        object_id = self._video._id(item, self._field)
        if isinstance(item, self._model) and item.files:
            return item
        return self._fetch(object_id)

    def _parts(self, item: Recording | Composition, file: MediaFile, data: IO[bytes]) -> Iterable[_Part] | None:
        """The per-stream files bundled in ``file`` (see ``Backend.recording_parts``)."""
        return None

    def _wait(
        self,
        item: ObjectRef,
        fetch: Callable[[str], Recording | Composition],
        until: StrEnum,
        timeout: float | None,
        interval: float,
        max_interval: float,
        progress: Callable[[float], object] | None,
    ) -> Recording | Composition:
        object_id = self._video._id(item, self._field)
        return self._video._waits.until(
            object_id,
            lambda: fetch(object_id),
            until,
            self._life,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            progress=progress,
        )

    def _files(self, item: Recording | Composition) -> tuple[MediaFile, ...]:
        if not item.files:
            raise Conflict(f"{item.id!r} has no files to download (it is {item.status})")
        return item.files

    def _pick(self, item: Recording | Composition, file_name: str | None) -> MediaFile:
        files = self._files(item)
        if file_name is None:
            if len(files) == 1:
                return files[0]
            names = ", ".join(f.name for f in files)
            raise InvalidRequest("file_name", f"{item.id!r} has {len(files)} files ({names}); name one")
        for file in files:
            if file.name == file_name:
                return file
        raise InvalidRequest("file_name", f"{item.id!r} has no file {file_name!r}")

    def iter_bytes(self, item: ObjectRef, *, file_name: str | None = None) -> Iterator[bytes]:
        """The bytes of one file (the only one, unless ``file_name`` says), in chunks.

        Given the object itself, as listed or got, with its files, the bytes are asked for
        straight away; given an id or ref (or an object without files), it is fetched first.
        """
        current = self._current(item)
        return self._chunks(current, self._pick(current, file_name))

    def download(
        self,
        item: ObjectRef,
        destination: str | os.PathLike[str],
        *,
        file_name: str | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> Path:
        """Save the media to ``destination``; returns the path of the file saved, or of the folder.

        ``destination`` is a **folder** when it ends with a path separator
        (``"recordings/"``) or names a directory that exists; the folder is
        created (with its parents) if missing. Anything else is the path of
        the **file** to write, in a folder that must exist.

        An object with one file (a composed recording, a file composition)
        saves it: into the folder under its own name, or at the file path. An
        individual recording (or any object with several files) saves into the
        folder one file per stream and ``manifest.json``, which says whose each
        file is (stream, participant id and identity, kind, video source,
        offset and duration where the provider says); giving it a file path
        is an :class:`~anyvideo.errors.InvalidRequest`, unless ``file_name``
        picks one file, which is then saved as a single file is. A bad
        ``destination`` (its folder missing, or a file where a folder should
        be) is an ``InvalidRequest`` naming ``destination``, raised before any
        media is fetched where the path alone tells.

        Each file appears whole or not at all, its size and sha256 checked
        against what the provider reported; the manifest is written last, once
        every file is in. ``progress`` is called with the size of each chunk
        as it arrives.
        """
        object_id = self._video._id(item, self._field)
        into_folder = _names_folder(destination)
        if not into_folder:
            _check_parent(Path(destination))
        fetched = self._current(item)
        files = self._files(fetched)
        several = len(files) > 1 or getattr(fetched, "mode", None) is RecordingMode.INDIVIDUAL
        if file_name is None and several:
            if not into_folder:
                raise InvalidRequest(
                    "destination",
                    f"{object_id!r} has a file per stream and downloads into a folder: end the path with "
                    f"{os.sep!r} or name an existing folder (or pick one file with file_name=)",
                )
            folder = _make_folder(Path(destination))
            self._save_all(fetched, files, folder, progress)
            return folder
        file = self._pick(fetched, file_name)
        target = _make_folder(Path(destination)) / _plain(file.name, fetched) if into_folder else Path(destination)
        with _incoming(target.parent, target.name) as handle:
            self._receive(fetched, file, handle, progress)
            handle.close()
            os.replace(handle.name, target)
        return target

    def _receive(
        self,
        item: Recording | Composition,
        file: MediaFile,
        handle: IO[bytes],
        progress: Callable[[int], object] | None,
    ) -> str:
        """Write ``file``'s bytes to ``handle``, checked against its size and sha256; their sha256."""
        digest, size = hashlib.sha256(), 0
        for chunk in self._chunks(item, file):
            handle.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
        if (file.size is not None and size != file.size) or (file.sha256 and digest.hexdigest() != file.sha256):
            raise ProviderError(
                f"{file.name} of {item.id} arrived damaged ({size} bytes, sha256 {digest.hexdigest()})",
                provider=self._video.backend_name,
            )
        return digest.hexdigest()

    def _save_all(
        self,
        item: Recording | Composition,
        files: tuple[MediaFile, ...],
        folder: Path,
        progress: Callable[[int], object] | None,
    ) -> None:
        """Save every file of ``item`` (a bundle as the files it bundles) into ``folder``,
        then the manifest."""
        saved: list[MediaFile] = []
        for file in files:
            with _incoming(folder, _plain(file.name, item)) as handle:
                sha256 = self._receive(item, file, handle, progress)
                handle.flush()
                handle.seek(0)
                parts = self._parts(item, file, handle)
                if parts is None:
                    handle.close()
                    os.replace(handle.name, folder / file.name)
                    saved.append(attrs.evolve(file, sha256=sha256))
                    continue
                for part, data in parts:
                    with _incoming(folder, _plain(part.name, item)) as out:
                        digest, size = hashlib.sha256(), 0
                        while chunk := data.read(_CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                            size += len(chunk)
                        out.close()
                        os.replace(out.name, folder / part.name)
                    saved.append(attrs.evolve(part, size=size, sha256=digest.hexdigest()))
        manifest = _manifest(self._field, item, saved, self._identities(item, saved))
        with _incoming(folder, MANIFEST) as handle:
            handle.write(json.dumps(manifest, indent=2).encode())
            handle.close()
            os.replace(handle.name, folder / MANIFEST)

    def _identities(self, item: Recording | Composition, files: Iterable[MediaFile]) -> dict[str, str]:
        """The identity of each participant the files name, where the backend still knows it."""
        found: dict[str, str] = {}
        routed = self._backend.accepts_refs  # a fleet's router knows its objects by ref
        room_id = make_ref(item.provider, item.room_id) if routed else item.room_id
        for participant_id in {f.participant_id for f in files if f.participant_id}:
            asked = make_ref(item.provider, participant_id) if routed else participant_id
            try:
                found[participant_id] = self._backend.get_participant(room_id, asked).identity
            except AnyVideoError:
                continue  # gone from the provider, or unknown to it: the manifest says null
        return found


class Recordings(_Media):
    """Record rooms, composed (one mixed file) or individual (a file per stream)."""

    _field = "recording"
    _life = RECORDING_LIFE
    _model = Recording

    def start(
        self,
        room: ObjectRef,
        *,
        mode: RecordingMode | str = RecordingMode.COMPOSED,
        layout: Layout | str | None = None,
        resolution: Resolution | str | None = None,
        name: str | None = None,
        has_audio: bool = True,
        has_video: bool = True,
        max_duration: float | timedelta | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Recording:
        return self._run(
            operations.start_recording(
                self._video, room, mode, layout, resolution, name, has_audio, has_video, max_duration, provider_options
            )
        )

    def stop(self, recording: ObjectRef) -> Recording:
        """Stop the recording; the recording as it is then (see :meth:`wait` for its files)."""
        return self._run(operations.stop_recording(self._video, recording))

    def get(self, recording: ObjectRef) -> Recording:
        """The recording as the provider reports it now."""
        return self._run(operations.get_recording(self._video, recording))

    def list(
        self, *, room: ObjectRef | None = None, status: RecordingStatus | str | None = None
    ) -> Iterator[Recording]:
        """Recordings of the account (or of one room), oldest first, fetched lazily."""
        return self._run(operations.list_recordings(self._video, room, status))

    def delete(self, recording: ObjectRef) -> None:
        """Delete the recording and its files."""
        self._run(operations.delete_recording(self._video, recording))

    def wait(
        self,
        recording: ObjectRef,
        *,
        until: RecordingStatus | str = RecordingStatus.AVAILABLE,
        timeout: float | None = 600.0,
        interval: float = INTERVAL,
        max_interval: float = MAX_INTERVAL,
        progress: Callable[[float], object] | None = None,
    ) -> Recording:
        """Wait until the recording's status is ``until`` (default ``AVAILABLE``: its files can
        be downloaded); returns the recording as it then is.

        Raises :class:`~anyvideo.errors.StatusUnreachable` once it never can be (failed,
        deleted, expired, or past ``until``) and :class:`~anyvideo.errors.WaitTimeout` after
        ``timeout`` seconds (``None``: no limit; 0: look once). It looks (``get``) every
        ``interval`` seconds, doubling up to ``max_interval``, and at once when this
        ``Video`` dispatches an event of the recording's room (a webhook handled through
        ``video.webhooks.handle``). ``progress`` is called with the seconds waited so far
        before each sleep. Where a provider mixes only ended rooms, a composed recording is
        available only once its room has ended (see the provider pages).
        """
        wanted = optional_enum(RecordingStatus, until, "until")
        assert wanted is not None  # until is not None
        recording_ = self._wait(recording, self.get, wanted, timeout, interval, max_interval, progress)
        assert isinstance(recording_, Recording)
        return recording_

    def _fetch(self, object_id: str) -> Recording:
        self._video.require(Feature.RECORDING)
        return self._backend.get_recording(object_id)

    def _chunks(self, item: Recording | Composition, file: MediaFile) -> Iterator[bytes]:
        assert isinstance(item, Recording)
        self._video.require(Feature.RECORDING)
        return self._backend.download_recording_file(item, file)

    def _parts(self, item: Recording | Composition, file: MediaFile, data: IO[bytes]) -> Iterable[_Part] | None:
        assert isinstance(item, Recording)
        return self._backend.recording_parts(item, file, cast(BinaryIO, data))


class Compositions(_Media):
    """Mix streams into a file after the fact, or broadcast them live."""

    _field = "composition"
    _life = COMPOSITION_LIFE
    _model = Composition

    def start(
        self,
        room: ObjectRef,
        *,
        output: CompositionOutput | str = CompositionOutput.FILE,
        layout: Layout | str | None = None,
        resolution: Resolution | str | None = None,
        format: str | None = None,
        streams: Iterable[ObjectRef] | None = None,
        recordings: Iterable[ObjectRef] | None = None,
        hls: bool = False,
        rtmp: Iterable[RtmpTarget] = (),
        max_duration: float | timedelta | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Composition:
        return self._run(
            operations.start_composition(
                self._video,
                room,
                output,
                layout,
                resolution,
                format,
                streams,
                recordings,
                hls,
                rtmp,
                max_duration,
                provider_options,
            )
        )

    def stop(self, composition: ObjectRef) -> Composition:
        """Stop a live composition (a file composition finishes by itself)."""
        return self._run(operations.stop_composition(self._video, composition))

    def get(self, composition: ObjectRef) -> Composition:
        """The composition as the provider reports it now."""
        return self._run(operations.get_composition(self._video, composition))

    def list(
        self, *, room: ObjectRef | None = None, status: CompositionStatus | str | None = None
    ) -> Iterator[Composition]:
        """Compositions of the account (or of one room), optionally only those with this ``status``,
        fetched lazily."""
        return self._run(operations.list_compositions(self._video, room, status))

    def delete(self, composition: ObjectRef) -> None:
        """Delete a file composition and its files: this needs ``POST_HOC_COMPOSITION``.
        A live composition stores no file to delete, and a provider may not delete its broadcasts."""
        self._run(operations.delete_composition(self._video, composition))

    def wait(
        self,
        composition: ObjectRef,
        *,
        until: CompositionStatus | str = CompositionStatus.AVAILABLE,
        timeout: float | None = 600.0,
        interval: float = INTERVAL,
        max_interval: float = MAX_INTERVAL,
        progress: Callable[[float], object] | None = None,
    ) -> Composition:
        """Wait until the composition's status is ``until`` (default ``AVAILABLE``: a file
        composition's file can be downloaded; ``LIVE`` for a broadcast); returns the
        composition as it then is. Raises and polls as :meth:`Recordings.wait` does; a
        stopped, failed or deleted composition never reaches another status.
        """
        wanted = optional_enum(CompositionStatus, until, "until")
        assert wanted is not None  # until is not None
        composition_ = self._wait(composition, self.get, wanted, timeout, interval, max_interval, progress)
        assert isinstance(composition_, Composition)
        return composition_

    def _fetch(self, object_id: str) -> Composition:
        self._video.require(Feature.POST_HOC_COMPOSITION)
        return self._backend.get_composition(object_id)

    def _chunks(self, item: Recording | Composition, file: MediaFile) -> Iterator[bytes]:
        self._video.require(Feature.POST_HOC_COMPOSITION)
        return self._backend.download_composition(self._video._id(item, "composition"), file.name)


class Webhooks(_Resource):
    """Provider callbacks, verified and normalised into :class:`~anyvideo.models.Event` objects.

    Mount :func:`anyvideo.webhooks.wsgi_app` or :func:`~anyvideo.webhooks.asgi_app`
    at the callback URL, or call :meth:`handle` from your own view.
    """

    def parse(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | str,
    ) -> list[Event]:
        """Verify one callback and return its events, without dispatching them.

        ``url`` is the full URL the provider called (behind a proxy, the
        public one). :class:`~anyvideo.errors.WebhookVerificationError` when
        the signature is missing, wrong or stale.
        """
        return self._run(operations.parse_webhook(WebhookRequest(method, url, headers, body)))

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | str,
    ) -> list[Event]:
        """:meth:`parse` the callback, then hand each event to the ``anyvideo_event`` hooks
        once: an event whose id was handled before (the provider delivered the callback
        again) is not dispatched again.

        When a hook raises, the error propagates (an adapter answers 500) and the
        callback is left unhandled, so the provider's next delivery of it is accepted
        and handled — by every hook again, so a hook that ran before the failing one
        sees the event twice and should drop an ``event_id`` it has stored. Returns
        every event of the callback.
        """
        return self._run(operations.handle_webhook(self._handled, WebhookRequest(method, url, headers, body)))

    @functools.cached_property
    def _handled(self) -> HandledEvents:
        registry = self._backend.registry or Registry(None, namespace=f"{self._backend.name}:webhooks")
        return HandledEvents(registry)


class Signals(_Resource):
    """Messages from the server to clients in a room."""

    def send(self, room: ObjectRef, type: str = "", data: str = "", *, to: ObjectRef | None = None) -> None:
        """Send to every connected client, or only to participant ``to``."""
        self._run(operations.send_signal(self._video, room, type, data, to))


class Verify(_Resource):
    """Phone verification (:attr:`~anyvideo.Feature.PHONE_VERIFICATION`): the provider sends a
    one-time code to a number; the person types it in; ``check`` says whether it matched."""

    def start(self, number: str, *, brand: str = "anyvideo", code_length: int = 6) -> Verification:
        """Send a code of ``code_length`` digits (4 or 6) to ``number`` (E.164), naming ``brand``."""
        return self._run(operations.start_verification(self._video, number, brand, code_length))

    def check(self, verification: str | Verification, code: str) -> Verification:
        """Check ``code``: the verification, ``verified``, still ``pending`` after a wrong code
        while tries remain, or ``failed`` (too many wrong codes, expired)."""
        return self._run(operations.check_verification(self._video, verification, code))


# --- download destinations ------------------------------------------------------

_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep, "/") if sep)


def _names_folder(destination: str | os.PathLike[str]) -> bool:
    """Whether ``destination`` names a folder: it ends with a separator, or is a directory."""
    text = os.fspath(destination)
    return text.endswith(_SEPARATORS) or Path(text).is_dir()


def _check_parent(target: Path) -> None:
    """Refuse a file path whose folder is missing or is not a folder."""
    parent = target.parent
    if not parent.exists():
        raise InvalidRequest(
            "destination", f"the folder {str(parent)!r} does not exist (end the path with {os.sep!r} to have it made)"
        )
    if not parent.is_dir():
        raise InvalidRequest("destination", f"{str(parent)!r} is a file, not a folder")


def _make_folder(folder: Path) -> Path:
    """``folder``, made with its parents if missing."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InvalidRequest("destination", f"{str(folder)!r} is a file, not a folder") from None
    except NotADirectoryError:
        raise InvalidRequest("destination", f"a part of {str(folder)!r} is a file, not a folder") from None
    except OSError as exc:
        raise InvalidRequest("destination", f"cannot make the folder {str(folder)!r}: {exc.strerror}") from None
    return folder


def _plain(name: str, item: Recording | Composition) -> str:
    """``name`` if it is a plain file name (the provider's, or a bundle's entry), never a path."""
    if name in ("", ".", "..", MANIFEST) or any(sep in name for sep in (*_SEPARATORS, "\\", "\0")):
        raise ProviderError(
            f"{item.id} has a file named {name!r}, which anyvideo will not write", provider=item.provider
        )
    return name


@contextlib.contextmanager
def _incoming(folder: Path, name: str) -> Iterator[IO[bytes]]:
    """A temporary file in ``folder`` to receive ``name``; gone afterwards unless moved into place."""
    try:
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", delete=False)
    except OSError as exc:
        raise InvalidRequest("destination", f"cannot write in {str(folder)!r}: {exc.strerror}") from None
    try:
        with handle:
            yield handle
    finally:
        Path(handle.name).unlink(missing_ok=True)


def _manifest(
    field: str, item: Recording | Composition, files: Iterable[MediaFile], identities: Mapping[str, str]
) -> dict[str, Any]:
    """What a folder download's ``manifest.json`` says: the object, and whose each file is."""
    started = getattr(item, "started_at", None)
    stopped = getattr(item, "stopped_at", None) or getattr(item, "ended_at", None)
    return {
        field: {
            "id": item.id,
            "ref": item.ref,
            "provider": item.provider,
            "room_id": item.room_id,
            "mode": getattr(item, "mode", None),
            "name": getattr(item, "name", None),
            "started_at": None if started is None else started.isoformat(),
            "stopped_at": None if stopped is None else stopped.isoformat(),
            "duration": item.duration,
        },
        "files": [
            {
                "file": file.name,
                "content_type": file.content_type,
                "size": file.size,
                "sha256": file.sha256,
                "stream_id": file.stream_id,
                "participant_id": file.participant_id,
                "identity": identities.get(file.participant_id or ""),
                "kind": file.kind,
                "video_source": file.video_source,
                "offset": file.offset,
                "duration": file.duration,
            }
            for file in files
        ],
    }
