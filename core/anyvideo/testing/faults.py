"""Fault injection for the emulators: errors, Retry-After, latency, dropped
connections, lost answers and late landings, per path and method: by rate, as a
scripted sequence, every Nth request, or as a seeded schedule over request
numbers. Only the rate draws random numbers per request; a script, ``every``
and ``schedule`` fault the same requests every run, whatever the timing."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = ["Fault", "Faults", "Landing"]

#: How long a late landing waits for the next request on its path before it lands anyway:
#: only a backstop for a request nobody follows (the run's end lands the rest, :meth:`Faults.land`).
LATE_BACKSTOP = 30.0


@attrs.frozen
class Fault:
    """What happens to one request: an error status (with ``Retry-After`` for
    429), added latency in seconds, or the connection dropped without answer.

    ``drop``: dropped before anything is done. ``lost``: done, then dropped
    (the answer is lost). ``late=n``: never answered, and done only just before
    the ``n``-th later request on the same method and path is handled: with 1,
    the client's repeat finds the work done; with 2, the work lands after the
    repeat was answered. Either way on every run, whatever the timing.
    """

    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    drop: bool = False
    lost: bool = False
    late: int = 0

    def __attrs_post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"a fault status must be 4xx or 5xx, not {self.status}")
        if self.latency < 0 or self.late < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("latency, late and retry_after cannot be negative")
        if sum((self.status is not None, self.drop, self.lost, self.late > 0)) > 1:
            raise ValueError("a fault is one of status, drop, lost and late")

    @property
    def kind(self) -> str:
        """What a tally calls it: ``"late landing"``, ``"lost answer"``, ``"drop"``, the status, or ``"latency"``."""
        if self.late:
            return "late landing"
        if self.lost:
            return "lost answer"
        if self.drop:
            return "drop"
        return str(self.status) if self.status is not None else "latency"

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | None) -> Fault | None:
        if spec is None:
            return None
        unknown = set(spec) - {"status", "retry_after", "latency", "drop", "lost", "late"}
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
    #: ``every``/``schedule``: the fault of each matching request by its number (from 0), and how many it covers.
    planned: Callable[[int], Fault | None] | None = None
    span: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))


class Faults:
    """The fault rules of one emulator. The first rule that matches a request decides.

    ``add(rate=0.1, choices=[Fault(status=429, retry_after=1), Fault(status=503)])``
    fails one request in ten; ``script("/v1/Rooms", [Fault(status=500), None])``
    fails the next matching request and lets the one after through, then the
    rule is spent. ``every(10, Fault(status=503))`` fails matching requests 10, 20,
    30, ...; ``schedule({Fault(late=1): 20, Fault(status=429): 30}, over=1000)``
    faults 50 of the next 1,000 matching requests, at numbers drawn once, up front,
    from ``seed``. ``seed`` makes the random draws repeatable.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._random = random.Random(seed)
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._held: list[Landing] = []
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

    def every(
        self, n: int, fault: Fault, *, path: str = "", method: str | None = None, start: int | None = None
    ) -> None:
        """Inject ``fault`` into every ``n``-th matching request (the ``start``-th first, default the ``n``-th);
        the other matching requests go through, and no later rule sees them."""
        if n < 1:
            raise ValueError("n must be 1 or more")
        first = (n if start is None else start) - 1
        if first < 0:
            raise ValueError("start must be 1 or more")

        def planned(number: int) -> Fault | None:
            return fault if number >= first and (number - first) % n == 0 else None

        self._add_rule(_Rule(re.compile(path), method and method.upper(), 1.0, [fault], None, planned))

    def schedule(
        self,
        counts: Mapping[Fault, int],
        *,
        over: int,
        path: str = "",
        method: str | None = None,
        seed: int | None = None,
    ) -> None:
        """Inject each fault of ``counts`` into exactly that many of the next ``over`` matching requests,
        at numbers drawn up front from ``seed`` (default: the emulator's); then the rule is spent."""
        wanted = sum(counts.values())
        if any(c < 0 for c in counts.values()) or wanted > over:
            raise ValueError(f"cannot fault {wanted} of {over} requests")
        numbers = random.Random(self._seed if seed is None else seed).sample(range(over), wanted)
        faults = [fault for fault, count in counts.items() for _ in range(count)]
        plan = dict(zip(numbers, faults, strict=True))
        self._add_rule(_Rule(re.compile(path), method and method.upper(), 1.0, faults, None, plan.get, over))

    def _add_rule(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def configure(self, spec: Mapping[str, Any]) -> None:
        """Replace the rules from JSON (the control API's ``PUT /_emulator/faults``):
        ``{"seed": 1, "rules": [{"path": "...", "method": "POST", "rate": 0.1,
        "choices": [{"status": 429, "retry_after": 1}]}, {"path": "...", "script": [{"drop": true}, null]},
        {"path": "...", "every": 10, "fault": {"status": 503}},
        {"path": "...", "over": 1000, "schedule": [{"fault": {"late": 1}, "count": 20}]}]}``."""
        rules = spec.get("rules", [])
        if not isinstance(rules, list):
            raise ValueError("rules must be a list")
        self.clear()
        if "seed" in spec:
            self._seed = spec["seed"]
            self._random.seed(spec["seed"])
        for rule in rules:
            where = {"path": rule.get("path", ""), "method": rule.get("method")}
            if "every" in rule:
                self.every(rule["every"], _parsed(rule.get("fault")), start=rule.get("start"), **where)
            elif "schedule" in rule:
                counts = {_parsed(entry.get("fault")): int(entry.get("count", 0)) for entry in rule["schedule"]}
                self.schedule(counts, over=rule["over"], seed=rule.get("seed"), **where)
            elif "script" in rule:
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
                        "seen": rule.seen,
                        "over": rule.span,
                    }
                    for rule in self._rules
                ],
                "injected": len(self.injected),
                "held": len(self._held),
            }

    def draw(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.planned is not None:
                    if rule.span and rule.seen >= rule.span:
                        continue  # spent
                    fault = rule.planned(rule.seen)
                    rule.seen += 1
                elif rule.script is not None:
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

    # --- late landings ---------------------------------------------------------

    def hold(self, method: str, path: str, fault: Fault) -> Landing:
        """A late landing (``fault``) of a request to ``method path``: the server waits on it, then does the work."""
        landing = Landing(method, path, fault.late)
        with self._lock:
            self._held.append(landing)
        return landing

    def land(self, method: str | None = None, path: str | None = None) -> None:
        """Count a request to ``method path`` against the late landings held there, land those it was the
        ``n``-th for (no arguments: all), and return once their work is done. The server calls it before
        it handles each request."""
        with self._lock:
            for held in self._held:
                if (method, path) == (held.method, held.path):
                    held.due -= 1
            due = [h for h in self._held if method is None or h.due <= 0]
            self._held = [h for h in self._held if h not in due]
        for landing in due:
            landing.release.set()
        for landing in due:
            landing.landed.wait(LATE_BACKSTOP)


@attrs.define(eq=False)
class Landing:
    """One request held by a ``late`` fault: ``release`` lets it land, ``landed`` says its work is done."""

    method: str
    path: str
    #: How many more requests to its method and path land it.
    due: int
    release: threading.Event = attrs.Factory(threading.Event)
    landed: threading.Event = attrs.Factory(threading.Event)


def _parsed(spec: Mapping[str, Any] | None) -> Fault:
    fault = Fault.parse(spec)
    if fault is None:
        raise ValueError("every and schedule need a fault")
    return fault
