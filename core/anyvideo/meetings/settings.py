"""The service's configuration, read from the environment.

The backend is configured exactly as for :func:`anyvideo.connect` (``ANYVIDEO_BACKEND`` and
the backend's own variables); the rest is the service's own (``ANYVIDEO_MEETINGS_*``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import attrs

from anyvideo.errors import ConfigurationError

__all__ = ["DEFAULT_DATABASE_URL", "DEFAULT_SECRET_FILE", "MIN_SECRET_LENGTH", "Settings", "registry_location"]

#: With nothing configured: a SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite:///anyvideo-meetings.db"
#: With no ``ANYVIDEO_MEETINGS_AUTH_SECRET``: the secret is made once and kept in this file.
DEFAULT_SECRET_FILE = "anyvideo-meetings.secret"
#: The local backend's platform file when ``ANYVIDEO_LOCAL_DB`` is not set, so meetings
#: and their rooms survive a restart together.
DEFAULT_LOCAL_DB = "anyvideo-meetings-local.db"
#: HS256 wants a key at least as long as its hash (RFC 7518, 3.2): 32 bytes.
MIN_SECRET_LENGTH = 32
#: Request bodies larger than this are refused with 413.
DEFAULT_MAX_BODY = 256 * 1024


def _secret_from_file(path: Path) -> str:
    """The secret kept in ``path``, made (random, readable by its owner only) when missing."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process: theirs is the secret
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    return secret


def registry_location(database_url: str) -> str | None:
    """Where the backend's registry goes by default: the service's own database when anyvideo's
    registry can live there (a SQLite file or PostgreSQL), so every instance sharing the database
    shares the registry too; else ``None`` (the backend's default)."""
    scheme = database_url.partition("://")[0].lower()
    if scheme == "sqlite" and database_url not in ("sqlite://", "sqlite:///:memory:"):
        return database_url
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        return database_url
    return None


@attrs.frozen
class Settings:
    """What the service needs: where its database is, how it checks tokens, which backend.

    ``environ`` is what :func:`anyvideo.connect` reads the backend's configuration from
    (``ANYVIDEO_BACKEND`` and the backend's own variables); ``backend`` overrides its choice.
    """

    auth_secret: str = attrs.field(repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    backend: str | None = None
    environ: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    max_body: int = DEFAULT_MAX_BODY
    migrate_on_start: bool = True

    def __attrs_post_init__(self) -> None:
        if len(self.auth_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"ANYVIDEO_MEETINGS_AUTH_SECRET: the token secret must be at least {MIN_SECRET_LENGTH} characters"
            )
        if self.max_body < 1:
            raise ConfigurationError("ANYVIDEO_MEETINGS_MAX_BODY: must be a positive number of bytes")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment).

        ``ANYVIDEO_MEETINGS_DATABASE_URL`` (SQLAlchemy URL, default a SQLite file here),
        ``ANYVIDEO_MEETINGS_AUTH_SECRET`` (HS256 secret; default: made once and kept in
        ``ANYVIDEO_MEETINGS_SECRET_FILE``, ``anyvideo-meetings.secret``), ``ANYVIDEO_MEETINGS_MAX_BODY``
        (bytes). The local backend keeps its platform in ``anyvideo-meetings-local.db`` unless
        ``ANYVIDEO_LOCAL_DB`` says otherwise; the backend's registry (``ANYVIDEO_REGISTRY``) is the
        service's database unless that variable says otherwise (:func:`registry_location`).
        """
        environ = dict(os.environ if environ is None else environ)
        secret = environ.get("ANYVIDEO_MEETINGS_AUTH_SECRET") or _secret_from_file(
            Path(environ.get("ANYVIDEO_MEETINGS_SECRET_FILE") or DEFAULT_SECRET_FILE)
        )
        database_url = environ.get("ANYVIDEO_MEETINGS_DATABASE_URL") or DEFAULT_DATABASE_URL
        backend_environ = dict(environ)
        backend_environ.setdefault("ANYVIDEO_LOCAL_DB", DEFAULT_LOCAL_DB)
        registry = registry_location(database_url)
        if registry is not None and not environ.get("ANYVIDEO_REGISTRY"):
            backend_environ["ANYVIDEO_REGISTRY"] = registry
        raw_max_body = environ.get("ANYVIDEO_MEETINGS_MAX_BODY")
        try:
            max_body = int(raw_max_body) if raw_max_body else DEFAULT_MAX_BODY
        except ValueError:
            raise ConfigurationError(f"ANYVIDEO_MEETINGS_MAX_BODY: not a number of bytes: {raw_max_body!r}") from None
        return cls(
            auth_secret=secret,
            database_url=database_url,
            environ=backend_environ,
            max_body=max_body,
        )
