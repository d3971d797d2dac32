"""anyvideo's own check of ``X-Twilio-Signature`` accepts exactly what the SDK's
``RequestValidator`` accepts (hypothesis: generated URLs, parameters, bodies and
signatures; both accept or both refuse)."""

from __future__ import annotations

import json
from hashlib import sha256
from urllib.parse import quote, urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator, add_port, remove_port

from anyvideo_twilio.webhooks import signature_valid

TOKENS = st.text(min_size=1, max_size=40)
HOSTS = st.sampled_from(["app.example.com", "127.0.0.1", "[::1]", "user:pw@hooks.example.com", "EXAMPLE.com"])
PORTS = st.sampled_from(["", ":443", ":80", ":8443", ":0", ":", ":99999", ":x1"])
PATHS = st.lists(st.text(min_size=0, max_size=8).map(lambda part: quote(part, safe="~;=")), max_size=3).map(
    lambda parts: "/" + "/".join(parts)
)
QUERIES = st.sampled_from(["", "?", "?a=1", "?a=1&a=2", "?x=%20+y", "?bodySHA256=", "#frag", ";p?q=1"])
PARAMS = st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=6)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https", "http", "HTTPS"]))
    return f"{scheme}://{draw(HOSTS)}{draw(PORTS)}{draw(PATHS)}{draw(QUERIES)}"


def sdk_accepts(token: str, url: str, signed: dict[str, str] | str, signature: str) -> bool:
    try:
        return bool(RequestValidator(token).validate(url, signed, signature))
    except ValueError:  # a port it cannot read: anyvideo refuses the callback
        return False


@st.composite
def signatures(draw: st.DrawFn, token: str, url: str, signed: dict[str, str] | str) -> str:
    """A signature as Twilio would send it (for the URL with or without its port, maybe with
    another token or over other parameters), or one mangled or made up."""
    validator = RequestValidator(draw(st.sampled_from([token, token + "x"])))
    variant = draw(st.sampled_from(["as-is", "port", "no-port", "made-up", "mangled"]))
    if variant == "made-up":
        return draw(st.text(max_size=30))
    params = {} if isinstance(signed, str) else signed
    if draw(st.booleans()) and params:
        params = {**params, next(iter(params)): "changed"}
    target = url
    if variant in ("port", "no-port"):
        try:  # the URL as Twilio may have signed it: with its (default) port, or without
            parsed = urlparse(url)
            target = add_port(parsed) if variant == "port" else remove_port(parsed)
        except ValueError:
            pass
    try:
        computed = validator.compute_signature(target, params)
    except UnicodeEncodeError:
        return draw(st.text(max_size=30))
    return computed[:-1] + "A" if variant == "mangled" and computed else computed


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None, derandomize=True)
@given(data=st.data(), token=TOKENS, url=urls(), params=PARAMS)
def test_form_callbacks_are_accepted_exactly_as_the_sdk_accepts_them(data, token, url, params) -> None:
    signature = data.draw(signatures(token, url, params))
    assert signature_valid([token.encode()], url, params, signature) is sdk_accepts(token, url, params, signature)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None, derandomize=True)
@given(data=st.data(), token=TOKENS, url=urls(), body=st.dictionaries(st.text(max_size=5), st.text(max_size=10)))
def test_json_callbacks_are_accepted_exactly_as_the_sdk_accepts_them(data, token, url, body) -> None:
    text = json.dumps(body)
    claimed = data.draw(st.sampled_from([text, text + " ", ""]))
    base, _, fragment = url.partition("#")
    url = f"{base}{'&' if '?' in base else '?'}bodySHA256={sha256(claimed.encode()).hexdigest()}"
    url += f"#{fragment}" if fragment else ""
    signature = data.draw(signatures(token, url, text))
    assert signature_valid([token.encode()], url, text, signature) is sdk_accepts(token, url, text, signature)


@settings(derandomize=True)
@given(
    url=st.sampled_from(["https://app.example.com/hook", "https://app.example.com/hook?bodySHA256="]), body=st.text()
)
def test_a_body_without_its_hash_in_the_url_is_refused(url: str, body: str) -> None:
    signature = RequestValidator("t").compute_signature(url, {})  # the URL alone: it does not cover the body
    assert not signature_valid([b"t"], url, body, signature)


def test_any_of_the_rotating_tokens_signs() -> None:
    url, params = "https://app.example.com/hook", {"StatusCallbackEvent": "room-created"}
    signature = RequestValidator("old").compute_signature(url + ":443", params)
    assert signature_valid([b"new", b"old"], url, params, RequestValidator("old").compute_signature(url, params))
    assert not signature_valid([b"new"], url, params, RequestValidator("old").compute_signature(url, params))
    assert not signature_valid([b"new", b"old"], url, params, signature)  # the port goes after the host


def test_the_url_with_its_default_port_is_accepted_as_the_sdk_accepts_it() -> None:
    params = {"StatusCallbackEvent": "room-created"}
    signature = RequestValidator("t").compute_signature("https://app.example.com:443/hook", params)
    assert signature_valid([b"t"], "https://app.example.com/hook", params, signature)
    assert signature_valid([b"t"], "https://app.example.com:443/hook", params, signature)
    signature = RequestValidator("t").compute_signature("https://app.example.com/hook", params)
    assert signature_valid([b"t"], "https://app.example.com:443/hook", params, signature)
