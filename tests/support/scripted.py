"""Operations whose failures are scripted, for the retry and call-layer tests."""

from __future__ import annotations


class Script:
    """An operation that fails as scripted, then succeeds; counts its calls."""

    def __init__(self, *failures: Exception, result: object = "done") -> None:
        self.failures = list(failures)
        self.calls = 0
        self.result = result

    def __call__(self) -> object:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.result
