"""Asset export: copy every recording and composition of an account into a folder or S3.

Built on the public facade only (``video.recordings`` / ``video.compositions``
``list``, ``get``, ``iter_bytes``), so it works for every backend.

Layout in the destination, per asset::

    <kind>/<provider>/<id>/<media file name>...   the media, by their MediaFile names
    <kind>/<provider>/<id>/raw.json               the provider's own payload
    <kind>/<provider>/<id>/asset.json             core metadata, each file's size and sha256 (written last)
    manifest.jsonl                                the journal (see anyvideo.migrate.manifest)

Nothing lost, nothing duplicated: every asset the backend lists (with the
filters) ends a run exported, kept (exported by an earlier run and still
verifying), skipped with a reason (it cannot be copied now), or failed with
the error; paths are fixed by kind, provider and id, so a rerun overwrites,
never adds. A rerun continues from the journal.

Crash safety. Two kinds of crash, two different guards:

- *The process dies* (``kill -9``, an exception): everything written so far is
  in the system's hands and survives. A media file, ``raw.json`` or
  ``asset.json`` gets its final name only once its bytes are all written and
  checked (temporary name, then rename; S3's ``PutObject`` is atomic), so a file
  at its final name is whole; each journal line is flushed before the export
  goes on, so at most the line being written is lost, and it is cut off.
- *The system dies* (power loss): what was not fsynced may be gone, or a
  renamed file may be empty or short. Nothing is taken on trust, so that is
  found and redone: an asset is ``kept`` only if the journal says ``complete``
  and every file it names (media, ``raw.json`` and ``asset.json``) still has
  the recorded size and sha256, reread; a file of an interrupted copy is reused
  only if it rereads to the provider's sha256 (or, where there is none, to the
  journal's ``file`` line). So no fsync is needed for correctness; fsyncs are
  for durability, and they are batched at commit points: every
  ``COMMIT_EVERY`` assets, in a thread of its own while the copy goes on, and
  once more when the run ends, the destination fsyncs the files written since
  the last commit and the folders naming them, then the journal is fsynced. So
  once a run has returned, everything it reports is durable; a crash of the
  system mid-run loses at most the work since the last commit point, and the
  next run redoes it (a journal line that reached the disk before its files did
  names files that then fail their checksum, and are copied again).

One fsync per file and per journal line, as the export once did, cost more
than the copy itself: the journal's fsyncs are serial, a few ms each.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import attrs

from anyvideo.backend import Feature
from anyvideo.client import ObjectRef, Video
from anyvideo.errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    UnsupportedFeature,
)
from anyvideo.migrate import KINDS
from anyvideo.migrate.destinations import (
    Destination,
    FolderDestination,
    S3Destination,
    StoredFile,
    destination_from_url,
    hash_chunks,
    is_partial,
)
from anyvideo.migrate.jsonform import to_jsonable
from anyvideo.migrate.manifest import Journal, last_states, read_entries
from anyvideo.models import (
    Composition,
    CompositionOutput,
    CompositionStatus,
    MediaFile,
    Recording,
    RecordingStatus,
)
from anyvideo.ratelimit import RateLimiter
from anyvideo.redaction import unsign_urls
from anyvideo.retry import RetryPolicy

__all__ = [
    "KINDS",
    "AssetOutcome",
    "Destination",
    "Difference",
    "ExportProgress",
    "ExportReport",
    "FolderDestination",
    "S3Destination",
    "destination_from_url",
    "export_assets",
    "verify_export",
]

#: What an export copies, as named in the destination's layout and on the facade.

Asset = Recording | Composition

#: Assets finished between two commit points (see the module's docstring).
COMMIT_EVERY = 16

#: Errors that retrying will not cure.
_FINAL_ERRORS = (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    UnsupportedFeature,
)

_WHY_NOT = {
    RecordingStatus.RECORDING: "still recording; export again once it is available",
    RecordingStatus.PAUSED: "recording is paused; export again once it is available",
    RecordingStatus.PROCESSING: "still processing; export again once it is available",
    RecordingStatus.FAILED: "the provider failed to produce it",
    RecordingStatus.DELETED: "deleted at the provider",
    RecordingStatus.EXPIRED: "expired at the provider: its media is no longer kept",
    RecordingStatus.UNKNOWN: "its status is unknown to anyvideo",
    CompositionStatus.QUEUED: "queued; export again once it is available",
    CompositionStatus.PROCESSING: "still processing; export again once it is available",
    CompositionStatus.LIVE: "a live broadcast leaves no file to copy",
    CompositionStatus.STOPPED: "a live broadcast leaves no file to copy",
    CompositionStatus.FAILED: "the provider failed to produce it",
    CompositionStatus.DELETED: "deleted at the provider",
    CompositionStatus.UNKNOWN: "its status is unknown to anyvideo",
}


@attrs.frozen
class AssetOutcome:
    """What became of one asset in a run.

    ``state``: ``exported`` (copied now), ``kept`` (copied by an earlier run
    and still verifying), ``skipped`` (cannot be copied; ``reason`` says why)
    or ``failed`` (``reason`` is the error).
    """

    kind: str
    ref: str
    state: str
    reason: str | None = None
    bytes: int = 0
    files: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.ref}"


@attrs.frozen
class ExportProgress:
    """Handed to the ``progress`` callback after each asset: counts so far and bytes copied.

    The copy starts while the listing goes on: until it ends (``listing`` is true),
    ``total`` is the number of assets listed so far.
    """

    done: int
    total: int
    bytes: int
    outcome: AssetOutcome
    listing: bool = False


@attrs.frozen
class ExportReport:
    """The result of :func:`export_assets`: one outcome per listed asset, in listing order."""

    destination: str
    outcomes: tuple[AssetOutcome, ...]
    seconds: float
    #: Kinds the backend cannot list at all, with why (e.g. a backend without compositions).
    unsupported: tuple[str, ...] = ()
    #: Assets an earlier run exported that this run's listing did not name (deleted at the
    #: provider since, or outside this run's filters); they stay in the destination.
    not_listed: tuple[str, ...] = ()

    def _with(self, state: str) -> list[AssetOutcome]:
        return [o for o in self.outcomes if o.state == state]

    @property
    def exported(self) -> list[AssetOutcome]:
        return self._with("exported")

    @property
    def kept(self) -> list[AssetOutcome]:
        return self._with("kept")

    @property
    def skipped(self) -> list[AssetOutcome]:
        return self._with("skipped")

    @property
    def failed(self) -> list[AssetOutcome]:
        return self._with("failed")

    @property
    def bytes(self) -> int:
        """Media bytes copied by this run."""
        return sum(o.bytes for o in self.outcomes)

    @property
    def complete(self) -> bool:
        """Whether every listed asset is in the destination now."""
        return not self.skipped and not self.failed

    def summary(self) -> str:
        """One line: the counts, bytes and time."""
        rate = self.bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0
        return (
            f"{len(self.outcomes)} assets: {len(self.exported)} exported, {len(self.kept)} already there, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed; "
            f"{self.bytes} bytes in {self.seconds:.1f}s ({rate:.1f} MB/s) to {self.destination}"
        )


@attrs.frozen
class Difference:
    """Something in an export that is not as its ``asset.json`` (or the journal) says."""

    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.key}: {self.problem}"


def export_assets(
    video: Video,
    destination: Destination,
    *,
    room: ObjectRef | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Iterable[str] = KINDS,
    workers: int = 4,
    rate: float | None = None,
    retries: int = 4,
    backoff: float = 0.5,
    progress: Callable[[ExportProgress], object] | None = None,
) -> ExportReport:
    """Copy the recordings and compositions ``video`` lists into ``destination``.

    ``room`` narrows to one room; ``since``/``until`` (aware datetimes) keep
    assets that started in ``[since, until)``. ``workers`` threads copy at
    once; ``rate`` caps provider requests per second across them (default:
    the backend's ``request_rate`` if it declares one, else no cap; a
    provider's 429 is always honoured with its Retry-After). Transient
    errors are retried ``retries`` times, waiting ``backoff`` seconds doubled
    each time. ``progress`` is called after each asset.

    Resumable: a run continues from the journal of an earlier one, keeping
    what still verifies and redoing the rest.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if rate is None:
        rate = getattr(video.backend, "request_rate", None)
    _check_arguments(kinds, since, until, workers, rate, retries, backoff)
    if not callable(getattr(destination, "sync", None)):  # a destination written before sync() was asked for
        raise InvalidRequest("destination", f"{destination!r} has no sync(): it cannot make what it stores durable")
    limiter = RateLimiter(rate) if rate is not None else None
    started = time.perf_counter()
    journal_path = destination.journal_path()  # first, so an unreachable destination fails before the listing
    states = last_states(read_entries(journal_path))
    journal = Journal(journal_path)
    unsupported: list[str] = []
    try:
        journal.append(
            "run",
            backend=video.backend_name,
            destination=destination.url,
            kinds=list(kinds),
            room=getattr(room, "ref", room),
            since=since and since.isoformat(),
            until=until and until.isoformat(),
            workers=workers,
            rate=rate,
        )
        retry = RetryPolicy(attempts=retries + 1, initial=backoff or 0.001, maximum=60.0, max_time=3600.0)
        copier = _Copier(video, destination, journal, states, limiter, retry)
        commits = _Commits(destination, journal)
        listing = _list_assets(video, kinds, room, since, until, unsupported)
        try:
            outcomes = _run_pool(copier, commits, listing, workers, progress)
        finally:
            commits.close()
    finally:
        journal.close()
        destination.publish_journal()
    listed_keys = {o.key for o in outcomes}
    earlier = sorted(k for k, s in states.items() if s["event"] == "complete" and k not in listed_keys)
    return ExportReport(
        destination.url, tuple(outcomes), time.perf_counter() - started, tuple(unsupported), tuple(earlier)
    )


def _check_arguments(
    kinds: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    workers: int,
    rate: float | None,
    retries: int,
    backoff: float,
) -> None:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise InvalidRequest("kinds", f"choose from {', '.join(KINDS)}; got {', '.join(unknown) or 'none'}")
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and (not isinstance(moment, datetime) or moment.utcoffset() is None):
            raise InvalidRequest(name, "must be a timezone-aware datetime")
    if since is not None and until is not None and since >= until:
        raise InvalidRequest("until", "must be later than since")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256:
        raise InvalidRequest("workers", f"must be a whole number from 1 to 256, got {workers!r}")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not (math.isfinite(rate) and rate > 0)
    ):
        raise InvalidRequest("rate", f"must be a number of requests per second > 0, got {rate!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidRequest("retries", f"must be a whole number ≥ 0, got {retries!r}")
    if not isinstance(backoff, int | float) or backoff < 0:
        raise InvalidRequest("backoff", f"must be a number of seconds ≥ 0, got {backoff!r}")


#: One asset to copy, or to report as not copyable (``reason``) without asking the provider again.
_Listed = tuple[str, Asset, str | None]


def _list_assets(
    video: Video,
    kinds: tuple[str, ...],
    room: ObjectRef | None,
    since: datetime | None,
    until: datetime | None,
    unsupported: list[str],
) -> Iterator[_Listed]:
    """The selection, as the listing brings it (a page at a time: the copy starts with the first
    page, not after the last); kinds the backend cannot list go to ``unsupported``, with why."""
    seen: set[str] = set()
    for kind in kinds:
        try:
            assets = iter(getattr(video, kind).list(room=room))
            first = next(assets, None)
        except UnsupportedFeature as exc:
            unsupported.append(f"{kind}: {exc}")
            continue
        for asset in itertools.chain(() if first is None else (first,), assets):
            # A provider's offset paging can hand the same asset over twice while new ones arrive.
            if f"{kind}/{asset.ref}" in seen:
                continue
            seen.add(f"{kind}/{asset.ref}")
            if since is None and until is None:
                yield kind, asset, None
            elif asset.started_at is None:
                # Not knowably inside or outside the range: listed, never silently left out.
                yield kind, asset, "it has no start time, so it cannot be placed in the time range"
            elif (since is None or asset.started_at >= since) and (until is None or asset.started_at < until):
                yield kind, asset, None


def _run_pool(
    copier: _Copier,
    commits: _Commits,
    listing: Iterator[_Listed],
    workers: int,
    progress: Callable[[ExportProgress], object] | None,
) -> list[AssetOutcome]:
    outcomes: list[AssetOutcome | None] = []
    done, copied, still_listing = 0, 0, True
    lock = threading.Lock()

    def finished(index: int, outcome: AssetOutcome) -> None:
        nonlocal done, copied
        with lock:
            outcomes[index] = outcome
            done += 1
            copied += outcome.bytes
            snapshot = ExportProgress(done, len(outcomes), copied, outcome, still_listing)
        if done % COMMIT_EVERY == 0:
            commits.soon()
        if progress is not None:
            progress(snapshot)

    # Bounded: at most two assets per worker are queued, so a huge listing holds no futures backlog.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="anyvideo-export") as pool:
        pending: dict[Future[AssetOutcome], int] = {}
        try:
            for item in listing:
                outcomes.append(None)
                pending[pool.submit(copier.copy, *item)] = len(outcomes) - 1
                if len(pending) >= 2 * workers:
                    ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in ready:
                        finished(pending.pop(future), future.result())
            still_listing = False
            copier.journal.append("listed", count=len(outcomes))
            for future in list(pending):
                finished(pending.pop(future), future.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [o for o in outcomes if o is not None]


class _Commits:
    """The commit points of a run (see the module's docstring): the files stored so far, then
    the journal, made durable. Each runs in a thread of its own while the copy goes on, one at
    a time; one asked for while another runs is left to the next (or to the last, at :meth:`close`)."""

    def __init__(self, destination: Destination, journal: Journal) -> None:
        self.destination = destination
        self.journal = journal
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anyvideo-export-commit")
        self._running: Future[None] | None = None

    def soon(self) -> None:
        """Start a commit, unless one is under way (a failed one's error is raised here)."""
        if self._running is not None:
            if not self._running.done():
                return
            self._running.result()
        self._running = self._thread.submit(self._commit)

    def close(self) -> None:
        """Wait for the commit under way, then commit the rest: everything is durable on return."""
        self._thread.shutdown(wait=True)
        if self._running is not None:
            self._running.result()
        self._commit()

    def _commit(self) -> None:
        self.destination.sync()
        self.journal.sync()


class _Copier:
    """Copies one asset at a time; shared by the workers (its state is the journal's)."""

    def __init__(
        self,
        video: Video,
        destination: Destination,
        journal: Journal,
        states: Mapping[str, Mapping[str, Any]],
        limiter: RateLimiter | None,
        retry: RetryPolicy,
    ) -> None:
        self.video = video
        self.destination = destination
        self.journal = journal
        self.states = states
        self.limiter = limiter
        self.retry = retry

    def copy(self, kind: str, asset: Asset, reason: str | None) -> AssetOutcome:
        key = {"key": f"{kind}/{asset.ref}", "kind": kind, "ref": asset.ref}
        previous = self.states.get(key["key"], {})
        folder = f"{kind}/{asset.provider}/{asset.id}/"
        try:
            # Checked first: a copy made earlier stays the copy, even of an asset deleted at the provider since.
            if previous.get("event") == "complete" and self._still_there(folder, previous):
                return AssetOutcome(kind, asset.ref, "kept", files=len(previous.get("files", ())))
            reason = reason or _uncopyable(asset, self.video)
            if reason is not None:
                self.journal.append("skipped", **key, reason=reason)
                return AssetOutcome(kind, asset.ref, "skipped", reason)
            self.journal.append("started", **key)
            copied, stored, documents = self._copy_files(kind, asset, folder, key, previous.get("stored", {}))
        except (NotFound, Conflict) as exc:
            # Gone or not downloadable since it was listed: say so, a later run tries again.
            reason = f"the provider refused its media: {exc}"
            self.journal.append("skipped", **key, reason=reason)
            return AssetOutcome(kind, asset.ref, "skipped", reason)
        except Exception as exc:  # one asset's failure must not stop the others; it is reported
            error = f"{type(exc).__name__}: {exc}"
            self.journal.append("failed", **key, error=error)
            return AssetOutcome(kind, asset.ref, "failed", error)
        self.journal.append("complete", **key, files=stored, documents=documents)
        return AssetOutcome(kind, asset.ref, "exported", bytes=copied, files=len(stored))

    def _still_there(self, folder: str, previous: Mapping[str, Any]) -> bool:
        """Whether the files a journal line says are complete still match their checksums
        (``raw.json`` and ``asset.json`` too; of a journal older than that, ``asset.json`` is
        only looked for)."""
        files = previous.get("files") or []
        documents = previous.get("documents") or [{"name": "asset.json", "size": None, "sha256": None}]
        for expected in [*documents, *files]:
            chunks = self.destination.read(folder + expected["name"])
            if chunks is None:
                return False
            got = hash_chunks(chunks)  # read to the end either way, which closes it
            if expected["sha256"] is not None and (got.size, got.sha256) != (expected["size"], expected["sha256"]):
                return False
        return bool(files)

    def _copy_files(
        self, kind: str, asset: Asset, folder: str, key: Mapping[str, str], stored: Mapping[str, Mapping[str, Any]]
    ) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
        self.destination.discard_partials(folder)
        copied = 0
        files: list[dict[str, Any]] = []
        for media in asset.files:
            if PurePosixPath(media.name).name != media.name or media.name in ("asset.json", "raw.json", ".", ".."):
                raise InvalidRequest("files", f"cannot store a file named {media.name!r} in the asset's folder")
            result = self._reuse(folder + media.name, media, stored.get(media.name))
            if result is None:
                result = self._attempt(self._download, kind, asset, folder, media)
                copied += result.size
            line = {"name": media.name, "size": result.size, "sha256": result.sha256}
            self.journal.append("file", **key, **line)
            files.append(line)
        # A pre-signed media URL in the payload would let whoever reads the export download
        # the media while it lasts: stored without its signature.
        raw = _json_bytes(unsign_urls(to_jsonable(asset.raw)))
        document = _json_bytes(_asset_document(kind, asset, files))
        documents = []
        for name, data in (("raw.json", raw), ("asset.json", document)):  # asset.json last: it marks the asset whole
            written = self._attempt(self.destination.write, folder + name, [data], content_type="application/json")
            documents.append({"name": name, "size": written.size, "sha256": written.sha256})
        return copied, files, documents

    def _reuse(self, key: str, media: MediaFile, line: Mapping[str, Any] | None) -> StoredFile | None:
        """The file an interrupted run already stored, if it verifies against what we expect."""
        expected_sha = media.sha256 or (line or {}).get("sha256")
        expected_size = media.size if media.size is not None else (line or {}).get("size")
        if not expected_sha:
            return None
        chunks = self.destination.read(key)
        if chunks is None:
            return None
        got = hash_chunks(chunks)
        if got.sha256 != expected_sha.lower() or (expected_size is not None and got.size != expected_size):
            return None
        return got

    def _download(self, kind: str, asset: Asset, folder: str, media: MediaFile) -> StoredFile:
        if self.limiter is not None:
            self.limiter.acquire(1)  # the asset as listed says what to ask for: one request, for its bytes
        chunks = getattr(self.video, kind).iter_bytes(asset, file_name=media.name)
        return self.destination.write(
            folder + media.name, chunks, content_type=media.content_type, size=media.size, sha256=media.sha256
        )

    def _attempt(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``operation(*args, **kwargs)``, retried on what may pass (429 after its Retry-After, 5xx, I/O):
        every step of a copy is safe to repeat."""
        return self.retry.run(
            lambda: operation(*args, **kwargs),
            what=f"export {getattr(operation, '__name__', 'step')}",
            retry_if=lambda error: not isinstance(error, _FINAL_ERRORS),
        )


def _uncopyable(asset: Asset, video: Video) -> str | None:
    """Why ``asset`` cannot be copied now, or ``None`` if it can."""
    if isinstance(asset, Composition) and asset.output is CompositionOutput.LIVE:
        return _WHY_NOT[CompositionStatus.LIVE]
    if asset.status not in (RecordingStatus.AVAILABLE, CompositionStatus.AVAILABLE):
        why = _WHY_NOT.get(asset.status, f"its status is {asset.status}")
        return f"{asset.status}: {why}"
    if not asset.files:
        said = asset.raw.get("status")
        provider_status = f" (provider status {said!r})" if isinstance(said, str) and said != asset.status else ""
        if Feature.EXTERNAL_STORAGE in video.features or provider_status:
            return (
                f"available{provider_status}, but the provider offers no file to download: "
                "its media is in the account's own storage; copy it from there"
            )
        return "available, but the provider offers no file to download"
    return None


def _asset_document(kind: str, asset: Asset, files: list[dict[str, Any]]) -> dict[str, Any]:
    described = {f.name: f for f in asset.files}
    return {
        "format": 1,
        "kind": kind,
        "ref": asset.ref,
        "provider": asset.provider,
        "id": asset.id,
        "metadata": unsign_urls(to_jsonable(asset, exclude=("raw",))),
        "files": [
            {
                "name": line["name"],
                "content_type": described[line["name"]].content_type,
                "size": line["size"],
                "sha256": line["sha256"],
                "provider_size": described[line["name"]].size,
                "provider_sha256": described[line["name"]].sha256,
            }
            for line in files
        ],
    }


def _json_bytes(data: Any) -> bytes:
    """One line of JSON, keys sorted (the same asset gives the same bytes). Not indented: with
    ``indent`` the standard library encodes in Python, not C, and that was the export's largest
    cost of its own per asset (``jq .`` shows it indented)."""
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode()


def verify_export(destination: Destination) -> list[Difference]:
    """Recheck an export: every file against its ``asset.json`` (sha256, size, the provider's size).

    Also lists temporary files of interrupted writes, files no ``asset.json``
    names, asset folders without an ``asset.json`` (interrupted copies), and
    assets the journal records complete that are missing. Empty: all is well.
    """
    differences: list[Difference] = []
    folders: dict[str, set[str]] = {}
    for key in destination.keys():
        if key == "manifest.jsonl":
            continue
        if is_partial(key):
            differences.append(Difference(key, "temporary file of an interrupted write"))
            continue
        parts = PurePosixPath(key).parts
        if len(parts) != 4 or parts[0] not in KINDS:
            differences.append(Difference(key, "not part of any asset"))
            continue
        folders.setdefault("/".join(parts[:3]), set()).add(parts[3])
    for folder, names in sorted(folders.items()):
        differences += _verify_folder(destination, folder, names)
    journal = destination.journal_path()
    for key, state in sorted(last_states(read_entries(journal)).items()):
        kind, _, ref = key.partition("/")
        provider, _, object_id = ref.partition(":")
        if state["event"] == "complete" and f"{kind}/{provider}/{object_id}" not in folders:
            differences.append(Difference(f"{kind}/{provider}/{object_id}/", "recorded complete, but missing"))
    return differences


def _verify_folder(destination: Destination, folder: str, names: set[str]) -> list[Difference]:
    if "asset.json" not in names:
        return [Difference(f"{folder}/", "incomplete asset: no asset.json (rerun the export)")]
    try:
        document = json.loads(b"".join(destination.read(f"{folder}/asset.json") or ()))
        files = document["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return [Difference(f"{folder}/asset.json", f"unreadable: {exc}")]
    differences = []
    if "raw.json" not in names:
        differences.append(Difference(f"{folder}/raw.json", "missing"))
    listed = {"asset.json", "raw.json"}
    for entry in files:
        name = entry.get("name")
        listed.add(name)
        key = f"{folder}/{name}"
        chunks = destination.read(key)
        if chunks is None:
            differences.append(Difference(key, "missing"))
            continue
        got = hash_chunks(chunks)
        problems = []
        if got.size != entry.get("size"):
            problems.append(f"{got.size} bytes, asset.json says {entry.get('size')}")
        provider_size = entry.get("provider_size")
        if provider_size is not None and got.size != provider_size and provider_size != entry.get("size"):
            problems.append(f"the provider said {provider_size} bytes")
        if got.sha256 != entry.get("sha256"):
            problems.append(f"sha256 {got.sha256}, asset.json says {entry.get('sha256')}")
        if problems:
            differences.append(Difference(key, "; ".join(problems)))
    for name in sorted(names - listed):
        differences.append(Difference(f"{folder}/{name}", "not listed in asset.json"))
    return differences
