"""How anyvideo talks to Twilio: :class:`Transport`, through which every
module of the backend sends its requests, and beneath it the HTTP client the
SDK sends through, ``twilio``'s own ``TwilioHttpClient``
(its documented extension point), remembering each thread's last answer so an
error can carry Twilio's request id and ``Retry-After``, which the SDK's
exceptions drop. It also downloads media from the signed URLs Twilio redirects
to, in chunks, without credentials (they are not Twilio's hosts).

Every request has a (connect, read) timeout, is held to its operation's
deadline, and is tried exactly once by the HTTP client: the SDK retries
nothing itself, and this client mounts core's
:class:`~anyvideo.deadline.DeadlineAdapter` with ``max_retries=0`` for both
schemes so urllib3 does not either (a hidden retry of a create would escape
anyvideo's rules of what is safe to repeat). Retrying, and the client-side rate limit, are core's
:class:`~anyvideo.calls.Caller`'s job alone (:attr:`Transport.call`).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from anyvideo.calls import Caller
from anyvideo.deadline import DeadlineAdapter
from anyvideo.errors import AnyVideoError, ConfigurationError, Conflict, InvalidRequest, ProviderError
from anyvideo.ratelimit import RateLimiter
from anyvideo.retry import RetryPolicy
from anyvideo.sessions import ProviderSession
from anyvideo_twilio.config import TwilioSettings, build_client
from anyvideo_twilio.errors import PROVIDER, MalformedAnswer, translated, translating

__all__ = ["CHUNK", "EMULATED_PATHS", "TWILIO_VIDEO_HOST", "RecordingHttpClient", "Transport"]

CHUNK = 64 * 1024
#: Where the Video API is unless ``base_url`` says otherwise.
TWILIO_VIDEO_HOST = "video.twilio.com"
#: Paths of the SDK's other domains (``api.twilio.com`` …) that the emulator serves too, as
#: patterns matched at the start of the path: pointed at an emulator, their requests go to it
#: (same path, query and headers) instead of Twilio's hosts.
EMULATED_PATHS: tuple[re.Pattern[str], ...] = (
    re.compile(r"/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Messages\.json$"),
    re.compile(r"/2010-04-01/Accounts/[^/]+/Keys(?:\.json|/)"),
    # Programmable Voice calls and the account's numbers (phone participants, anyvideo_twilio.phone)
    re.compile(r"/2010-04-01/Accounts/[^/]+/(Calls|IncomingPhoneNumbers)(\.json$|/)"),
)
#: Connections kept per host, as the SDK sizes its pool.
_POOL = min(32, (os.cpu_count() or 1) + 4)


class RecordingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """``TwilioHttpClient`` that keeps each thread's last response and never retries by itself."""

    def __init__(self, *, timeout: tuple[float, float], only: str | None = None) -> None:
        super().__init__()
        #: ``scheme://host[:port]`` every request must go to (an emulator's), or ``None``: anywhere.
        self.only = only
        self._inside = None if only is None else only + "/"
        # (connect, read) seconds; set after the base class, whose check takes one number only.
        self.timeout = timeout
        sdk_session: requests.Session = self.session  # made with pool_connections=True; replaced
        sdk_session.close()
        session = ProviderSession()
        for scheme in ("https://", "http://"):
            session.mount(scheme, DeadlineAdapter(pool_maxsize=_POOL, max_retries=0))
        self.session: requests.Session = session
        self._local = threading.local()
        self._timeout = timeout
        self._count = threading.Lock()
        #: REST requests sent so far (media downloads not counted).
        self.sent = 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        # (a URL the SDK made from the base URL starts with it: no need to parse it)
        if self.only is not None and not url.startswith(self._inside or "") and _origin(url) != self.only:
            split = urlsplit(url)
            if not any(pattern.match(split.path) for pattern in EMULATED_PATHS):
                raise ConfigurationError(
                    f"twilio: {method} {_origin(url)}{split.path} is not emulated: the backend points at an "
                    f"emulator ({self.only}), which does not emulate it; this request, from the SDK's "
                    f"{_domain(url)!r} domain, would have gone to the real Twilio and was not sent"
                )
            url = self.only + split._replace(scheme="", netloc="").geturl()
        self._local.last = None
        with self._count:
            self.sent += 1
        response = super().request(method, url, *args, **kwargs)
        self._local.last = response
        return response

    @property
    def last_headers(self) -> dict[str, str]:
        """Headers of this thread's last answer (lower-case names), or nothing."""
        last = getattr(self._local, "last", None)
        return {k.lower(): v for k, v in (last.headers or {}).items()} if last is not None else {}

    @property
    def last_status(self) -> int | None:
        """HTTP status of this thread's last answer, if one came."""
        last = getattr(self._local, "last", None)
        return None if last is None else last.status_code

    def open(self, url: str) -> requests.Response:
        """Start downloading a signed media URL (no Twilio credentials are sent):
        the answer, its status checked, its body not yet read."""
        assert self.session is not None
        answer: requests.Response = self.session.get(url, stream=True, timeout=self._timeout)
        try:
            answer.raise_for_status()
        except requests.HTTPError:
            answer.close()
            raise
        return answer

    @staticmethod
    def chunks(answer: requests.Response) -> Iterator[bytes]:
        """The body of an :meth:`open` answer, in chunks; the connection is released at the end."""
        with answer:
            yield from answer.iter_content(CHUNK)


