"""Twilio's list pages: ``PageSize``, ``Page`` and ``PageToken`` in, a ``meta``
block with absolute page URLs out.

A page token is ``PA`` + the SID of the last item of the previous page (read
after it) or ``PB`` + the SID of the first item of the next page (read before
it), so paging stays stable while new resources appear; ``Page`` is the
client's own counter, echoed back, and used as an offset only without a token.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import attrs

from anyvideo_twilio.emulator import errors
from anyvideo_twilio.emulator.params import Params

__all__ = ["PAGING", "Page", "Scan", "paginate", "paginate_scan"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

PAGING = ("PageSize", "Page", "PageToken")
DEFAULT_SIZE = 50
_AFTER, _BEFORE = "PA", "PB"


@attrs.frozen
class Page:
    """Which page the client asked for."""

    size: int
    number: int
    token: str | None

    @classmethod
    def parse(cls, params: Params, *, max_size: int) -> Page:
        size = params.integer("PageSize", DEFAULT_SIZE, low=1, high=max_size)
        number = params.integer("Page", 0, low=0, high=10**9)
        token = params.text("PageToken")
        if token is not None and not token.startswith((_AFTER, _BEFORE)):
            raise errors.invalid(f"Invalid PageToken {token!r}")
        assert size is not None and number is not None
        return cls(size, number, token)


def paginate(
    items: Sequence[T],
    page: Page,
    *,
    sid: Callable[[T], str],
    key: str,
    url: str,
    filters: list[tuple[str, str]],
) -> tuple[list[T], dict[str, Any]]:
    """The items of ``page`` and Twilio's ``meta`` for them; ``url`` is the
    list's absolute URL, ``filters`` the query parameters to carry along."""
    start = _start(items, page, sid)
    chunk = list(items[start : start + page.size])
    more = start + page.size < len(items)

    def link(number: int, token: str | None) -> str:
        query = [*filters, ("PageSize", str(page.size)), ("Page", str(number))]
        if token:
            query.append(("PageToken", token))
        return f"{url}?{urllib.parse.urlencode(query)}"

    meta = {
        "page": page.number,
        "page_size": page.size,
        "first_page_url": link(0, None),
        "previous_page_url": link(page.number - 1, _BEFORE + sid(chunk[0])) if start > 0 and chunk else None,
        "url": link(page.number, page.token),
        "next_page_url": link(page.number + 1, _AFTER + sid(chunk[-1])) if more and chunk else None,
        "key": key,
    }
    return chunk, meta


class Scan(Protocol[T_co]):
    """Reads a list held by the world: up to ``limit`` matching items with their
    listing keys, in list order (``newest_first``: backwards), strictly between
    the keys ``after_seq`` and ``before_seq``, after skipping ``offset`` of them."""

    def __call__(
        self,
        *,
        limit: int,
        after_seq: int = 0,
        before_seq: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> Sequence[tuple[int, T_co]]: ...


def paginate_scan(
    scan: Scan[T],
    locate: Callable[[str], int | None],
    page: Page,
    *,
    sid: Callable[[T], str],
    key: str,
    url: str,
    filters: list[tuple[str, str]],
) -> tuple[list[T], dict[str, Any]]:
    """:func:`paginate` over a list the world holds, reading only what one page
    needs: ``scan`` reads items by their listing keys, ``locate(sid)`` gives the
    key of a page token's item. A page costs its size (and one item either side,
    for the links), not the whole list."""
    if page.token is None:
        rows = list(scan(limit=page.size + 1, offset=page.number * page.size))
    else:
        anchor = locate(page.token[2:])
        if anchor is None:
            raise errors.invalid(f"Invalid PageToken {page.token!r}")
        if page.token.startswith(_AFTER):
            rows = list(scan(limit=page.size + 1, after_seq=anchor))
        else:
            before = list(scan(limit=page.size, before_seq=anchor, newest_first=True))
            if len(before) == page.size:  # a whole page before the anchor, then whatever follows it
                rows = before[::-1] + list(scan(limit=1, after_seq=before[0][0]))
            else:  # fewer: the page starts at the beginning of the list
                rows = list(scan(limit=page.size + 1))
    chunk = [item for _, item in rows[: page.size]]
    more = len(rows) > page.size
    if page.token is None:
        started = page.number > 0
    else:
        started = bool(rows) and bool(scan(limit=1, before_seq=rows[0][0], newest_first=True))

    def link(number: int, token: str | None) -> str:
        query = [*filters, ("PageSize", str(page.size)), ("Page", str(number))]
        if token:
            query.append(("PageToken", token))
        return f"{url}?{urllib.parse.urlencode(query)}"

    meta = {
        "page": page.number,
        "page_size": page.size,
        "first_page_url": link(0, None),
        "previous_page_url": link(page.number - 1, _BEFORE + sid(chunk[0])) if started and chunk else None,
        "url": link(page.number, page.token),
        "next_page_url": link(page.number + 1, _AFTER + sid(chunk[-1])) if more and chunk else None,
        "key": key,
    }
    return chunk, meta


def _start(items: Sequence[T], page: Page, sid: Callable[[T], str]) -> int:
    if page.token is None:
        return page.number * page.size
    anchor = page.token[2:]
    position = next((i for i, item in enumerate(items) if sid(item) == anchor), None)
    if position is None:
        raise errors.invalid(f"Invalid PageToken {page.token!r}")
    if page.token.startswith(_AFTER):
        return position + 1
    return max(0, position - page.size)
