"""What every benchmark here shares, so that each measures honestly.

- **The server in its own process.** :func:`served` starts a provider's
  emulator with ``anyvideo emulator`` in a child process and hands back what
  its ``export`` lines say, so a client is timed alone (no shared GIL).
- **Contenders interleaved round by round.** :class:`Contest` runs every
  contender once per round, in an order that rotates each round, so a
  noisy neighbour or a warming cache slows both sides alike.
- **Medians over rounds, ratios paired.** A contender's result is the median
  of its rounds, with the spread (lowest and highest); a ratio is the median
  of the per-round ratios, so both sides of each ratio ran side by side.
- **One report per run.** :class:`Report` collects each goal's row (anyvideo,
  baseline, ratio, target, met?) and writes ``docs/performance.md`` with the
  machine described, when the run ends.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

import anyvideo
from anyvideo.testing import EmulatorControl

__all__ = ["Contest", "Network", "Report", "Result", "Row", "Served", "child_pid", "cpu_seconds", "machine", "served"]

REPO = Path(__file__).resolve().parents[2]


@attrs.frozen
class Served:
    """An emulator running in a process of its own."""

    provider: str
    base_url: str
    environ: dict[str, str]

    @property
    def control(self) -> EmulatorControl:
        return EmulatorControl(self.base_url, ca_bundle=self.environ.get("REQUESTS_CA_BUNDLE"))

    def connect(self, **settings: Any) -> anyvideo.Video:
        """anyvideo pointed at the emulator exactly as its ``export`` lines say."""
        return anyvideo.connect(self.provider, environ=self.environ, **settings)


@contextmanager
def served(provider: str, *, processing_delay: float = 0.0, tls: bool | None = None) -> Iterator[Served]:
    """``anyvideo emulator <provider>`` in a child process, until the block ends."""
    command = [sys.executable, "-m", "anyvideo.cli", "emulator", provider, "--processing-delay", str(processing_delay)]
    if tls is not None:
        command.append("--tls" if tls else "--no-tls")
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert child.stdout is not None
        base_url, environ = "", {}
        for line in child.stdout:
            if found := re.search(r"listening at (\S+)", line):
                base_url = found[1]
            elif line.strip().startswith("export "):
                key, _, value = line.strip().removeprefix("export ").partition("=")
                environ[key] = shlex.split(value)[0]
            elif line.startswith("control API:"):
                break
        else:
            raise RuntimeError(f"the {provider} emulator did not start (exit {child.wait()})")
        for key, value in list(environ.items()):  # a PEM key is handed over as a file
            if key.endswith("PRIVATE_KEY") and Path(value).is_file():
                environ[key] = Path(value).read_text()
        # Whatever makes HTTPS clients trust the emulator goes to this process, as the export lines
        # tell a shell: requests reads it from the environment, before any session's own setting.
        trusted = os.environ.get("REQUESTS_CA_BUNDLE")
        if "REQUESTS_CA_BUNDLE" in environ:
            os.environ["REQUESTS_CA_BUNDLE"] = environ["REQUESTS_CA_BUNDLE"]
        try:
            yield Served(provider, base_url, environ)
        finally:
            if trusted is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = trusted
    finally:
        child.terminate()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()


@attrs.frozen
class Result:
    """One contender's seconds per operation, over the rounds."""

    name: str
    rounds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.rounds), max(self.rounds)


