"""The benchmark harness's own logic (collected by the ordinary run: no timing here)."""

from __future__ import annotations

from collections import Counter

import pytest
from benchmarks.harness import Contest, balanced_orders


@pytest.mark.parametrize("count", range(1, 9))
def test_each_contender_follows_each_other_equally_often(count: int) -> None:
    orders = balanced_orders(count)
    assert all(sorted(order) == list(range(count)) for order in orders)
    assert len(set(Counter(order[0] for order in orders).values())) == 1
    follows = Counter((a, b) for order in orders for a, b in zip(order, order[1:], strict=False))
    assert len(follows) == count * (count - 1)
    assert len(set(follows.values())) <= 1


def test_a_contest_times_every_contender_every_round_after_its_warmup() -> None:
    ran: list[str] = []
    contest = Contest(rounds=6, per_round=2, warmup=1)
    for name in "abc":
        contest.add(name, lambda i, name=name: ran.append(name))
    results = contest.run()
    assert {name: len(result.rounds) for name, result in results.items()} == {"a": 6, "b": 6, "c": 6}
    assert Counter(ran) == {"a": 14, "b": 14, "c": 14}
    turns = [ran[i] for i in range(0, len(ran), 2)]  # one entry per contender's turn
    assert [turns[i : i + 3] for i in range(0, 9, 3)] == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
