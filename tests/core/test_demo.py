"""The scripted meeting adapts to what a backend offers and fails loudly otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

import anyvideo
from anyvideo import Feature, Plugins
from anyvideo.demo import run_demo
from anyvideo.local import LocalBackend


class RolelessLocal(LocalBackend):
    """The local platform with tokens that carry no role, as Twilio's do."""

    name = "roleless"
    features = LocalBackend.features - {Feature.TOKEN_ROLES}


class RegistersRoleless:
    @anyvideo.hookimpl
    def anyvideo_register_backends(self, register):
        register("roleless", RolelessLocal)


def test_the_demo_tries_a_subscriber_publishing_where_tokens_have_roles() -> None:
    lines: list[str] = []
    with anyvideo.connect("local", processing_delay=0, environ={}) as video:
        run_demo(video, lines.append, record_seconds=0)
    assert any("publish refused" in line for line in lines)


def test_the_demo_runs_without_token_roles(tmp_path: Path) -> None:
    lines: list[str] = []
    plugins = Plugins(["local"], extra=[RegistersRoleless()], environ={})
    with anyvideo.connect("roleless", plugins=plugins, processing_delay=0, environ={}) as video:
        recording = run_demo(video, lines.append, record_seconds=0, output=tmp_path)
    assert any("no token roles" in line and "carol only watches" in line for line in lines)
    assert not any("publish refused" in line for line in lines)
    assert (tmp_path / recording.files[0].name).exists()


def test_the_demo_needs_a_backend_that_can_play_participants() -> None:
    class Unplayable(LocalBackend):
        name = "unplayable"

        def browser(self):
            return anyvideo.Backend.browser(self)

    class RegistersUnplayable:
        @anyvideo.hookimpl
        def anyvideo_register_backends(self, register):
            register("unplayable", Unplayable)

    plugins = Plugins(["local"], extra=[RegistersUnplayable()], environ={})
    with anyvideo.connect("unplayable", plugins=plugins, environ={}) as video:
        with pytest.raises(anyvideo.ConfigurationError, match="participants join from its client SDKs"):
            run_demo(video, lambda line: None)
