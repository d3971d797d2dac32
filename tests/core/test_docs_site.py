"""The documentation site builds in strict mode, offline, and strict mode catches what it should.

``mkdocs build --strict`` (mkdocs.yml) renders docs/ and the API reference from the
docstrings; any warning fails it. These tests build it as CI does, check that the site
loads nothing from the network, and build a copy of the tree with a broken link, a
public name without a docstring and a docstring reference to nothing, which must fail
naming each.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from anyvideo import hookspecs

ROOT = Path(__file__).resolve().parents[2]
# What a build reads: the config, the pages and their extension and templates, and the code it documents.
SOURCES = ("mkdocs.yml", "docs", "core", "backends")


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    run = build(ROOT, out)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING" not in run.stderr, run.stderr
    return out


def test_every_page_and_the_api_reference_are_built(site: Path) -> None:
    for page in (ROOT / "docs").rglob("*.md"):
        path = page.relative_to(ROOT / "docs").with_suffix("")
        built = site / (path.parent if path.name == "index" else path) / "index.html"
        assert built.is_file(), page
    reference = (site / "reference" / "anyvideo" / "index.html").read_text()
    for name in ("anyvideo.connect", "anyvideo.Video", "anyvideo.Backend", "anyvideo.NotFound"):
        assert f'id="{name}"' in reference, name
    # A docstring's Sphinx role became a link to the object it names.
    assert 'href="#anyvideo.NotFound"' in reference
    assert ":class:`" not in reference


@pytest.mark.parametrize(
    ("module", "page"),
    [
        ("anyvideo", "anyvideo"),
        ("anyvideo.aio", "aio"),
        ("anyvideo.webhooks", "webhooks"),
        ("anyvideo.django", "django"),
        ("anyvideo.testing", "testing"),
        ("anyvideo_vonage", "vonage"),
        ("anyvideo_vonage.config", "vonage"),
        ("anyvideo_twilio", "twilio"),
        ("anyvideo_twilio.config", "twilio"),
    ],
)
def test_every_exported_name_has_its_entry_in_the_reference(site: Path, module: str, page: str) -> None:
    exported = importlib.import_module(module).__all__
    html = (site / "reference" / page / "index.html").read_text()
    assert [name for name in exported if f'id="{module}.{name}"' not in html] == []


def test_every_hook_has_its_entry_in_the_reference(site: Path) -> None:
    hooks = [name for name in vars(hookspecs) if name.startswith("anyvideo_")]
    assert len(hooks) >= 4
    html = (site / "reference" / "hookspecs" / "index.html").read_text()
    assert [name for name in hooks if f'id="anyvideo.hookspecs.{name}"' not in html] == []


def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    fetched = []
    for path in site.rglob("*"):
        if path.suffix not in {".html", ".css", ".js"}:
            continue
        text = path.read_text(errors="replace")
        fetched += re.findall(r"<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)=\"((?:https?:)?//[^\"]+)\"", text)
        fetched += re.findall(r"(?:url\(|@import\s+)[\"']?((?:https?:)?//[^\"')]+)", text)
    assert fetched == []


def test_strict_mode_fails_on_a_broken_link_a_missing_docstring_and_a_dangling_reference(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tree / name)
    concepts = tree / "docs" / "concepts.md"
    concepts.write_text(concepts.read_text() + "\nSee [the missing page](no-such-page.md).\n")
    models = tree / "core" / "anyvideo" / "models.py"
    documented = '    """Whether the stream carries audio."""\n'
    assert documented in models.read_text()
    models.write_text(models.read_text().replace(documented, ""))
    backend = tree / "core" / "anyvideo" / "backend.py"
    role = ":class:`~anyvideo.NotFound` if the provider has none"
    assert role in backend.read_text()
    backend.write_text(backend.read_text().replace(role, ":class:`~anyvideo.NoSuchError` if the provider has none", 1))

    run = build(tree, tmp_path / "site")

    assert run.returncode != 0
    assert "no-such-page.md" in run.stderr
    assert "without a docstring: anyvideo.StreamKind.has_audio" in run.stderr
    assert "refers to anyvideo.NoSuchError, which does not exist" in run.stderr
