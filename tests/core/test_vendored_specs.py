"""The providers' specifications in ``specs/``: each file accounted for with its source and
licence, the one whose licence is not stated left out, and a clone without it skipping only
the tests that need it, counted in one summary line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support import REPO, specs

SPECS = REPO / "specs"
SOURCES = (SPECS / "SOURCES.md").read_text(encoding="utf-8")


def test_the_tests_read_the_vendored_specs_and_samples() -> None:
    for path in (specs.TWILIO_SPEC, specs.TWILIO_SAMPLES, specs.VONAGE_SAMPLES):
        assert path.is_relative_to(SPECS) and path.exists()
    assert specs.UNLICENSED == {specs.VONAGE_SPEC}


def test_every_vendored_file_is_in_the_sources_with_its_licence() -> None:
    rows = [line for line in SOURCES.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])}
    vendored = {p.relative_to(SPECS).as_posix() for p in SPECS.rglob("*") if p.is_file()}
    samples = {p for p in vendored if re.fullmatch(r"samples/\w+/[^/]+\.json", p)}
    for folder in ("vonage", "twilio"):
        mine = {p for p in samples if p.startswith(f"samples/{folder}/")}
        assert f"`samples/{folder}/*.json` ({len(mine)} files)" in SOURCES
    licences = {p for p in vendored if p.startswith("licenses/")}
    assert vendored - samples - licences - {"SOURCES.md"} == named - {"samples/vonage/*.json", "samples/twilio/*.json"}
    for licence in licences:
        assert f"`{licence}`" in SOURCES
        assert re.search(r"^\s*Copyright .*(Twilio|Vonage|Nexmo)", (SPECS / licence).read_text(), re.MULTILINE)


def test_the_spec_whose_licence_is_not_stated_is_not_vendored() -> None:
    assert not (SPECS / "vonage_video.yml").exists()
    assert "## Not vendored: `vonage_video.yml`" in SOURCES


def test_without_the_unlicensed_spec_only_its_tests_skip_counted_in_one_line(tmp_path: Path) -> None:
    module = REPO / "tests" / "providers" / "vonage" / "backend" / "test_statuses.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | {"ANYVIDEO_SPECS": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:randomly", str(module)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [skipped] = re.findall(r"(\d+) skipped", result.stdout.splitlines()[-1])
    assert int(skipped) > 0
    [line] = [line for line in result.stdout.splitlines() if "tests skipped: they need" in line]
    assert line.startswith(f"{skipped} tests skipped: they need vonage_video.yml") and "ANYVIDEO_SPECS" in line
    reasons = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert reasons and all("whose licence is not stated (not vendored)" in r and str(tmp_path) in r for r in reasons)
