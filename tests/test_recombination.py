"""The recombination search: its sub-model keeps every hard constraint of the whole region, and the search only
ever improves a valid indeling (to the optimum when the start has two SWVs, as the pair is then the region)."""

from __future__ import annotations

import gc
import math
import time
import weakref
from dataclasses import replace

import numpy as np
import pytest

import solvers.districting as dist
from solvers import Locks, recombination
from solvers.instance import INF
from tests.test_solvers import assert_matches_brute_force, brute_force, random_instance, valid_assignments


def _locked(seed: int, exactly_two: bool = False, **kw):
    """A random instance with a valid indeling of two SWVs or more (``exactly_two``: of two; the first such of
    seed, seed + 1000, ...); odd seeds get a together group and an apart pair, seeds 4-7, 12-15, ... a facility
    distance rule."""
    for k in range(50):
        inst = random_instance(seed + 1000 * k, n=7, **kw).instance
        if seed % 2:
            inst = replace(inst, locks=Locks(together=((0, 1),), apart=((2, 5),)))
        lacking = [i for i in range(inst.n) if not inst.facilities["sbo"][i]]
        if (seed // 4) % 2 and lacking:  # a unit without sbo needs an sbo site within 15 km inside its SWV
            i = lacking[-1]
            near = frozenset(k for k in range(inst.n) if inst.facilities["sbo"][k] and inst.reach_km[i, k] <= 15)
            inst = replace(inst, cover=((i, "sbo", 15.0, near),))
        if any(len(set(h)) == 2 or (len(set(h)) > 2 and not exactly_two) for h in valid_assignments(inst)):
            return inst
    raise AssertionError(f"no instance with such an indeling near seed {seed}")


def _pairs_of(inst, hub_of):
    members: dict[int, list[int]] = {}
    for i, j in enumerate(hub_of):
        members.setdefault(j, []).append(i)
    for a, b in recombination.neighbouring_pairs(inst, hub_of):
        yield sorted(members[a] + members[b])


def _merge(hub_of, units, sub_hub_of):
    out = list(hub_of)
    for k, u in enumerate(units):
        out[u] = units[sub_hub_of[k]]
    return out


@pytest.mark.parametrize("seed", range(16))
def test_the_sub_model_keeps_every_hard_constraint(seed):
    """For indelingen of two neighbouring SWVs' units, the whole region's indeling is valid exactly when the
    sub-model's is: checked on every sub-model indeling brute force finds and on random assignments."""
    counts = [dict(target_swvs=3), dict(max_swvs=3), dict(min_swvs=3), {}][seed % 4]
    inst = _locked(seed, disruption_weight=0.0, **counts)
    if seed % 4 == 1:  # sites everywhere, so a pair could split into three SWVs (one too many)
        inst = replace(inst, facilities={t: np.ones(inst.n, dtype=int) for t in inst.facilities})
    rng = np.random.default_rng(seed)
    # most SWVs first: then other SWVs stay fixed around the pair
    bases = sorted((h for h in valid_assignments(inst) if len(set(h)) > 1), key=lambda h: -len(set(h)))[:6]
    checked = 0
    for base in bases:
        for units in _pairs_of(inst, base):
            sub = recombination.restrict(inst, units, base, 1.0)
            local = {u: k for k, u in enumerate(units)}
            assert sub.violations([local[base[u]] for u in units]) == []
            trials = list(valid_assignments(sub))
            for _ in range(40):
                trial = [int(rng.integers(0, len(units))) for _u in units]
                for h in set(trial):
                    trial[h] = h
                trials.append(trial)
            for trial in trials:
                whole = _merge(base, units, trial)
                assert (inst.violations(whole) == []) == (sub.violations(trial) == []), (units, trial)
                checked += 1
    assert checked


@pytest.mark.parametrize("seed", range(8))
def test_the_sub_model_travel_is_the_whole_region_s_up_to_a_constant(seed):
    """Without disruption the sub-model's objective differs from the region's by the fixed SWVs' share only."""
    inst = random_instance(seed, n=7, disruption_weight=0.0).instance
    for base in list(valid_assignments(inst))[:4]:
        for units in _pairs_of(inst, base):
            sub = recombination.restrict(inst, units, base, 1.0)
            diffs = {round(inst.objective_of(_merge(base, units, t))["objective"] - sub.objective_of(t)["objective"], 6)
                     for t in valid_assignments(sub)}
            assert len(diffs) <= 1


def _kept(inst, hub_of, units=None) -> dict[str, float]:
    """Per current SWV the pupils its largest successor keeps (the disruption term counts the rest), counting
    only ``units`` (default all)."""
    per: dict[tuple[str, int], float] = {}
    for i in range(inst.n) if units is None else units:
        for key, p in inst.current[i].items():
            per[key, hub_of[i]] = per.get((key, hub_of[i]), 0.0) + p
    out: dict[str, float] = {}
    for (key, _j), p in per.items():
        out[key] = max(out.get(key, 0.0), p)
    return out


def test_the_sub_model_drops_only_current_swvs_that_no_split_changes():
    """A current SWV left out of the sub-model keeps the same pupils in the whole region whatever the split; one
    kept in it has more pupils inside than its largest piece outside (else it would be dropped)."""
    dropped = kept = 0
    for seed in range(8):
        inst = _locked(seed, disruption_weight=3.0)
        for base in [h for h in valid_assignments(inst) if len(set(h)) > 1][:6]:
            for units in _pairs_of(inst, base):
                sub = recombination.restrict(inst, units, base, 1.0)
                inside = {key for u in units for key in inst.current[u]}
                in_sub = {key for c in sub.current for key in c}
                trials = list(valid_assignments(sub))
                for key in inside - in_sub:
                    dropped += 1
                    assert len({round(_kept(inst, _merge(base, units, t))[key], 6) for t in trials}) <= 1
                outside = _kept(inst, base, [i for i in range(inst.n) if i not in units])
                for key in in_sub:
                    kept += 1
                    assert sum(inst.current[u].get(key, 0.0) for u in units) > outside.get(key, 0.0)
    assert dropped and kept


def test_a_worse_split_is_never_taken():
    """The whole region's objective decides: a sub-model answer that costs more is refused."""
    inst = _locked(7, disruption_weight=3.0)
    start = min(valid_assignments(inst), key=lambda h: (inst.objective_of(h)["objective"], h))
    offered = []

    def worst(sub, warm, cuts):
        options = [t for t in valid_assignments(sub) if t != warm]
        if not options:
            return None
        offered.append(1)
        return max(options, key=lambda t: sub.objective_of(t)["objective"])

    out = recombination.recombine(inst, start, time.perf_counter() + 60, worst)
    assert offered and out == list(start)


def _solve_exactly(sub, warm, cuts=()):
    return dist._sub_solve(sub.with_settings(time_limit_s=30.0), warm, cuts)


@pytest.mark.parametrize("seed", range(16))
def test_recombination_never_worsens_and_stays_valid(seed):
    inst = _locked(seed, disruption_weight=3.0)
    start = max(valid_assignments(inst), key=lambda h: (inst.objective_of(h)["objective"], h))
    out = recombination.recombine(inst, start, time.perf_counter() + 60, _solve_exactly)
    assert inst.violations(out) == []
    assert inst.objective_of(out)["objective"] <= inst.objective_of(start)["objective"] + 1e-9


@pytest.mark.parametrize("seed", range(20, 36))
def test_recombination_of_two_swvs_reaches_the_optimum(seed):
    """With two SWVs the only pair is the whole region: its sub-model is the region's model, so the search ends
    at the brute-force optimum (whatever its number of SWVs)."""
    inst = _locked(seed, exactly_two=True, disruption_weight=float(seed % 2) * 3.0, max_km=INF)
    twos = [h for h in valid_assignments(inst) if len(set(h)) == 2]
    start = max(twos, key=lambda h: (inst.objective_of(h)["objective"], h))
    out = recombination.recombine(inst, start, time.perf_counter() + 60, _solve_exactly)
    assert inst.violations(out) == []
    assert math.isclose(inst.objective_of(out)["objective"], brute_force(inst), rel_tol=1e-9, abs_tol=1e-6)


def test_recombination_stops_at_the_deadline():
    inst = random_instance(3, n=7, max_km=INF).instance
    start = max(valid_assignments(inst), key=lambda h: (len(set(h)), inst.objective_of(h)["objective"]))
    calls = []
    out = recombination.recombine(inst, start, time.perf_counter() - 1, lambda s, w, c: calls.append(s) or w)
    assert out == list(start) and not calls


@pytest.mark.parametrize("seed", range(40, 48))
def test_pc4_size_solves_with_recombination_match_brute_force(seed, monkeypatch):
    """The solve path of PC4-size models (recombination on the start and after the restricted-hub search) keeps
    the optimum; the spy shows the search ran (also where the LP would prove the start and end the solve)."""
    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "_within", lambda *a: False)
    calls = []
    real = recombination.recombine

    def spy(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(recombination, "recombine", spy)
    d = random_instance(seed, n=7, disruption_weight=3.0)
    res = assert_matches_brute_force(d)
    assert calls or res.status == "infeasible"


def test_highs_models_are_freed_without_the_cycle_collector():
    """A solved round's HiGHS model goes as soon as it is dropped: the enclave callbacks do not tie it into a
    reference cycle (the recombination search builds hundreds of small models)."""
    d = random_instance(5, n=7, max_km=INF)
    gc.collect()
    gc.disable()
    try:
        rounds = dist._HighsRounds(d.instance)
        rounds.run(10.0, 0.0, None)
        assert rounds._watching
        ref = weakref.ref(rounds)
        del rounds
        assert ref() is None
    finally:
        gc.enable()


def test_a_real_pc4_region_improves_from_the_hybrid_start(ds):
    """PC4 Zeeland (153 units; facility sites are scarce): from the start a national PC4 run uses (the hybrid-level
    solution) the search ends at a valid indeling that costs less, with every hard constraint checked."""
    from regioindeling.scenario import load_scenario, scenario_from_dict
    from regioindeling.solve import _warm, build_tasks
    from regioindeling.units import UnitSet
    from solvers import heuristic

    doc = load_scenario().to_dict()
    doc["units"]["level"] = "pc4"
    sc = scenario_from_dict(doc)
    (task,) = build_tasks(ds, sc, UnitSet.for_scenario(ds, sc), ["JZ38"])
    inst = task.model.instance
    start = heuristic.warm_start(inst, _warm(task))
    assert start is not None and len(set(start)) > 1
    out = recombination.recombine(inst, start, time.perf_counter() + 120, dist._sub_solve)
    assert inst.violations(out) == []
    # 483.1k -> 424.5k (before Zeeland's fixed crossings were in the data: 507.4k -> 480.6k)
    assert inst.objective_of(out)["objective"] < 0.97 * inst.objective_of(start)["objective"]


def test_a_real_pc4_region_s_separators_hold_and_carry_into_its_recombination(ds):
    """PC4 Zeeland, 10 s: the solve's restricted-hub and recombination phases start from its separators (they are
    PC4-size), and the region's kept separators then start every pair's sub-model of a recombination from the
    hybrid-level start. Every indeling that comes out is valid, and every kept separator holds for each of them
    (the real-data check of the separator sharing; a separator naming a unit without x[k, j] failed here with a
    KeyError before such units left it)."""
    from regioindeling.scenario import load_scenario, scenario_from_dict
    from regioindeling.solve import _warm, build_tasks
    from regioindeling.units import UnitSet
    from solvers import Districting, heuristic

    doc = load_scenario().to_dict()
    doc["units"]["level"] = "pc4"
    doc["solver"]["time_limit_s"] = 10.0
    sc = scenario_from_dict(doc)
    (task,) = build_tasks(ds, sc, UnitSet.for_scenario(ds, sc), ["JZ38"])
    inst = task.model.instance
    assert dist._n_pairs(inst) > dist.RESTRICTED_HUBS_VARS  # the size whose phases share separators
    start = heuristic.warm_start(inst, _warm(task))
    res = Districting(inst, keep_cuts=True).solve(start)
    solved = res.hub_indices(inst.codes)
    assert solved is not None and inst.violations(solved) == []
    assert len(res.cuts) > 50
    out = recombination.recombine(inst, start, time.perf_counter() + 60, dist._sub_solve, cuts=res.cuts)
    assert inst.violations(out) == []
    assert inst.objective_of(out)["objective"] < inst.objective_of(start)["objective"]
    for hub_of in (start, solved, out):
        for i, j, sep in res.cuts:
            assert hub_of[i] != j or any(hub_of[k] == j for k in sep), (i, j, sep)


def test_the_regions_separators_restricted_to_a_pair_hold_in_its_sub_model(monkeypatch):
    """restrict_cuts: every separator of the whole region, on a pair's units, holds for every valid split of the
    pair (brute force over the sub-model, any hub), and the search still never worsens."""
    from solvers import Districting, constraints
    from tests.test_solvers import every_valid_assignment

    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)
    checked = 0
    for seed in range(16):
        inst = _locked(seed, count_weight=0.0)
        cuts = Districting(inst, keep_cuts=True).solve().cuts
        if not cuts:
            continue
        start = max(valid_assignments(inst), key=lambda h: (len(set(h)), inst.objective_of(h)["objective"], h))

        def checking(sub, warm, sub_cuts):
            nonlocal checked
            checked += len(sub_cuts)
            for hub_of in every_valid_assignment(sub):
                for i, j, sep in sub_cuts:
                    assert hub_of[i] != j or any(hub_of[k] == j for k in sep), (seed, i, j, sep, hub_of)
            return _solve_exactly(sub, warm, sub_cuts)

        out = recombination.recombine(inst, start, time.perf_counter() + 60, checking, cuts=cuts)
        assert inst.violations(out) == []
        assert inst.objective_of(out)["objective"] <= inst.objective_of(start)["objective"] + 1e-9
    assert checked >= 20, checked


def test_restrict_cuts_renumbers_and_drops_units_outside_the_pair():
    by_hub = {4: [(1, 4, (2, 3, 5)), (6, 4, (5,))], 2: [(1, 2, (0,))]}
    # units 1, 3, 4 -> 0, 1, 2: the cut of unit 6 and of hub 2 are outside; 2 and 5 leave the separator
    assert recombination.restrict_cuts(by_hub, [4, 1, 3]) == [(0, 2, (1,))]
