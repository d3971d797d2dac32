"""The one REST helper, for what the SDK does not do (or does not do safely).

``requests`` plus the application JWT (PyJWT, signed from the key loaded
once and reused; see :mod:`.credentials`). Used for:

- operations the SDK lacks: listing a session's connections, session migration;
- reading archives, broadcasts and Experience Composers as raw JSON: the
  SDK's models reject a status value they do not know, and a new provider
  status must not break a listing; its list methods also report a wrong next
  page, so offsets are computed here and pages fetched lazily;
- downloading an archive from its pre-signed URL, which must never receive
  the application's credentials.

One ``requests.Session`` per thread: sessions are not documented as thread-safe.
Every request goes through the backend's :class:`~anyvideo.calls.Caller` (retry policy,
rate limit) with the policy's ``(connect, read)`` timeout, held to its operation's deadline
by core's :class:`~anyvideo.deadline.DeadlineAdapter`; ``requests`` itself retries nothing
(the adapter's default).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from anyvideo.calls import Caller
from anyvideo.deadline import DeadlineAdapter
from anyvideo.errors import ProviderError
from anyvideo.retry import Safety
from anyvideo.sessions import ProviderSession
from anyvideo_vonage import errors
from anyvideo_vonage.credentials import ApplicationJwt
from anyvideo_vonage.errors import PROVIDER

__all__ = ["VonageRest", "items_of"]

#: Items per page when listing (the provider allows up to 1000; 50 is its default).
PAGE_SIZE = 50
_CHUNK = 64 * 1024


class VonageRest:
    """Authenticated JSON requests to ``https://<video_host>/v2/project/<application id>/…``."""

    def __init__(self, video_host: str, application_id: str, jwt: ApplicationJwt, *, calls: Caller) -> None:
        self.base_url = f"https://{video_host}"
        self.application_id = application_id
        self._jwt = jwt
        #: Every request goes through it: retry policy, timeouts, rate limit.
        self.calls = calls
        self._timeout = calls.policy.timeout
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"VonageRest({self.base_url!r})"

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = ProviderSession()
            for scheme in ("https://", "http://"):
                session.mount(scheme, DeadlineAdapter())
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def project_path(self, *parts: str) -> str:
        """``/v2/project/<application id>/<parts…>``, each part URL-quoted."""
        return "/".join(["/v2/project", quote(self.application_id, safe=""), *(quote(p, safe="") for p in parts)])

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        form: dict[str, Any] | None = None,
        safety: Safety = Safety.SAFE,
        gone: Callable[[], Any] | None = None,
        what: str | None = None,
    ) -> Any:
        """The decoded JSON answer (``None`` when empty); an anyvideo error for a 4xx/5xx.
        ``body`` is sent as JSON, ``form`` as a form. Retried under the backend's policy as
        ``safety`` allows, ``gone()`` the result when a repeat finds the object gone (tried
        once inside another request's try: see :class:`~anyvideo.calls.Caller`). ``what``
        names the operation in logs (default: the method and path)."""
        return self.calls.call(
            what or f"{method} {path}",
            lambda: self._once(method, path, params, body, form),
            safety=safety,
            gone=gone,
        )

    def _once(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any, form: dict[str, Any] | None = None
    ) -> Any:
        headers = {"Authorization": "Bearer " + self._jwt.token().decode(), "Accept": "application/json"}
        try:
            answer = self._session().request(
                method,
                self.base_url + path,
                params=params,
                json=body,
                data=form,
                headers=headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise errors.from_sdk(exc) from exc
        with answer:
            if answer.status_code >= 400:
                raise errors.from_answer(answer.status_code, answer.content, answer.headers)
            if not answer.content:
                return None
            try:
                return answer.json()
            except ValueError:
                message = f"answered {method} {path} with a body that is not JSON"
                raise ProviderError(message, provider=PROVIDER, status=answer.status_code) from None

    def oldest_first(
        self, path: str, filters: Mapping[str, str], *, page_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Every item of a newest-first ``{count, items}`` listing, oldest first, fetched a page at a
        time as it is consumed (see :meth:`oldest_first_pages`)."""
        for page in self.oldest_first_pages(path, filters, page_size=page_size):
            yield from page

    def oldest_first_pages(
        self, path: str, filters: Mapping[str, str], *, page_size: int = PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """The items of a newest-first ``{count, items}`` listing, oldest first, a page at a time
        (each list what one request brought that was not yielded before), fetched as consumed.

        The first page (newest items) gives the total; the rest is read from
        the end. Offsets are computed here from what the provider reports
        (the SDK's ``next_page`` is always 1). Items added meanwhile go to the
        front and shift every offset: the growth of ``count`` is added to the
        window before it is read again. Items removed meanwhile shift the
        unread ones towards the newest (into the newest page too, which is then
        read again) and what was already read into the next window: those are
        skipped by :class:`_Progress`, which keeps only the newest ``createdAt``
        yielded (so memory stays flat however long the listing). Items added
        after the listing began are not part of it; as many added as removed
        between two pages is not seen in ``count`` and may skip an item.
        """
        first = _page(self.call("GET", path, params={**filters, "offset": 0, "count": page_size}))
        total = first[0]
        newest = first[1]
        progress = _Progress()
        floor = len(newest)  # offsets below it are the newest page, already held
        end = total  # exclusive end of the next window, counted from the newest item
        while end > floor:
            start = max(floor, end - page_size)
            count, items = _page(self.call("GET", path, params={**filters, "offset": start, "count": end - start}))
            grown = count - total
            if grown > 0:  # items arrived at the front: read the same items at their new offsets
                total, end, floor = total + grown, end + grown, floor + grown
                continue
            if grown < 0:  # items went meanwhile: the unread ones moved towards the newest, maybe into the
                total += grown  # newest page held, so that page is read again in turn rather than trusted
                floor, newest = 0, []
            if not items:  # nothing where the count said there was more (items went meanwhile)
                break
            if unseen := list(progress.unseen(reversed(items))):
                yield unseen
            end = start
        if unseen := list(progress.unseen(reversed(newest))):
            yield unseen

    def download(self, url: str) -> Iterator[bytes]:
        """The bytes at a pre-signed URL, in chunks, sent without any credential. Getting the answer is
        retried; a transfer that breaks once the bytes flow is raised (the caller has some of them)."""
        return _stream(self.calls.call("GET archive download", lambda: self._open(url)))

    def _open(self, url: str) -> requests.Response:
        try:
            answer = self._session().get(url, stream=True, timeout=self._timeout)
        except requests.RequestException as exc:
            raise errors.from_sdk(exc) from exc
        if answer.status_code >= 400:
            with answer:
                raise errors.from_answer(answer.status_code, answer.content, answer.headers)
        return answer


def _page(answer: Any) -> tuple[int, list[dict[str, Any]]]:
    """``(count, items)`` of a listing's answer (``{count, items}``); anything else is a ProviderError."""
    if answer is None:
        return 0, []
    count = answer.get("count", 0) if isinstance(answer, dict) else None
    items = answer.get("items") or [] if isinstance(answer, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0 or not isinstance(items, list):
        raise ProviderError("answered a listing that is not {count, items}", provider=PROVIDER)
    return count, [item for item in items if isinstance(item, dict)]


def items_of(answer: Any) -> list[dict[str, Any]]:
    """The objects in a ``{count, items}`` answer; anything else is a ProviderError."""
    return _page(answer)[1]


class _Progress:
    """How far an oldest-first listing has come: the newest ``createdAt`` yielded and the
    ids yielded at that moment. An item older than that, or one of those ids, was
    yielded already. (An item without a ``createdAt`` is remembered by id.)"""

    def __init__(self) -> None:
        self.created: int | None = None
        self.ids: set[str] = set()
        self.undated: set[str] = set()

    def unseen(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            key, created = str(item.get("id")), item.get("createdAt")
            if isinstance(created, bool) or not isinstance(created, int):
                if key not in self.undated:
                    self.undated.add(key)
                    yield item
                continue
            if self.created is not None and (created < self.created or (created == self.created and key in self.ids)):
                continue
            if created != self.created:
                self.created, self.ids = created, set()
            self.ids.add(key)
            yield item


def _stream(answer: requests.Response) -> Iterator[bytes]:
    with answer:
        try:
            yield from answer.iter_content(_CHUNK)
        except requests.RequestException as exc:
            raise errors.from_sdk(exc) from exc
