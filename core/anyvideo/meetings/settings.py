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
#: How long keys read from the JWKS URL are kept before they are read again, in seconds.
DEFAULT_JWKS_CACHE = 300.0
#: The shortest time between two reads of the JWKS URL for a key id not among the cached keys,
#: in seconds: tokens with made-up key ids cannot make the service hammer the identity provider.
DEFAULT_JWKS_COOLDOWN = 30.0


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ConfigurationError(f"{name}: not a number of seconds: {raw!r}") from None


#: How long a worker's claim on a job lasts unless renewed (it renews every third of it).
DEFAULT_JOB_LEASE = 60.0


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
    #: Where an identity provider publishes the keys its RS256/ES256 tokens are signed with.
    jwks_url: str | None = None
    #: The ``iss`` and ``aud`` a JWKS-verified token must carry, when given.
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_cache_seconds: float = DEFAULT_JWKS_CACHE
    jwks_cooldown_seconds: float = DEFAULT_JWKS_COOLDOWN
    #: The secret ``POST /webhooks/session`` is signed with (HMAC-SHA256); ``None``: it is refused.
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    #: The Fernet key storage credentials are encrypted with (``ANYVIDEO_MEETINGS_STORAGE_KEY``).
    storage_key: str | None = attrs.field(default=None, repr=False)
    #: Seconds a job's claim lasts unless renewed: how soon a killed worker's job runs again.
    job_lease: float = DEFAULT_JOB_LEASE
    #: Run the job worker in the app (off: jobs wait for ``app.state.jobs.drain()``).
    run_worker: bool = True

    def __attrs_post_init__(self) -> None:
        if len(self.auth_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"ANYVIDEO_MEETINGS_AUTH_SECRET: the token secret must be at least {MIN_SECRET_LENGTH} characters"
            )
        if self.webhook_secret is not None and len(self.webhook_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"ANYVIDEO_MEETINGS_WEBHOOK_SECRET: the webhook secret must be at least {MIN_SECRET_LENGTH} characters"
            )
        if self.jwks_url is not None and not self.jwks_url.startswith(("https://", "http://")):
            raise ConfigurationError("ANYVIDEO_MEETINGS_JWKS_URL: must be an https:// (or http://) URL")
        if self.jwks_cache_seconds < 0 or self.jwks_cooldown_seconds < 0:
            raise ConfigurationError("ANYVIDEO_MEETINGS_JWKS_CACHE_SECONDS/COOLDOWN_SECONDS: cannot be negative")
        if self.max_body < 1:
            raise ConfigurationError("ANYVIDEO_MEETINGS_MAX_BODY: must be a positive number of bytes")
        if not self.job_lease > 0:
            raise ConfigurationError("ANYVIDEO_MEETINGS_JOB_LEASE: must be a positive number of seconds")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment).

        ``ANYVIDEO_MEETINGS_DATABASE_URL`` (SQLAlchemy URL, default a SQLite file here),
        ``ANYVIDEO_MEETINGS_AUTH_SECRET`` (HS256 secret; default: made once and kept in
        ``ANYVIDEO_MEETINGS_SECRET_FILE``, ``anyvideo-meetings.secret``), ``ANYVIDEO_MEETINGS_MAX_BODY``
        (bytes), ``ANYVIDEO_MEETINGS_STORAGE_KEY`` (the Fernet key of the storage target's
        credentials), ``ANYVIDEO_MEETINGS_JOB_LEASE`` (seconds). The local backend keeps its
        platform in ``anyvideo-meetings-local.db`` unless ``ANYVIDEO_LOCAL_DB`` says otherwise; the
        backend's registry (``ANYVIDEO_REGISTRY``) is the service's database unless that variable
        says otherwise (:func:`registry_location`).

        Tokens of an identity provider: ``ANYVIDEO_MEETINGS_JWKS_URL`` (its keys),
        ``ANYVIDEO_MEETINGS_JWT_ISSUER`` and ``ANYVIDEO_MEETINGS_JWT_AUDIENCE`` (checked when set),
        ``ANYVIDEO_MEETINGS_JWKS_CACHE_SECONDS`` and ``ANYVIDEO_MEETINGS_JWKS_COOLDOWN_SECONDS``.
        The third party's webhook: ``ANYVIDEO_MEETINGS_WEBHOOK_SECRET`` (unset: refused).
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
        raw_lease = environ.get("ANYVIDEO_MEETINGS_JOB_LEASE")
        try:
            job_lease = float(raw_lease) if raw_lease else DEFAULT_JOB_LEASE
        except ValueError:
            raise ConfigurationError(f"ANYVIDEO_MEETINGS_JOB_LEASE: not a number of seconds: {raw_lease!r}") from None
        return cls(
            auth_secret=secret,
            storage_key=environ.get("ANYVIDEO_MEETINGS_STORAGE_KEY") or None,
            job_lease=job_lease,
            database_url=database_url,
            environ=backend_environ,
            max_body=max_body,
            jwks_url=environ.get("ANYVIDEO_MEETINGS_JWKS_URL") or None,
            jwt_issuer=environ.get("ANYVIDEO_MEETINGS_JWT_ISSUER") or None,
            jwt_audience=environ.get("ANYVIDEO_MEETINGS_JWT_AUDIENCE") or None,
            jwks_cache_seconds=_seconds(environ, "ANYVIDEO_MEETINGS_JWKS_CACHE_SECONDS", DEFAULT_JWKS_CACHE),
            jwks_cooldown_seconds=_seconds(environ, "ANYVIDEO_MEETINGS_JWKS_COOLDOWN_SECONDS", DEFAULT_JWKS_COOLDOWN),
            webhook_secret=environ.get("ANYVIDEO_MEETINGS_WEBHOOK_SECRET") or None,
        )
