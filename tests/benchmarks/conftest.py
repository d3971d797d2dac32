"""The benchmarks' shared report: every benchmark of a run adds its rows, and
``docs/performance.md`` is written from them when the run ends.

The ordinary test run collects no benchmark (their files are ``bench_*.py``);
run them on demand, all together for the report:

    pytest tests/benchmarks/bench_*.py -s -p no:randomly
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from benchmarks.harness import Report


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    collected = Report()
    yield collected
    if collected.rows:
        collected.write()
        print(f"\nwrote {collected.path}")