class Transport:
    """The configured SDK client and the rules every request to Twilio follows:
    errors translated at this edge, core's call layer, lazy paging, media downloads."""

    def __init__(self, settings: TwilioSettings, policy: RetryPolicy, limiter: RateLimiter | None = None) -> None:
        #: How requests are retried and timed out.
        self.policy = policy
        #: Items asked for per page when listing.
        self.page_size = settings.page_size
        emulated = settings.base_url is not None and urlsplit(settings.base_url).hostname != TWILIO_VIDEO_HOST
        # Pointed at an emulator, nothing may reach the real Twilio through video.native's other domains.
        self._http = RecordingHttpClient(timeout=policy.timeout, only=_origin(settings.base_url) if emulated else None)
        #: The ``twilio.rest.Client`` every request goes through.
        self.client = build_client(settings, self._http)
        #: The SDK's Video v1 domain (``client.video.v1``).
        self.v1 = self.client.video.v1
        caller = Caller(policy, PROVIDER, edge=self.calling, limiter=limiter, refused_as_done=_refused_as_done)
        #: ``call(what, operation, *, safety, reconcile, gone, duplicates)``: SDK calls, their errors
        #: translated, under the retry policy and the rate limit (:meth:`anyvideo.calls.Caller.call`); the
        #: table of which operation is repeated after which failure is in ``docs/providers/twilio.md`` ("Retries").
        self.call = caller.call
        self._caller = caller

    @property
    def base_url(self) -> str:
        """The Video API's base URL requests go to."""
        return str(self.client.video.base_url)

    @property
    def sent(self) -> int:
        """REST requests sent so far, every try counted (media downloads not)."""
        return self._http.sent

    def close(self) -> None:
        self._caller.settle()  # the last look for what late tries made twice, while it can still be removed
        if self._http.session is not None:
            self._http.session.close()

    def calling(self) -> AbstractContextManager[None]:
        """SDK calls inside come out with anyvideo errors (chained), with Twilio's request id."""
        return translating(lambda: self._http.last_headers, lambda: self._http.last_status)

    def pages(self, what: str, first: Callable[[], Any]) -> Iterator[Any]:
        """The records of a Twilio list (the SDK's instances), fetched lazily page by page
        (``next_page_url``): only the current page is held, and each page fetch is retried on its own."""
        return self._paged(what, first, list)

    def records(self, what: str, first: Callable[[], Any]) -> Iterator[dict[str, Any]]:
        """As :meth:`pages`, but each record as Twilio sent it (its JSON object): the SDK makes no
        instance of it, whose parsing of every field costs more than reading the few anyvideo reads."""
        return self._paged(what, first, _page_records)

    def fetch(self, uri: str) -> dict[str, Any]:
        """GET ``uri`` of the Video API (``/Rooms/RM…``) as the SDK's fetches do (its credentials, its
        HTTP client, its errors): the answer's JSON object, of which the SDK makes no instance.
        One request, not retried: an operation for :meth:`call`."""
        return _object(self.v1.fetch(method="GET", uri=uri, headers=_ACCEPT))

    def update(self, uri: str, data: dict[str, Any]) -> dict[str, Any]:
        """POST ``data`` (the form fields, by Twilio's names) to ``uri`` as the SDK's updates do: the
        answer's JSON object, as :meth:`fetch`."""
        return _object(self.v1.update(method="POST", uri=uri, data=data, headers=_FORM))

    def _paged(self, what: str, first: Callable[[], Any], read: Callable[[Any], list[Any]]) -> Iterator[Any]:
        page = self.call(what, first)
        followed = _Followed()
        while page is not None:
            with self.calling():  # the SDK makes a page's instances as it is read
                records = read(page)
                link = page.next_page_url
            yield from records
            if not link:
                return
            self._check_link(link, followed)
            page = self.call(what, page.next_page)

    def _check_link(self, link: Any, followed: _Followed) -> None:
        """A next page's URL must be new (no endless listing) and on Twilio's host (the SDK sends
        the credentials wherever it points)."""
        here = urlsplit(self.base_url)
        there = urlsplit(link) if isinstance(link, str) else None
        if there is None or not followed.new(link, there.query):
            raise MalformedAnswer(f"answered a page whose next_page_url is {link!r:.80}: not a new page")
        same_host = (there.scheme, there.hostname) == (here.scheme, here.hostname)
        twilio_host = here.hostname is not None and here.hostname.endswith(".twilio.com")
        if not same_host and not (
            twilio_host and there.scheme == "https" and str(there.hostname).endswith(".twilio.com")
        ):
            raise MalformedAnswer(f"answered a page whose next page is on another host ({there.hostname!r})")

    def media(self, path: str) -> Iterator[bytes]:
        """Twilio answers a media request with a redirect to a signed URL; follow it, in chunks."""
        url = self.base_url + path

        def redirect() -> Any:
            answer = self.client.request("GET", url)
            if answer.status_code >= 400:
                body = _json_body(answer.text)
                raise TwilioRestException(answer.status_code, url, body.get("message", answer.text), body.get("code"))
            return _json_body(answer.text).get("redirect_to")

        location = self.call("fetch media location", redirect)
        if not isinstance(location, str):
            raise ProviderError(f"the media answer for {path} has no redirect_to", provider=PROVIDER)
        # Opening the download is retried like any read; once bytes flow, a failure is raised as it happens.
        return translated(
            lambda: self._http.chunks(self.call("open media download", lambda: self._http.open(location))),
            lambda: self._http.last_headers,
        )


