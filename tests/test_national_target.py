"""National SWV-count target: the allocation DP and the search against brute force on hand-made regions, then
the real embedded data at gemeente level (max_pupils 150,000 so that every jeugdregio is feasible there)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from regioindeling.errors import InputError
from regioindeling.export import geojson_text, proposal_to_geojson
from regioindeling.national_target import solve_national
from regioindeling.scenario import scenario_from_dict
from regioindeling.solve import Runner, Task, solve
from solvers.allocation import allocate, count_bounds
from solvers.instance import INF
from tests.test_solvers import random_instance, valid_indelingen


# ---------------------------------------------------------------------------------------------- the DP


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.integers(1, 5), st.one_of(st.floats(0, 100, allow_nan=False), st.just(INF)),
                                min_size=1, max_size=4), min_size=1, max_size=4),
       st.integers(1, 16))
def test_allocate_matches_brute_force(tables, total):
    options = {f"R{i}": t for i, t in enumerate(tables)}
    regions = sorted(options)
    best = None
    for ks in itertools.product(*(sorted(options[r]) for r in regions)):
        v = sum(options[r][k] for r, k in zip(regions, ks))
        if sum(ks) == total and v < INF and (best is None or v < best):
            best = v
    got = allocate(options, total)
    if best is None:
        assert got is None
    else:
        assert got is not None and sum(got.counts.values()) == total
        assert math.isclose(got.value, best, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(sum(options[r][k] for r, k in got.counts.items()), got.value, abs_tol=1e-9)


def test_allocate_prefers_sure_counts_on_ties():
    options = {"A": {1: 5.0, 2: 5.0}, "B": {1: 5.0, 2: 5.0}}
    assert allocate(options, 3, {"A": {2}}).counts == {"A": 1, "B": 2}
    assert allocate(options, 3, {"B": {2}}).counts == {"A": 2, "B": 1}


# ---------------------------------------------------------------------------------------------- small regions


def curve_by_brute_force(inst) -> dict[int, float]:
    """count -> best objective over every valid partition with that many blocks (hub: cheapest valid member)."""
    out: dict[int, float] = {}
    for count, v in valid_indelingen(inst):
        out[count] = min(v, out.get(count, INF))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_count_bounds_hold_every_valid_partition(seed):
    for k in range(3):
        inst = random_instance(seed * 3 + k).instance
        b = count_bounds(inst)
        for count in curve_by_brute_force(inst):
            assert b.lo <= count <= b.hi, (seed, k, b, count)


def _tasks(seeds, **over):
    tasks = []
    for s in seeds:
        d = random_instance(s, **over)
        tasks.append(Task(f"R{s:02d}", f"region {s}", d))
    return tasks


# Regions whose count can vary a lot: one required type, no travel limit, a price per SWV (counts 1..4 valid).
WIDE = dict(required=("sbo",), max_km=INF, min_pupils=0.0, max_pupils=1500.0, count_weight=3000.0)


@pytest.mark.parametrize("seeds,over", [((0, 1, 2), {}), ((3, 4, 5, 6), {}), ((7, 8, 9), {}),
                                        ((10, 11, 12, 13), {}), ((21, 22, 24, 25), WIDE), ((28, 29, 30), WIDE),
                                        ((22, 25, 29, 24), dict(WIDE, contiguity=False, disruption_weight=0.0))])
def test_search_matches_brute_force_over_every_count_combination(seeds, over):
    tasks = _tasks(seeds, **{"time_limit_s": 30, **over})
    curves = {t.jeugdregio: curve_by_brute_force(t.model.instance) for t in tasks}
    live = {r: c for r, c in curves.items() if c}
    regions = sorted(live)
    lo = sum(min(c) for c in live.values())
    hi = sum(max(c) for c in live.values())
    with Runner(1) as runner:
        for total in range(max(1, lo - 1), hi + 2):
            best = None
            for ks in itertools.product(*(sorted(live[r]) for r in regions)):
                if sum(ks) == total:
                    v = sum(live[r][k] for r, k in zip(regions, ks))
                    best = v if best is None else min(best, v)
            if best is None:
                with pytest.raises(InputError, match="target_swvs_national"):
                    solve_national(tasks, total, runner)
                continue
            out = solve_national(tasks, total, runner)
            assert out.met and out.exact, (seeds, total, out.message)
            assert math.isclose(out.value, best, rel_tol=1e-6, abs_tol=1e-6), (seeds, total, out.value, best)
            assert sum(out.counts.values()) == total
            for r, k in out.counts.items():
                res = out.results[r]
                assert res.n_swvs == k
                inst = next(t for t in tasks if t.jeugdregio == r).model.instance
                hub_of = [inst.codes.index(res.assignment[c]) for c in inst.codes]
                assert inst.violations(hub_of) == []
                assert math.isclose(res.objective, live[r][k], rel_tol=1e-6, abs_tol=1e-6)
            assert set(out.counts) == set(live)  # regions without any valid indeling are left out
            assert all(out.results[r].status == "infeasible" for r in set(out.results) - set(live))


def test_fixed_region_keeps_its_own_target():
    tasks = _tasks((1, 2, 5))
    fixed = tasks[0].model.instance
    free = curve_by_brute_force(fixed)
    k_fixed = max(free)
    from solvers import Districting

    tasks[0] = Task(tasks[0].jeugdregio, tasks[0].name, Districting(fixed.with_settings(target_swvs=k_fixed)))
    others = [curve_by_brute_force(t.model.instance) for t in tasks[1:]]
    total = k_fixed + sum(min(c) for c in others if c)
    with Runner(1) as runner:
        out = solve_national(tasks, total, runner)
    assert out.counts[tasks[0].jeugdregio] == k_fixed
    assert "fixed by objective.target_swvs_per_jeugdregio" in out.note(tasks[0].jeugdregio)


# ---------------------------------------------------------------------------------------------- real data

BASE = {"units": {"level": "gemeente"}, "size": {"max_pupils": 150_000},
        # a price per SWV keeps the own optima below the facility limits, so free + 5 is possible
        "objective": {"swv_count": 100_000.0}, "solver": {"processes": 2, "time_limit_s": 30}}


def _sc(target=None, **over):
    d = {k: dict(v) for k, v in BASE.items()}
    d["objective"]["target_swvs_national"] = target
    for k, v in over.items():
        d.setdefault(k, {}).update(v)
    return scenario_from_dict(d)


@pytest.fixture(scope="module")
def free(ds):
    return solve(ds, _sc())


def test_target_equal_to_the_free_count_gives_the_free_optimum(ds, free):
    k = free.national["n_swvs"]
    res = solve(ds, _sc(k))
    assert res.proposal.assignment == free.proposal.assignment
    t = res.national["target"]
    assert t["exact"] and t["rounds"] == 0 and t["changed"] == {} and t["n_swvs"] == k
    assert all(r.count_note.endswith("its own optimum") or "its own optimum;" in r.count_note for r in res.reports)


def test_free_plus_five_has_exactly_that_many_swvs_and_passes_the_evaluator(ds, free):
    k = free.national["n_swvs"] + 5
    res = solve(ds, _sc(k))
    assert len(res.proposal.hubs) == k and res.national["n_swvs"] == k
    assert res.evaluation.ok, [v.message for v in res.evaluation.violations][:3]
    t = res.national["target"]
    assert t["exact"] and t["free_swvs"] == k - 5 and sum(b - a for a, b in t["changed"].values()) == 5
    assert res.national["status"] == "optimal" and res.national["objective"] >= free.national["objective"]
    changed = [r for r in res.reports if r.n_swvs != r.free_swvs]
    assert changed and all("instead of its own optimum's" in r.count_note for r in changed)
    assert res.proposal.solver["national_target"] == {"swvs": k, "met": True, "exact": True, "free_swvs": k - 5}
    assert not res.infeasibilities


def test_free_minus_five_and_determinism(ds, free):
    k = free.national["n_swvs"] - 5
    runs = [solve(ds, _sc(k)) for _ in range(2)]
    assert runs[0].national["n_swvs"] == k and runs[0].evaluation.ok
    texts = [geojson_text(proposal_to_geojson(ds, r.proposal, r.evaluation)) for r in runs]
    assert texts[0] == texts[1]


def test_target_outside_the_possible_range_is_explained(ds):
    with pytest.raises(InputError) as low:
        solve(ds, _sc(30))
    line = low.value.line()
    assert "no indeling has exactly 30 SWVs" in line and "need at least" in line and "at least one SWV each" in line
    assert "fix: set objective.target_swvs_national between" in line and "\n" not in line
    lo, hi = map(int, line.split("between ")[1].split(",")[0].split(" and "))
    assert 42 <= lo < hi
    with pytest.raises(InputError) as high:
        solve(ds, _sc(hi + 1))
    assert f"allow at most {hi} together" in high.value.line()
    assert f"between {lo} and {hi}" in high.value.line()


def test_infeasible_jeugdregio_is_left_out(ds):
    """At max_pupils 60,000 Amsterdam alone is too big at gemeente level: JZ13 has no indeling, the rest meet K."""
    sc = _sc(size={"max_pupils": 60_000})
    free = solve(ds, sc)
    k = free.national["n_swvs"] + 1
    res = solve(ds, _sc(k, size={"max_pupils": 60_000}))
    rep = {r.jeugdregio: r for r in res.reports}
    assert rep["JZ13"].status == "infeasible" and "GM0363" in rep["JZ13"].message
    assert rep["JZ13"].count_note.startswith("no valid indeling, so not part of the national target")
    assert res.national["n_swvs"] == k and len(res.proposal.hubs) == k
    bad = [r for r in res.reports if r.status == "infeasible"]  # JZ24 and JZ29 too at this level
    assert f"; {', '.join(r.jeugdregio for r in bad)} left out (no valid indeling)" in res.national["target"]["message"]
    assert res.infeasibilities == [r.message for r in bad]


def test_subset_run_is_refused(ds):
    with pytest.raises(InputError, match="needs all 42 jeugdregio's") as err:
        solve(ds, _sc(60), jeugdregios=["JZ01", "JZ02"])
    assert err.value.field == "objective.target_swvs_national"


def test_progress_once_per_jeugdregio(ds, free):
    seen = []
    solve(ds, _sc(free.national["n_swvs"] + 1), progress=seen.append)
    assert sorted(r.jeugdregio for r in seen) == sorted(set(ds.jeugdregios.jeugdregio))
    assert all("national target" in r.count_note for r in seen if r.n_swvs)


def test_count_bounds_are_valid_on_real_jeugdregios(ds, free):
    """Every jeugdregio's own optimum lies inside its arithmetic count range."""
    from regioindeling.solve import build_tasks
    from regioindeling.units import UnitSet

    sc = _sc()
    us = UnitSet.for_scenario(ds, sc)
    for t in build_tasks(ds, sc, us, list(us.jeugdregios)):
        b = count_bounds(t.model.instance)
        k = next(r.n_swvs for r in free.reports if r.jeugdregio == t.jeugdregio)
        assert b.lo <= k <= b.hi, (t.jeugdregio, b, k)
    assert np.all([r.status == "optimal" for r in free.reports])


