"""Fault injection for the emulators: errors, Retry-After, latency and dropped
connections, by rate or as a scripted sequence, per path and method."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = ["Fault", "Faults"]


@attrs.frozen
class Fault:
    """What happens to one request: an error status (with ``Retry-After`` for
    429), added latency in seconds, or the connection dropped without answer."""

    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    drop: bool = False

    def __attrs_post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"a fault status must be 4xx or 5xx, not {self.status}")
        if self.latency < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("latency and retry_after cannot be negative")

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | None) -> Fault | None:
        if spec is None:
            return None
        unknown = set(spec) - {"status", "retry_after", "latency", "drop"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**spec)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class _Rule:
    path: re.Pattern[str]
    method: str | None
    rate: float
    choices: list[Fault]
    script: list[Fault | None] | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))


class Faults:
    """The fault rules of one emulator. The first rule that matches a request decides.

    ``add(rate=0.1, choices=[Fault(status=429, retry_after=1), Fault(status=503)])``
    fails one request in ten; ``script("/v1/Rooms", [Fault(status=500), None])``
    fails the next matching request and lets the one after through, then the
    rule is spent. ``seed`` makes the random draws repeatable.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str, Fault]] = []
        """Every fault injected so far, as ``(method, path, fault)``."""

    def add(
        self,
        fault: Fault | None = None,
        *,
        rate: float = 1.0,
        choices: Sequence[Fault] = (),
        path: str = "",
        method: str | None = None,
    ) -> None:
        """Inject ``fault`` (or one of ``choices``, at random) into a ``rate`` share of matching requests."""
        options = list(choices) or ([fault] if fault is not None else [])
        if not options:
            raise ValueError("give a fault or choices")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._rules.append(_Rule(re.compile(path), method and method.upper(), rate, options, None))

    def script(self, path: str, sequence: Sequence[Fault | None], *, method: str | None = None) -> None:
        """Answer the next matching requests with ``sequence`` in order (``None``: let it through)."""
        with self._lock:
            self._rules.append(_Rule(re.compile(path), method and method.upper(), 1.0, [], list(sequence)))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def configure(self, spec: Mapping[str, Any]) -> None:
        """Replace the rules from JSON (the control API's ``PUT /_emulator/faults``):
        ``{"seed": 1, "rules": [{"path": "...", "method": "POST", "rate": 0.1,
        "choices": [{"status": 429, "retry_after": 1}]}, {"path": "...", "script": [{"drop": true}, null]}]}``."""
        rules = spec.get("rules", [])
        if not isinstance(rules, list):
            raise ValueError("rules must be a list")
        self.clear()
        if "seed" in spec:
            self._random.seed(spec["seed"])
        for rule in rules:
            if "script" in rule:
                self.script(rule.get("path", ""), [Fault.parse(f) for f in rule["script"]], method=rule.get("method"))
            else:
                choices = [Fault.parse(f) for f in rule.get("choices", [])] or [Fault.parse(rule.get("fault"))]
                self.add(
                    choices=[c for c in choices if c],
                    rate=rule.get("rate", 1.0),
                    path=rule.get("path", ""),
                    method=rule.get("method"),
                )

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [
                    {
                        "path": rule.path.pattern,
                        "method": rule.method,
                        "rate": rule.rate,
                        "choices": [f.as_dict() for f in rule.choices],
                        "script": None if rule.script is None else [f.as_dict() if f else None for f in rule.script],
                    }
                    for rule in self._rules
                ],
                "injected": len(self.injected),
            }

    def draw(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.script is not None:
                    if not rule.script:
                        continue  # spent
                    fault = rule.script.pop(0)
                elif self._random.random() < rule.rate:
                    fault = self._random.choice(rule.choices)
                else:
                    fault = None
                if fault is not None:
                    self.injected.append((method, path, fault))
                return fault
            return None