class _Followed:
    """What a listing remembers of the pages it followed, to refuse a loop, in bounded memory.

    Twilio numbers its pages (``Page=N`` in every ``next_page_url``), and a listing
    only moves forward: a next page whose number is not above the last one followed
    is a page again (a loop of any length repeats a number, so it is caught at its
    first repeat). A link without a number is checked against the last
    :data:`_UNNUMBERED` such links, which catches a page linking to itself or a short
    cycle; memory stays the same however long the listing."""

    def __init__(self) -> None:
        self._page = -1
        self._recent: deque[str] = deque(maxlen=_UNNUMBERED)

    def new(self, link: str, query: str) -> bool:
        """Whether ``link`` (with ``query``, its query string) is a page not followed yet; remembers it."""
        numbers = parse_qs(query).get("Page")
        if numbers and numbers[-1].isdigit():
            number = int(numbers[-1])
            if number <= self._page:
                return False
            self._page = number
            return True
        if link in self._recent:
            return False
        self._recent.append(link)
        return True


#: What the SDK's own fetches ask for.
_ACCEPT = {"Accept": "application/json"}
_FORM = {"Content-Type": "application/x-www-form-urlencoded", **_ACCEPT}


def _page_records(page: Any) -> list[Any]:
    """The records of one of the SDK's pages as Twilio sent them (its ``Page`` keeps them, every 9.x, in
    ``_records``; iterating the page would make each one's instance)."""
    return list(page._records)


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise MalformedAnswer(f"answered {type(answer).__name__} where the spec has an object")
    return answer


#: Links without a page number remembered to refuse a loop (see :class:`_Followed`).
_UNNUMBERED = 16


def _refused_as_done(error: AnyVideoError) -> bool:
    """Whether Twilio's refusal of a repeat may mean the lost try did it (a name taken,
    a room completed, a 400 with no finer code)."""
    return isinstance(error, Conflict | InvalidRequest) or (isinstance(error, ProviderError) and error.status == 400)


def _origin(url: str | None) -> str:
    """``scheme://host[:port]`` of ``url`` (lower case), to compare where requests go."""
    split = urlsplit(url or "")
    return f"{split.scheme}://{split.netloc}".lower()


def _domain(url: str) -> str:
    """The SDK domain a Twilio URL belongs to (``api`` for ``https://api.twilio.com/...``)."""
    host = urlsplit(url).hostname or ""
    return host.removesuffix(".twilio.com").split(".")[0] or host


def _json_body(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
