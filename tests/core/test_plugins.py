"""Plugin loading: backends come in through entry points, the built-in one too."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pluggy
import pytest
from support import REPO

import anyvideo
from anyvideo import BackendNotFound, ConfigurationError, EventType, Feature, Plugins, UnsupportedFeature
from anyvideo.config import select_backend
from anyvideo.local import LocalBackend
from anyvideo.testing import emulator

FIXTURES = REPO / "tests" / "fixtures"
PACKAGE = Path(anyvideo.__file__).parent


def forget(module: str) -> None:
    for name in [n for n in sys.modules if n == module or n.startswith(module + ".")]:
        del sys.modules[name]


@pytest.fixture
def acme_installed(monkeypatch):
    """The ``acme_video`` distribution, installed on sys.path for this test only."""
    forget("acme_video")
    monkeypatch.syspath_prepend(str(FIXTURES / "thirdparty"))
    yield
    forget("acme_video")


@pytest.fixture
def broken_installed(monkeypatch):
    """The ``broken_video`` distribution, whose module fails to import."""
    forget("broken_video")
    monkeypatch.syspath_prepend(str(FIXTURES / "broken"))
    yield
    forget("broken_video")


#: Settings of the acme backend; connecting makes no request, so nothing needs to listen there.
ACME_SETTINGS = {"base_url": "http://127.0.0.1:9", "api_key": "ak_unused"}


@pytest.fixture
def acme(acme_installed):
    """anyvideo on the acme backend, which talks over HTTP to the emulator its distribution ships."""
    with emulator("acme") as running:
        yield running.connect()


def unsupported_error(call, *args, **kwargs) -> UnsupportedFeature:
    with pytest.raises(UnsupportedFeature) as caught:
        call(*args, **kwargs)
    return caught.value


# --- finding backends -------------------------------------------------------


def test_unknown_backend_is_not_found():
    with pytest.raises(BackendNotFound, match="'nosuch'"):
        anyvideo.connect("nosuch", environ={})


def test_unknown_backend_error_names_the_installed_backends():
    with pytest.raises(BackendNotFound) as caught:
        anyvideo.connect("nosuch", environ={})
    assert "local" in caught.value.installed
    assert re.search(r"installed backends: .*\blocal\b", str(caught.value))


def test_default_backend_is_local():
    with anyvideo.connect(environ={}) as video:
        assert video.backend_name == "local"


def test_local_backend_is_registered_through_the_entry_point_group():
    entry_points = importlib.metadata.entry_points(group="anyvideo", name="local")
    assert [ep.value for ep in entry_points] == ["anyvideo.local"]


# --- a backend from another distribution ------------------------------------


def test_backend_from_another_distribution_can_be_connected(acme_installed):
    with anyvideo.connect("acme", environ={}, **ACME_SETTINGS) as video:
        assert video.backend_name == "acme"


def test_backend_from_another_distribution_is_listed(acme_installed):
    backends = Plugins(environ={}).backends()
    assert {"acme", "local"} <= set(backends)
    assert backends["acme"].name == "acme"


def test_backend_from_another_distribution_is_declared_by_that_distribution(acme_installed):
    (entry_point,) = importlib.metadata.entry_points(group="anyvideo", name="acme")
    assert entry_point.dist is not None and entry_point.dist.name == "acme_video"


def test_no_anyvideo_file_names_the_third_party_backend():
    files = list(PACKAGE.rglob("*.py"))
    assert PACKAGE / "plugins.py" in files
    assert [f for f in files if "acme" in f.read_text(encoding="utf-8").lower()] == []


def test_core_names_no_provider_that_a_plugin_brings():
    # Core holds no provider knowledge: each provider's name appears only in its own package.
    providers = {name for name in Plugins(environ={}).backends() if name not in ("local", "router")}
    assert {"vonage", "twilio"} <= providers
    named = {
        str(f.relative_to(PACKAGE)): sorted(p for p in providers if p in f.read_text(encoding="utf-8").lower())
        for f in PACKAGE.rglob("*.py")
    }
    assert {file: found for file, found in named.items() if found} == {}


def test_backend_from_another_distribution_is_selected_by_anyvideo_backend(acme_installed):
    environ = {"ANYVIDEO_BACKEND": "acme", "ACME_URL": ACME_SETTINGS["base_url"], "ACME_API_KEY": "ak_unused"}
    with anyvideo.connect(environ=environ) as video:
        assert video.backend_name == "acme"


def test_backend_from_another_distribution_declares_its_own_features(acme):
    assert not acme.supports(Feature.SIGNALS)
    assert acme.supports(Feature.MAX_PARTICIPANTS)


def test_objects_from_a_plugin_backend_are_accepted_back_by_it(acme):
    room = acme.rooms.create("standup")
    assert acme.tokens.create(room, "ann").room_ref == f"acme:{room.id}"


# Below, acme objects are passed by native id: that is enough to pin the
# feature checks whatever provider the objects report.


def test_undeclared_feature_is_unsupported(acme):
    room = acme.rooms.create("standup")
    error = unsupported_error(acme.signals.send, room.id, "chat", "hi")
    assert (error.feature, error.backend) == (Feature.SIGNALS, "acme")


def test_unsupported_feature_error_says_the_backend_cannot_do_it(acme):
    room = acme.rooms.create("standup")
    error = unsupported_error(acme.signals.send, room.id, "chat", "hi")
    assert str(error).startswith("acme cannot do signals")


def test_unsupported_feature_error_names_an_installed_backend_that_can(acme):
    room = acme.rooms.create("standup")
    error = unsupported_error(acme.signals.send, room.id, "chat", "hi")
    assert re.search(r"can: .*\blocal\b", str(error))
    assert "acme" not in (error.hint or "")


def test_unsupported_signal_reaches_no_client(acme):
    room = acme.rooms.create("standup")
    ann = acme.backend.browser().join(acme.tokens.create(room.id, "ann"))
    with pytest.raises(UnsupportedFeature):
        acme.signals.send(room.id, "chat", "hi")
    assert ann.signals() == []


def test_supported_signal_reaches_a_client(video, browser, room):
    # The counterpart of the test above: the same observation sees a signal that was sent.
    ann = browser.join(video.tokens.create(room, "ann"))
    video.signals.send(room, "chat", "hi")
    assert [(s.type, s.data) for s in ann.signals()] == [("chat", "hi")]


def test_unsupported_mute_leaves_the_stream_unmuted(acme):
    room = acme.rooms.create("standup")
    ann = acme.backend.browser().join(acme.tokens.create(room.id, "ann"))
    stream_id = ann.publish()
    error = unsupported_error(acme.streams.mute, room.id, stream_id)
    assert error.feature is Feature.MUTE
    assert acme.streams.get(room.id, stream_id).audio_muted is False


# --- restricting and surviving plugins --------------------------------------


def test_anyvideo_plugins_restricts_which_backends_load(acme_installed):
    assert set(Plugins(environ={"ANYVIDEO_PLUGINS": "local"}).backends()) == {"local"}


def test_anyvideo_plugins_leaves_other_plugins_unimported(acme_installed):
    Plugins(environ={"ANYVIDEO_PLUGINS": "local"}).backends()
    assert "acme_video" not in sys.modules


def test_backend_of_a_plugin_left_out_by_anyvideo_plugins_is_not_found(acme_installed):
    with pytest.raises(BackendNotFound):
        anyvideo.connect("acme", environ={"ANYVIDEO_PLUGINS": "local"})


def test_plugin_names_given_to_plugins_restrict_loading(acme_installed):
    assert set(Plugins(["acme"], environ={}).backends()) == {"acme"}


def test_broken_plugin_does_not_break_the_local_backend(broken_installed):
    with anyvideo.connect(environ={}) as video:
        assert video.rooms.create("standup").name == "standup"


def test_broken_plugin_is_reported_when_its_backend_is_selected(broken_installed):
    with pytest.raises(BackendNotFound) as caught:
        anyvideo.connect("broken", environ={})
    assert "plugin 'broken' failed to load: ImportError" in str(caught.value)
    assert "libbroken" in str(caught.value)


@pytest.fixture
def faulty_installed(monkeypatch):
    """The ``faulty_video`` distribution: one plugin with a misspelt hook, one whose hook raises."""
    forget("faulty_video")
    monkeypatch.syspath_prepend(str(FIXTURES / "faulty"))
    yield
    forget("faulty_video")


def test_installed_plugins_that_fail_to_register_leave_local_usable(faulty_installed):
    plugins = Plugins(environ={})
    assert "local" in plugins.backends()
    assert type(plugins.broken["misspelt"]).__name__ == "PluginValidationError"
    assert isinstance(plugins.broken["raising"], RuntimeError)


def test_a_plugin_whose_hook_raises_is_reported_when_its_backend_is_selected(faulty_installed):
    with pytest.raises(BackendNotFound, match="plugin 'raising' failed to load: RuntimeError"):
        anyvideo.connect("raising", environ={})


def test_broken_plugin_error_is_chained(broken_installed):
    with pytest.raises(BackendNotFound) as caught:
        anyvideo.connect("broken", environ={})
    assert isinstance(caught.value.__cause__, ImportError)


# --- plugin objects ---------------------------------------------------------


class TwinA(LocalBackend):
    name = "twin"


class TwinB(LocalBackend):
    name = "twin"


class Registers:
    def __init__(self, name, backend_class):
        self.name, self.backend_class = name, backend_class

    @anyvideo.hookimpl
    def anyvideo_register_backends(self, register):
        register(self.name, self.backend_class)


def test_extra_plugin_object_registers_a_backend():
    assert Plugins(extra=[Registers("twin", TwinA)], environ={}).backend("twin") is TwinA


def test_two_plugins_registering_one_name_is_a_configuration_error():
    plugins = Plugins(extra=[Registers("twin", TwinA), Registers("twin", TwinB)], environ={})
    with pytest.raises(ConfigurationError, match="'twin'"):
        plugins.backend("twin")


def test_a_name_two_plugins_claim_leaves_the_other_backends_usable():
    plugins = Plugins(extra=[Registers("twin", TwinA), Registers("twin", TwinB)], environ={})
    assert "twin" not in plugins.backends() and plugins.backend("local") is LocalBackend
    assert len(plugins.conflicts()["twin"]) == 2


class Impostor(LocalBackend):
    name = "local"


def test_plugin_cannot_take_the_name_of_the_built_in_backend_unnoticed():
    plugins = Plugins(extra=[Registers("local", Impostor)], environ={})
    with pytest.raises(ConfigurationError, match="'local'"):
        plugins.backend("local")


def test_a_backend_registered_under_another_name_than_its_own_is_refused():
    plugins = Plugins(extra=[Registers("other", TwinA)], environ={})
    with pytest.raises(ConfigurationError, match="'other'"):
        plugins.backends()


def test_registered_backend_must_be_a_backend_class():
    plugins = Plugins(extra=[Registers("thing", object)], environ={})
    with pytest.raises(ConfigurationError, match="'thing'"):
        plugins.backends()


def test_a_backend_registered_by_path_loads_only_when_selected():
    plugins = Plugins(extra=[Registers("twin", f"{__name__}:TwinA")], environ={})
    assert "twin" in plugins.backend_names()
    assert plugins.backend("twin") is TwinA


def test_a_backend_whose_path_does_not_import_is_not_found_and_says_why():
    plugins = Plugins(extra=[Registers("ghost", "anyvideo_no_such_module:GhostBackend")], environ={})
    assert "ghost" in plugins.backend_names()  # registered: nothing was imported to list it
    with pytest.raises(BackendNotFound, match="anyvideo_no_such_module") as caught:
        plugins.backend("ghost")
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    assert "ghost" not in plugins.backends() and plugins.backend("local") is LocalBackend


def test_a_backend_path_must_name_module_and_class():
    plugins = Plugins(extra=[Registers("twin", "tests.core.TwinA")], environ={})
    with pytest.raises(ConfigurationError, match="'module:Class'"):
        plugins.backend_names()


@pytest.mark.parametrize(
    "code",
    [
        "import anyvideo",
        "import anyvideo; v = anyvideo.connect('local', environ={}); v.tokens.create(v.rooms.create('r'), 'ann')",
        "sys.argv = ['anyvideo', '--help']; from anyvideo.cli import main; main()",
    ],
)
def test_start_up_imports_no_provider_sdk_and_no_asyncio(code: str):
    """A sync application pays for neither the SDKs of backends it does not use nor asyncio
    (which only ``anyvideo.aio`` and the async waits need)."""
    probe = f"""
