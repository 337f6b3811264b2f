"""solvers.hub_pricing: the LP over a growing set of candidate hubs is the whole model's LP once no hub prices out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers import constraints, highs_direct, hub_pricing
from solvers.districting import _HighsRounds
from tests.test_solvers import brute_force, random_instance, valid_assignments, whole_lp

# Seeds and count settings: free counts, a target, and a range (the SWV-count rows are coupling rows too).
COUNTS = [{}, {"target_swvs": 2, "count_weight": 0.0}, {"min_swvs": 2, "max_swvs": 3}]
CASES = [(seed, COUNTS[seed % 3]) for seed in range(200, 224)]


@pytest.fixture(autouse=True)
def _no_rows_up_front(monkeypatch):
    # The neighbour separators up front depend on the model's size, so a master and the whole model of a tiny
    # instance would differ in them; without them both are the same LP.
    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)
    monkeypatch.setattr(highs_direct, "NEIGHBOUR_CUTS_VARS", (0, 0))


def _instance(seed: int, counts: dict):
    return random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0, **counts).instance


def _first_hubs(inst) -> set[int] | None:
    first = next(iter(valid_assignments(inst)), None)
    return None if first is None else set(first)


@pytest.mark.parametrize("seed,counts", CASES)
def test_master_with_every_hub_is_the_whole_model(seed, counts):
    """Blocks appended one batch at a time give the LP of the model built with all hubs at once."""
    inst = _instance(seed, counts)
    hubs = _first_hubs(inst)
    if hubs is None:
        return
    priced = hub_pricing.HubPricedLP(inst, hubs, _HighsRounds)
    rest = sorted(set(inst.hub_region) - hubs)
    for k in range(0, len(rest), 2):
        priced.extend(rest[k:k + 2])
    mod = priced.inner.mod
    assert priced.hubs == set(inst.hub_region)
    assert sorted(mod.x) == sorted(highs_direct.build(inst).x)
    assert mod.n_cols == priced.inner.h.getNumCol()
    priced.inner.h.setOptionValue("solve_relaxation", True)
    got = priced.inner.lp_bound if priced.inner.lp_solve(math.inf) else None
    want = whole_lp(inst)
    assert (got is None) == (want is None)
    if want is not None:
        assert got == pytest.approx(want, rel=1e-7, abs=1e-6)


def test_a_block_may_bring_a_current_swv_the_master_could_not_succeed():
    """The master's successor rows grow with the blocks: a current SWV none of its hubs reaches gets a row."""
    grown = 0
    for seed, counts in CASES:
        inst = _instance(seed, counts)
        if not inst.settings.disruption_weight or _first_hubs(inst) is None:
            continue
        for j in sorted(inst.hub_region):
            priced = hub_pricing.HubPricedLP(inst, {j}, _HighsRounds)
            before = set(priced.inner.mod.successor_rows)
            priced.extend(sorted(set(inst.hub_region) - {j}))
            after = priced.inner.mod.successor_rows
            grown += len(set(after) - before)
            assert sorted(after) == sorted(highs_direct.build(inst).successor_rows)
    assert grown > 0


@pytest.mark.parametrize("seed,counts", CASES)
def test_no_hub_prices_out_at_the_whole_models_lp_optimum(seed, counts):
    """At the whole model's LP optimum every block's minimum is what the LP gives it: rho >= 0 for a hub the LP
    does not open fully, rho = 0 for one it opens in part; the quick screen never lies above the block LP."""
    inst = _instance(seed, counts)
    whole = _HighsRounds(inst)
    whole.h.setOptionValue("solve_relaxation", True)
    if not whole.lp_solve(math.inf) or whole._row_dual is None:
        return
    prices = hub_pricing.HubPrices(inst)
    hubs = sorted(inst.hub_region)
    rho = prices.exact(whole.mod, whole._row_dual, hubs)
    quick = prices.values(whole.mod, whole._row_dual, hubs)
    tol = 1e-6 * max(1.0, abs(whole.lp_bound))
    assert np.all(quick <= rho + tol)
    for k, j in enumerate(hubs):
        open_ = whole._lp_val[whole.mod.x[j, j]]
        if open_ < 1 - 1e-7:
            assert rho[k] >= -tol, (j, open_, rho[k])
        if 1e-7 < open_ < 1 - 1e-7:
            assert rho[k] == pytest.approx(0.0, abs=tol)
        if open_ >= 1 - 1e-7:  # the block's value at the LP's point is rho: never above 0
            assert rho[k] <= tol


