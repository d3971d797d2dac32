"""Where an export goes: a local folder, S3-compatible object storage through ``boto3``, or an
Azure Blob Storage container through ``azure-storage-blob``.

Both stores write each object whole or not at all, and check what they stored
against the sha256 and size the caller expects, so a file that is present is
a file that is right. Keys are relative POSIX paths (``"recordings/local/rec_1/asset.json"``).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import itertools
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol, runtime_checkable

import attrs

from anyvideo.errors import AnyVideoError, ConfigurationError, InvalidRequest

__all__ = [
    "AzureBlobDestination",
    "DamagedTransfer",
    "Destination",
    "FolderDestination",
    "S3Destination",
    "StoredFile",
    "destination_from_url",
    "fsync_folder",
]

_CHUNK = 1024 * 1024
#: Largest object one S3 ``PutObject`` takes; bigger ones need a multipart upload.
S3_SINGLE_PUT_LIMIT = 5 * 1024**3


class DamagedTransfer(AnyVideoError):
    """What arrived differs from what the provider said it sent (size or sha256)."""


@attrs.frozen
class StoredFile:
    """What a destination holds under a key: its size and sha256 (hex)."""

    size: int
    sha256: str


@runtime_checkable
class Destination(Protocol):
    """A place an export writes to. Writes are atomic per key and verified."""

    #: A short description for messages (``/path/to/folder``, ``s3://bucket/prefix``).
    url: str

    def journal_path(self) -> Path:
        """The local file the export's journal (``manifest.jsonl``) is appended to."""
        ...

    def publish_journal(self) -> None:
        """Make the journal visible in the destination (a no-op where it already lives there)."""
        ...

    def write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str = "application/octet-stream",
        size: int | None = None,
        sha256: str | None = None,
    ) -> StoredFile:
        """Store ``chunks`` under ``key``, whole or not at all.

        :class:`DamagedTransfer` (and nothing stored) when the bytes differ
        from the expected ``size`` or ``sha256``.
        """
        ...

    def read(self, key: str) -> Iterator[bytes] | None:
        """The bytes under ``key`` in chunks, or ``None`` when nothing is stored there."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix`` (a folder-like ``"a/b/"``), temporary files included."""
        ...

    def discard_partials(self, prefix: str) -> None:
        """Remove what an interrupted write left under ``prefix``."""
        ...

    def sync(self) -> None:
        """Make every write so far durable: it survives a crash of the system, not only of the process."""
        ...


def is_partial(key: str) -> bool:
    """Whether ``key`` names a temporary file of an unfinished write."""
    name = PurePosixPath(key).name
    return name.startswith(".") and name.endswith(".part")


