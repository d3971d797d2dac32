"""anyvideo's errors are also the builtin exceptions that mean the same, and stay themselves:
message, attributes and pickling unchanged."""

from __future__ import annotations

import builtins
import pickle
import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from support import REPO

from anyvideo import errors
from anyvideo.backend import Feature
from anyvideo.errors import (
    BUILTIN_BASES,
    AnyVideoError,
    AuthenticationError,
    BackendNotFound,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    InvalidRequest,
    MissingExtra,
    NotFound,
    ProviderError,
    RateLimited,
    StatusUnreachable,
    Unreachable,
    UnsupportedFeature,
    WaitTimeout,
    WebhookVerificationError,
)

_ROOM = SimpleNamespace(provider="vonage", id="r1", status="in-progress")

#: One instance of each error, its message, and the attributes it must keep.
SAMPLES: dict[type[AnyVideoError], tuple[Callable[[], AnyVideoError], str, dict[str, object]]] = {
    AnyVideoError: (lambda: AnyVideoError("boom"), "boom", {}),
    ConfigurationError: (lambda: ConfigurationError("no key"), "no key", {}),
    BackendNotFound: (
        lambda: BackendNotFound("zoom", ["local"]),
        "no backend named 'zoom'; installed backends: local",
        {"name": "zoom", "installed": ("local",), "broken": {}},
    ),
    MissingExtra: (
        lambda: MissingExtra("twilio", "twilio", 'pip install "anyvideo[twilio]"', ["local"]),
        "the twilio backend needs the module 'twilio', which is not installed: pip install \"anyvideo[twilio]\"",
        {"name": "twilio", "module": "twilio", "command": 'pip install "anyvideo[twilio]"', "installed": ("local",)},
    ),
    UnsupportedFeature: (
        lambda: UnsupportedFeature(Feature.RECORDING, "local", "not here"),
        "local cannot do recording — not here",
        {"feature": Feature.RECORDING, "backend": "local", "hint": "not here"},
    ),
    InvalidRequest: (
        lambda: InvalidRequest("name", "too long"),
        "name: too long",
        {"field": "name", "reason": "too long"},
    ),
    NotFound: (lambda: NotFound("vonage: no room r1"), "vonage: no room r1", {}),
    Conflict: (lambda: Conflict("ended"), "ended", {}),
    StatusUnreachable: (
        lambda: StatusUnreachable(_ROOM, "completed"),
        "vonage: simplenamespace 'r1' is in-progress; it can never become completed",
        {"until": "completed"},
    ),
    WaitTimeout: (
        lambda: WaitTimeout(_ROOM, "completed", 2.5),
        "vonage: simplenamespace 'r1' was still in-progress after 2.5 s of waiting for completed",
        {"until": "completed", "timeout": 2.5},
    ),
    AuthenticationError: (lambda: AuthenticationError("rejected"), "rejected", {}),
    Forbidden: (lambda: Forbidden("subscriber"), "subscriber", {}),
    RateLimited: (lambda: RateLimited("slow", retry_after=1.5), "slow", {"retry_after": 1.5}),
    ProviderError: (
        lambda: ProviderError("bad", provider="twilio", status=500, code="20500", request_id="RQ1"),
        "twilio: bad (status 500, code 20500, request RQ1)",
        {"provider": "twilio", "status": 500, "code": "20500", "request_id": "RQ1"},
    ),
    DeadlineExceeded: (
        lambda: DeadlineExceeded("create_room", 3.0, provider="vonage"),
        "vonage: create_room did not finish within its deadline of 3 s",
        {"operation": "create_room", "deadline": 3.0, "provider": "vonage", "status": None},
    ),
    Unreachable: (
        lambda: Unreachable("could not connect: 127.0.0.1:9 refused the connection", provider="twilio"),
        "twilio: could not connect: 127.0.0.1:9 refused the connection",
        {"provider": "twilio", "status": None},
    ),
    WebhookVerificationError: (lambda: WebhookVerificationError("bad signature"), "bad signature", {}),
}

#: The builtins a caller might catch around anyvideo code.
BUILTINS = (
    LookupError,
    KeyError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    TimeoutError,
    ConnectionError,
    OSError,
)


def test_every_public_error_has_a_sample() -> None:
    public = [getattr(errors, name) for name in errors.__all__]
    assert {c for c in public if isinstance(c, type) and issubclass(c, AnyVideoError)} == set(SAMPLES)


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_each_error_is_exactly_the_builtins_of_the_table(kind: type[AnyVideoError]) -> None:
    error = SAMPLES[kind][0]()
    expected = {b for c, b in BUILTIN_BASES.items() if isinstance(error, c)}
    # what an ``except`` on each builtin catches: the table's builtin and its bases, nothing else
    caught = {b for b in BUILTINS if isinstance(error, b)}
    assert caught == {b for b in BUILTINS if any(issubclass(e, b) for e in expected)}


@pytest.mark.parametrize(("kind", "builtin"), list(BUILTIN_BASES.items()), ids=lambda k: k.__name__)
def test_an_except_on_the_builtin_catches_it(kind: type[AnyVideoError], builtin: type[Exception]) -> None:
    with pytest.raises(builtin) as caught:
        raise SAMPLES[kind][0]()
    assert isinstance(caught.value, AnyVideoError)


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_the_message_and_attributes_stay(kind: type[AnyVideoError]) -> None:
    make, message, attributes = SAMPLES[kind]
    error = make()
    assert str(error) == message
    assert error.args == (message,)
    assert {name: getattr(error, name) for name in attributes} == attributes


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_each_error_pickles_with_its_message_and_attributes(kind: type[AnyVideoError]) -> None:
    make, message, attributes = SAMPLES[kind]
    if "subject" in vars(make()):
        attributes = {**attributes, "subject": _ROOM}
    copy = pickle.loads(pickle.dumps(make()))
    assert type(copy) is kind
    assert str(copy) == message
    assert {name: getattr(copy, name) for name in attributes} == {name: getattr(make(), name) for name in attributes}


def test_the_errors_doc_has_the_table() -> None:
    page = (REPO / "docs" / "concepts.md").read_text(encoding="utf-8")
    section = page.split("### Errors that are also builtins", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\w+)`[^|]* \| `(\w+)`", section, re.MULTILINE)
    assert {getattr(errors, kind): getattr(builtins, builtin) for kind, builtin in rows} == BUILTIN_BASES