@pytest.mark.parametrize("seed,counts", CASES)
def test_the_lagrangian_bound_of_a_small_master_is_below_the_whole_lp(seed, counts):
    inst = _instance(seed, counts)
    hubs = _first_hubs(inst)
    want = whole_lp(inst)
    if hubs is None or want is None:
        return
    priced = hub_pricing.HubPricedLP(inst, hubs, _HighsRounds)
    priced.inner.h.setOptionValue("solve_relaxation", True)
    assert priced.inner.lp_solve(math.inf)
    bound, new = priced.price()
    assert bound <= want + 1e-6 * max(1.0, abs(want))
    assert len(new) <= hub_pricing.MAX_ADD and not set(new) & hubs
    if not new:  # nothing prices out: the master's LP is the whole LP
        assert priced.inner.lp_bound == pytest.approx(want, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed,counts", CASES)
def test_converged_rounds_bound_the_optimum_from_below_and_the_whole_lp_from_above(seed, counts, monkeypatch):
    """lp_cuts to the end: no hub prices out, so its bound is the whole model's LP with the master's cuts, at
    least the whole LP without them and at most the optimum."""
    monkeypatch.setattr(hub_pricing, "MAX_ADD", 1)  # many pricing rounds on a tiny instance
    inst = _instance(seed, counts)
    hubs = _first_hubs(inst)
    want = whole_lp(inst)
    if hubs is None or want is None:
        return
    priced = hub_pricing.HubPricedLP(inst, {min(hubs)} | hubs, _HighsRounds)
    bound = priced.lp_cuts(math.inf)
    tol = 1e-6 * max(1.0, abs(want))
    assert priced.price()[1] == []
    assert want - tol <= bound <= brute_force(inst) + tol
    assert bound == pytest.approx(priced.inner.lp_bound, rel=1e-5, abs=1e-5)
    start = priced.lp_rounding(1.0)
    assert start is None or not inst.violations(start)


def test_pricing_adds_the_most_negative_hubs_first(monkeypatch):
    """A master of one hub on an instance where that hub alone is a poor LP: the hubs added are the most
    negative rho, at most MAX_ADD of them."""
    monkeypatch.setattr(hub_pricing, "MAX_ADD", 2)
    for seed, counts in CASES:
        inst = _instance(seed, counts)
        hubs = _first_hubs(inst)
        if hubs is None or len(hubs) != 1:
            continue
        priced = hub_pricing.HubPricedLP(inst, hubs, _HighsRounds)
        priced.inner.h.setOptionValue("solve_relaxation", True)
        if not priced.inner.lp_solve(math.inf):
            continue
        absent = sorted(set(inst.hub_region) - hubs)
        rho = priced.prices.exact(priced.inner.mod, priced.inner._row_dual, absent)
        _bound, new = priced.price()
        neg = sorted((r, j) for r, j in zip(rho.tolist(), absent) if r < -1e-6 * max(1, abs(priced.inner.lp_bound)))
        assert new == [j for _r, j in neg[:2]]
        if neg:
            return
    pytest.fail("no instance with a hub to add")


@pytest.mark.parametrize("seed", range(80, 88))
def test_the_restricted_only_path_never_builds_the_whole_model(seed, monkeypatch):
    """Above RESTRICTED_ONLY_VARS the LP rounds run on a priced master: every HiGHS model the solve builds has
    a hub subset, and the bound stays below the optimum."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "RESTRICTED_ONLY_VARS", 0)
    built, masters = [], []
    real_init, real_priced = _HighsRounds.__init__, hub_pricing.HubPricedLP.__init__

    def spy_init(self, inst, pool=None, **kw):
        built.append(inst.hubs)
        real_init(self, inst, pool, **kw)

    def spy_priced(self, *a, **kw):
        masters.append(self)
        real_priced(self, *a, **kw)

    monkeypatch.setattr(_HighsRounds, "__init__", spy_init)
    monkeypatch.setattr(hub_pricing.HubPricedLP, "__init__", spy_priced)
    d = random_instance(seed, n=7, disruption_weight=3.0, time_limit_s=5, threads=1 + seed % 2)
    want = brute_force(d.instance)
    res = d.solve()
    if want is None:
        assert res.assignment is None
        return
    if not masters:  # no start to price from (the heuristics found none): the whole model, as before
        assert built[0] is None and res.bound <= want + 1e-6 <= res.objective + 2e-6
        return
    assert masters[0].lp_rounds >= 1
    assert masters[0].inner.back  # PC4-size LP rounds cut from both sides
    assert built and all(h is not None for h in built)
    hub_of = [d.instance.codes.index(res.assignment[c]) for c in d.instance.codes]
    assert d.instance.violations(hub_of) == []
    assert res.bound <= want + 1e-6 <= res.objective + 2e-6


@pytest.mark.parametrize("threads", [1, 2])
def test_a_hub_without_a_reachable_site_never_prices_in_and_the_screen_pays_for_a_missing_type(threads):
    """A hub that lacks a required type with no site of it in reach has rho = inf (it can never be opened). At
    zero duals (every reduced cost positive) and no size rows, a hub missing one type pays for its cheapest site
    in the quick screen as in the block LP. (With threads = 2 the block LPs once all failed on HiGHS's thread
    pool and came back infeasible: nothing priced in, and the restricted master's LP stood as a bound.)"""
    blocked_seen = one_missing = strict = 0
    for seed in range(200, 224):
        inst = random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0, max_pupils=math.inf,
                               max_km=15.0, threads=threads).instance
        whole_lp(inst)  # a HiGHS run first, as in a solve: the process's thread pool now has this size
        prices = hub_pricing.HubPrices(inst)
        mod = highs_direct.build(inst)
        dual = np.zeros(inst.n + len(mod.rows))
        hubs = sorted(inst.hub_region)
        rho = prices.exact(mod, dual, hubs)
        quick = prices.values(mod, dual, hubs)
        for k, j in enumerate(hubs):
            reach = sorted(inst.hub_region[j])
            blocked = any(not inst.facilities[t][reach].any() for t in inst.required_types())
            blocked_seen += blocked
            assert math.isinf(rho[k]) == blocked and math.isinf(quick[k]) == blocked, (seed, j)
            missing = [t for t in inst.required_types() if not inst.facilities[t][j]]
            if not blocked and len(missing) == 1:
                one_missing += 1
                assert quick[k] == pytest.approx(rho[k], rel=1e-9), (seed, j)
            elif not blocked:
                assert quick[k] <= rho[k] + 1e-9 * abs(rho[k])
                strict += rho[k] > quick[k] + 1e-6 * abs(rho[k])  # both types paid for: the block LP ran
    assert blocked_seen > 0 and one_missing > 0 and strict > 0


def test_a_master_grown_after_its_last_solve_still_rounds():
    """Time can run out right after hubs were added: the last LP values cover the new columns (at 0)."""
    grown = 0
    for seed, counts in CASES:
        inst = _instance(seed, counts)
        hubs = _first_hubs(inst)
        if hubs is None:
            continue
        priced = hub_pricing.HubPricedLP(inst, hubs, _HighsRounds)
        priced.inner.h.setOptionValue("solve_relaxation", True)
        if not priced.inner.lp_solve(math.inf):
            continue
        before = priced.lp_hubs()
        _bound, new = priced.price()
        if not new:
            continue
        grown += 1
        priced.extend(new)
        assert len(priced.inner._lp_val) == priced.inner.h.getNumCol()
        assert priced.lp_hubs() == before
        out = priced.lp_rounding(0.5)
        assert out is None or not inst.violations(out)
    assert grown > 0


def test_a_real_pc4_region_prices_to_thewhole_lp(ds):
    """PC4 JZ22 on the embedded data with the default scenario (disruption, contiguity, four facility types): from the
    warm start's hubs the rounds run until no hub prices out, and their bound lies between the whole model's LP and
    the region's proven optimum."""
    from regioindeling.scenario import load_scenario, scenario_from_dict
    from regioindeling.solve import _warm, build_tasks
    from regioindeling.units import UnitSet
    from solvers import heuristic

    doc = load_scenario().to_dict()
    doc["units"]["level"] = "pc4"
    sc = scenario_from_dict(doc)
    (task,) = build_tasks(ds, sc, UnitSet.for_scenario(ds, sc), ["JZ22"])
    inst = task.model.instance
    assert inst.settings.disruption_weight > 0 and inst.settings.contiguity
    start = heuristic.warm_start(inst, _warm(task))
    res = task.model.solve(_warm(task))
    assert res.status == "optimal"
    want = whole_lp(inst)
    priced = hub_pricing.HubPricedLP(inst, set(start), _HighsRounds)
    bound = priced.lp_cuts(math.inf)
    assert priced.added > 0 and priced.price()[1] == []
    tol = 1e-6 * abs(res.objective)
    assert want - tol <= bound <= res.objective + tol
    # at the whole model's LP optimum no hub it leaves closed has a block below 0, and every hub it opens has one
    # at most 0 (the block's value at the LP's point): a reduced cost priced too high would break the second
    whole = _HighsRounds(inst)
    whole.h.setOptionValue("solve_relaxation", True)
    assert whole.lp_solve(math.inf)
    hubs = sorted(inst.hub_region)
    rho = hub_pricing.HubPrices(inst).exact(whole.mod, whole._row_dual, hubs)
    opened = np.array([whole._lp_val[whole.mod.x[j, j]] for j in hubs])
    closed = opened < 1e-7
    assert closed.sum() > len(hubs) // 2 and np.all(rho[closed] >= -tol)
    assert np.all(rho[opened > 1 - 1e-7] <= tol)
