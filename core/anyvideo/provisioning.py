"""Provisioning: from an account to the settings an application needs, in one call.

``anyvideo provision <backend> --public-url URL`` (and :func:`provision`) asks the
backend's provisioner, which a plugin registers through the
``anyvideo_register_provisioners`` hook, to make (or bring up to date) what the
provider keeps for an application: credentials, and callbacks pointed at
anyvideo's webhook endpoint under the public URL (:data:`WEBHOOK_PATH`, where
``anyvideo serve`` receives them). The answer, a :class:`Provisioned`, holds the
settings as the environment variables the backend reads, printable as ``export``
lines or JSON; secrets in it never appear in a ``repr``.

What a provisioner does is its provider's: see ``docs/provisioning.md``.
"""

from __future__ import annotations

import functools
import importlib
import os
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from anyvideo.errors import BackendNotFound, ConfigurationError, InvalidRequest
from anyvideo.plugins import Plugins

__all__ = ["WEBHOOK_PATH", "ProvisionRequest", "Provisioned", "Provisioner", "provision", "provisioners", "webhook_url"]

#: Where anyvideo receives its provider's callbacks, under the application's public URL
#: (``anyvideo serve`` answers there).
WEBHOOK_PATH = "/webhooks/provider"


def webhook_url(public_url: str) -> str:
    """anyvideo's webhook endpoint under ``public_url`` (an http(s) URL, perhaps with a path);
    :class:`~anyvideo.InvalidRequest` for anything else, before any request."""
    split = urlsplit(public_url if isinstance(public_url, str) else "")
    if split.scheme not in ("http", "https") or not split.hostname or split.query or split.fragment:
        raise InvalidRequest(
            "public_url", "must be the http(s) URL the application is reachable at, such as https://video.example.com"
        )
    return public_url.rstrip("/") + WEBHOOK_PATH


@attrs.frozen
class ProvisionRequest:
    """What to provision: ``name`` of the application (or key), the ``public_url`` callbacks
    go under, whether phones join (``phone``), whether to replace an existing key
    (``rotate_key``), where a private key is kept (``key_file``; the provisioner's default
    if ``None``), and the backend's own ``settings`` (account credentials…), read as
    :func:`anyvideo.connect` reads them, then from ``environ``."""

    name: str
    public_url: str
    phone: bool = False
    rotate_key: bool = False
    key_file: Path | None = None
    settings: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    environ: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @property
    def webhook_url(self) -> str:
        """Where the provider's callbacks go (:func:`webhook_url`)."""
        return webhook_url(self.public_url)


@attrs.frozen
class Provisioned:
    """What a provisioner made or brought up to date, and the settings an application needs.

    ``settings`` are environment variables (``ANYVIDEO_BACKEND``, the provider's
    credentials…); those named in ``secret`` are shown only by :meth:`exports` and
    :meth:`to_json`, which the user asked for, never by ``repr``. ``created`` says
    whether ``resource`` is new (``False``: found and updated in place). ``notes`` are
    sentences for the user: what else to do, what was kept.
    """

    backend: str
    resource: str
    created: bool
    settings: Mapping[str, str] = attrs.field(repr=False)
    secret: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    #: The provider's own description of the resource (without secrets).
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def __repr__(self) -> str:
        shown = {name: ("***" if name in self.secret else value) for name, value in self.settings.items()}
        return (
            f"Provisioned(backend={self.backend!r}, resource={self.resource!r}, created={self.created!r},"
            f" settings={shown!r})"
        )

    def exports(self) -> str:
        """The settings as ``export NAME=value`` lines, quoted for a POSIX shell."""
        return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in self.settings.items())

    def to_json(self) -> dict[str, Any]:
        """``backend``, ``resource``, ``created``, ``settings`` (secrets included: the user asked) and ``notes``."""
        return {
            "backend": self.backend,
            "resource": self.resource,
            "created": self.created,
            "settings": dict(self.settings),
            "notes": list(self.notes),
        }


#: A backend's provisioner: ``provision(request)`` makes or updates, and says the settings.
Provisioner = Callable[[ProvisionRequest], Provisioned]


def provisioners(plugins: Plugins) -> dict[str, Provisioner | str]:
    """The provisioners the installed plugins register, by backend name (a ``"module:function"``
    path is imported only when used); a name two plugins claim is left out."""
    found: dict[str, dict[str, Provisioner | str]] = {}

    def register(plugin: str, name: str, provisioner: Provisioner | str) -> None:
        if isinstance(provisioner, str) and ":" not in provisioner:
            raise ConfigurationError(f"provisioner {name!r} must be a function or a 'module:function' path")
        found.setdefault(name, {})[plugin] = provisioner

    for impl in plugins.manager.hook.anyvideo_register_provisioners.get_hookimpls():
        impl.function(register=functools.partial(register, impl.plugin_name))
    return {name: next(iter(by.values())) for name, by in sorted(found.items()) if len(by) == 1}


def provision(
    backend: str,
    *,
    name: str,
    public_url: str,
    phone: bool = False,
    rotate_key: bool = False,
    key_file: str | os.PathLike[str] | None = None,
    plugins: Plugins | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> Provisioned:
    """Make (or, run again, update in place) what ``backend``'s provider keeps for an
    application called ``name``, with its callbacks at :func:`webhook_url` of ``public_url``.

    ``settings`` are the backend's, read as :func:`anyvideo.connect` reads them (account
    credentials among them), then from ``environ`` (default: ``os.environ``).
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequest("name", "must be a non-empty string")
    request = ProvisionRequest(
        name=name,
        public_url=public_url,
        phone=phone,
        rotate_key=rotate_key,
        key_file=None if key_file is None else Path(key_file),
        settings=settings,
        environ=dict(os.environ if environ is None else environ),
    )
    request.webhook_url  # noqa: B018 -- checked before any request
    plugins = plugins or Plugins(environ=request.environ)
    available = provisioners(plugins)
    found = available.get(backend)
    if found is None:
        if backend not in plugins.backend_names():
            raise BackendNotFound(backend, plugins.backend_names())
        known = ", ".join(available) or "none"
        raise ConfigurationError(f"the {backend} backend has no provisioner (backends that have one: {known})")
    if isinstance(found, str):
        module, _, attribute = found.partition(":")
        found = getattr(importlib.import_module(module), attribute)
    return found(request)
