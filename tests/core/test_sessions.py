"""ProviderSession: requests' environment settings, the proxies looked up once per scheme and host."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from anyvideo.sessions import ProviderSession

#: (environment, request's proxies, verify) cases; each answered as ``requests.Session`` answers.
CASES: list[tuple[dict[str, str], dict[str, str] | None, Any]] = [
    ({}, {}, None),
    ({"HTTPS_PROXY": "http://proxy.example:3128"}, {}, None),
    ({"https_proxy": "http://proxy.example:3128", "NO_PROXY": "api.example.com"}, {}, None),
    ({"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "*"}, {}, True),
    ({"HTTP_PROXY": "http://plain.example:80", "ALL_PROXY": "socks5://all.example:1080"}, {}, None),
    ({"HTTPS_PROXY": "http://proxy.example:3128"}, {"https": "http://mine.example:8080"}, None),
    ({"HTTPS_PROXY": "http://proxy.example:3128"}, {"no_proxy": "api.example.com"}, None),
    ({"HTTPS_PROXY": "http://proxy.example:3128"}, None, None),
    ({"REQUESTS_CA_BUNDLE": "/etc/ca.pem"}, {}, None),
    ({"CURL_CA_BUNDLE": "/etc/curl.pem"}, {}, True),
    ({"REQUESTS_CA_BUNDLE": "/etc/ca.pem"}, {}, False),
    ({"REQUESTS_CA_BUNDLE": "/etc/ca.pem"}, {}, "/mine.pem"),
]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize(("environ", "proxies", "verify"), CASES)
def test_settings_are_those_requests_takes_from_the_environment(
    clean: pytest.MonkeyPatch, environ: dict[str, str], proxies: dict[str, str] | None, verify: Any
) -> None:
    for name, value in environ.items():
        clean.setenv(name, value)
    url = "https://api.example.com/v2/project/app/session"
    ours = ProviderSession().merge_environment_settings(url, _copy(proxies), None, verify, None)
    theirs = requests.Session().merge_environment_settings(url, _copy(proxies), None, verify, None)
    assert ours == theirs


def test_the_proxies_of_a_host_are_looked_up_once(clean: pytest.MonkeyPatch) -> None:
    session = ProviderSession()
    clean.setenv("HTTPS_PROXY", "http://first.example:3128")
    first = session.merge_environment_settings("https://a.example/x", {}, None, None, None)
    clean.setenv("HTTPS_PROXY", "http://second.example:3128")
    again = session.merge_environment_settings("https://a.example/y?z=1", {}, None, None, None)
    other = session.merge_environment_settings("https://b.example/x", {}, None, None, None)
    assert first["proxies"]["https"] == again["proxies"]["https"] == "http://first.example:3128"
    assert other["proxies"]["https"] == "http://second.example:3128"  # another host: looked up when first sent to
    assert ProviderSession().merge_environment_settings("https://a.example/x", {}, None, None, None)["proxies"][
        "https"
    ] == ("http://second.example:3128")  # a new session reads the environment again


def test_the_ca_bundle_is_read_on_every_request(clean: pytest.MonkeyPatch) -> None:
    session = ProviderSession()
    clean.setenv("REQUESTS_CA_BUNDLE", "/etc/first.pem")
    assert session.merge_environment_settings("https://a.example/", {}, None, None, None)["verify"] == "/etc/first.pem"
    clean.setenv("REQUESTS_CA_BUNDLE", "/etc/second.pem")
    assert session.merge_environment_settings("https://a.example/", {}, None, None, None)["verify"] == "/etc/second.pem"


def test_credentials_in_a_url_are_not_kept(clean: pytest.MonkeyPatch) -> None:
    session = ProviderSession()
    session.merge_environment_settings("https://user:secret@a.example/", {}, None, None, None)
    assert "secret" not in repr(session._proxies)


def test_without_trust_env_nothing_comes_from_the_environment(clean: pytest.MonkeyPatch) -> None:
    clean.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = ProviderSession()
    session.trust_env = False
    assert session.merge_environment_settings("https://a.example/", {}, None, None, None)["proxies"] == {}


def _copy(proxies: dict[str, str] | None) -> dict[str, str] | None:
    return None if proxies is None else dict(proxies)


def test_the_host_is_read_without_filling_the_cache_of_split_urls(clean: pytest.MonkeyPatch) -> None:
    # urlsplit keeps the last 128 URLs it split: each page's URL of a long listing would sit there.
    import urllib.parse

    if not hasattr(urllib.parse.urlsplit, "cache_clear"):
        pytest.skip("this Python's urlsplit keeps no cache")
    session = ProviderSession()
    urllib.parse.urlsplit.cache_clear()
    for offset in range(5):
        session.merge_environment_settings(f"https://a.example/v2/archive?offset={offset}", {}, None, None, None)
    assert urllib.parse.urlsplit.cache_info().currsize == 1  # the first URL, which requests looks up
