"""The storage target (``PUT /archives/storage-target``): an S3 bucket or an Azure Blob container
that every recording which becomes available is copied to, by a durable job.

The target's credentials are encrypted at rest with Fernet (``cryptography``), under the key in
``ANYVIDEO_MEETINGS_STORAGE_KEY``; they are never answered, logged or shown in a repr (the
bodies hold them as ``SecretStr``). The copy reuses the export's destinations
(:class:`~anyvideo.migrate.destinations.S3Destination`,
:class:`~anyvideo.migrate.destinations.AzureBlobDestination`), with the export's layout
(``recordings/<provider>/<id>/<file name>`` under the target's prefix): the key of an object
depends only on the recording, so a copy done twice leaves one object.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from sqlalchemy import select, update

from anyvideo.errors import ConfigurationError, NotFound
from anyvideo.meetings.db import Archive, Meeting, StorageTarget, utcnow
from anyvideo.meetings.problems import ProblemError
from anyvideo.meetings.schema import Body
from anyvideo.migrate.destinations import AzureBlobDestination, Destination, S3Destination, hash_chunks
from anyvideo.models import MediaFile, Recording, RecordingStatus

if TYPE_CHECKING:
    from anyvideo.meetings.auth import Principal
    from anyvideo.meetings.service import MeetingService

__all__ = [
    "COPY",
    "STORAGE_KEY_VARIABLE",
    "AzureTarget",
    "S3Target",
    "StorageTargetBody",
    "StorageTargets",
    "Vault",
]

log = logging.getLogger("anyvideo.meetings.storage")

#: The job kind of a copy to the storage target.
COPY = "storage.copy"
#: Where the service reads the key that encrypts storage credentials.
STORAGE_KEY_VARIABLE = "ANYVIDEO_MEETINGS_STORAGE_KEY"
#: How to make one, as the refusal says.
MAKE_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'

#: S3 bucket names (AWS, "Bucket naming rules"): 3-63 lowercase letters, digits, dots and hyphens.
BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
#: Azure container names ("Naming and referencing containers"): 3-63 lowercase letters, digits and
#: hyphens, starting and ending with a letter or digit (and no two hyphens together: checked apart).
CONTAINER = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
#: A key prefix: printable; no empty, ``.`` or ``..`` parts (checked apart).
PREFIX = r"^[^\x00-\x1f\\]*$"
URL = r"^https?://[^\s/?#]+(?:/[^\s?#]*)?$"


def _relative(prefix: str) -> str:
    """A prefix is a relative path without empty, ``.`` or ``..`` parts (one trailing slash is fine)."""
    parts = prefix.removesuffix("/").split("/")
    if prefix and (prefix.startswith("/") or any(part in ("", ".", "..") for part in parts)):
        raise ValueError("a relative path, without empty, '.' or '..' parts")
    return prefix


class S3Target(Body):
    """An S3 bucket (or an S3-compatible server's, at ``endpointUrl``) with its access key."""

    type: Literal["s3"]
    bucket: str = Field(pattern=BUCKET, description="The bucket (3-63 lowercase letters, digits, dots, hyphens).")
    prefix: str = Field(default="", max_length=512, pattern=PREFIX, description="Where in the bucket.")
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,32}$", description="The bucket's region.")
    endpoint_url: str | None = Field(
        default=None, max_length=1024, pattern=URL, description="An S3-compatible server (default: AWS)."
    )
    access_key_id: str = Field(min_length=1, max_length=128, repr=False)
    secret_access_key: SecretStr = Field(min_length=1, max_length=256)
    session_token: SecretStr | None = Field(default=None, min_length=1, max_length=4096)

    _prefix = field_validator("prefix")(lambda value: _relative(value))


