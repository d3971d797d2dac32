"""anyvideo.aio against the sync facade, on each provider's emulator, in one run.

Run on demand (the default test run does not collect it):

    pytest tests/benchmarks/bench_aio.py -s -p no:randomly

For each emulator (in a process of its own, :func:`served`): 200 room creates
and 1,000 client-token requests, done concurrently through ``anyvideo.aio``
(``asyncio.gather``, the worker pool at its default size) and sequentially
through the sync facade, side by side round by round (:class:`Contest`). It
prints each side's time, the ratio (sequential sync time over concurrent aio
time: the speed-up), the worker-pool size, and the peak number of threads of
this process in one more aio batch run after the contest, untimed
(``threading.active_count()``, sampled each millisecond by a thread whose
wake-ups would slow the timed side).
Room creates are timed twice: on loopback, where the emulator answers in well
under a millisecond and concurrency can only cost, and with a 20 ms round trip
added to every request on both sides (:class:`Network`), as a provider in the
same region would answer. A token sends no request (the backends declare it
``requestless``: it runs in the event loop), so concurrency cannot speed it
up; its goal is to lose no more than a tenth. Beside the token contest run
the same tokens awaited one at a time through ``anyvideo.aio`` (the facade
without a task per call) and what asyncio itself charges for the concurrency,
``asyncio.gather`` of as many coroutines that do nothing, so a note can say how
much of a gap is the tasks, not anyvideo. No built-in backend offers native
async calls yet, so there is no native row.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest
from benchmarks.harness import Contest, Network, Report, Row, ratio, served

import anyvideo.aio

CREATES = 200
LATENCY = 0.020  # seconds added to each request, both sides
TOKENS = 1000
#: The number of the batch run after a contest, untimed (the contest's own are numbered from 0).
UNTIMED = 1000

# harness.served leaves its child's stdout pipe to the garbage collector; a benchmark does not fail on that.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@contextmanager
def peak_threads() -> Iterator[list[int]]:
    """The highest ``threading.active_count()`` seen while the block runs (sampled every millisecond)."""
    peak = [threading.active_count()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.001):
            peak[0] = max(peak[0], threading.active_count())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
        peak[0] -= 1  # the sampler itself


def _tasks_alone(loop: asyncio.AbstractEventLoop, count: int) -> Callable[[int], None]:
    """``count`` coroutines that do nothing, gathered: the price of the concurrency itself."""

    async def nothing() -> None:
        pass

    async def batch() -> None:
        await asyncio.gather(*(nothing() for _ in range(count)))

    return lambda i: loop.run_until_complete(batch())


@pytest.mark.parametrize("provider", ["vonage", "twilio"])
def test_aio_against_sequential_sync(provider: str, report: Report) -> None:
    with served(provider) as server:
        sync = server.connect()
        loop = asyncio.new_event_loop()
        # The same connection under both facades: one backend, one registry of the rooms it made.
        video = anyvideo.aio.Video(sync, close_video=False)
        room = sync.rooms.create("bench-tokens")

        def concurrently(make: Callable[[int], Coroutine[Any, Any, object]], count: int) -> Callable[[int], None]:
            async def batch(i: int) -> None:
                await asyncio.gather(*(make(i * count + n) for n in range(count)))

            return lambda i: loop.run_until_complete(batch(i))

        def awaited_in_turn(make: Callable[[int], Coroutine[Any, Any, object]], count: int) -> Callable[[int], None]:
            async def batch(i: int) -> None:
                for n in range(count):
                    await make(i * count + n)

            return lambda i: loop.run_until_complete(batch(i))

        def sequentially(make: Callable[[int], object], count: int) -> Callable[[int], None]:
            def work(i: int) -> None:
                for n in range(count):
                    make(i * count + n)

            return work

        contests = {
            f"{CREATES} room creates on loopback": (
                concurrently(lambda n: video.rooms.create(f"aio-{n}"), CREATES),
                sequentially(lambda n: sync.rooms.create(f"sync-{n}"), CREATES),
                0.0,
                1.0,
                "on loopback the emulator, one process, spends about a millisecond of its own CPU on each "
                "create: concurrency cannot shorten that, and each call pays a hop to a worker thread",
            ),
            f"{CREATES} room creates, {LATENCY * 1000:g} ms per request": (
                concurrently(lambda n: video.rooms.create(f"aio-far-{n}"), CREATES),
                sequentially(lambda n: sync.rooms.create(f"sync-far-{n}"), CREATES),
                LATENCY,
                1.0,
                "",
            ),
            f"{TOKENS} token requests": (
                concurrently(lambda n: video.tokens.create(room, f"user-{n}"), TOKENS),
                sequentially(lambda n: sync.tokens.create(room, f"user-{n}"), TOKENS),
                0.0,
                0.9,
                "",
            ),
        }
        print(f"\n{provider}: worker pool of {video.workers} threads")
        for goal, (ours, theirs, latency, target, why) in contests.items():
            contest = Contest(rounds=5, per_round=1, warmup=1)
            contest.add("aio", ours)
            contest.add("sync", theirs)
            tokens = goal.endswith("token requests")
            if tokens:
                contest.add("tasks", _tasks_alone(loop, TOKENS))
                contest.add("in turn", awaited_in_turn(lambda n: video.tokens.create(room, f"turn-{n}"), TOKENS))
            with Network(latency) if latency else nullcontext():
                results = contest.run()
                # The threads counted in one more batch, untimed: the sampling thread takes the GIL each
                # millisecond, which would slow the side it watches.
                with peak_threads() as peak:
                    ours(UNTIMED)
            speedup = ratio(results, "sync", "aio")
            note = f"pool {video.workers} workers, peak {peak[0]} threads"
            if tokens:
                tasks, in_turn = ratio(results, "tasks", "sync"), ratio(results, "in turn", "sync")
                note += (
                    f"; awaited one at a time (no task each) aio takes {in_turn:.2f}× the sync time, and gathering"
                    f" {TOKENS:,} coroutines that do nothing {tasks:.0%} of it"
                )
                if speedup < target and in_turn <= 1 / target:
                    note += ": the facade alone meets the goal; what concurrency adds is asyncio's task per call"
            if speedup < target and why:
                note += f"; {why}"
            report.add(
                "aio",
                Row(
                    goal=f"{provider}: {goal}, aio concurrent vs sync sequential",
                    anyvideo=f"{results['aio'].median:.2f} s",
                    baseline=f"{results['sync'].median:.2f} s",
                    ratio=speedup,
                    target=target,
                    lower_is_better=False,
                    note=note,
                ),
            )
            print(f"  {goal}: {note}")
        loop.run_until_complete(video.aclose())
        loop.close()
        sync.close()
