"""pytest fixtures for testing applications offline against the emulators.

Installed with anyvideo (``pytest11`` entry point), so any test suite can ask
for them, for every emulator a plugin registers
(``anyvideo_register_emulators``), anyvideo's own and third parties' alike:

- ``anyvideo_emulator``: a factory, ``anyvideo_emulator(name, **options)``,
  that starts an emulator for the duration of one test;
- ``anyvideo_session_emulator``: the same, but one running emulator per name
  (and options) for the whole test session;
- ``<name>_emulator``, for each registered name: a running emulator of that
  name for one test.

While a test uses an emulator, the environment its clients need is set
(:attr:`~anyvideo.testing.Emulator.client_environment`: for an HTTPS emulator,
``REQUESTS_CA_BUNDLE`` pointing at its throw-away CA) and put back afterwards.
Each fixture yields the :class:`~anyvideo.testing.Emulator`: ``base_url``,
``credentials``, ``connect()``, ``devices``, and ``control`` (plays browsers,
moves the clock, injects faults, lists callbacks).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from anyvideo.plugins import Plugins
from anyvideo.testing.server import Emulator

__all__ = ["EmulatorFactory", "anyvideo_emulator", "anyvideo_session_emulator"]

#: Start an emulator by its registered name, with options for its constructor.
EmulatorFactory = Callable[..., Emulator]


def _start(
    stack: ExitStack, patch: pytest.MonkeyPatch, plugins: Plugins, name: str, options: dict[str, Any]
) -> Emulator:
    cls = plugins.emulator(name)
    options.setdefault("tls", cls.default_tls)
    running = stack.enter_context(cls(**options))
    for variable, value in running.client_environment.items():
        if value is None:
            patch.delenv(variable, raising=False)
        else:
            patch.setenv(variable, value)
    return running


@pytest.fixture
def anyvideo_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorFactory]:
    """``anyvideo_emulator(name, **options)``: a running emulator, stopped when the test ends."""
    plugins = Plugins()
    with ExitStack() as stack:
        yield lambda name, **options: _start(stack, monkeypatch, plugins, name, options)


@pytest.fixture(scope="session")
def anyvideo_session_emulator() -> Iterator[EmulatorFactory]:
    """``anyvideo_session_emulator(name, **options)``: one running emulator per name and
    options for the whole session (tests share its state: give each its own rooms)."""
    plugins = Plugins()
    running: dict[tuple[str, str], Emulator] = {}

    def get(name: str, **options: Any) -> Emulator:
        key = (name, repr(sorted(options.items())))
        if key not in running:
            running[key] = _start(stack, patch, plugins, name, options)
        return running[key]

    with ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        yield get


def _named_fixture(name: str) -> Callable[..., Iterator[Emulator]]:
    def fixture(anyvideo_emulator: EmulatorFactory) -> Iterator[Emulator]:
        yield anyvideo_emulator(name)

    fixture.__name__ = f"{name}_emulator"
    fixture.__doc__ = f"A running {name} emulator on 127.0.0.1, for the duration of one test."
    return pytest.fixture(name=f"{name}_emulator")(fixture)


def pytest_configure(config: pytest.Config) -> None:
    # pytest finds fixtures on a module (or a class), not on an instance: one module of
    # ``<name>_emulator`` fixtures, one per registered emulator.
    named = types.ModuleType(f"{__name__}.named")
    for name in Plugins().emulator_names():
        setattr(named, f"{name}_emulator", _named_fixture(name))
    config.pluginmanager.register(named, "anyvideo-named-emulators")
