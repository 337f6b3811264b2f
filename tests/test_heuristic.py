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
