"""docs/plugins.md's recipes, run as written.

The complete example (the stand-in SDK ``acme_video.py`` and the plugin
``anyvideo_acme``) is written to a folder and installed there as the page's
``pyproject.toml`` declares it; the page's blocks about hooks, statuses,
requests and loading errors run on it and do what they say. The sandbox
backend and its test module are taken from the page and the conformance
suite passes on them. The page's plugin that ships an emulator is the toy
third-party distribution of the test fixtures (``acme_video``, declared by
its ``.dist-info`` entry points): the page shows its emulator and its hook
as they are, and the command line, the pytest fixtures and the conformance
suite the page shows find it, in a process where only that distribution was
added.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from support import REPO

import anyvideo
from anyvideo import ConfigurationError, Conflict, EventType, RoomStatus
from anyvideo.retry import RetryPolicy

pytest_plugins = ["pytester"]

PAGE = REPO / "docs" / "plugins.md"
#: Where the toy third-party distribution is "installed": its package and its .dist-info.
THIRD_PARTY = REPO / "tests" / "fixtures" / "thirdparty"


def code_block(first_line: str, language: str = "python") -> str:
    """The block of the page in ``language`` that starts with ``first_line``."""
    for block in re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"docs/plugins.md has no {language} block starting {first_line!r}")


def env_with(folder: Path, **variables: str) -> dict[str, str]:
    """This run's environment and imports, with what ``folder`` holds installed, and ``variables``."""
    path = os.pathsep.join([str(folder), *(entry for entry in sys.path if entry)])
    return {k: v for k, v in os.environ.items() if not k.startswith("ANYVIDEO_")} | {"PYTHONPATH": path} | variables


def third_party_env() -> dict[str, str]:
    """This run's environment and imports, with the toy distribution installed."""
    return env_with(THIRD_PARTY)


