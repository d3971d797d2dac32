"""Provider HTTP answers become the anyvideo taxonomy."""

from __future__ import annotations

import pytest

from anyvideo.errors import (
    AuthenticationError,
    Conflict,
    NotFound,
    ProviderError,
    RateLimited,
    error_for_status,
)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, NotFound),
        (409, Conflict),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimited),
        (400, ProviderError),
        (500, ProviderError),
        (503, ProviderError),
    ],
)
def test_each_status_maps_to_its_error(status: int, kind: type[Exception]) -> None:
    assert type(error_for_status(status, "nope", provider="vonage")) is kind


def test_a_conflict_carries_the_providers_reason() -> None:
    error = error_for_status(409, "the session is already being archived", provider="vonage")
    assert str(error) == "vonage: the session is already being archived"


def test_rate_limited_keeps_retry_after() -> None:
    error = error_for_status(429, "slow down", provider="twilio", retry_after=2.5)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 2.5


def test_a_provider_error_keeps_status_code_and_request_id() -> None:
    error = error_for_status(500, "boom", provider="twilio", code="20500", request_id="RQ1")
    assert isinstance(error, ProviderError)
    assert (error.status, error.code, error.request_id) == (500, "20500", "RQ1")
    assert str(error) == "twilio: boom (status 500, code 20500, request RQ1)"