def hash_chunks(chunks: Iterable[bytes]) -> StoredFile:
    """Size and sha256 of a stream of chunks."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return StoredFile(size, digest.hexdigest())


def _check(key: str, got: StoredFile, size: int | None, sha256: str | None) -> None:
    if (size is not None and got.size != size) or (sha256 and got.sha256 != sha256.lower()):
        expected = f"{size if size is not None else '?'} bytes, sha256 {sha256 or '?'}"
        raise DamagedTransfer(f"{key}: got {got.size} bytes, sha256 {got.sha256}; expected {expected}")


def _safe_key(key: str) -> PurePosixPath:
    path = PurePosixPath(key)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise InvalidRequest("key", f"{key!r} is not a relative path inside the destination")
    return path


class FolderDestination:
    """A local folder. Each file is written to a hidden temporary name and checked,
    then renamed into place; the journal is ``manifest.jsonl`` at the root.

    A write is whole once it returns, for as long as the system runs; :meth:`sync`
    fsyncs the files written since the last sync, then the folders whose names
    changed, so that they also survive a crash of the system (``fsync=False``:
    it does not, for a scratch copy).
    """

    #: Files fsynced at once by :meth:`sync`: the file system commits concurrent fsyncs together.
    SYNC_THREADS = 8

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(path)
        self.url = str(self.root)
        self._fsync = fsync
        self._lock = threading.Lock()
        #: Temporary names: this destination's random token and a counter, cheaper than ``tempfile``'s.
        self._token = secrets.token_hex(4)
        self._parts = itertools.count()
        self._unsynced_files: set[Path] = set()
        self._unsynced_folders: set[Path] = set()
        if self.root.exists() and not self.root.is_dir():
            raise ConfigurationError(f"export destination {self.root} exists and is not a folder")

    def __repr__(self) -> str:
        return f"FolderDestination({self.url!r})"

    def journal_path(self) -> Path:
        return self.root / "manifest.jsonl"

    def publish_journal(self) -> None:
        return None  # it is written in place

    def write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str = "application/octet-stream",
        size: int | None = None,
        sha256: str | None = None,
    ) -> StoredFile:
        target = self.root / _safe_key(key)
        self._make_folder(target.parent)
        part, handle = self._create_part(target)
        try:
            digest, written = hashlib.sha256(), 0
            with open(handle, "wb", buffering=0, closefd=True) as out:
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
            stored = StoredFile(written, digest.hexdigest())
            _check(key, stored, size, sha256)
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        with self._lock:
            self._unsynced_files.add(target)
            self._unsynced_folders.add(target.parent)
        return stored

    def _create_part(self, target: Path) -> tuple[Path, int]:
        """A new hidden temporary file beside ``target`` (``.<name>.<token>-<n>.part``), opened to write."""
        while True:
            part = target.with_name(f".{target.name}.{self._token}-{next(self._parts)}.part")
            try:
                return part, os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:  # left by an earlier run that drew the same token: take the next
                continue

    def _make_folder(self, folder: Path) -> None:
        """Create ``folder`` (and its parents); the folders that gain a name are synced later."""
        if folder.is_dir():
            return
        changed, probe = [], folder
        while not probe.is_dir() and probe.parent != probe:
            changed.append(probe.parent)
            probe = probe.parent
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._unsynced_folders.update(changed)

    def sync(self) -> None:
        with self._lock:
            files, self._unsynced_files = self._unsynced_files, set()
            folders, self._unsynced_folders = self._unsynced_folders, set()
        if not self._fsync:
            return
        # Files first, then the folders naming them: a name made durable names durable bytes.
        for group, fsync in ((files, _fsync_file), (folders, fsync_folder)):
            if len(group) > 1:
                with ThreadPoolExecutor(min(self.SYNC_THREADS, len(group))) as pool:
                    list(pool.map(fsync, group))
            else:
                for path in group:
                    fsync(path)

    def read(self, key: str) -> Iterator[bytes] | None:
        target = self.root / _safe_key(key)
        try:
            handle = target.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        return _file_chunks(handle)

    def keys(self, prefix: str = "") -> Iterator[str]:
        base = self.root / prefix if prefix else self.root
        if not base.is_dir():
            return
        for folder, _, files in os.walk(base):
            for name in files:
                yield (Path(folder) / name).relative_to(self.root).as_posix()

    def discard_partials(self, prefix: str) -> None:
        for key in list(self.keys(prefix)):
            if is_partial(key):
                (self.root / key).unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    """fsync a file written earlier; one removed since (a rewrite replaced it) needs none."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_folder(path: Path) -> None:
    """Make the names in a folder durable (renames, new files), where the system allows it."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    except PermissionError:  # a system that cannot open a folder (Windows) keeps its names itself
        return
    try:
        os.fsync(handle)
    except OSError as exc:  # some file systems do not fsync a folder: their names are kept already
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(handle)


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


class _ObjectStore:
    """What the object-store destinations (S3, Azure Blob) share: keys under a prefix, a local
    journal uploaded when a run ends (objects cannot be appended to), and writes that spool the
    media to a local temporary file first (in memory up to 8 MiB), so its size and sha256 are
    checked before the upload, which stores an object whole or not at all.

    A subclass sets ``prefix``, ``url``, ``read_back`` and ``_journal``, and says how an
    object is uploaded (:meth:`_upload`) and read (:meth:`read`).
    """

    prefix: str
    url: str
    read_back: bool
    _journal: Path

    def _key(self, key: str) -> str:
        relative = _safe_key(key).as_posix()
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def journal_path(self) -> Path:
        if not self._journal.exists():
            try:
                remote = self.read("manifest.jsonl")
            except Exception as exc:  # the store's SDK errors: no such bucket, no credentials, unreachable
                raise ConfigurationError(f"cannot read {self.url}: {type(exc).__name__}: {exc}") from exc
            if remote is not None:
                self._journal.parent.mkdir(parents=True, exist_ok=True)
                with self._journal.open("wb") as handle:
                    for chunk in remote:
                        handle.write(chunk)
        return self._journal

    def publish_journal(self) -> None:
        if self._journal.exists():
            self.write("manifest.jsonl", _file_chunks(self._journal.open("rb")), content_type="application/jsonl")

    def write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str = "application/octet-stream",
        size: int | None = None,
        sha256: str | None = None,
    ) -> StoredFile:
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            digest, written = hashlib.sha256(), 0
            for chunk in chunks:
                spool.write(chunk)
                digest.update(chunk)
                written += len(chunk)
            stored = StoredFile(written, digest.hexdigest())
            _check(key, stored, size, sha256)
            spool.seek(0)
            confirmed = self._upload(key, spool, stored, content_type)
        if self.read_back or not confirmed:
            _check(key, hash_chunks(self.read(key) or iter(())), written, stored.sha256)
        return stored

    def _upload(self, key: str, body: IO[bytes], stored: StoredFile, content_type: str) -> bool:
        """Store ``body`` (``stored`` says its size and sha256) under ``key``; whether the store
        confirmed what arrived (if not, the object is read back and hashed)."""
        raise NotImplementedError

    def read(self, key: str) -> Iterator[bytes] | None:
        raise NotImplementedError

    def discard_partials(self, prefix: str) -> None:
        return None  # an upload that fails leaves no object behind

    def sync(self) -> None:
        return None  # an object is durable once its upload has answered


class S3Destination(_ObjectStore):
    """A bucket (and key prefix) of S3 or an S3-compatible store, through a ``boto3`` client.

    ``PutObject`` stores an object whole or not at all. Each object is sent
    with its ``ChecksumSHA256``, which S3 checks on arrival (refusing a body
    that does not match) and echoes back. With ``read_back=False`` (the
    default) that echo is the confirmation, and an object the server did not
    confirm is read back and hashed; ``read_back=True`` reads every object back,
    for S3-compatible servers that echo a checksum without checking it.
    Media is spooled to a local temporary file first (in memory up to 8 MiB),
    so its checksum is known before the upload.

    S3 objects cannot be appended to, so the journal is a local file
    (``journal``; default under ``$XDG_STATE_HOME/anyvideo/exports/``), uploaded as
    ``<prefix>/manifest.jsonl`` when a run ends; a run that finds no local
    journal starts from that uploaded copy.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        journal: str | os.PathLike[str] | None = None,
        endpoint_url: str | None = None,
        read_back: bool = False,
    ) -> None:
        if not bucket or "/" in bucket:
            raise InvalidRequest("bucket", f"{bucket!r} is not a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        if client is None:
            try:
                import boto3
            except ImportError as exc:
                raise ConfigurationError("exporting to S3 needs boto3: pip install 'anyvideo[s3]'") from exc
            # boto3 reads AWS_ENDPOINT_URL (and credentials, region) from the environment itself.
            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.read_back = read_back
        self._journal = Path(journal) if journal is not None else _default_journal(bucket, self.prefix)

    def __repr__(self) -> str:
        return f"S3Destination({self.url!r})"

    def _upload(self, key: str, body: IO[bytes], stored: StoredFile, content_type: str) -> bool:
        if stored.size > S3_SINGLE_PUT_LIMIT:
            raise DamagedTransfer(f"{key}: {stored.size} bytes is more than one S3 PutObject takes (5 GiB)")
        checksum = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
        answer = self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=body,
            ContentLength=stored.size,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=checksum,
        )
        return bool(answer.get("ChecksumSHA256") == checksum)

    def read(self, key: str) -> Iterator[bytes] | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        body = answer["Body"]
        return _stream_chunks(body)

    def keys(self, prefix: str = "") -> Iterator[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=root + prefix):
            for item in page.get("Contents", ()):
                yield item["Key"][len(root) :]


