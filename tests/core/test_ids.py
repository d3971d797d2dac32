"""The id check every backend runs before a request (``anyvideo.ids``)."""

from __future__ import annotations

import re

import pytest

from anyvideo.errors import InvalidRequest
from anyvideo.ids import IdFormats

IDS = IdFormats("acme", {"room": re.compile(r"rm_[0-9a-f]{4}")})


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("rm_00af", True), ("rm_00af\n", False), ("rm_00aF", False), ("rm_00af/..", False), ("", False)],
)
def test_an_id_is_accepted_only_when_the_whole_of_it_matches(value: str, accepted: bool) -> None:
    assert IDS.accepts("room", value) is accepted


def test_a_refusal_names_the_field_and_the_provider() -> None:
    with pytest.raises(InvalidRequest, match="^room_id: 'x' is not a acme room id$") as refused:
        IDS.check("room", "x", "room_id")
    assert refused.value.field == "room_id"


def test_a_refusal_names_the_kind_when_no_field_is_given_and_shows_a_long_id_cut() -> None:
    with pytest.raises(InvalidRequest) as refused:
        IDS.check("room", "x" * 10_000)
    assert refused.value.field == "room" and len(str(refused.value)) < 120


def test_a_value_that_is_no_string_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="^streams: 3 is not"):
        IDS.check_all("room", ["rm_0000", 3], "streams")
