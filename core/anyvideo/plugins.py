"""Plugin loading: one pluggy manager per :class:`Plugins`, entry points loaded once.

``ANYVIDEO_PLUGINS=name,name`` restricts loading to the named entry points, so a
test run or a locked-down deployment loads exactly what it names. A plugin that
fails to import does not break anyvideo: its error is kept and reported when
someone selects a backend that is then missing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from anyvideo import hookspecs
from anyvideo.backend import Backend
from anyvideo.errors import BackendNotFound, ConfigurationError, MissingExtra

if TYPE_CHECKING:
    from anyvideo.testing.server import Emulator

__all__ = ["ENTRY_POINT_GROUP", "Plugins", "lazy_exports"]

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
        self._providers: dict[str, dict[str, type[Backend] | str]] = {}
        self._emulators: dict[str, dict[str, type[Emulator] | str]] = {}
        self.broken: dict[str, Exception] = {}
        """Entry points that failed to load, by name, with their error."""
        self._distributions: dict[str, importlib.metadata.Distribution] = {}

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
            if entry_point.dist is not None:
                self._distributions[entry_point.name] = entry_point.dist
            try:
                manager.register(entry_point.load(), name=entry_point.name)
                manager.check_pending()
            except Exception as exc:  # an installed plugin that is broken must not break anyvideo
                if manager.has_plugin(entry_point.name):
                    manager.unregister(name=entry_point.name)
                self.broken[entry_point.name] = exc
        given_in_code = set()
        for plugin in self._extra:
            try:
                given_in_code.add(manager.register(plugin))
                manager.check_pending()
            except (ValueError, pluggy.PluginValidationError) as exc:
                raise ConfigurationError(f"{plugin!r} is not a valid anyvideo plugin: {exc}") from exc
        self._call_registrations(manager.hook.anyvideo_register_backends, self._register, given_in_code)
        self._call_registrations(manager.hook.anyvideo_register_emulators, self._register_emulator, given_in_code)
        return manager

    def _call_registrations(
        self, hook: pluggy.HookCaller, register: Callable[..., None], given_in_code: set[str | None]
    ) -> None:
        for impl in hook.get_hookimpls():
            try:
                impl.function(register=functools.partial(register, impl.plugin_name))
            except Exception as exc:
                if impl.plugin_name in given_in_code:  # the caller's own code: fail loudly
                    raise
                self.broken[impl.plugin_name] = exc

    def _register(self, plugin: str, name: str, backend_class: type[Backend] | str) -> None:
        if isinstance(backend_class, str):
            _check_path("backend", name, backend_class)
        else:
            _check_backend(name, backend_class)
        self._providers.setdefault(name, {})[plugin] = backend_class

    def _register_emulator(self, plugin: str, name: str, emulator: type[Emulator] | str) -> None:
        if isinstance(emulator, str):
            _check_path("emulator", name, emulator)
        elif not isinstance(emulator, type):
            raise ConfigurationError(f"emulator {name!r} must be a class or a 'module:Class' path")
        self._emulators.setdefault(name, {})[plugin] = emulator

    def emulator_names(self) -> list[str]:
        """The names of every registered emulator (one per backend it stands in for), sorted.

        Nothing is imported: an emulator registered by path loads only in :meth:`emulator`.
        """
        self.manager  # noqa: B018 -- loading registers the emulators
        return sorted(name for name, by in self._emulators.items() if len(by) == 1)

    def emulator(self, name: str) -> type[Emulator]:
        """The emulator class registered as ``name`` (imported on first use)."""
        from anyvideo.testing.server import Emulator

        self.manager  # noqa: B018 -- loading registers the emulators
        by = self._emulators.get(name, {})
        if len(by) != 1:
            if by:
                raise ConfigurationError(
                    f"plugins {', '.join(map(repr, sorted(by)))} all register an emulator named {name!r};"
                    " uninstall one, or choose with ANYVIDEO_PLUGINS"
                )
            known = ", ".join(self.emulator_names()) or "none"
            raise ConfigurationError(f"no emulator named {name!r} is installed (there are: {known})")
        registered = next(iter(by.values()))
        if isinstance(registered, str):
            registered = _import(registered)
        if not (isinstance(registered, type) and issubclass(registered, Emulator)):
            raise ConfigurationError(f"emulator {name!r} is not a subclass of anyvideo.testing.Emulator")
        return registered

    def backend_names(self) -> list[str]:
        """The names of every registered backend (names two plugins claim are left out), sorted.

        Nothing is imported: a backend registered by path (and its provider's
        SDK) loads only when it is asked for, so ``connect("local")`` pays for no other.
        """
        self.manager  # noqa: B018 -- loading registers the backends
        return [name for name, by in sorted(self._providers.items()) if len(by) == 1]

    def backends(self) -> dict[str, type[Backend]]:
        """Every registered backend class, by name, each imported (one that fails to is left out,
        its error kept in :attr:`broken`; names two plugins claim are left out)."""
        loaded = {}
        for name in self.backend_names():
            try:
                loaded[name] = self._loaded(name)
            except Exception as exc:  # an installed plugin that is broken must not break anyvideo
                plugin = next(iter(self._providers[name]))
                self.broken[plugin] = exc
        return loaded

    def _loaded(self, name: str) -> type[Backend]:
        by = self._providers[name]
        plugin, registered = next(iter(by.items()))
        if isinstance(registered, str):
            registered = _import(registered)
            _check_backend(name, registered)
            by[plugin] = registered
        return registered

    def conflicts(self) -> dict[str, tuple[str, ...]]:
        """Backend names claimed by more than one plugin, with the plugins that claim them."""
        self.manager  # noqa: B018 -- loading registers the backends
        return {name: tuple(sorted(by)) for name, by in sorted(self._providers.items()) if len(by) > 1}

    def backend(self, name: str) -> type[Backend]:
        """The backend class called ``name`` (imported on first use), or :class:`BackendNotFound`
        naming the installed ones."""
        if name in self.backend_names():
            plugin = next(iter(self._providers[name]))
            try:
                return self._loaded(name)
            except Exception as exc:  # e.g. its provider's SDK is missing: say so where it is selected
                self.broken[plugin] = exc
                if isinstance(exc, ModuleNotFoundError) and exc.name:
                    raise self._missing(name, plugin, exc.name) from exc
                raise BackendNotFound(name, self.backend_names(), broken=self._broken_texts()) from exc
        claimants = self.conflicts().get(name)
        if claimants:
            raise ConfigurationError(
                f"plugins {', '.join(map(repr, claimants))} all register a backend named {name!r};"
                " uninstall one, or choose with ANYVIDEO_PLUGINS"
            )
        error = BackendNotFound(name, self.backend_names(), broken=self._broken_texts())
        raise error from self.broken.get(name)

    def _missing(self, name: str, plugin: str, module: str) -> MissingExtra:
        """The error for backend ``name`` whose ``module`` is not installed, with the ``pip``
        command that installs what it needs: its distribution's extra named after the
        backend when it has one (``anyvideo[<name>]``), else the distribution."""
        distribution = self._distributions.get(plugin)
        if distribution is None:  # registered in code: no distribution to name
            command = f"pip install {module.partition('.')[0]}"
        else:
            project = distribution.metadata["Name"]
            extras = distribution.metadata.get_all("Provides-Extra") or []
            command = f'pip install "{project}[{name}]"' if name in extras else f'pip install "{project}"'
        return MissingExtra(name, module, command, self.backend_names())

    def _broken_texts(self) -> dict[str, str]:
        return {plugin: f"{type(exc).__name__}: {exc}" for plugin, exc in self.broken.items()}


def _check_path(what: str, name: str, path: str) -> None:
    if ":" not in path:
        raise ConfigurationError(f"{what} {name!r} must be registered as a class or 'module:Class', got {path!r}")


def _import(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _check_backend(name: str, backend_class: object) -> None:
    if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
        raise ConfigurationError(f"backend {name!r} must be a subclass of anyvideo.Backend")
    if getattr(backend_class, "name", None) != name:
        raise ConfigurationError(
            f"backend {name!r} is registered with a class whose name is {getattr(backend_class, 'name', None)!r}"
        )


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A plugin package's module ``__getattr__``: each public name in ``where`` (name ->
    the module that defines it) is imported on first use, so the entry-point module a
    plugin registers from stays light (import the names under ``TYPE_CHECKING`` for
    type checkers)."""

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