class _Unproven:
    """A runner whose solves of one region end 'feasible' with a weak bound, as at a time limit."""

    def __init__(self, runner, region: str):
        self.runner, self.region = runner, region

    def run(self, todo, progress=None):
        from dataclasses import replace

        out = self.runner.run(todo, progress)
        return [replace(r, status="feasible", bound=0.5 * r.objective, gap=0.5) if t.jeugdregio == self.region
                and r.assignment else r for t, r in zip(todo, out)]


def test_unproven_region_gives_a_valid_choice_marked_not_exact():
    tasks = _tasks((21, 22, 24, 25), **WIDE)
    live = {t.jeugdregio: curve_by_brute_force(t.model.instance) for t in tasks}
    free_total = sum(min(c, key=c.get) for c in live.values())
    with Runner(1) as runner:
        for total in (free_total - 1, free_total + 1, free_total + 2):
            best = min(sum(live[r][k] for r, k in zip(sorted(live), ks))
                       for ks in itertools.product(*(sorted(live[r]) for r in sorted(live))) if sum(ks) == total)
            out = solve_national(tasks, total, _Unproven(runner, "R22"))
            assert out.met and not out.exact and "not proven exact" in out.message
            assert out.value >= best - 1e-6 and out.bound <= best + 1e-6
            for r, k in out.counts.items():
                assert out.results[r].n_swvs == k
                assert math.isclose(out.results[r].objective, live[r][k], rel_tol=1e-6)
            assert "not proven optimal at this count" in out.note("R22")
