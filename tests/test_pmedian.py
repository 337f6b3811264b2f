"""solvers.pmedian: the p-median hubs that seed the restricted-hub search."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from solvers import Districting, Settings
from solvers.instance import INF, Instance
from solvers.pmedian import p_median_hubs
from tests.test_solvers import random_instance


def _sum(inst: Instance, hubs) -> float:
    """What every unit adds at its cheapest allowed hub among ``hubs``; 1e12 for a unit none of them may serve
    (so that fewer such units is better, as in the module)."""
    s = inst.settings
    total = 0.0
    for i in range(inst.n):
        costs = [s.travel_weight * inst.cost[i, j] + s.tiebreak_per_km * inst.reach_km[i, j]
                 for j in hubs if i in inst.hub_region[j]]
        total += min(costs, default=1e12)
    return total


def _line(pupils, max_km=INF, contiguity=True) -> Instance:
    """Units on a line 10 km apart, each next to the following one."""
    n = len(pupils)
    km = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) * 10.0
    return Districting.from_cost_matrix(km * np.asarray(pupils, float)[:, None], pupils=np.asarray(pupils, float),
                                        reach_km=km, edges=[(i, i + 1) for i in range(n - 1)],
                                        settings=Settings(required=(), max_km=max_km, contiguity=contiguity,
                                                          threads=1)).instance


@pytest.mark.parametrize("seed", range(12))
def test_no_single_swap_lowers_the_sum_and_one_hub_is_exact(seed):
    inst = random_instance(seed, n=8).instance
    cand = sorted(inst.hub_region)
    assert p_median_hubs(inst, 1) == [min(cand, key=lambda j: (_sum(inst, [j]), j))]
    for p in range(2, len(cand)):
        hubs = p_median_hubs(inst, p)
        assert len(hubs) == p and set(hubs) <= set(cand) and hubs == sorted(hubs)
        value = _sum(inst, hubs)
        for out, into in itertools.product(hubs, set(cand) - set(hubs)):
            assert _sum(inst, [h for h in hubs if h != out] + [into]) >= value - 1e-6 * max(1.0, value)
        assert p_median_hubs(inst, p) == hubs  # deterministic


def test_two_clusters_get_a_hub_each_at_their_median():
    # two groups of three units, far apart; the heavy middle unit of each is its median
    inst = _line([10, 100, 10, 0, 0, 0, 0, 10, 100, 10])
    assert p_median_hubs(inst, 2) == [1, 8]
    # one hub: any of units 2-7 costs 8,400 pupil-km (the empty units weigh nothing); the km tie-break puts it in
    # the middle, 4 or 5, and the tie goes to the lower index
    assert p_median_hubs(inst, 1) == [4]


def test_a_unit_no_hub_may_serve_is_left_to_the_hubs_that_can():
    # within 15 km only neighbours reach each other: one hub cannot hold the line, every unit must be near one
    inst = _line([50, 50, 50, 50, 50, 50], max_km=15.0)
    hubs = p_median_hubs(inst, 2)
    assert hubs == [1, 4] and _sum(inst, hubs) < 1e12


def test_more_hubs_than_candidates_gives_every_candidate_and_none_gives_none():
    inst = _line([10, 20, 30])
    assert p_median_hubs(inst, 3) == [0, 1, 2]
    assert p_median_hubs(inst, 7) == [0, 1, 2]
    assert p_median_hubs(inst, 0) == []
    restricted = replace(inst, hubs=frozenset({0, 2}))  # only these two may be hubs
    assert p_median_hubs(restricted, 1) in ([0], [2]) and p_median_hubs(restricted, 5) == [0, 2]


def test_friesland_at_pc4_level_gets_the_hubs_of_its_best_known_indeling(ds):
    """PC4 Friesland (JZ02): the site-seeded search ended at 1,032,037 from its own hubs; a restricted-hub solve
    on the hubs of the 6-median reaches its best indeling known (920,308) within seconds."""
    from regioindeling.scenario import load_scenario, scenario_from_dict
    from regioindeling.solve import build_tasks
    from regioindeling.units import UnitSet
    from solvers import heuristic

    base = load_scenario().to_dict()
    base["units"]["level"] = "pc4"
    base["solver"].update({"time_limit_s": 60.0, "processes": 1})
    sc = scenario_from_dict(base)
    inst = build_tasks(ds, sc, UnitSet.for_scenario(ds, sc), ["JZ02"])[0].model.instance
    hubs = p_median_hubs(inst, 6)
    res = Districting(replace(inst, hubs=frozenset(hubs)).with_settings(gap=0.0)).solve()
    hub_of = res.hub_indices(inst.codes)
    assert hub_of is not None and inst.violations(hub_of) == []
    assert inst.objective_of(hub_of)["objective"] < 925_000
    split = heuristic.seeded_split(inst)
    assert split is not None and inst.objective_of(split)["objective"] > 1_000_000
