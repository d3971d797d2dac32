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
from typing import Any, TypeVar

import attrs

from anyvideo_twilio.emulator import errors
from anyvideo_twilio.emulator.params import Params

__all__ = ["PAGING", "Page", "paginate", "paginate_lazily"]

T = TypeVar("T")

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


def paginate_lazily(
    keys: Sequence[str],
    load: Callable[[str], T | None],
    page: Page,
    *,
    key: str,
    url: str,
    filters: list[tuple[str, str]],
) -> tuple[list[T], dict[str, Any]]:
    """:func:`paginate` over ``keys`` (SIDs, in list order) that loads only
    what one page needs: ``load(sid)`` gives the item, or ``None`` when the
    list's filters leave it out. A page costs about its size in loads, not
    the whole list, so paging through a large account stays linear."""
    if page.token is None:
        position, skip = 0, page.number * page.size
    else:
        anchor = page.token[2:]
        try:
            position = keys.index(anchor)
        except ValueError:
            raise errors.invalid(f"Invalid PageToken {page.token!r}") from None
        skip = 0
        if page.token.startswith(_AFTER):
            position += 1
        else:
            position = _back(keys, load, position, page.size)
    chunk: list[tuple[str, T]] = []
    more = False
    for sid in keys[position:]:
        item = load(sid)
        if item is None:
            continue
        if skip:
            skip -= 1
            continue
        if len(chunk) == page.size:
            more = True  # one more match: there is a next page
            break
        chunk.append((sid, item))
    first = chunk[0][0] if chunk else None
    started = any(load(sid) is not None for sid in keys[:position]) if first is not None and position else False
    started = started or (page.token is None and page.number > 0)

    def link(number: int, token: str | None) -> str:
        query = [*filters, ("PageSize", str(page.size)), ("Page", str(number))]
        if token:
            query.append(("PageToken", token))
        return f"{url}?{urllib.parse.urlencode(query)}"

    meta = {
        "page": page.number,
        "page_size": page.size,
        "first_page_url": link(0, None),
        "previous_page_url": link(page.number - 1, _BEFORE + first) if started and first else None,
        "url": link(page.number, page.token),
        "next_page_url": link(page.number + 1, _AFTER + chunk[-1][0]) if more and chunk else None,
        "key": key,
    }
    return [item for _, item in chunk], meta


def _back(keys: Sequence[str], load: Callable[[str], Any], position: int, size: int) -> int:
    """Where the page of ``size`` matching items before ``keys[position]`` starts."""
    found = 0
    for index in range(position - 1, -1, -1):
        if load(keys[index]) is not None:
            found += 1
            if found == size:
                return index
    return 0


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
