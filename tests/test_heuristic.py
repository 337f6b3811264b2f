"""Contiguity repair of MIP solutions (solvers.heuristic)."""

from __future__ import annotations

import numpy as np

from solvers import Districting, Settings, heuristic


def _path(n: int, cost: np.ndarray | None = None) -> Districting:
    xs = np.arange(n, dtype=float) * 10
    km = np.abs(xs[:, None] - xs[None, :])
    return Districting.from_cost_matrix(km * 100 if cost is None else cost, pupils=np.full(n, 100.0), reach_km=km,
                                        edges=[(i, i + 1) for i in range(n - 1)],
                                        settings=Settings(required=(), threads=1))


def test_bridge_joins_the_units_between_piece_and_hub():
    inst = _path(6).instance
    out = [0, 0, 3, 3, 0, 5]  # unit 4 is cut off from hub 0 by units 2 and 3
    assert heuristic._bridge(inst, out, 0, {4}) == [0, 0, 0, 0, 0, 5]


def test_repair_prefers_the_cheaper_of_moving_and_bridging():
    n = 6
    xs = np.arange(n, dtype=float) * 10
    cost = np.abs(xs[:, None] - xs[None, :]) * 100
    cost[2:4, 0] = 0.0  # units 2 and 3 are as cheap at hub 0: bridging costs nothing extra
    cost[4, 5] = 1e6    # moving the piece {4} to hub 5's SWV is very expensive
    inst = _path(n, cost).instance
    out = [0, 0, 5, 5, 0, 5]  # unit 4 is cut off from hub 0 by units 2 and 3
    fixed = heuristic.repair_contiguity(inst, out)
    assert fixed is not None and inst.violations(fixed) == []
    assert fixed[:5] == [fixed[0]] * 5 and fixed[5] == 5


def test_from_groups_keeps_given_hubs_and_picks_the_best_elsewhere():
    inst = _path(6).instance
    group = [7, 7, 7, 3, 3, 3]
    # no hubs given: the middle unit of each group (cheapest travel) becomes its hub
    assert heuristic.from_groups(inst, group) == [1, 1, 1, 4, 4, 4]
    # a given hub inside a group is kept (a re-solve keeps the hubs of the indeling it starts from)
    assert heuristic.from_groups(inst, group, hubs=[0, 4]) == [0, 0, 0, 4, 4, 4]
    assert heuristic.from_groups(inst, [0, 0, -1, 1, 1, 1]) is None  # a unit without a group


def test_warm_start_repairs_a_start_that_breaks_a_new_apart_lock():
    from solvers import Locks

    from dataclasses import replace

    locked = replace(_path(6).instance, locks=Locks(apart=((1, 2),)))
    before = [1, 1, 1, 4, 4, 4]  # the optimum before the lock: units 1 and 2 share an SWV
    assert locked.violations(before)
    fixed = heuristic.repair_locks(locked, before)
    assert fixed is not None and locked.violations(fixed) == [] and fixed[1] != fixed[2]
    start = heuristic.warm_start(locked, before)
    assert start is not None and locked.violations(start) == []
    assert locked.objective_of(start)["objective"] <= locked.objective_of(fixed)["objective"]


def test_repair_locks_joins_a_together_group():
    from dataclasses import replace

    from solvers import Locks

    inst = replace(_path(6).instance, locks=Locks(together=((0, 5),)))
    fixed = heuristic.repair_locks(inst, [1, 1, 1, 4, 4, 4])
    # 0 and 5 share an SWV, and contiguity forces all six into it
    assert fixed is not None and inst.violations(fixed) == [] and len(set(fixed)) == 1
