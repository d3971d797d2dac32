"""Archive downloads: the files the emulator serves at an archive's ``url``.

A composed archive is one file (``archive.mp4``), an individual one a zip of
one file per stream (``archive.zip``), as the provider delivers them; the
bytes are the simulated platform's deterministic media, so size and checksum
are stable. Like the provider's (obfuscated, 10-minute) URLs, a download URL
is signed and expires by the emulator's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import secrets
import urllib.parse
import zipfile
from datetime import datetime

import attrs

from anyvideo.models import RecordingMode
from anyvideo.sim import World, media
from anyvideo.sim.records import RecordingRecord

__all__ = ["ArchiveFile", "Downloads", "archive_file", "transcript_file"]

#: The zip entries' timestamp: fixed, so the zip's bytes depend only on its contents.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@attrs.frozen
class ArchiveFile:
    name: str
    content_type: str
    data: bytes = attrs.field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def archive_file(world: World, record: RecordingRecord) -> ArchiveFile:
    """The download of an available archive."""
    if record.mode is RecordingMode.COMPOSED:
        data = world.media("recording", record.id, f"{record.id}.sim")
        return ArchiveFile("archive.mp4", media.CONTENT_TYPE, data)
    buffer = io.BytesIO()
    # The zip's JSON metadata file names each stream's file, with its size and when it starts
    # and stops in the archive (milliseconds), as the provider's does.
    timing = {f.stream_id: f for f in record.files}
    files = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for stream_id, _ in record.sources:
            data = world.media("recording", record.id, f"{stream_id}.sim")
            archive.writestr(zipfile.ZipInfo(f"{stream_id}.sim", date_time=_ZIP_EPOCH), data)
            entry: dict[str, object] = {"streamId": stream_id, "filename": f"{stream_id}.sim", "size": len(data)}
            known = timing.get(stream_id)
            if known is not None and known.offset is not None and known.duration is not None:
                entry["startTimeOffset"] = round(known.offset * 1000)
                entry["stopTimeOffset"] = round((known.offset + known.duration) * 1000)
            files.append(entry)
        manifest = {"id": record.id, "sessionId": record.room_id, "files": files}
        archive.writestr(zipfile.ZipInfo(f"{record.id}.json", date_time=_ZIP_EPOCH), json.dumps(manifest))
    return ArchiveFile("archive.zip", "application/zip", buffer.getvalue())


def transcript_file(record: RecordingRecord, language: str) -> ArchiveFile:
    """The transcription of an available archive: the simulated platform hears no speech,
    so it lists the streams transcribed with no words."""
    document = {
        "archiveId": record.id,
        "primaryLanguageCode": language,
        "streams": [{"streamId": sid, "transcript": []} for sid, _ in record.sources],
    }
    return ArchiveFile("transcription.json", "application/json", json.dumps(document).encode())


class Downloads:
    """Signs and checks download URLs: ``{base}/_emulator/vonage/archives/{id}/{file}?expires=…&signature=…``."""

    PATH = "/_emulator/vonage/archives/{archive_id}/{file_name}"

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __repr__(self) -> str:
        return "Downloads()"

    def _sign(self, archive_id: str, file_name: str, expires: int) -> str:
        message = f"{archive_id}/{file_name}/{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, archive_id: str, file_name: str, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        query = urllib.parse.urlencode({"expires": expires, "signature": self._sign(archive_id, file_name, expires)})
        return base_url + self.PATH.format(archive_id=archive_id, file_name=file_name) + "?" + query

    def valid(self, archive_id: str, file_name: str, expires: str | None, signature: str | None, now: datetime) -> bool:
        """Whether a URL's signature is genuine and it has not expired."""
        if not expires or not expires.isdigit() or not signature:
            return False
        genuine = hmac.compare_digest(self._sign(archive_id, file_name, int(expires)), signature)
        return genuine and now.timestamp() < int(expires)