class AzureTarget(Body):
    """An Azure Blob Storage container: by ``connectionString``, or by ``accountUrl`` with
    ``accountName`` and ``accountKey``, or with a ``sasToken``."""

    type: Literal["azure"]
    container: str = Field(pattern=CONTAINER, description="The container (3-63 lowercase letters, digits, hyphens).")
    prefix: str = Field(default="", max_length=512, pattern=PREFIX, description="Where in the container.")
    account_url: str | None = Field(
        default=None, max_length=1024, pattern=URL, description="The account's blob endpoint."
    )
    account_name: str | None = Field(default=None, min_length=3, max_length=64, pattern=r"^[a-z0-9]+$")
    account_key: SecretStr | None = Field(default=None, min_length=1, max_length=256)
    sas_token: SecretStr | None = Field(default=None, min_length=1, max_length=4096)
    connection_string: SecretStr | None = Field(default=None, min_length=1, max_length=4096)

    _prefix = field_validator("prefix")(lambda value: _relative(value))

    @field_validator("container")
    @classmethod
    def _single_hyphens(cls, value: str) -> str:
        if "--" in value:
            raise ValueError("a container name has no two hyphens together")
        return value


#: ``PUT /archives/storage-target``'s body: one of the two, by ``type``.
StorageTargetBody = Annotated[S3Target | AzureTarget, Field(discriminator="type")]


