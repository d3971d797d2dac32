"""The capability matrix is generated from what backends declare."""

from __future__ import annotations

import pytest
from support import REPO

import anyvideo
from anyvideo import Feature, LayoutKind, UnsupportedFeature, Video
from anyvideo.capabilities import markdown
from anyvideo.extensions import Extensions, extension
from anyvideo.local import LocalBackend


class NarrowExtensions(Extensions):
    @extension(refs=("room",))
    def dial_sip(self, room_id: str, uri: str) -> None:
        """dial a SIP endpoint into a room"""


class Narrow(LocalBackend):
    name = "narrow"
    features = frozenset({Feature.RECORDING})
    feature_hints = {Feature.MUTE: "mute from the client SDK"}
    layouts = frozenset({LayoutKind.GRID})
    resolutions = frozenset({"1920x1080", "640x480"})
    max_token_ttl = 24 * 3600.0
    extensions_class = NarrowExtensions
    not_covered = {"transcriptions": "reach them through `video.native`"}


class LiveOnly(LocalBackend):
    """Live compositions and no file ones, as Vonage; the facade must not let a delete reach it."""

    name = "live-only"
    features = (LocalBackend.features - {Feature.POST_HOC_COMPOSITION}) | {Feature.LIVE_STREAMING}

    def delete_composition(self, composition_id: str) -> None:
        raise AssertionError("the facade let a delete through to a backend without file compositions")


def test_deleting_a_composition_needs_file_compositions_whatever_else_the_backend_has() -> None:
    with Video(LiveOnly.from_settings({}, {})) as video, pytest.raises(UnsupportedFeature) as refused:
        video.compositions.delete("cmp_1")
    assert refused.value.feature is Feature.POST_HOC_COMPOSITION


def test_a_row_per_feature_with_a_cell_per_backend() -> None:
    page = markdown({"local": LocalBackend, "narrow": Narrow})
    assert "| `recording` | ✓ | ✓ | record a room" in page
    assert "| `mute` | ✓ | — | mute a participant's audio from the server |" in page
    assert all(f"`{feature.value}`" in page for feature in Feature)


def test_outputs_and_tokens_are_listed_per_backend() -> None:
    page = markdown({"narrow": Narrow})
    assert "| layouts | grid |" in page
    assert "| resolutions | 640x480, 1920x1080 |" in page
    assert "| longest token | 1 day |" in page


def test_a_backend_says_why_it_lacks_a_feature_and_what_else_it_offers() -> None:
    page = markdown({"narrow": Narrow})
    assert "- `mute`: mute from the client SDK" in page
    assert "- `signals`: not offered" in page
    assert "- `dial_sip`: dial a SIP endpoint into a room" in page
    assert "- transcriptions: reach them through `video.native`" in page


def test_the_command_prints_the_markdown_of_the_installed_backends() -> None:
    from click.testing import CliRunner

    from anyvideo.cli import cli

    result = CliRunner(env={"ANYVIDEO_PLUGINS": "local"}).invoke(cli, ["capabilities", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == markdown(anyvideo.Plugins(["local"], environ={}).backends())


def test_the_committed_capability_matrix_is_what_the_command_generates() -> None:
    """docs/capabilities.md is generated; regenerate it with
    ``ANYVIDEO_PLUGINS=local,router,vonage,twilio anyvideo capabilities --markdown > docs/capabilities.md``."""
    from click.testing import CliRunner

    from anyvideo.cli import cli

    committed = (REPO / "docs" / "capabilities.md").read_text(encoding="utf-8")
    runner = CliRunner(env={"ANYVIDEO_PLUGINS": "local,router,vonage,twilio"})
    result = runner.invoke(cli, ["capabilities", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == committed, "docs/capabilities.md is stale: regenerate it (see this test's docstring)"


def test_every_provider_only_feature_is_an_extension_or_said_to_be_absent() -> None:
    backends = anyvideo.Plugins(["vonage", "twilio"], environ={}).backends()
    for cls in backends.values():
        assert cls.extensions_class is not None and cls.extensions_class.declared() and cls.not_covered, cls.name
        assert all(feature in cls.feature_hints for feature in Feature if feature not in cls.features)
