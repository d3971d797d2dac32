"""The ``requests`` session the backends send through.

``requests`` looks up the proxy to use on every request it sends: it reads
``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY`` and the rest of the environment
afresh, scanning every variable twice, which costs about as much as a tenth of
a request on loopback. :class:`ProviderSession` makes that lookup once for
each scheme and host it sends to, and remembers it for the session's life; so
a proxy variable changed after the first request to a host applies to new
sessions (a new :func:`anyvideo.connect`), like ``httpx``, which reads them
when its client is made. Everything else ``requests`` takes from the
environment (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``.netrc``) is still
read on every request, as ``requests`` does.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import requests
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies

__all__ = ["ProviderSession"]


class ProviderSession(requests.Session):
    """``requests.Session`` that reads the environment's proxies for each scheme and host
    once (see the module docstring); otherwise the same."""

    def __init__(self) -> None:
        super().__init__()
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}
        self._proxies_lock = threading.Lock()

    def merge_environment_settings(
        self,
        url: str,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        """What ``requests.Session.merge_environment_settings`` gives, with the proxies of
        ``url``'s scheme and host looked up once."""
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if proxies is not None:  # (requests merges the environment's into a request's proxies only)
            for scheme, proxy in self._environment_proxies(url, proxies.get("no_proxy")).items():
                proxies.setdefault(scheme, proxy)
        if verify is True or verify is None:  # as requests reads them: on every request
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }

    def _environment_proxies(self, url: str, no_proxy: str | None) -> dict[str, str]:
        if no_proxy is not None:  # a request's own exceptions: not the environment's to remember
            return get_environ_proxies(url, no_proxy=no_proxy)
        key = _origin(url)
        found = self._proxies.get(key)
        if found is None:
            found = get_environ_proxies(url)
            with self._proxies_lock:
                self._proxies[key] = found
        return found


def _origin(url: str) -> tuple[str, str]:
    """``url``'s scheme and host (with its port, without credentials), read without
    ``urlsplit``, whose cache of the last URLs split would keep each page's URL of a
    long listing."""
    scheme, _, rest = url.partition("://")
    for end in "/?#":
        rest = rest.partition(end)[0]
    return scheme.lower(), rest.rpartition("@")[2].lower()
