"""The wheel and the sdist are what a maintainer would publish.

Both are built here, offline, with the project's own build backend (hatchling's
builders, no isolated environment), and read back the way an installer or a
downstream packager reads them: the wheel's metadata and files, the sdist's tree,
which must hold what the README links to and be able to run its own tests.
"""

from __future__ import annotations

import email.message
import email.parser
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import trove_classifiers
from click.testing import CliRunner
from hatchling.builders.sdist import SdistBuilder
from hatchling.builders.wheel import WheelBuilder

import anyvideo
from anyvideo.cli import cli

ROOT = Path(__file__).resolve().parents[2]
IMPORT_PACKAGES = ("anyvideo", "anyvideo_vonage", "anyvideo_twilio")
EXTRAS = {"vonage", "twilio", "s3", "azure", "django", "serve", "all", "testing", "docs", "test"}
# Quick tests of the sdist's own: the core models, and the Twilio status maps against the vendored spec.
SDIST_OWN_TESTS = ["tests/core/test_models.py", "tests/providers/twilio/backend/test_statuses.py"]
URL_LABELS = {"Homepage", "Documentation", "Changelog", "Issues", "Source"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the wheel and the sdist, built from this tree."""
    out = tmp_path_factory.mktemp("dist")
    for builder in (WheelBuilder(str(ROOT)), SdistBuilder(str(ROOT))):
        for _ in builder.build(directory=str(out)):
            pass
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> zipfile.ZipFile:
    (path,) = dist.glob("*.whl")
    return zipfile.ZipFile(path)


@pytest.fixture(scope="module")
def metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.parser.Parser().parsestr(wheel.read(name).decode())


@pytest.fixture(scope="module")
def sdist(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist unpacked: the root of its one top-level folder."""
    (path,) = dist.glob("*.tar.gz")
    dest = tmp_path_factory.mktemp("sdist")
    with tarfile.open(path) as tar:
        tar.extractall(dest, filter="data")
    (top,) = dest.iterdir()
    return top


def test_licence_is_an_spdx_expression_with_the_full_text(
    metadata: email.message.Message, wheel: zipfile.ZipFile
) -> None:
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["License"] is None  # the deprecated free-text field
    assert metadata.get_all("License-File") == ["LICENSE"]
    shipped = wheel.read(f"anyvideo-{anyvideo.__version__}.dist-info/licenses/LICENSE").decode()
    assert shipped == (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in shipped
    assert "END OF TERMS AND CONDITIONS" in shipped


def test_classifiers_are_valid_and_say_what_a_user_filters_on(metadata: email.message.Message) -> None:
    classifiers = metadata.get_all("Classifier") or []
    assert classifiers
    assert [c for c in classifiers if c not in trove_classifiers.classifiers] == []
    assert [c for c in classifiers if c in trove_classifiers.deprecated_classifiers] == []
    # The index refuses a License classifier beside a License-Expression.
    assert [c for c in classifiers if c.startswith("License ::")] == []
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert any(c.startswith("Topic ::") for c in classifiers)
    assert "Typing :: Typed" in classifiers
    pythons = {
        c.rpartition(" :: ")[2] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert pythons == {"3.11", "3.12", "3.13"}
    assert metadata["Requires-Python"] == ">=3.11"


def test_keywords_extras_and_urls(metadata: email.message.Message) -> None:
    keywords = metadata["Keywords"].split(",")
    assert {"video", "webrtc", "vonage", "twilio"} <= set(keywords)
    assert set(metadata.get_all("Provides-Extra") or []) == EXTRAS
    # The project has no public URL yet (see pyproject.toml): none is invented, and any
    # added later must be an absolute https address under a label the index shows.
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(", ")
        assert label in URL_LABELS
        assert url.startswith("https://")


def test_the_version_lives_in_one_place(metadata: email.message.Message) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert metadata["Version"] == anyvideo.__version__
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.split()[-1] == anyvideo.__version__


def test_every_import_package_in_the_wheel_is_typed(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == set(IMPORT_PACKAGES)
    for package in IMPORT_PACKAGES:
        assert f"{package}/py.typed" in names


def test_the_sdist_holds_the_docs_tests_specs_and_licence(sdist: Path) -> None:
    for folder in ("core/anyvideo", "backends/anyvideo_vonage", "backends/anyvideo_twilio", "docs", "tests", "specs"):
        assert (sdist / folder).is_dir(), folder
    for name in (
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "pyproject.toml",
        "PKG-INFO",
        "specs/SOURCES.md",
        "mkdocs.yml",
    ):
        assert (sdist / name).is_file(), name
    shipped_tests = {p.relative_to(sdist).as_posix() for p in (sdist / "tests").rglob("*.py")}
    tracked_tests = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("*.py")}
    assert tracked_tests <= shipped_tests
    everything = [p.relative_to(sdist).as_posix() for p in sdist.rglob("*")]
    assert [p for p in everything if re.search(r"egg-info|__pycache__|\.pyc$|\.db$|_cache", p)] == []
    # Its licence is not stated, so it is never redistributed (specs/SOURCES.md).
    assert not (sdist / "specs" / "vonage_video.yml").exists()


@pytest.mark.parametrize("page", ["README.md", "CHANGELOG.md"])
def test_relative_links_resolve_within_the_sdist(sdist: Path, page: str) -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", (sdist / page).read_text())
    relative = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert relative, f"{page} links to nothing in the tree"
    assert [t for t in relative if not (sdist / t).exists()] == []


def test_the_sdist_runs_its_own_tests(sdist: Path) -> None:
    """A handful of the sdist's tests pass from the unpacked tree, on its own code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["core", "backends"])}
    env.pop("PYTEST_ADDOPTS", None)
    modules = ", ".join(IMPORT_PACKAGES)
    files = ", ".join(f"{name}.__file__" for name in IMPORT_PACKAGES)
    where = subprocess.run(
        [sys.executable, "-c", f"import {modules}; print({files})"],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(Path(p).is_relative_to(sdist) for p in where.stdout.split())
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *SDIST_OWN_TESTS],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b\d+ passed\b", run.stdout)
    assert "failed" not in run.stdout.splitlines()[-1]
    assert "skipped" not in run.stdout.splitlines()[-1]