import sys
try:
    {code}
except SystemExit:
    pass
unused = ('vonage', 'twilio', 'vonage_video', 'vonage_http_client', 'asyncio')
loaded = sorted(m for m in sys.modules if m.split('.')[0] in unused)
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


class Misspelt:
    @anyvideo.hookimpl
    def anyvideo_register_backend(self, register):  # no "s": matches no hook
        register("misspelt", TwinA)


def test_misspelt_hook_implementation_fails_loudly():
    plugins = Plugins(extra=[Misspelt()], environ={})
    with pytest.raises(ConfigurationError, match="anyvideo_register_backend") as caught:
        plugins.backends()
    assert isinstance(caught.value.__cause__, pluggy.PluginValidationError)


# --- selecting a backend ----------------------------------------------------


def test_anyvideo_backend_selects_the_backend():
    assert select_backend(None, {"ANYVIDEO_BACKEND": "acme"}) == "acme"


def test_explicit_backend_beats_anyvideo_backend():
    assert select_backend("local", {"ANYVIDEO_BACKEND": "acme"}) == "local"


def test_backend_defaults_to_local():
    assert select_backend(None, {}) == "local"


@pytest.mark.parametrize("name", ["Acme", "acme!", "1acme", "ac me", "acme.video", "-acme"])
def test_malformed_backend_name_is_a_configuration_error(name):
    with pytest.raises(ConfigurationError):
        select_backend(name, {})


