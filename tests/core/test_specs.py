"""Input validation: bad input fails before any backend call, naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anyvideo
from anyvideo import InvalidRequest, Layout, Resolution, Role, RtmpTarget
from anyvideo.specs import MAX_TOKEN_TTL, CompositionSpec, RecordingSpec, RoomSpec, SignalSpec, TokenSpec


def field_of(call, *args, **kwargs) -> str:
    """The field named by the InvalidRequest that ``call`` raises."""
    with pytest.raises(InvalidRequest) as caught:
        call(*args, **kwargs)
    return caught.value.field


# --- rooms ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["standup", "a", "7", "Team room 1", "ops@acme.example", "2024-05-01:retro", "end.", "a" * 128, "a b"],
)
def test_room_name_is_accepted(name):
    assert RoomSpec(name).name == name


def test_room_without_a_name_is_accepted():
    assert RoomSpec().name is None


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a" * 129,
        "bad name!",
        "semi;colon",
        "slash/room",
        "tab\there",
        "line\nbreak",
        "café",
        " leading",
        "trailing ",
        " ",
        "-dash-first",
        ".dot-first",
        42,
        b"standup",
    ],
)
def test_room_name_is_rejected(name):
    assert field_of(RoomSpec, name) == "name"


@pytest.mark.parametrize("count", [0, -1, 10_001, True, 2.5, "10"])
def test_max_participants_outside_1_to_10000_is_rejected(count):
    assert field_of(RoomSpec, "standup", max_participants=count) == "max_participants"


def test_provider_options_must_be_a_mapping():
    assert field_of(RoomSpec, "standup", provider_options=["archiveMode"]) == "provider_options"


room_names = st.one_of(
    st.text(),
    st.text(alphabet="aZ9 ._:@-!/\t", max_size=140),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._:@-]{0,140}", fullmatch=True),
)


@settings(deadline=None)
@given(name=room_names)
def test_any_room_name_is_created_or_rejected_as_name(name):
    with anyvideo.connect("local", environ={}) as video:
        try:
            created = video.rooms.create(name)
        except InvalidRequest as exc:
            assert exc.field == "name"
        else:
            assert created.name == name
            assert name == name.strip() and 1 <= len(name) <= 128


# --- tokens -----------------------------------------------------------------


@pytest.mark.parametrize(
    "ttl",
    [0, -1, 0.5, MAX_TOKEN_TTL.total_seconds() + 1, MAX_TOKEN_TTL + timedelta(seconds=1), True, "3600", None],
)
def test_token_ttl_is_rejected(ttl):
    assert field_of(TokenSpec, "ann", ttl=ttl) == "ttl"


@pytest.mark.parametrize(
    ("ttl", "seconds"),
    [(1, 1.0), (3600, 3600.0), (timedelta(hours=2), 7200.0), (MAX_TOKEN_TTL, MAX_TOKEN_TTL.total_seconds())],
)
def test_token_ttl_is_accepted_in_seconds_or_as_a_timedelta(ttl, seconds):
    assert TokenSpec("ann", ttl=ttl).ttl == seconds


def test_token_role_may_be_given_as_text():
    assert TokenSpec("ann", role="moderator").role is Role.MODERATOR


@pytest.mark.parametrize("role", ["boss", "", "Publisher", None])
def test_unknown_token_role_is_rejected(role):
    assert field_of(TokenSpec, "ann", role=role) == "role"


@pytest.mark.parametrize("identity", ["", "a" * 129, "ann\n", 7])
def test_token_identity_is_rejected(identity):
    assert field_of(TokenSpec, identity) == "identity"


def test_token_data_longer_than_1000_characters_is_rejected():
    assert field_of(TokenSpec, "ann", data="x" * 1001) == "data"


def test_token_data_of_1000_characters_is_accepted():
    assert TokenSpec("ann", data="x" * 1000).data == "x" * 1000


# --- signals ----------------------------------------------------------------


@pytest.mark.parametrize("type_", ["t" * 129, "chat message", "chat!", "tipo/ñ"])
def test_signal_type_is_rejected(type_):
    assert field_of(SignalSpec, type_, "hi") == "type"


@pytest.mark.parametrize("type_", ["", "chat", "app.chat:v2-x_y", "t" * 128])
def test_signal_type_is_accepted(type_):
    assert SignalSpec(type_, "hi").type == type_


def test_signal_data_of_8_kb_is_accepted():
    assert len(SignalSpec("chat", "x" * 8192).data) == 8192


def test_signal_data_over_8_kb_is_rejected():
    assert field_of(SignalSpec, "chat", "x" * 8193) == "data"


def test_signal_data_limit_counts_bytes_not_characters():
    assert field_of(SignalSpec, "chat", "é" * 4097) == "data"  # 8194 bytes in UTF-8


def test_signal_data_must_be_text():
    assert field_of(SignalSpec, "chat", b"hi") == "data"


# --- layouts and resolutions in specs ---------------------------------------


@pytest.mark.parametrize("spec", [RecordingSpec, lambda **kw: CompositionSpec("file", **kw)])
def test_unknown_layout_kind_is_rejected(spec):
    assert field_of(spec, layout="nonsense") == "layout"


@pytest.mark.parametrize("spec", [RecordingSpec, lambda **kw: CompositionSpec("file", **kw)])
def test_custom_layout_by_name_is_rejected_for_want_of_regions(spec):
    assert field_of(spec, layout="custom") == "layout"


def test_preset_layout_may_be_given_by_name():
    assert RecordingSpec(layout="pip").layout == Layout.pip()


@pytest.mark.parametrize("resolution", ["big", "1280x", "1280 x 720", "8x8", "123x45678", "4097x720"])
def test_bad_resolution_is_rejected(resolution):
    assert field_of(RecordingSpec, resolution=resolution) == "resolution"


def test_resolution_may_be_given_as_text():
    assert RecordingSpec(resolution="1280x720").resolution == Resolution(1280, 720)


# --- recordings -------------------------------------------------------------


def test_recording_needs_audio_or_video():
    assert field_of(RecordingSpec, has_audio=False, has_video=False) == "has_audio"


def test_individual_recording_takes_no_layout():
    assert field_of(RecordingSpec, mode="individual", layout=Layout.grid()) == "layout"


def test_individual_recording_takes_no_resolution():
    assert field_of(RecordingSpec, mode="individual", resolution="1280x720") == "resolution"


def test_unknown_recording_mode_is_rejected():
    assert field_of(RecordingSpec, mode="mixed") == "mode"


@pytest.mark.parametrize("seconds", [59, 36 * 3600 + 1, "600", True])
def test_recording_max_duration_outside_1_minute_to_36_hours_is_rejected(seconds):
    assert field_of(RecordingSpec, max_duration=seconds) == "max_duration"


def test_recording_name_longer_than_256_characters_is_rejected():
    assert field_of(RecordingSpec, name="n" * 257) == "name"


# --- compositions -----------------------------------------------------------

RTMP = RtmpTarget("rtmp://live.example.com/app", stream_name="key")


def test_unknown_composition_output_is_rejected():
    assert field_of(CompositionSpec, "stream") == "output"


def test_file_composition_takes_no_hls():
    assert field_of(CompositionSpec, "file", hls=True) == "output"


def test_file_composition_takes_no_rtmp_target():
    assert field_of(CompositionSpec, "file", rtmp=[RTMP]) == "output"


def test_live_composition_needs_a_target():
    assert field_of(CompositionSpec, "live") == "output"


@pytest.mark.parametrize("url", ["http://live.example.com/app", "live.example.com/app", "RTMP://x", "srt://x"])
def test_rtmp_target_needs_an_rtmp_url(url):
    assert field_of(CompositionSpec, "live", rtmp=[RtmpTarget(url)]) == "rtmp"


def test_rtmp_target_must_be_an_rtmp_target():
    assert field_of(CompositionSpec, "live", rtmp=["rtmp://live.example.com/app"]) == "rtmp"


@pytest.mark.parametrize("url", ["rtmp://live.example.com/app", "rtmps://live.example.com:443/app"])
def test_live_composition_accepts_rtmp_and_rtmps_targets(url):
    assert CompositionSpec("live", rtmp=[RtmpTarget(url)]).rtmp == (RtmpTarget(url),)


def test_live_composition_takes_no_file_format():
    assert field_of(CompositionSpec, "live", hls=True, format="mp4") == "format"


def test_file_composition_takes_no_max_duration():
    assert field_of(CompositionSpec, "file", max_duration=3600) == "max_duration"


def test_live_composition_takes_a_max_duration():
    assert CompositionSpec("live", hls=True, max_duration=3600).max_duration == 3600.0


def test_live_composition_takes_no_recordings():
    assert field_of(CompositionSpec, "live", hls=True, recording_ids=["rc_1"]) == "recording_ids"


@pytest.mark.parametrize("format_", ["avi", "MP4", "", "mkv"])
def test_unknown_file_format_is_rejected(format_):
    assert field_of(CompositionSpec, "file", format=format_) == "format"


@pytest.mark.parametrize("format_", ["mp4", "webm"])
def test_file_format_is_accepted(format_):
    assert CompositionSpec("file", format=format_).format == format_


@pytest.mark.parametrize("field", ["stream_ids", "recording_ids"])
@pytest.mark.parametrize("ids", [[], [""], ["st_1", None]])
def test_id_lists_need_non_empty_ids(field, ids):
    assert field_of(CompositionSpec, "file", **{field: ids}) == field


# --- through the facade: rejected before the backend is called --------------


def test_facade_rejects_a_bad_room_name(video):
    assert field_of(video.rooms.create, "bad name!") == "name"


def test_facade_creates_no_room_for_a_bad_name(video):
    with pytest.raises(InvalidRequest):
        video.rooms.create("bad name!")
    assert list(video.rooms.list()) == []


def test_facade_rejects_a_zero_ttl(video, room):
    assert field_of(video.tokens.create, room, "ann", ttl=0) == "ttl"


def test_facade_rejects_a_missing_ttl(video, room):
    assert field_of(video.tokens.create, room, "ann", ttl=None) == "ttl"


def test_facade_rejects_an_unknown_role(video, room):
    assert field_of(video.tokens.create, room, "ann", role="boss") == "role"


def test_facade_rejects_an_unknown_layout(video, room):
    assert field_of(video.recordings.start, room, layout="nonsense") == "layout"


def test_facade_rejects_an_out_of_range_resolution(video, room):
    assert field_of(video.recordings.start, room, resolution="123x45678") == "resolution"


def test_facade_rejects_a_resolution_the_backend_does_not_offer(video, room):
    assert field_of(video.recordings.start, room, resolution="800x600") == "resolution"


def test_facade_starts_no_recording_at_a_resolution_the_backend_does_not_offer(video, room):
    with pytest.raises(InvalidRequest):
        video.recordings.start(room, resolution="800x600")
    assert list(video.recordings.list()) == []


def test_facade_accepts_a_resolution_the_backend_offers(video, room):
    assert str(video.recordings.start(room, resolution="1280x720").resolution) == "1280x720"


def test_facade_rejects_a_file_composition_in_an_unknown_format(video, room):
    assert field_of(video.compositions.start, room, format="avi") == "format"


def test_facade_rejects_an_oversized_signal(video, room):
    assert field_of(video.signals.send, room, "chat", "x" * 8193) == "data"


# --- switches are booleans, not whatever is truthy -----------------------------------

NOT_A_BOOL = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.text(), st.binary(), st.lists(st.booleans(), max_size=2)
)


@given(NOT_A_BOOL, st.sampled_from(["has_audio", "has_video"]))
def test_a_recording_switch_that_is_not_a_bool_is_refused_naming_it(value, field) -> None:
    with pytest.raises(InvalidRequest) as caught:
        RecordingSpec(**{field: value})
    assert caught.value.field == field


def test_the_string_no_is_not_taken_as_yes() -> None:
    with pytest.raises(InvalidRequest, match="has_audio: must be True or False, got str"):
        RecordingSpec(has_audio="no")


@given(NOT_A_BOOL)
def test_a_composition_hls_switch_that_is_not_a_bool_is_refused(value) -> None:
    with pytest.raises(InvalidRequest, match="^hls: "):
        CompositionSpec("live", hls=value)


def test_a_recording_started_with_a_bytes_switch_fails_before_any_request(video) -> None:
    room = video.rooms.create("bytes-switch")
    with pytest.raises(InvalidRequest, match="has_audio"):
        video.recordings.start(room, has_audio=b"0")
