"""docs/plugins.md's recipes, run as written.

The sandbox backend and its test module are taken from the page and the
conformance suite passes on them. The page's plugin that ships an emulator
is the toy third-party distribution of the test fixtures (``acme_video``,
declared by its ``.dist-info`` entry points): the page shows its emulator
and its hook as they are, and the command line, the pytest fixtures and the
conformance suite the page shows find it, in a process where only that
distribution was added.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from support import REPO

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


def third_party_env() -> dict[str, str]:
    """This run's environment and imports, with the toy distribution installed."""
    path = os.pathsep.join([str(THIRD_PARTY), *(entry for entry in sys.path if entry)])
    return {k: v for k, v in os.environ.items() if not k.startswith("ANYVIDEO_")} | {"PYTHONPATH": path}


def with_third_party(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with this interpreter, the toy distribution installed."""
    return subprocess.run(
        [sys.executable, *command], cwd=cwd, env=third_party_env(), capture_output=True, text=True, timeout=300
    )


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
    result.stdout.fnmatch_lines(["*sandbox does not declare*"])


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