def run_with(folder: Path, *command: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with this interpreter in ``folder``, what it holds installed."""
    return subprocess.run(
        [sys.executable, *command],
        cwd=folder,
        env=env_with(folder, **variables),
        capture_output=True,
        text=True,
        timeout=300,
    )


def with_third_party(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with this interpreter, the toy distribution installed."""
    return subprocess.run(
        [sys.executable, *command], cwd=cwd, env=third_party_env(), capture_output=True, text=True, timeout=300
    )


def install(folder: Path, distribution: str, version: str, entry_points: dict[str, str]) -> None:
    """Declare ``distribution`` installed in ``folder``, with these ``anyvideo`` entry points."""
    info = folder / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    listed = "".join(f"{name} = {module}\n" for name, module in entry_points.items())
    (info / "entry_points.txt").write_text(f"[anyvideo]\n{listed}", encoding="utf-8")


def write_complete_example(folder: Path, *, sdk: bool = True, installed: bool = True) -> Path:
    """The page's complete example in ``folder``, installed as its ``pyproject.toml`` says
    (``sdk=False``: without the provider's SDK; ``installed=False``: only importable)."""
    if installed:
        project = tomllib.loads(code_block("[project]", language="toml"))["project"]
        install(folder, project["name"], project["version"], project["entry-points"]["anyvideo"])
    if sdk:
        (folder / "acme_video.py").write_text(code_block("# acme_video.py"), encoding="utf-8")
    (folder / "anyvideo_acme").mkdir()
    (folder / "anyvideo_acme" / "__init__.py").write_text(code_block("# anyvideo_acme/__init__.py"), encoding="utf-8")
    return folder


def run_pytest(folder: Path) -> dict[str, int]:
    result = with_third_party("-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(folder), cwd=folder)
    outcomes = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped)", result.stdout)}
    assert result.returncode == 0, result.stdout + result.stderr
    return outcomes


def test_the_documented_sandbox_backend_passes_the_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(anyvideo_sandbox=code_block("# anyvideo_sandbox.py"))
    pytester.makepyfile(test_sandbox_conformance=code_block("# test_sandbox_conformance.py"))
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-rs")
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "error" not in outcomes, result.stdout.str()
    assert outcomes["passed"] > 30
    assert "skipped" not in outcomes  # what sandbox does not declare is checked to be refused instead
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-k", "test_a_signal_reaches_the_room")
    assert result.parseoutcomes() == {"passed": 2, "deselected": outcomes["passed"] - 2}


def test_the_documented_emulator_is_the_one_the_plugin_ships() -> None:
    shown = code_block("# acme_video/emulator.py").split("\n", 1)[1]
    assert shown == (THIRD_PARTY / "acme_video" / "emulator.py").read_text(encoding="utf-8")


def test_the_documented_hook_is_the_one_the_plugin_implements() -> None:
    assert code_block("@anyvideo.hookimpl\ndef anyvideo_register_emulators") in (
        THIRD_PARTY / "acme_video" / "__init__.py"
    ).read_text(encoding="utf-8")


def test_the_command_line_lists_the_plugins_emulator(tmp_path: Path) -> None:
    shown = code_block("$ anyvideo emulator --help", language="text").splitlines()[1]
    result = with_third_party("-m", "anyvideo.cli", "emulator", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The program's name is how it was started; the rest of the usage line is the page's.
    assert shown.removeprefix("Usage: anyvideo") in result.stdout.splitlines()[0]
    assert "acme" in shown


def test_the_command_line_serves_the_plugins_emulator(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "anyvideo.cli", "emulator", "acme"]
    with subprocess.Popen(command, cwd=tmp_path, env=third_party_env(), stdout=subprocess.PIPE, text=True) as serving:
        try:
            assert serving.stdout is not None
            lines = [serving.stdout.readline() for _ in range(4)]
            exports = dict(line.split()[1].split("=", 1) for line in lines if line.startswith("  export "))
            rooms = requests.get(
                f"{exports['ACME_URL']}/v1/rooms",
                headers={"Authorization": f"Bearer {exports['ACME_API_KEY']}"},
                timeout=30,
            )
            assert lines[0].startswith("acme emulator listening at http://127.0.0.1:")
            assert (rooms.status_code, rooms.json()) == (200, [])
        finally:
            serving.terminate()


def test_the_plugins_emulator_fixtures_work_in_a_users_test_suite(tmp_path: Path) -> None:
    (tmp_path / "test_acme_app.py").write_text(code_block("# test_acme_app.py"), encoding="utf-8")
    assert run_pytest(tmp_path) == {"passed": 2}


def test_the_conformance_suite_passes_on_the_plugins_backend_and_emulator(tmp_path: Path) -> None:
    (tmp_path / "test_acme_conformance.py").write_text(code_block("# test_acme_conformance.py"), encoding="utf-8")
    outcomes = run_pytest(tmp_path)
    assert "failed" not in outcomes and outcomes["passed"] >= 30


def test_the_documented_extensions_class_is_reached_through_video_ext() -> None:
    import anyvideo
    from anyvideo.local import LocalBackend

    namespace: dict[str, object] = {}
    exec(code_block("from anyvideo import Feature\nfrom anyvideo.extensions import"), namespace)
    extensions_class = namespace["AcmeExtensions"]

    class Dialling(LocalBackend):
        name = "dialling"
        features = LocalBackend.features | {anyvideo.Feature.SIP_DIAL}

        def dial(self, room_id: str, uri: str) -> str:
            return f"{uri} dialled into {room_id}"

    Dialling.extensions_class = extensions_class  # type: ignore[assignment]

    class Registers:
        @anyvideo.hookimpl
        def anyvideo_register_backends(self, register):
            register("dialling", Dialling)

    plugins = anyvideo.Plugins(["local"], extra=[Registers()], environ={})
    with anyvideo.connect("dialling", plugins=plugins, environ={}) as video:
        room = video.rooms.create("desk")
        assert video.ext.dial_sip(room, "sip:desk@example.com") == f"sip:desk@example.com dialled into {room.id}"
    assert [info.summary for info in extensions_class.declared().values()] == ["dial a SIP endpoint into a room"]


# --- the complete example: the stand-in SDK and the anyvideo_acme plugin


def test_the_complete_example_runs_as_the_page_shows_once_installed(tmp_path: Path) -> None:
    write_complete_example(tmp_path)
    (tmp_path / "standup.py").write_text(code_block("import anyvideo\nfrom anyvideo import Conflict"), encoding="utf-8")
    # Only anyvideo and the plugin are installed where the page's comments were written.
    result = run_with(tmp_path, "standup.py", ANYVIDEO_PLUGINS="local,acme")
    assert result.returncode == 0, result.stderr
    ref, conflict, unsupported = result.stdout.splitlines()
    assert ref.startswith("acme:AR")
    assert conflict == "a live room already has this name"
    assert unsupported == (
        "acme cannot do recording — Acme Video records nothing on the server; backends installed here that can: local"
    )


def test_a_plugin_whose_sdk_is_missing_is_reported_as_the_page_shows(tmp_path: Path) -> None:
    write_complete_example(tmp_path, sdk=False)
    result = run_with(tmp_path, "-c", "import anyvideo; anyvideo.connect('acme')", ANYVIDEO_PLUGINS="local,acme")
    shown = code_block("BackendNotFound:", language="text").strip()
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"anyvideo.errors.{shown}"


def test_the_command_line_lists_the_complete_examples_backend(tmp_path: Path) -> None:
    write_complete_example(tmp_path)
    result = run_with(tmp_path, "-m", "anyvideo.cli", "backends", ANYVIDEO_PLUGINS="local,acme")
    assert result.returncode == 0, result.stderr
    header, _, *rows = (line.split()[:3] for line in result.stdout.splitlines())
    assert header == ["feature", "acme", "local"]
    assert {feature: acme for feature, acme, _ in rows if acme == "yes"} == {"max_participants": "yes"}


@pytest.fixture
def anyvideo_acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The complete example's plugin module, imported from the page, not installed."""
    for variable in [name for name in os.environ if name.startswith("ANYVIDEO_") or name.startswith("ACME_")]:
        monkeypatch.delenv(variable)
    monkeypatch.syspath_prepend(str(write_complete_example(tmp_path, installed=False)))
    try:
        yield importlib.import_module("anyvideo_acme")
    finally:
        for module in ("acme_video", "anyvideo_acme"):
            sys.modules.pop(module, None)


def test_the_hook_shown_first_is_the_end_of_the_complete_example() -> None:
    shown = code_block("import anyvideo\n\n\n@anyvideo.hookimpl\ndef anyvideo_register_backends")
    module = code_block("# anyvideo_acme/__init__.py")
    assert "\nimport anyvideo\n" in module
    assert module.endswith(shown.removeprefix("import anyvideo\n\n\n"))


def test_the_status_map_is_the_complete_examples_and_reads_an_unknown_status_as_unknown(
    anyvideo_acme: ModuleType,
) -> None:
    namespace: dict[str, Any] = {}
    exec(code_block("from anyvideo import RoomStatus"), namespace)
    assert namespace["ROOM_STATUS"] == anyvideo_acme.ROOM_STATUS
    assert namespace["room_status"]("closed") is RoomStatus.ENDED
    assert namespace["room_status"]("paused") is RoomStatus.UNKNOWN


def losing_first_answer(sdk: ModuleType, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of the stand-in SDK, whose first answer is lost after the work was done
    (as when a gateway times out); its calls are counted in ``calls``."""

    def lossy(client: object, *args: Any, **kwargs: Any) -> Any:
        lossy.calls += 1  # type: ignore[attr-defined]
        answer = method(client, *args, **kwargs)
        if lossy.calls == 1:  # type: ignore[attr-defined]
            raise sdk.AcmeError(504, "gateway_timeout", "the gateway timed out")
        return answer

    lossy.calls = 0  # type: ignore[attr-defined]
    return lossy


def test_the_caller_adopts_a_create_and_finishes_a_delete_whose_answers_were_lost(
    anyvideo_acme: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sys.modules["acme_video"]
    create = losing_first_answer(sdk, sdk.Client.create_room)
    delete = losing_first_answer(sdk, sdk.Client.delete_room)
    monkeypatch.setattr(sdk.Client, "create_room", create)
    monkeypatch.setattr(sdk.Client, "delete_room", delete)
    namespace: dict[str, Any] = {}
    exec(code_block("import acme_video  # the stand-in SDK"), namespace)
    # The create was not repeated: the room its lost try made was found and adopted.
    assert (create.calls, namespace["room"]["name"]) == (1, "standup")  # type: ignore[attr-defined]
    # The delete was repeated, found the room gone, and that was its success.
    assert (delete.calls, namespace["sdk"].rooms()) == (2, [])  # type: ignore[attr-defined]


def test_the_complete_examples_backend_adopts_a_room_whose_answer_was_lost(
    anyvideo_acme: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sys.modules["acme_video"]
    create = losing_first_answer(sdk, sdk.Client.create_room)
    monkeypatch.setattr(sdk.Client, "create_room", create)
    plugins = anyvideo.Plugins(["local"], extra=[anyvideo_acme])
    quick = RetryPolicy(sleep=lambda seconds: None)
    with anyvideo.connect("acme", plugins=plugins, api_key="k", api_secret="s", retries=quick) as video:
        room = video.rooms.create("standup")
        assert [r.id for r in video.rooms.list()] == [room.id]
    assert create.calls == 1  # type: ignore[attr-defined]


def test_the_complete_example_is_tried_without_installing_it(anyvideo_acme: ModuleType) -> None:
    namespace: dict[str, Any] = {}
    exec(code_block("import anyvideo\nimport anyvideo_acme"), namespace)
    with namespace["video"] as video:
        room = video.rooms.create("standup", max_participants=10)
        token = video.tokens.create(room, "ann", ttl=600)
        assert (room.provider, room.max_participants, token.identity) == ("acme", 10, "ann")
        with pytest.raises(Conflict) as refused:
            video.rooms.create("standup")
        assert type(refused.value.__cause__).__name__ == "AcmeError"  # as the page's comment says
        assert repr(video.native) == "Client(api_key='k')"
        assert video.rooms.end(room).status is RoomStatus.ENDED


def test_the_complete_example_reads_its_settings_from_the_environment(anyvideo_acme: ModuleType) -> None:
    plugins = anyvideo.Plugins(["local"], extra=[anyvideo_acme])
    environ = {"ANYVIDEO_BACKEND": "acme", "ACME_API_KEY": "key-123", "ACME_API_SECRET": "not-a-real-secret"}
    with anyvideo.connect(plugins=plugins, environ=environ) as video:
        assert video.backend.name == "acme"
        assert video.native.api_key == "key-123"
    with pytest.raises(ConfigurationError, match="ACME_API_KEY and ACME_API_SECRET"):
        anyvideo.connect("acme", plugins=plugins, environ={"ACME_API_KEY": "key-123"})


def test_the_complete_examples_callbacks_reach_the_event_hooks(anyvideo_acme: ModuleType) -> None:
    seen: list[anyvideo.Event] = []

    class Recorder:
        @anyvideo.hookimpl
        def anyvideo_event(self, event: anyvideo.Event, video: anyvideo.Video) -> None:
            seen.append(event)

    plugins = anyvideo.Plugins(["local"], extra=[anyvideo_acme, Recorder()])
    with anyvideo.connect("acme", plugins=plugins, api_key="k", api_secret="s") as video:
        room = video.rooms.create("standup")
        payload = {"id": "cb-1", "event": "room.opened", "at": "2030-01-02T03:04:05+00:00", "room": room.raw}
        video.backend.handle_callback(payload)
    [event] = seen
    assert (event.type, event.event_id, event.room_id, event.subject) == (EventType.ROOM_STARTED, "cb-1", room.id, room)


# --- the other hooks: a command and an event hook


def write_commands_plugin(folder: Path) -> ModuleType:
    """The page's block of other hooks as the module ``anyvideo_who``, installed in ``folder``."""
    (folder / "anyvideo_who.py").write_text(code_block("import click"), encoding="utf-8")
    install(folder, "anyvideo-who", "1.0", {"who": "anyvideo_who"})
    spec = importlib.util.spec_from_file_location("anyvideo_who", folder / "anyvideo_who.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_hook_adds_a_command_that_lists_who_is_connected(tmp_path: Path) -> None:
    plugin = write_commands_plugin(tmp_path)
    db = str(tmp_path / "local.db")
    with anyvideo.connect("local", plugins=anyvideo.Plugins(["local"], extra=[plugin]), db=db) as video:
        room = video.rooms.create("standup")
        video.backend.browser().join(video.tokens.create(room, "ann"))
    listed = run_with(tmp_path, "-m", "anyvideo.cli", "--help", ANYVIDEO_PLUGINS="local,who")
    assert listed.returncode == 0, listed.stderr
    assert "List who is connected to the room called NAME." in listed.stdout
    who = run_with(tmp_path, "-m", "anyvideo.cli", "who", "standup", ANYVIDEO_PLUGINS="local,who", ANYVIDEO_LOCAL_DB=db)
    assert (who.returncode, who.stdout) == (0, "ann\n"), who.stderr


def test_the_event_hook_tells_who_joined(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugin = write_commands_plugin(tmp_path)
    with anyvideo.connect("local", plugins=anyvideo.Plugins(["local"], extra=[plugin]), environ={}) as video:
        room = video.rooms.create("standup")
        video.backend.browser().join(video.tokens.create(room, "ann"))
    assert capsys.readouterr().out == f"ann joined {room.id}\n"


# --- the rule: every python block of the page is run by a test of this module


def first_lines_run_here() -> set[str]:
    """The first lines by which this module's tests take python blocks from the page."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    return {
        call.args[0].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "code_block"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and not call.keywords
    }


def test_every_python_block_of_the_page_is_run_by_a_test() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    taken = first_lines_run_here()
    assert [block.splitlines()[0] for block in blocks if not any(block.startswith(f) for f in taken)] == []
    # each block is taken by one first line only, so none shadows another
    assert all(sum(block.startswith(first) for block in blocks) == 1 for first in taken)
