"""E.164 checking and masking: every form a user might type, refused or kept as given."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyvideo.errors import InvalidRequest
from anyvideo.phone_numbers import e164, masked


@pytest.mark.parametrize("number", ["+15551234567", "+447700900123", "+12", "+123456789012345"])
def test_an_e164_number_is_kept_as_given(number: str) -> None:
    assert e164(number) == number


@pytest.mark.parametrize(
    "number",
    [
        "15551234567",  # no +
        "+1 555 123 4567",  # spaces
        "+1-555-123-4567",  # punctuation
        "+05551234567",  # a country code starts with 1-9
        "+1",  # too short
        "+1234567890123456",  # 16 digits
        "",
        "+",
        "+1555123456７",  # a non-ASCII digit
        "tel:+15551234567",
    ],
)
def test_anything_else_is_refused_naming_the_field(number: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        e164(number, "to")
    assert refused.value.field == "to" and "E.164" in str(refused.value)


def test_a_number_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="not int"):
        e164(15551234567)


@given(st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True))
def test_a_masked_number_keeps_its_length_and_last_four_digits(number: str) -> None:
    shown = masked(number)
    assert len(shown) == len(number) and shown.endswith(number[-4:]) and shown.startswith("+")
    assert sum(c.isdigit() for c in shown) == min(4, len(number) - 1)


def test_a_masked_number_reads_as_expected() -> None:
    assert masked("+15551234567") == "+•••••••4567"