class Contest:
    """Contenders timed side by side: each round runs each contender's ``work``
    ``per_round`` times, in an order that changes every round (:func:`balanced_orders`:
    each contender follows each other one equally often, so none inherits another's
    aftermath more often: its garbage, its caches). Garbage is collected before each
    contender's turn, untimed: a turn pays for the collections of its own garbage only."""

    def __init__(self, *, rounds: int = 9, per_round: int = 20, warmup: int = 1) -> None:
        self.rounds, self.per_round, self.warmup = rounds, per_round, warmup
        self._contenders: dict[str, Callable[[int], object]] = {}

    def add(self, name: str, work: Callable[[int], object]) -> None:
        """``work(i)`` does one operation (``i`` counts them, for unique names)."""
        self._contenders[name] = work

    def run(self) -> dict[str, Result]:
        names = list(self._contenders)
        orders = balanced_orders(len(names))
        timings: dict[str, list[float]] = {name: [] for name in names}
        counter = 0
        for round_number in range(self.warmup + self.rounds):
            for name in (names[i] for i in orders[round_number % len(orders)]):
                work = self._contenders[name]
                gc.collect()
                started = time.perf_counter()
                for _ in range(self.per_round):
                    work(counter)
                    counter += 1
                elapsed = (time.perf_counter() - started) / self.per_round
                if round_number >= self.warmup:
                    timings[name].append(elapsed)
        return {name: Result(name, tuple(rounds)) for name, rounds in timings.items()}