class Vault:
    """Encrypts and decrypts storage credentials with a Fernet key; its repr shows no key."""

    def __init__(self, key: str) -> None:
        from cryptography.fernet import Fernet

        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"{STORAGE_KEY_VARIABLE}: not a Fernet key (32 url-safe base64-encoded bytes); make one with {MAKE_KEY}"
            ) from None

    def __repr__(self) -> str:
        return "Vault(<key>)"

    def seal(self, secrets: Mapping[str, str]) -> str:
        """``secrets`` as ciphertext."""
        return self._fernet.encrypt(json.dumps(dict(secrets), sort_keys=True).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        """The secrets ``sealed`` holds; :class:`ConfigurationError` under another key."""
        from cryptography.fernet import InvalidToken

        try:
            return dict(json.loads(self._fernet.decrypt(sealed.encode())))
        except InvalidToken:
            raise ConfigurationError(
                f"the storage target's credentials do not decrypt with {STORAGE_KEY_VARIABLE}: was the key changed?"
            ) from None


def _secrets(body: S3Target | AzureTarget) -> dict[str, str]:
    names = (
        ("secret_access_key", "session_token")
        if isinstance(body, S3Target)
        else ("account_key", "sas_token", "connection_string")
    )
    found = {name: getattr(body, name) for name in names}
    plain = {name: value.get_secret_value() for name, value in found.items() if value is not None}
    if isinstance(body, S3Target):
        plain["access_key_id"] = body.access_key_id
    elif body.account_name is not None:
        plain["account_name"] = body.account_name  # the account the key signs for
    return plain


def _check_azure(body: AzureTarget) -> None:
    """One way to sign in, with what it needs."""
    if body.connection_string is not None:
        for name, alias in (("account_url", "accountUrl"), ("account_key", "accountKey"), ("sas_token", "sasToken")):
            if getattr(body, name) is not None:
                reason = f"{alias}: the connection string says it already; give one or the other"
                raise ProblemError(400, reason, field=alias)
        return
    if body.account_url is None:
        raise ProblemError(400, "accountUrl: needed unless a connectionString is given", field="accountUrl")
    if (body.account_key is None) == (body.sas_token is None):
        raise ProblemError(400, "accountKey: give the account key or a sasToken (one of them)", field="accountKey")
    if body.account_key is not None and body.account_name is None:
        raise ProblemError(400, "accountName: the account key signs for an account name", field="accountName")


class StorageTargets:
    """The service's storage target: set by the API, and the copy jobs to it."""

    def __init__(self, service: MeetingService, vault: Vault | None) -> None:
        self.service = service
        self.vault = vault

    def set(self, body: S3Target | AzureTarget, caller: Principal) -> str:
        """Make ``body`` the target (the one before is soft-deleted); answers its URL (no credentials)."""
        if self.vault is None:
            raise ProblemError(
                503,
                f"storage credentials are encrypted at rest, and {STORAGE_KEY_VARIABLE} is not set: "
                f"set it to a Fernet key (make one with {MAKE_KEY}) and restart the service",
            )
        if isinstance(body, AzureTarget):
            _check_azure(body)
            row = StorageTarget(kind="azure", container=body.container, endpoint_url=body.account_url)
        else:
            row = StorageTarget(kind="s3", container=body.bucket, endpoint_url=body.endpoint_url, region=body.region)
        row.prefix = body.prefix.strip("/")
        row.credentials = self.vault.seal(_secrets(body))
        row.created_by = row.modified_by = caller.subject
        with self.service.sessions.begin() as session:
            session.execute(
                update(StorageTarget)
                .where(StorageTarget.deleted.is_(False))
                .values(deleted=True, deleted_on=utcnow(), deleted_by=caller.subject, modified_by=caller.subject)
            )
            session.add(row)
        return _url(row)

    def copy_later(self, recording: Recording) -> None:
        """Enqueue the copy of an available recording to the current target (once per target)."""
        if recording.status is not RecordingStatus.AVAILABLE:
            return
        with self.service.sessions() as session:
            target = session.scalar(
                select(StorageTarget.id).where(StorageTarget.deleted.is_(False)).order_by(StorageTarget.id.desc())
            )
        if target is not None:
            payload = {"archiveId": recording.ref, "target": target}
            self.service.jobs.enqueue(COPY, payload, key=f"{COPY}:{target}:{recording.ref}")

    def destination(self, target: StorageTarget) -> Destination:
        """The export destination of ``target``, signed in with its decrypted credentials."""
        if self.vault is None:
            raise ConfigurationError(f"{STORAGE_KEY_VARIABLE} is not set: the target's credentials cannot be read")
        secrets = self.vault.open(target.credentials)
        if target.kind == "s3":
            import boto3

            client = boto3.client(
                "s3",
                endpoint_url=target.endpoint_url,
                region_name=target.region or "us-east-1",
                aws_access_key_id=secrets["access_key_id"],
                aws_secret_access_key=secrets["secret_access_key"],
                aws_session_token=secrets.get("session_token"),
            )
            return S3Destination(target.container, target.prefix, client=client)
        from azure.storage.blob import ContainerClient

        if "connection_string" in secrets:
            container = ContainerClient.from_connection_string(secrets["connection_string"], target.container)
        else:
            credential: Any = secrets.get("sas_token")
            if "account_key" in secrets:
                credential = {"account_name": secrets["account_name"], "account_key": secrets["account_key"]}
            assert target.endpoint_url is not None
            container = ContainerClient(target.endpoint_url, target.container, credential=credential)
        return AzureBlobDestination(target.container, target.prefix, client=container)

    def copy(self, payload: Mapping[str, Any]) -> None:
        """The copy job: every file of the recording into the target, each whole and verified;
        a file already there with the recording's size and sha256 is kept."""
        ref = str(payload["archiveId"])
        with self.service.sessions() as session:
            target = session.get(StorageTarget, int(payload["target"]))
            if target is None or target.deleted:
                log.info("the storage target of %s was replaced before its copy: not copied", ref)
                return
            session.expunge(target)
        try:
            recording = self.service.video.recordings.get(ref)
        except NotFound:
            log.info("%s was deleted before its copy: not copied", ref)
            return
        if recording.status is not RecordingStatus.AVAILABLE:
            raise RuntimeError(f"{ref} is {recording.status.value}, not available: it is copied once it is")
        destination = self.destination(target)
        folder = f"recordings/{recording.provider}/{recording.id}/"
        for media in recording.files:
            if not _stored(destination, folder + media.name, media):
                chunks = self.service.video.recordings.iter_bytes(recording, file_name=media.name)
                destination.write(
                    folder + media.name, chunks, content_type=media.content_type, size=media.size, sha256=media.sha256
                )
        with self.service.sessions.begin() as session:
            meeting = session.scalar(select(Archive.meeting_id).where(Archive.archive_id == ref))
            if meeting is not None:
                session.execute(update(Meeting).where(Meeting.id == meeting).values(upload_target=destination.url))


def _stored(destination: Destination, key: str, media: MediaFile) -> bool:
    """Whether ``key`` holds ``media`` already (a copy done before a crash), by its sha256 and size."""
    if not media.sha256:
        return False
    chunks = destination.read(key)
    if chunks is None:
        return False
    got = hash_chunks(chunks)
    return got.sha256 == media.sha256.lower() and (media.size is None or got.size == media.size)


def _url(target: StorageTarget) -> str:
    scheme = "s3" if target.kind == "s3" else "azure"
    return f"{scheme}://{target.container}/{target.prefix}" if target.prefix else f"{scheme}://{target.container}"
