"""Connection data, as anyvideo writes it into client tokens and reads it back from callbacks."""

from __future__ import annotations

import pytest

from anyvideo import Role
from anyvideo_vonage.translate import connection_data, read_connection

CASES = [
    (None, (None, None, None)),
    ("", (None, None, None)),
    ('{"identity":"ann"}', ("ann", None, None)),
    ('{"identity":"ann","role":"moderator","data":"seat 4"}', ("ann", "seat 4", Role.MODERATOR)),
    ('{"identity":"ann","role":"king"}', ("ann", None, None)),  # not a role: none
    ('{"identity":"ann","data":7}', ("ann", None, None)),  # data that is not text is not data
    ('{"role":"subscriber"}', (None, '{"role":"subscriber"}', Role.SUBSCRIBER)),  # no identity: all data
    ("plain text", (None, "plain text", None)),  # another application's data
    ('["a"]', (None, '["a"]', None)),
]


@pytest.mark.parametrize(("raw", "read"), CASES)
def test_connection_data_is_read_as_identity_data_and_role(raw, read) -> None:
    assert read_connection(raw) == read


def test_what_anyvideo_writes_reads_back() -> None:
    assert read_connection(connection_data("ann", "x", Role.PUBLISHER)) == ("ann", "x", Role.PUBLISHER)