@pytest.mark.parametrize("name", ["Acme", "acme!"])
def test_malformed_anyvideo_backend_is_a_configuration_error(name):
    with pytest.raises(ConfigurationError):
        select_backend(None, {"ANYVIDEO_BACKEND": name})


# --- the event hook ---------------------------------------------------------


class Listener:
    def __init__(self):
        self.received = []

    @anyvideo.hookimpl
    def anyvideo_event(self, event, video):
        self.received.append((event, video))


def test_event_hook_receives_room_started_for_a_created_room(video):
    listener = Listener()
    video.plugins.manager.register(listener)
    room = video.rooms.create("standup")
    started = [event for event, _ in listener.received if event.type == EventType.ROOM_STARTED]
    assert [(e.provider, e.room_id, e.subject) for e in started] == [("local", room.id, room)]


def test_event_hook_receives_the_video_that_observed_the_event(video):
    listener = Listener()
    video.plugins.manager.register(listener)
    video.rooms.create("standup")
    assert listener.received and all(seen is video for _, seen in listener.received)


# --- core knows no provider -------------------------------------------------

PROVIDER_PACKAGES = {"anyvideo_vonage", "anyvideo_twilio"}


def imported_provider_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]  # importlib.import_module("…"), entry-point values
        else:
            continue
        found |= {name.split(".")[0] for name in names} & PROVIDER_PACKAGES
    return found


def test_import_scan_sees_a_provider_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from anyvideo_twilio.backend import TwilioBackend\nimport anyvideo_vonage.statuses\n")
    assert imported_provider_packages(sample) == PROVIDER_PACKAGES


def test_core_imports_no_provider_backend():
    files = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "client.py" in files
    offenders = {str(f.relative_to(PACKAGE)): imported_provider_packages(f) for f in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_cli_help_loads_no_backend_and_no_export_machinery():
    probe = """
import sys
sys.argv = ['anyvideo', '--help']
from anyvideo.cli import main
try:
    main()
except SystemExit:
    pass
heavy = ('anyvideo.local.backend', 'anyvideo.migrate.export', 'anyvideo.testing', 'anyvideo.router.backend')
loaded = sorted(m for m in sys.modules if m.startswith(heavy))
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