def balanced_orders(count: int) -> list[list[int]]:
    """Orders of ``count`` contenders, one per round in turn, in which each contender
    comes first equally often and right after each other one equally often (a Williams
    design: ``count`` orders, twice that for an odd ``count``)."""
    first = [0]
    for step in range(1, count):
        first.append((step + 1) // 2 if step % 2 else count - step // 2)
    orders = [[(i + shift) % count for i in first] for shift in range(count)]
    return orders + [order[::-1] for order in orders] if count % 2 and count > 1 else orders


def ratio(results: dict[str, Result], ours: str, theirs: str) -> float:
    """The median over rounds of ``ours``'s time over ``theirs``'s in the same round."""
    return statistics.median(a / b for a, b in zip(results[ours].rounds, results[theirs].rounds, strict=True))


@attrs.frozen
class Row:
    """One goal's line in docs/performance.md."""

    goal: str
    anyvideo: str
    baseline: str
    ratio: float
    target: float
    #: ``True`` when a lower ratio is better (time, memory); ``False`` for throughput.
    lower_is_better: bool = True
    note: str = ""

    @property
    def met(self) -> bool:
        return self.ratio <= self.target if self.lower_is_better else self.ratio >= self.target

    @property
    def has_target(self) -> bool:
        """``False`` for a figure (:func:`figure`): measured and reported, with no goal to meet."""
        return not math.isnan(self.target)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms"


def per_op(result: Result) -> str:
    low, high = result.spread
    return f"{result.median * 1000:.3g} ms ({low * 1000:.3g}–{high * 1000:.3g})"


def machine() -> str:
    """The machine the numbers come from, for the report."""
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    system = f"{platform.system()} {platform.release()}"
    return f"{model}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


class Report:
    """The rows of one run, written to ``docs/performance.md`` when it ends."""

    def __init__(self, path: Path = REPO / "docs" / "performance.md") -> None:
        self.path = path
        self.rows: list[Row] = []
        self.sections: set[str] = set()

    def add(self, section: str, row: Row) -> None:
        self.sections.add(section)
        self.rows.append(row)
        if not row.has_target:
            print(f"  {row.goal}: anyvideo {row.anyvideo}, baseline {row.baseline}, ratio {row.ratio:.2f} (a figure)")
            return
        print(
            f"  {row.goal}: anyvideo {row.anyvideo}, baseline {row.baseline}, ratio {row.ratio:.2f}"
            f" (target {'≤' if row.lower_is_better else '≥'} {row.target:g}) {'met' if row.met else 'MISSED'}"
        )

    def write(self) -> None:
        lines = [
            "# Performance",
            "",
            "Written by `pytest tests/benchmarks/bench_*.py` from one run; do not edit by hand.",
            "Each benchmark runs the provider's emulator in a process of its own, times",
            "anyvideo and its baseline side by side round by round (the order rotating),",
            "and reports medians over the rounds; a ratio is the median of the per-round",
            "ratios. How each is measured is in the benchmark's docstring.",
            "",
            f"Machine: {machine()}. Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            "| goal | anyvideo | baseline | ratio | target | met? |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in self.rows:
            sign = "≤" if row.lower_is_better else "≥"
            target, met = f"{sign} {row.target:g}", "yes" if row.met else "**no**"
            if not row.has_target:
                target, met = "none (a figure)", "—"
            lines.append(f"| {row.goal} | {row.anyvideo} | {row.baseline} | {row.ratio:.2f} | {target} | {met} |")
        notes = [row for row in self.rows if row.note]
        if notes:
            lines += ["", "## Notes", ""] + [f"- **{row.goal}**: {row.note}" for row in notes]
        self.path.write_text("\n".join(lines) + "\n")


def child_pid(*words: str) -> int:
    """The process id of this process's one child whose command line holds every
    one of ``words`` (e.g. the emulator :func:`served` started), for :func:`cpu_seconds`."""
    me = Path(f"/proc/{os.getpid()}/task")
    children = {int(pid) for task in me.iterdir() for pid in (task / "children").read_text().split()}
    found = [
        pid
        for pid in children
        if all(word in Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0") for word in words)
    ]
    if len(found) != 1:
        raise LookupError(f"{len(found)} child processes run {' '.join(words)!r}")
    return found[0]


def cpu_seconds(pid: int) -> float:
    """The processor time (user and system, every thread) process ``pid`` has used so far:
    what a server spent on the requests it answered in between two readings (Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Network:
    """A network round trip added to, and a count of, every HTTP request this process makes with
    ``requests`` (the providers' SDKs included) while the block runs.

    Added in the client, the same latency delays both sides of a comparison alike,
    whatever path the server serves a request on (an emulator's own latency faults
    leave out the paths it serves outside the provider's API, such as the Vonage
    emulator's archive downloads). ``requests`` counts them all, redirects followed
    included, so a benchmark can check both sides did the same provider work.
    """

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.requests = 0
        self._lock = threading.Lock()
        self._send: Callable[..., Any] | None = None

    def __enter__(self) -> Network:
        from requests.adapters import HTTPAdapter

        send = self._send = HTTPAdapter.send
        network = self

        def delayed(adapter: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
            with network._lock:
                network.requests += 1
            time.sleep(network.latency)
            return send(adapter, request, *args, **kwargs)

        HTTPAdapter.send = delayed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        from requests.adapters import HTTPAdapter

        HTTPAdapter.send = self._send  # type: ignore[method-assign]


def figure(goal: str, anyvideo: str, baseline: str, ratio: float, *, note: str = "") -> Row:
    """A row that reports a measurement no goal sets a target for (requests per second, say):
    its target reads "none (a figure)" and it is neither met nor missed."""
    return Row(goal, anyvideo, baseline, ratio, math.nan, note=note)


class TimedSql:
    """What a registry's SQL costs inside an operation: put in place of its connection
    (``timed = TimedSql.install(registry)``), it adds the time each statement's ``execute``
    takes (the commit's locks and writes included) to :attr:`seconds`, so a note can say
    what share of an operation's time is the registry's. ``per(work)`` wraps an operation
    so that :attr:`operations` counts it."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.seconds = 0.0
        self.statements = 0
        self.operations = 0

    @classmethod
    def install(cls, registry: Any) -> TimedSql:
        timed = cls(registry._db)
        registry._db = timed
        return timed

    def execute(self, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._db.execute(*args)
        finally:
            self.seconds += time.perf_counter() - started
            self.statements += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def per(self, work: Callable[[int], object]) -> Callable[[int], object]:
        def counted(i: int) -> object:
            self.operations += 1
            return work(i)

        return counted

    def reset(self) -> None:
        self.seconds, self.statements, self.operations = 0.0, 0, 0

    def describe(self) -> str:
        """The registry's SQL per operation, as a note says it."""
        if not self.operations:
            return "no registry statement"
        return (
            f"{self.statements / self.operations:.1f} registry statement(s) per operation taking "
            f"{self.seconds / self.operations * 1e3:.3g} ms"
        )
