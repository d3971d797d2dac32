"""The router backend: a mixed fleet of two backends during a migration,
shown here with two embedded platforms ("old" and "new")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import anyvideo
from anyvideo import (
    ConfigurationError,
    Feature,
    InvalidRequest,
    Layout,
    NotFound,
    Plugins,
    Region,
    RoomStatus,
    SelectBy,
    Video,
)
from anyvideo.local import LocalBackend
from anyvideo.router import NameRule, Percentage, parse_policy
from anyvideo.sim import ManualClock, Store, World
from anyvideo.testing.conformance import ConformanceSuite, Platform


class Old(LocalBackend):
    """The provider being left: no signals, no mute."""

    name = "old"
    features = LocalBackend.features - {Feature.SIGNALS, Feature.MUTE}
    feature_hints = {Feature.SIGNALS: "use a data track"}
    selectors = frozenset({SelectBy.IDENTITY, SelectBy.STREAM})


class New(LocalBackend):
    name = "new"


def fleet(clock: ManualClock, policy: str = "primary") -> Video:
    old = Old(World(Store(), clock=clock, processing_delay=2), owns_world=True)
    new = New(World(Store(), clock=clock, processing_delay=2), owns_world=True)
    return anyvideo.connect("router", primary=new, legacy=old, policy=policy, environ={})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def video(clock: ManualClock) -> Iterator[Video]:
    with fleet(clock) as video:
        yield video


@pytest.fixture
def old(video: Video) -> LocalBackend:
    return video.backend.legacy


@pytest.fixture
def new(video: Video) -> LocalBackend:
    return video.backend.primary


# --- placement -------------------------------------------------------------------


def test_new_rooms_open_on_the_primary_backend(video: Video) -> None:
    room = video.rooms.create("standup")
    assert (room.provider, room.ref) == ("new", f"new:{room.id}")


def test_a_room_that_exists_keeps_living_on_the_legacy_backend(video: Video, old: LocalBackend) -> None:
    legacy_room = Video(old).rooms.create("weekly")
    assert video.rooms.get(legacy_room.ref).provider == "old"
    assert video.rooms.get(name="weekly").id == legacy_room.id
    assert video.rooms.create("weekly").ref == legacy_room.ref  # not a second room on the new provider


def test_tokens_come_from_the_backend_that_holds_the_room_and_work_there(video: Video, old: LocalBackend) -> None:
    legacy_room = Video(old).rooms.create("weekly")
    new_room = video.rooms.create("standup")
    devices = video.backend.browser()
    for room in (legacy_room, new_room):
        token = video.tokens.create(room, "ann")
        assert token.provider == room.provider  # which client SDK the browser loads
        assert devices.join(token).room_id == room.id
        assert devices.join(token.token).room_id == room.id
    assert [p.identity for p in video.participants.list(legacy_room)] == ["ann", "ann"]


def test_listings_span_both_backends(video: Video, old: LocalBackend, clock: ManualClock) -> None:
    legacy_room = Video(old).rooms.create("weekly")
    new_room = video.rooms.create("standup")
    assert [r.ref for r in video.rooms.list()] == [legacy_room.ref, new_room.ref]
    devices = video.backend.browser()
    for room in (legacy_room, new_room):
        devices.join(video.tokens.create(room, "ann")).publish()
        recording = video.recordings.start(room)
        video.recordings.stop(recording)
    assert {r.provider for r in video.recordings.list()} == {"old", "new"}


def test_a_bare_id_is_found_on_whichever_backend_holds_it(video: Video, old: LocalBackend) -> None:
    legacy_room = Video(old).rooms.create("weekly")
    assert video.rooms.get(legacy_room.id).provider == "old"
    with pytest.raises(NotFound, match="no backend of the fleet"):
        video.rooms.get("rm_nowhere")


def test_a_ref_of_a_provider_outside_the_fleet_is_refused(video: Video) -> None:
    with pytest.raises(InvalidRequest, match="not in this fleet"):
        video.rooms.get("twilio:RM0123")


def test_a_recording_cannot_compose_streams_of_another_backend(video: Video, old: LocalBackend) -> None:
    legacy_room = Video(old).rooms.create("weekly")
    new_room = video.rooms.create("standup")
    with pytest.raises(InvalidRequest, match="lives on new"):
        video.compositions.start(legacy_room, streams=[f"new:st_{new_room.id}"])


@pytest.mark.parametrize(("policy", "to_primary"), [("percent:0", False), ("percent:100", True)])
def test_a_percentage_of_new_rooms_goes_to_the_primary(clock: ManualClock, policy: str, to_primary: bool) -> None:
    with fleet(clock, policy) as video:
        providers = {video.rooms.create(f"room-{n}").provider for n in range(20)}
    assert providers == ({"new"} if to_primary else {"old"})


def test_a_name_rule_sends_matching_rooms_to_the_primary(clock: ManualClock) -> None:
    with fleet(clock, "name:^beta-") as video:
        assert video.rooms.create("beta-standup").provider == "new"
        assert video.rooms.create("standup").provider == "old"


def test_a_percentage_places_a_name_the_same_way_every_time() -> None:
    half = Percentage(50)
    names = [f"room-{n}" for n in range(400)]
    first = [half.to_primary(name) for name in names]
    assert first == [half.to_primary(name) for name in names]
    assert 150 < sum(first) < 250


@pytest.mark.parametrize("text", ["percent:101", "percent:x", "name:(", "sideways", "primary:1"])
def test_a_bad_policy_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_policy(text)


def test_policies_read_back_as_written() -> None:
    assert [str(parse_policy(t)) for t in ("primary", "percent:25", "name:^beta-")] == [
        "primary",
        "percent:25",
        "name:^beta-",
    ]
    assert isinstance(parse_policy("name:x"), NameRule)


# --- what the fleet offers ---------------------------------------------------------


def test_the_fleet_offers_what_both_backends_offer(video: Video) -> None:
    assert video.features == Old.features
    with pytest.raises(anyvideo.UnsupportedFeature, match="old lacks it \\(use a data track\\)"):
        video.signals.send(video.rooms.create("standup"), "chat", "hi")


def test_the_fleet_places_streams_only_by_what_both_backends_select_by(video: Video) -> None:
    room = video.rooms.create("standup")
    by_source = Layout.custom([Region("screen", 0, 0, 1, 1, sources=["source:screen"])])
    with pytest.raises(InvalidRequest, match="cannot place streams by source"):
        video.recordings.start(room, layout=by_source)


def test_the_router_is_configured_by_backend_names_from_the_environment(tmp_path) -> None:
    environ = {
        "ANYVIDEO_BACKEND": "router",
        "ANYVIDEO_ROUTER_PRIMARY": "local",
        "ANYVIDEO_ROUTER_LEGACY": "old",
        "ANYVIDEO_ROUTER_POLICY": "percent:50",
    }

    class RegistersOld:
        @anyvideo.hookimpl
        def anyvideo_register_backends(self, register):
            register("old", Old)

    plugins = Plugins(["local", "router"], extra=[RegistersOld()], environ=environ)
    with pytest.raises(anyvideo.BackendNotFound, match="old"):
        anyvideo.connect(plugins=plugins, environ=environ)  # members come from installed plugins only
    environ["ANYVIDEO_ROUTER_LEGACY"] = "local"
    with pytest.raises(ConfigurationError, match="two different backends"):
        anyvideo.connect(plugins=plugins, environ=environ)


@pytest.mark.parametrize(
    ("settings", "message"),
    [({}, "needs a primary backend"), ({"primary": "local"}, "needs a legacy backend")],
)
def test_a_router_without_its_backends_is_a_configuration_error(settings, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        anyvideo.connect("router", environ={}, **settings)


def test_unknown_router_settings_are_named() -> None:
    with pytest.raises(ConfigurationError, match="unknown settings for the router backend: colour"):
        anyvideo.connect("router", primary=New.from_settings({}, {}), legacy=Old.from_settings({}, {}), colour=1)


def test_an_ended_room_on_the_legacy_backend_is_found_by_name(video: Video, old: LocalBackend) -> None:
    legacy = Video(old)
    room = legacy.rooms.create("weekly")
    legacy.rooms.end(room)
    assert video.rooms.get(name="weekly").status is RoomStatus.ENDED


class TestFleetConformance(ConformanceSuite):
    """Application code runs on a fleet as it runs on one backend."""

    @pytest.fixture
    def anyvideo_platform(self, clock: ManualClock) -> Iterator[Platform]:
        with fleet(clock, "percent:50") as video:
            yield Platform(video, video.backend.browser(), advance=clock.advance)


def test_an_individual_recording_downloads_with_its_manifest_through_the_fleet(
    video: Video, old: LocalBackend, clock: ManualClock, tmp_path
) -> None:
    import json

    legacy_room = Video(old).rooms.create("weekly")
    video.backend.browser().join(video.tokens.create(legacy_room.ref, "ann")).publish()
    recording = video.recordings.start(legacy_room.ref, mode="individual")
    clock.advance(5)
    video.recordings.stop(recording)
    clock.advance(2)
    folder = video.recordings.download(video.recordings.wait(recording, timeout=0), f"{tmp_path}/kept/")
    [entry] = json.loads((folder / "manifest.json").read_text())["files"]
    assert (entry["identity"], entry["duration"]) == ("ann", 5.0)
    assert json.loads((folder / "manifest.json").read_text())["recording"]["provider"] == "old"
