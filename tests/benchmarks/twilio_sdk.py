"""The Twilio SDK as the benchmarks' contender runs it."""

from __future__ import annotations

from typing import Any

from twilio.http.http_client import TwilioHttpClient


class CountingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's own HTTP client, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.sent += 1
        return super().request(*args, **kwargs)
