"""The ``anyvideo`` command, driven as a user would."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from anyvideo.cli import cli


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    """Each invocation is a new connection; the SQLite file carries state between them."""
    return CliRunner(
        env={
            "ANYVIDEO_BACKEND": "local",
            "ANYVIDEO_LOCAL_DB": str(tmp_path / "anyvideo.db"),
            "ANYVIDEO_LOCAL_PROCESSING_DELAY": "0",
        }
    )


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from anyvideo.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_backends_lists_local_with_its_features(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["backends"])
    assert result.exit_code == 0, result.output
    header, _, *rows = result.output.splitlines()
    assert header.split()[:2] == ["feature", "local"]
    by_feature = {row.split()[0]: row.split()[1] for row in rows}
    assert by_feature["recording"] == "yes"
    assert by_feature["live_streaming"] == "-"


def test_rooms_created_in_one_invocation_are_listed_and_ended_in_others(runner: CliRunner) -> None:
    created = runner.invoke(cli, ["rooms", "create", "standup"])
    assert created.exit_code == 0, created.output
    ref = created.output.strip()
    assert ref.startswith("local:rm_")

    listed = runner.invoke(cli, ["rooms", "list", "--status", "open"])
    assert "standup" in listed.output and ref.split(":", 1)[1] in listed.output

    ended = runner.invoke(cli, ["rooms", "end", "standup"])
    assert ended.exit_code == 0, ended.output
    assert ended.output.split() == [ref, "ended"]
    assert "standup" not in runner.invoke(cli, ["rooms", "list", "--status", "open"]).output


def test_recordings_list_and_download_verify_the_media(runner: CliRunner, tmp_path: Path) -> None:
    demo = runner.invoke(cli, ["demo", "--output", str(tmp_path / "kept")])
    assert demo.exit_code == 0, demo.output
    kept = next((tmp_path / "kept").iterdir())

    listed = runner.invoke(cli, ["recordings", "list", "--status", "available"])
    recording_id = listed.output.splitlines()[-1].split()[0]
    assert kept.name.startswith(recording_id)

    target = tmp_path / "again"
    target.mkdir()
    downloaded = runner.invoke(cli, ["recordings", "download", recording_id, "--to", str(target)])
    assert downloaded.exit_code == 0, downloaded.output
    copy = target / kept.name
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(kept.read_bytes()).digest()


def test_demo_prints_the_timeline_and_exits_zero() -> None:
    result = run("demo", env={"ANYVIDEO_LOCAL_PROCESSING_DELAY": "0", "ANYVIDEO_BACKEND": "local"})
    assert result.returncode == 0, result.stderr
    steps = [line.split(None, 1)[1] for line in result.stdout.splitlines() if line.strip()[0].isdigit()]
    order = [
        "room created",
        "tokens minted",
        "participant joined",
        "streams published",
        "publish refused",
        "recording started",
        "recording stopped",
        "room ended",
        "recording available",
        "recording downloaded",
        "events received",
    ]
    positions = [next(i for i, step in enumerate(steps) if step.startswith(name)) for name in order]
    assert positions == sorted(positions)
    assert "recording.available" in result.stdout


def test_unknown_backend_exits_non_zero_naming_the_installed_ones() -> None:
    result = run("rooms", "list", "--backend", "nosuch")
    assert result.returncode == 3  # a ConfigurationError
    assert "no backend named 'nosuch'" in result.stderr and "local" in result.stderr


def test_invalid_input_exits_non_zero_naming_the_field() -> None:
    result = run("rooms", "create", "bad name!")
    assert result.returncode == 4  # an InvalidRequest
    assert result.stderr.startswith("error: name:")


@pytest.mark.parametrize(("provider", "scheme"), [("twilio", "http"), ("vonage", "https")])
def test_the_demo_runs_on_an_emulator_configured_as_the_emulator_command_says(provider: str, scheme: str) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from anyvideo.cli import main; main()",
            "emulator",
            provider,
            "--processing-delay",
            "0.5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().split()
        url = first[-1]
        assert first[:3] == [provider, "emulator", "listening"] and url.startswith(f"{scheme}://127.0.0.1:")
        environment = {}
        for line in iter(process.stdout.readline, ""):
            if line.startswith("control API"):
                break
            if line.strip().startswith("export "):
                key, _, value = line.strip().removeprefix("export ").partition("=")
                environment[key] = shlex.split(value)[0]
        assert environment["ANYVIDEO_BACKEND"] == provider
        verify = environment.get("REQUESTS_CA_BUNDLE", True)
        assert requests.get(f"{url}/_emulator/callbacks", verify=verify, timeout=10).json() == []
        demo = run("demo", env=environment)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert f"on the {provider} backend" in demo.stdout and "recording downloaded" in demo.stdout
    finally:
        process.terminate()
        code = process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert code == 0


def _recorded(tmp_path: Path, mode: str) -> str:
    """An available recording, made through the same SQLite platform the runner uses."""
    import anyvideo

    with anyvideo.connect("local", db=str(tmp_path / "anyvideo.db"), processing_delay=0, environ={}) as video:
        room = video.rooms.create(f"cli-{mode}")
        video.backend.browser().join(video.tokens.create(room, "ann")).publish()
        recording = video.recordings.stop(video.recordings.start(room, mode=mode))
        return video.recordings.wait(recording, timeout=0).id


def test_recordings_download_to_a_path_ending_in_a_separator_makes_the_folder(
    runner: CliRunner, tmp_path: Path
) -> None:
    recording_id = _recorded(tmp_path, "composed")
    result = runner.invoke(cli, ["recordings", "download", recording_id, "--to", f"{tmp_path}/dl/"])
    assert result.exit_code == 0, result.output
    saved = Path(result.stdout.strip().splitlines()[-1])
    assert saved.parent == tmp_path / "dl" and saved.name == f"{recording_id}.sim" and saved.is_file()


def test_recordings_download_to_a_file_in_a_missing_folder_is_a_clean_usage_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    recording_id = _recorded(tmp_path, "composed")
    result = runner.invoke(cli, ["recordings", "download", recording_id, "--to", f"{tmp_path}/dl/x.sim"])
    assert result.exit_code == 2
    assert "Invalid value for '--to'" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "dl").exists()


def test_recordings_download_of_an_individual_recording_gives_a_folder_with_a_manifest(
    runner: CliRunner, tmp_path: Path
) -> None:
    recording_id = _recorded(tmp_path, "individual")
    refused = runner.invoke(cli, ["recordings", "download", recording_id, "--to", f"{tmp_path}/one.sim"])
    assert refused.exit_code == 2 and "downloads into a folder" in refused.output
    result = runner.invoke(cli, ["recordings", "download", recording_id, "--to", f"{tmp_path}/streams/"])
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip().splitlines()[-1])
    assert folder == tmp_path / "streams" and (folder / "manifest.json").is_file()
    assert len(list(folder.iterdir())) == 2  # one stream's file and the manifest
