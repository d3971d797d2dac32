"""Plugin loading: one pluggy manager per :class:`Plugins`, entry points loaded once.

``ANYVIDEO_PLUGINS=name,name`` restricts loading to the named entry points, so a
test run or a locked-down deployment loads exactly what it names. A plugin that
fails to import does not break anyvideo: its error is kept and reported when
someone selects a backend that is then missing.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pluggy

from anyvideo import hookspecs
from anyvideo.backend import Backend
from anyvideo.errors import BackendNotFound, ConfigurationError

__all__ = ["ENTRY_POINT_GROUP", "Plugins"]

ENTRY_POINT_GROUP = "anyvideo"


class Plugins:
    """The installed plugins and the backends they register.

    Nothing is loaded until first needed. Pass ``names`` (or set
    ``ANYVIDEO_PLUGINS``) to load only those entry points, and ``extra`` to
    register plugin objects directly (handy in tests).
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        *,
        extra: Iterable[Any] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        if names is None and environ.get("ANYVIDEO_PLUGINS"):
            names = [n.strip() for n in environ["ANYVIDEO_PLUGINS"].split(",") if n.strip()]
        self._allowed = None if names is None else frozenset(names)
        self._extra = list(extra)
        self._manager: pluggy.PluginManager | None = None
        self._backends: dict[str, type[Backend]] = {}
        self.broken: dict[str, Exception] = {}
        """Entry points that failed to load, by name, with their error."""

    @property
    def manager(self) -> pluggy.PluginManager:
        """The pluggy manager, with every allowed plugin registered."""
        if self._manager is None:
            self._manager = self._load()
        return self._manager

    def _load(self) -> pluggy.PluginManager:
        manager = pluggy.PluginManager("anyvideo")
        manager.add_hookspecs(hookspecs)
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self._allowed is not None and entry_point.name not in self._allowed:
                continue
            if manager.has_plugin(entry_point.name) or entry_point.name in self.broken:
                continue  # the same distribution seen twice on sys.path
            try:
                plugin = entry_point.load()
            except Exception as exc:  # a broken third-party plugin must not break anyvideo
                self.broken[entry_point.name] = exc
                continue
            manager.register(plugin, name=entry_point.name)
        for plugin in self._extra:
            manager.register(plugin)
        manager.check_pending()
        manager.hook.anyvideo_register_backends(register=self._register)
        return manager

    def _register(self, name: str, backend_class: type[Backend]) -> None:
        if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
            raise ConfigurationError(f"backend {name!r} must be a subclass of anyvideo.Backend")
        existing = self._backends.get(name)
        if existing is not None and existing is not backend_class:
            raise ConfigurationError(
                f"two plugins register a backend named {name!r}: "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{backend_class.__module__}.{backend_class.__qualname__}"
            )
        self._backends[name] = backend_class

    def backends(self) -> dict[str, type[Backend]]:
        """Every registered backend class, by name."""
        self.manager  # noqa: B018 -- loading registers the backends
        return dict(sorted(self._backends.items()))

    def backend(self, name: str) -> type[Backend]:
        """The backend class called ``name``, or :class:`BackendNotFound` naming the installed ones."""
        backends = self.backends()
        if name in backends:
            return backends[name]
        broken = {plugin: f"{type(exc).__name__}: {exc}" for plugin, exc in self.broken.items()}
        error = BackendNotFound(name, backends, broken=broken)
        raise error from self.broken.get(name)
