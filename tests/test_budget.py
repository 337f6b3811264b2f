"""The run's time budget (solver.total_time_s): how it is shared over the jeugdregio's as they start."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from regioindeling import budget
from regioindeling.budget import TimeBudget, _water_fill


def _budget(weights, seconds=100.0, slots=2, cap=1000.0):
    return TimeBudget(0.0, seconds, slots, cap, dict(weights))


def test_deadline_keeps_a_reserve_for_what_follows_the_solves():
    assert _budget({"a": 1}, seconds=100).deadline == pytest.approx(100 - 100 * budget.END_RESERVE_SHARE)
    assert _budget({"a": 1}, seconds=10).deadline == pytest.approx(10 - budget.END_RESERVE_MIN_S)


def test_shares_follow_the_weights_and_fill_both_processes():
    b = _budget({"a": 1, "b": 3, "c": 4})
    d = b.deadline
    # capacity 2 * d over weight 8: a gets 1/8 of it
    assert b.allowance("a", 0.0) == pytest.approx(2 * d / 8)
    # b starts at once on the other process: what a may still take is not b's
    assert b.allowance("b", 0.0) == pytest.approx((2 * d - 2 * d / 8) * 3 / 7)


def test_time_a_region_does_not_use_passes_on():
    b = _budget({"a": 1, "b": 1, "c": 1}, slots=1)
    d = b.deadline
    assert b.allowance("a", 0.0) == pytest.approx(d / 3)
    b.done("a")  # ended after 1 s instead of d / 3
    assert b.allowance("b", 1.0) == pytest.approx((d - 1.0) / 2)
    b.done("b")
    assert b.allowance("c", 2.0) == pytest.approx(d - 2.0)


def test_no_region_runs_past_the_deadline_or_the_per_region_limit():
    # one process cannot use more than the time left: the last two get it all, not a weighted half of 2x
    b = _budget({"small": 1, "big": 9})
    d = b.deadline
    assert b.allowance("small", 0.0) == pytest.approx(d)
    assert b.allowance("big", 0.0) == pytest.approx(d)
    capped = _budget({"a": 1, "b": 1}, cap=5.0)
    assert capped.allowance("a", 0.0) == 5.0 and capped.allowance("b", 0.0) == 5.0


def test_a_spent_budget_still_gives_each_region_its_minimum():
    b = _budget({"a": 1, "b": 1}, seconds=10)
    assert b.allowance("a", 50.0) == budget.MIN_ALLOWANCE_S
    b.done("a")
    assert b.allowance("b", 51.0) == budget.MIN_ALLOWANCE_S


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1e6, allow_subnormal=False), min_size=1, max_size=12), st.floats(0.0, 500.0), st.floats(0.1, 100.0))
def test_water_fill_spends_the_capacity_in_proportion_none_above_the_limit(ws, capacity, limit):
    weights = {f"r{k}": w for k, w in enumerate(ws)}
    out = _water_fill(weights, capacity, limit)
    assert set(out) == set(weights)
    assert all(-1e-9 <= v <= limit + 1e-9 for v in out.values())
    total = sum(out.values())
    # all of it is handed out unless every region is at the limit
    assert total == pytest.approx(min(capacity, limit * len(ws)), rel=1e-9, abs=1e-9) or all(
        v == pytest.approx(limit) for v in out.values())
    # below the limit, shares are in proportion to the weights
    free = [k for k, v in out.items() if v < limit - 1e-9 and weights[k] > 0]
    if len(free) > 1 and sum(weights.values()) > 0:
        ratio = {out[k] / weights[k] for k in free}
        assert max(ratio) == pytest.approx(min(ratio), rel=1e-9)
