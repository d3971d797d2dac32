"""Provider extensions behind one front door: ``video.ext``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import anyvideo
from anyvideo import Feature, InvalidRequest, Room, UnsupportedExtension, UnsupportedFeature, Video
from anyvideo.extensions import ExtensionInfo, Extensions, extension
from anyvideo.local import LocalBackend
from anyvideo.sim import ManualClock


class ClinicExtensions(Extensions):
    """A toy provider's own operations, recording what reached them."""

    calls: list[tuple[str, tuple[Any, ...]]]

    def __init__(self, backend: anyvideo.Backend) -> None:
        super().__init__(backend)
        self.calls = ClinicBackend.calls

    @extension(refs=("room",))
    def ring_bell(self, room_id: str, times: int = 1) -> str:
        """Ring a bell in a room.

        More text that is not the summary.
        """
        self.calls.append(("ring_bell", (room_id, times)))
        return f"rang {room_id} x{times}"

    @extension(refs=("room", "participant"))
    def wave(self, room_id: str, participant_id: str) -> None:
        """Wave at one participant."""
        self.calls.append(("wave", (room_id, participant_id)))

    @extension(feature=Feature.SIP_DIAL)
    def call_out(self, number: str) -> None:
        """Call a phone number."""
        self.calls.append(("call_out", (number,)))

    def helper(self) -> None:
        """Not marked: not an extension."""


class ClinicBackend(LocalBackend):
    name = "clinic"
    extensions_class = ClinicExtensions
    calls: list[tuple[str, tuple[Any, ...]]] = []


class Registers:
    def __init__(self, name: str, cls: type[anyvideo.Backend]) -> None:
        self.name, self.cls = name, cls

    @anyvideo.hookimpl
    def anyvideo_register_backends(self, register: Callable[[str, type[anyvideo.Backend]], None]) -> None:
        register(self.name, self.cls)


@pytest.fixture
def plugins() -> anyvideo.Plugins:
    return anyvideo.Plugins(["local"], extra=[Registers("clinic", ClinicBackend)], environ={})


@pytest.fixture
def clinic(plugins: anyvideo.Plugins) -> Iterator[Video]:
    ClinicBackend.calls.clear()
    with anyvideo.connect("clinic", plugins=plugins, clock=ManualClock(), environ={}) as video:
        yield video


def test_the_backend_declares_its_marked_methods_with_their_first_docstring_line() -> None:
    assert ClinicExtensions.declared() == {
        "ring_bell": ExtensionInfo("ring_bell", "Ring a bell in a room.", ("room",), None),
        "wave": ExtensionInfo("wave", "Wave at one participant.", ("room", "participant"), None),
        "call_out": ExtensionInfo("call_out", "Call a phone number.", (), Feature.SIP_DIAL),
    }


@pytest.mark.parametrize("given", ["model", "id", "ref"])
def test_a_room_is_taken_as_a_model_an_id_or_a_ref(clinic: Video, given: str) -> None:
    room = clinic.rooms.create("ward")
    value: Room | str = {"model": room, "id": room.id, "ref": room.ref}[given]
    assert clinic.ext.ring_bell(value, times=2) == f"rang {room.id} x2"
    assert ClinicBackend.calls == [("ring_bell", (room.id, 2))]


def test_every_leading_object_is_resolved_also_by_keyword(clinic: Video) -> None:
    room = clinic.rooms.create("ward")
    clinic.ext.wave(room_id=room.ref, participant_id="clinic:PA1")
    assert ClinicBackend.calls == [("wave", (room.id, "PA1"))]


def test_an_object_of_another_backend_is_refused_before_the_call(clinic: Video) -> None:
    with pytest.raises(InvalidRequest, match="room_id: 'rm_1' belongs to the local backend"):
        clinic.ext.ring_bell("local:rm_1")
    assert ClinicBackend.calls == []


def test_wrong_arguments_are_refused_before_the_call(clinic: Video) -> None:
    with pytest.raises(TypeError, match="ext.ring_bell"):
        clinic.ext.ring_bell("rm_1", 1, 2)
    assert ClinicBackend.calls == []


def test_an_extension_of_an_undeclared_feature_is_refused_before_the_call(clinic: Video) -> None:
    assert not clinic.supports(Feature.SIP_DIAL)
    with pytest.raises(UnsupportedFeature, match="clinic cannot do sip_dial"):
        clinic.ext.call_out("+15550100")
    assert ClinicBackend.calls == []


def test_the_front_door_lists_what_the_backend_offers(clinic: Video) -> None:
    assert "ring_bell" in clinic.ext and "helper" not in clinic.ext
    assert [info.name for info in clinic.ext] == ["call_out", "ring_bell", "wave"]
    assert {"call_out", "ring_bell", "wave"} <= set(dir(clinic.ext))
    assert clinic.ext.ring_bell.__doc__.startswith("Ring a bell in a room.")


def test_an_extension_the_backend_lacks_names_the_backends_that_offer_it(plugins: anyvideo.Plugins) -> None:
    with anyvideo.connect("local", plugins=plugins, environ={}) as video:
        assert not hasattr(video.ext, "ring_bell")
        with pytest.raises(UnsupportedExtension) as caught:
            video.ext.ring_bell("rm_1")
    assert str(caught.value) == (
        "the local backend has no extension 'ring_bell'; it offers none; backends installed here that offer it: clinic"
    )


def test_an_unknown_name_lists_the_extensions_the_backend_offers(clinic: Video) -> None:
    with pytest.raises(UnsupportedExtension, match="it offers: call_out, ring_bell, wave$"):
        clinic.ext.ring_the_bell  # noqa: B018


def test_capabilities_list_the_extensions_by_their_summary(plugins: anyvideo.Plugins) -> None:
    from anyvideo.capabilities import markdown

    text = markdown({"clinic": ClinicBackend})
    assert "- `ring_bell`: Ring a bell in a room." in text
    assert "Provider extensions (`video.ext.<name>(...)`):" in text