class AzureBlobDestination(_ObjectStore):
    """A container (and name prefix) of Azure Blob Storage, through an ``azure-storage-blob``
    ``ContainerClient``.

    Each object is one block blob, uploaded with ``overwrite`` (so it is replaced whole, never
    doubled) and ``validate_content``: the SDK sends each request's MD5, which the service checks on
    arrival, refusing a body that does not match. Media is spooled to a local temporary file
    first (in memory up to 8 MiB), so its size and sha256 are checked before the upload; the
    sha256 is kept in the blob's metadata. ``read_back=True`` reads every object back and hashes it.

    Blobs cannot be appended to in place, so, as for S3, the journal is a local file
    (``journal``), uploaded as ``<prefix>/manifest.jsonl`` when a run ends.
    """

    def __init__(
        self,
        container: str,
        prefix: str = "",
        *,
        client: Any,
        journal: str | os.PathLike[str] | None = None,
        read_back: bool = False,
    ) -> None:
        if not container or "/" in container:
            raise InvalidRequest("container", f"{container!r} is not a container name")
        self.container = container
        self.prefix = prefix.strip("/")
        self.url = f"azure://{container}/{self.prefix}" if self.prefix else f"azure://{container}"
        self.client = client
        self.read_back = read_back
        self._journal = Path(journal) if journal is not None else _default_journal(f"azure-{container}", self.prefix)

    @classmethod
    def from_connection_string(
        cls, connection_string: str, container: str, prefix: str = "", **options: Any
    ) -> AzureBlobDestination:
        """The destination in the account a connection string names (``AZURE_STORAGE_CONNECTION_STRING``)."""
        try:
            from azure.storage.blob import ContainerClient
        except ImportError as exc:
            needs = "exporting to Azure needs azure-storage-blob: pip install 'anyvideo[azure]'"
            raise ConfigurationError(needs) from exc
        client = ContainerClient.from_connection_string(connection_string, container)
        return cls(container, prefix, client=client, **options)

    def __repr__(self) -> str:
        return f"AzureBlobDestination({self.url!r})"

    def _upload(self, key: str, body: IO[bytes], stored: StoredFile, content_type: str) -> bool:
        from azure.storage.blob import ContentSettings

        self.client.upload_blob(
            self._key(key),
            body,
            length=stored.size,
            overwrite=True,
            validate_content=True,  # the service checks each request's MD5 on arrival
            metadata={"sha256": stored.sha256},
            content_settings=ContentSettings(content_type=content_type),
        )
        return True

    def read(self, key: str) -> Iterator[bytes] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            downloader = self.client.download_blob(self._key(key))
        except ResourceNotFoundError:
            return None
        chunks: Iterator[bytes] = iter(downloader.chunks())
        return chunks

    def keys(self, prefix: str = "") -> Iterator[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        for blob in self.client.list_blobs(name_starts_with=root + prefix):
            yield blob.name[len(root) :]


def _stream_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(_CHUNK)
    finally:
        body.close()


def _default_journal(bucket: str, prefix: str) -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{bucket}/{prefix}".strip("/"))
    return Path(state) / "anyvideo" / "exports" / label / "manifest.jsonl"


def destination_from_url(
    url: str, *, s3_endpoint_url: str | None = None, s3_client: Any = None, journal: str | None = None
) -> Destination:
    """``s3://bucket/prefix`` → :class:`S3Destination`; anything else is a folder path.

    The S3 endpoint of an S3-compatible server comes from ``s3_endpoint_url``,
    else from ``AWS_ENDPOINT_URL`` (which boto3 reads itself).
    """
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://") :].partition("/")
        return S3Destination(bucket, prefix, client=s3_client, journal=journal, endpoint_url=s3_endpoint_url)
    if "://" in url:
        raise InvalidRequest("destination", f"{url!r}: give a folder path or s3://bucket/prefix")
    if journal is not None:
        raise InvalidRequest("journal", "a folder export keeps its journal in the folder (manifest.jsonl)")
    return FolderDestination(url)
