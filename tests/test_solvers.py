"""The districting model against brute force: every partition of up to 7 units is enumerated, each block gets
its best hub, the cheapest valid partition is the optimum the solver must match."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pytest

import solvers.districting
from solvers import Districting, Locks, Settings, backend
from solvers.instance import INF, Instance

TYPES = ("sbo", "so", "vso", "pro")


def partitions(items: list[int]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for k in range(len(part)):
            yield part[:k] + [[first] + part[k]] + part[k + 1:]
        yield [[first]] + part


def valid_assignments(inst: Instance):
    """Every valid partition as an assignment to hubs (each block at its cheapest valid hub)."""
    s = inst.settings
    for part in partitions(list(range(inst.n))):
        hub_of = [0] * inst.n
        ok = True
        for block in part:
            hubs = [j for j in block if all(inst.reach[i, j] for i in block)]
            if not hubs:
                ok = False
                break
            price = {j: sum(s.travel_weight * inst.cost[i, j] + s.tiebreak_per_km * inst.reach_km[i, j]
                            for i in block) for j in hubs}
            j = min(hubs, key=lambda h: (price[h], h))
            for i in block:
                hub_of[i] = j
        if ok and not inst.violations(hub_of):
            yield hub_of


def valid_indelingen(inst: Instance):
    """(number of SWVs, objective) of every valid partition, each block at its cheapest valid hub."""
    for hub_of in valid_assignments(inst):
        yield len(set(hub_of)), inst.objective_of(hub_of)["objective"]


def brute_force(inst: Instance) -> float | None:
    """Optimal objective over all partitions (None if none is valid)."""
    return min((val for _k, val in valid_indelingen(inst)), default=None)


def random_instance(seed: int, n: int | None = None, **overrides) -> Districting:
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(4, 8))
    pts = rng.uniform(0, 30, size=(n, 2))
    km = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    reach = km + rng.uniform(0, 3, size=n)[:, None]  # a unit's farthest PC4 lies beyond its centre
    pupils = rng.integers(0, 400, size=n).astype(float)
    cost = km * pupils[:, None] + rng.uniform(0, 50, size=n)[:, None]
    edges = set()
    for i in range(n):  # connect each unit to its two nearest others
        for j in np.argsort(km[i])[1:3]:
            edges.add((min(i, int(j)), max(i, int(j))))
    facilities = {t: (rng.random(n) < 0.45).astype(int) for t in TYPES[:2]}
    cur = []
    for i in range(n):
        a = f"po:P{int(rng.integers(0, 2))}"
        b = f"vo:V{int(rng.integers(0, 2))}"
        cur.append({a: float(pupils[i]) * 0.6, b: float(pupils[i]) * 0.4})
    kw = dict(max_km=float(rng.choice([15, 25, INF])), required=TYPES[:2],
              min_pupils=float(rng.choice([0, 300])), max_pupils=float(rng.choice([900, 1500, INF])),
              travel_weight=1.0, disruption_weight=float(rng.choice([0, 3])),
              count_weight=float(rng.choice([0, 500])), threads=1, time_limit_s=30)
    kw.update(overrides)
    codes = [f"U{i}" for i in range(n)]
    d = Districting.from_cost_matrix(cost, pupils=pupils, edges=sorted(edges), facilities=facilities,
                                     reach_km=reach, settings=Settings(**kw), codes=codes, current=cur)
    return d


def assert_matches_brute_force(d: Districting):
    """The solve is optimal at the brute-force optimum, or infeasible where brute force finds no indeling."""
    want = brute_force(d.instance)
    res = d.solve()
    if want is None:
        assert res.status == "infeasible"
        return res
    assert res.status == "optimal", res.message
    assert math.isclose(res.objective, want, rel_tol=1e-6, abs_tol=1e-6), (res.objective, want)
    return res


@pytest.mark.parametrize("seed", range(30))
def test_matches_brute_force(seed):
    d = random_instance(seed)
    want = brute_force(d.instance)
    res = d.solve()
    if want is None:
        assert res.status == "infeasible"
        assert res.message.startswith("region: ")
        assert "; " in res.message  # names a fix
        return
    assert res.status == "optimal", res.message
    hub_of = [d.instance.codes.index(res.assignment[c]) for c in d.instance.codes]
    assert d.instance.violations(hub_of) == []
    assert math.isclose(res.objective, want, rel_tol=1e-6, abs_tol=1e-6), (res.objective, want)
    assert res.gap == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("backend", ["highs", "cbc"])
@pytest.mark.parametrize("seed", range(40, 52))
def test_large_model_variants_match_brute_force(seed, backend, monkeypatch):
    """The variants used on large models (no neighbour cuts up front; with CBC the disaggregated disruption form)
    are exact too."""
    import solvers.districting as dist
    from solvers import constraints

    monkeypatch.setattr(constraints, "AGGREGATED_DISRUPTION_MAX_VARS", 0)
    monkeypatch.setattr(dist, "TRAVEL_START_VARS", 0)
    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)
    d = random_instance(seed, disruption_weight=3.0, backend=backend)
    assert_matches_brute_force(d)


@pytest.mark.parametrize("seed", range(52, 58))
def test_neighbour_cuts_up_front_match_brute_force(seed, monkeypatch):
    """The HiGHS variant of the big-city hybrid models (neighbour separators up front)."""
    from solvers import constraints, highs_direct

    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)
    monkeypatch.setattr(highs_direct, "NEIGHBOUR_CUTS_VARS", (1, 10000))
    d = random_instance(seed, disruption_weight=3.0)
    mod = highs_direct.build(d.instance)
    without = len(mod.rows)
    monkeypatch.setattr(highs_direct, "NEIGHBOUR_CUTS_VARS", (0, 0))
    assert len(highs_direct.build(d.instance).rows) < without  # the neighbour rows are really there
    monkeypatch.setattr(highs_direct, "NEIGHBOUR_CUTS_VARS", (1, 10000))
    assert_matches_brute_force(d)


@pytest.mark.parametrize("seed", range(30, 40))
def test_matches_brute_force_without_contiguity_and_with_target(seed):
    d = random_instance(seed, contiguity=False, target_swvs=2, min_pupils=0.0, max_pupils=INF)
    want = brute_force(d.instance)
    res = d.solve()
    if want is None:
        assert res.status == "infeasible"
        return
    assert res.n_swvs == 2
    assert math.isclose(res.objective, want, rel_tol=1e-6, abs_tol=1e-6)


def _line(n=6, **kw):
    """Units on a line 0..n-1 km apart, a path graph, 100 pupils each."""
    xs = np.arange(n, dtype=float) * 10
    km = np.abs(xs[:, None] - xs[None, :])
    settings = Settings(required=(), threads=1, **kw)
    return km, Districting.from_cost_matrix(km * 100, pupils=np.full(n, 100.0), reach_km=km,
                                            edges=[(i, i + 1) for i in range(n - 1)], settings=settings)


def test_contiguity_needs_separator_rounds():
    # A ring where the cheapest split would be non-contiguous: units 0 and 3 are close (cost) but not adjacent.
    n = 6
    cost = np.full((n, n), 1000.0)
    np.fill_diagonal(cost, 0.0)
    cost[0, 3] = cost[3, 0] = 1.0
    cost[1, 4] = cost[4, 1] = 1.0
    cost[2, 5] = cost[5, 2] = 1.0
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]  # a path: 0 and 3 never touch
    s = Settings(required=(), count_weight=500.0, threads=1)
    d = Districting.from_cost_matrix(cost, edges=edges, settings=s)
    res = d.solve()
    assert res.status == "optimal"
    hub_of = [d.instance.codes.index(res.assignment[c]) for c in d.instance.codes]
    assert d.instance.violations(hub_of) == []
    assert math.isclose(res.objective, brute_force(d.instance))
    # without contiguity the close pairs are merged
    d2 = Districting.from_cost_matrix(cost, edges=edges, settings=Settings(required=(), count_weight=500.0,
                                                                           contiguity=False, threads=1))
    assert d2.solve().n_swvs == 3


def test_locks_pin_together_apart():
    km, d = _line(6, count_weight=10_000.0)
    assert d.solve().n_swvs == 1
    inst = d.instance
    locked = Districting(replace(inst, locks=Locks(apart=((0, 5),))))
    res = locked.solve()
    assert res.status == "optimal" and res.assignment["u000"] != res.assignment["u005"]
    pins = Districting(replace(inst, locks=Locks(pins={1: "A", 2: "B", 4: "B"})))
    res = pins.solve()
    a = res.assignment
    assert a["u002"] == a["u004"] == a["u003"] and a["u001"] != a["u002"]


def test_infeasible_unit_above_max_pupils_is_named():
    km, d = _line(4, max_pupils=50.0)
    res = d.solve()
    assert res.status == "infeasible"
    assert "unit u000 has 100 pupils, above max_pupils 50" in res.message


def test_infeasible_travel_is_explained_by_relaxation():
    # every unit could be its own SWV, but the target of 1 SWV needs a hub within 15 km of 40 km of line
    km, d = _line(5, max_km=15.0, target_swvs=1)
    res = d.solve()
    assert res.status == "infeasible"
    assert "max_km" in res.message and "raise travel.max_km" in res.message


def test_precheck_missing_facility_type():
    km = np.zeros((2, 2))
    d = Districting.from_cost_matrix(km, facilities={"pro": [0, 0]}, settings=Settings(required=("pro",)),
                                     label="JZ99 Testregio")
    res = d.solve()
    assert res.status == "infeasible"
    assert res.message.startswith("JZ99 Testregio: no pro site anywhere in the region")


def test_cbc_backend_gives_the_same_optimum():
    d = random_instance(3)
    want = d.solve()
    cbc = Districting(d.instance.with_settings(backend="cbc")).solve()
    assert cbc.status == want.status
    if want.objective is not None:
        assert math.isclose(cbc.objective, want.objective, rel_tol=1e-6)


def test_deterministic_assignment():
    d = random_instance(7, n=7)
    assert d.solve().assignment == random_instance(7, n=7).solve().assignment


def test_thread_count_may_change_within_one_process():
    # HiGHS's global thread pool: a second run with another thread count must still solve.
    for threads in (1, 2, 1):
        d = random_instance(5, threads=threads)
        assert d.solve().status in ("optimal", "infeasible")


def test_infeasible_after_separator_rounds_is_infeasible_not_a_timeout():
    """Path 0-1-2-3-4-5, sbo at 0 and 1, so at 3, 4 and 5, exactly two SWVs: only a disconnected split ({0, 4, 5},
    {1, 2, 3}) has both types in each, so the first MIP finds it and the separator cut makes the model infeasible.
    That is a proof (the cuts hold for every connected indeling), reported with its explanation at once."""
    xs = np.arange(6, dtype=float) * 10
    km = np.abs(xs[:, None] - xs[None, :])
    fac = {"sbo": np.array([1, 1, 0, 0, 0, 0]), "so": np.array([0, 0, 0, 1, 1, 1])}
    d = Districting.from_cost_matrix(km * 100, pupils=np.full(6, 100.0), reach_km=km, facilities=fac,
                                     edges=[(i, i + 1) for i in range(5)],
                                     settings=Settings(required=("sbo", "so"), target_swvs=2, threads=1))
    res = d.solve()
    # HiGHS: the LP cutting planes already cut the split off, so the first MIP is infeasible
    assert res.status == "infeasible", (res.status, res.iterations, res.message)
    assert "target number of SWVs" in res.message or "contiguity" in res.message
    cbc = Districting(d.instance.with_settings(backend="cbc")).solve()  # CBC: only the integer separator rounds
    assert cbc.status == "infeasible" and cbc.iterations >= 2, (cbc.status, cbc.iterations, cbc.message)
    assert brute_force(d.instance) is None


@pytest.mark.parametrize("seed", [22, 24, 25, 29])
def test_count_range_matches_brute_force(seed):
    """Settings.min_swvs / max_swvs (the national-target search's range solves): the best indeling within the range."""
    wide = dict(required=("sbo",), max_km=INF, min_pupils=0.0, max_pupils=1500.0, count_weight=3000.0)
    d = random_instance(seed, **wide)
    by_count: dict[int, float] = {}
    for part in partitions(list(range(d.instance.n))):
        k = len(part)
        inst = d.instance.with_settings(target_swvs=k)
        if k not in by_count:
            by_count[k] = brute_force(inst) or INF
    valid = sorted(k for k, v in by_count.items() if v < INF)
    for a, b in [(valid[0] + 1, valid[-1]), (valid[0], valid[-1] - 1), (valid[-1], valid[-1])]:
        if a > b:
            continue
        res = Districting(d.instance.with_settings(min_swvs=a, max_swvs=b)).solve()
        want = min(by_count[k] for k in range(a, b + 1))
        assert res.status == "optimal" and a <= res.n_swvs <= b, (a, b, res.status, res.n_swvs)
        assert math.isclose(res.objective, want, rel_tol=1e-6, abs_tol=1e-6)


@pytest.mark.parametrize("seed", range(30))
def test_floor_bound_is_below_every_optimum(seed):
    d = random_instance(seed)
    want = brute_force(d.instance)
    floor = d.instance.floor_bound()
    assert floor >= 0
    if want is not None:
        assert floor <= want + 1e-6, (floor, want)


def test_a_useless_solver_bound_is_replaced_by_the_floor(monkeypatch):
    """A time-out with HiGHS's bound from presolve alone (it can lie far below zero, as seen on PC4 JZ13 with a
    1 s limit in CI: bound -7.2 million, gap 1876 %) must not be reported as such: the floor bound holds."""
    d = random_instance(3, n=7, disruption_weight=3.0)
    real = backend.read_highs

    def weak(h, seconds):
        run = real(h, seconds)
        return backend.RunResult("timeout", run.has_solution, -7.2e6, run.seconds)

    monkeypatch.setattr(backend, "read_highs", weak)
    monkeypatch.setattr(solvers.districting._HighsRounds, "lp_cuts", lambda self, deadline, **kw: None)
    res = d.solve()
    assert res.status == "timeout" and res.objective is not None
    assert res.bound == pytest.approx(d.instance.floor_bound()) and res.bound >= 0
    assert 0 <= res.gap <= 1 and f"gap {res.gap:.2%}" in res.message


def every_valid_assignment(inst: Instance):
    """Every valid indeling with every valid hub per SWV (not only the cheapest)."""
    import itertools

    for part in partitions(list(range(inst.n))):
        for hubs in itertools.product(*part):
            hub_of = [0] * inst.n
            for block, j in zip(part, hubs):
                for i in block:
                    hub_of[i] = j
            if not inst.violations(hub_of):
                yield hub_of


def test_kept_cuts_hold_for_every_valid_indeling_and_keep_the_optimum(monkeypatch):
    """keep_cuts: the separators a solve added are valid rows (every valid indeling, any hub, meets them), and a
    second solve that starts with them reaches the brute-force optimum."""
    from solvers import constraints

    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)  # so the rounds, not the model, hold them
    kept = 0
    for seed in range(40):
        inst = random_instance(seed, n=7).instance
        res = Districting(inst, keep_cuts=True).solve()
        assert Districting(inst).solve().cuts == []  # kept only when asked
        if not res.cuts:
            continue
        kept += len(res.cuts)
        for hub_of in every_valid_assignment(inst):
            for i, j, sep in res.cuts:
                assert hub_of[i] != j or any(hub_of[k] == j for k in sep), (seed, i, j, sep, hub_of)
        again = Districting(inst).solve(cuts=res.cuts)
        assert again.status == "optimal"
        assert math.isclose(again.objective, brute_force(inst), rel_tol=1e-6, abs_tol=1e-6)
    assert kept >= 20  # the instances do need separators


def test_main_model_starts_with_the_travel_only_separators(monkeypatch):
    """On large models with disruption, the travel-only start's separators are the main model's first rows, so
    its MIP rounds do not find the same enclaves again."""
    import solvers.districting as dist
    from solvers import constraints

    monkeypatch.setattr(dist, "TRAVEL_START_VARS", 0)
    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)
    found, first_main_add = [], []
    real_travel, real_add = dist._travel_only_start, dist._HighsRounds.add

    def spy_travel(*a, **kw):
        start, cuts = real_travel(*a, **kw)
        found.append(list(cuts))
        return start, cuts

    def spy_add(self, cuts):
        if self.pool is None and not first_main_add:  # the main model (the travel-only one keeps its cuts)
            first_main_add.append(list(cuts))
        return real_add(self, cuts)

    monkeypatch.setattr(dist, "_travel_only_start", spy_travel)
    monkeypatch.setattr(dist._HighsRounds, "add", spy_add)
    for seed in (9, 18, 27):
        found.clear()
        first_main_add.clear()
        d = random_instance(seed, n=7, disruption_weight=3.0)
        assert_matches_brute_force(d)
        assert found and found[0], seed
        assert first_main_add[0] == list(dict.fromkeys(found[0])), seed


def test_given_cuts_drop_units_that_cannot_join_the_hub():
    """solve(cuts=...): a separator may name units without x[k, j] (a recombination pair's regions are parts of
    the whole region's); they are never in j's SWV, so they leave the row, and a cut whose x[i, j] is absent is
    skipped. Path 0-1-...-5, 10 km apart, max_km 25: x[5, 0] and x[4, 0] do not exist."""
    km, d = _line(6, max_km=25.0, count_weight=300.0)
    want = brute_force(d.instance)
    res = d.solve(cuts=[(2, 0, (1, 5)), (4, 0, (1, 2))])
    assert res.status == "optimal"
    assert math.isclose(res.objective, want, rel_tol=1e-9)


def test_pc4_level_models_count_as_pc4_size_from_fewer_unit_hub_pairs():
    """districting._pc4_size: models with every candidate hub above RESTRICTED_HUBS_VARS x, and models whose units
    are all PC4 areas (the PC4 level) already above PC4_LEVEL_VARS; not gemeente or hybrid models of that size."""
    dist = solvers.districting
    n = 80
    inst = Districting.from_cost_matrix(np.ones((n, n)) - np.eye(n)).instance  # every pair within reach
    pairs = dist._n_pairs(inst)
    assert dist.PC4_LEVEL_VARS < pairs == n * n <= dist.RESTRICTED_HUBS_VARS
    pc4 = replace(inst, kinds=("pc4",) * n)
    assert dist._pc4_size(pc4, pairs)
    assert not dist._pc4_size(pc4, dist.PC4_LEVEL_VARS)
    assert not dist._pc4_size(replace(inst, kinds=("gemeente",) * n), pairs)
    assert not dist._pc4_size(replace(inst, kinds=("pc4",) * (n - 1) + ("gemeente",)), pairs)  # hybrid
    assert not dist._pc4_size(inst, pairs)  # kinds not given
    assert dist._pc4_size(inst, dist.RESTRICTED_HUBS_VARS + 1)
    assert not dist._pc4_size(replace(pc4, hubs=frozenset(range(10))), dist.RESTRICTED_HUBS_VARS + 1)


def test_a_pc4_level_model_of_mid_size_takes_the_pc4_size_path(monkeypatch):
    """solve() asks _pc4_size: a grid of 9 x 9 PC4 areas (6,561 x) runs the site-seeded phase before the LP
    rounds; the same grid of gemeenten does not. Both end at a valid indeling."""
    from tests.test_heuristic import _typed_grid

    dist = solvers.districting
    calls = []
    monkeypatch.setattr(dist, "_seeded", lambda inst, start, seconds: calls.append(inst.n) or start)
    n = 81
    grid = _typed_grid([1] * n, pro=[0, n - 1], so=[0, n - 1], w=9, count_weight=50.0, time_limit_s=3.0).instance
    for kind, runs in (("gemeente", 0), ("pc4", 1)):
        d = Districting(replace(grid, kinds=(kind,) * n))
        res = d.solve()
        assert len(calls) == runs, kind
        assert res.assignment is not None
        assert d.instance.violations(res.hub_indices(d.instance.codes)) == []


def test_which_real_jeugdregios_are_pc4_size(ds):
    """The embedded dataset, default scenario: at PC4 level Achterhoek (JZ25, 8,025 x) and Flevoland (JZ08, 5,228 x)
    take the PC4-size phases, Utrecht Stad (JZ22, 2,209 x) does not; at hybrid level Amsterdam-Amstelland (JZ13,
    8,100 x, PC4s of Amsterdam and whole gemeenten) does not either."""
    from regioindeling.scenario import load_scenario, scenario_from_dict
    from regioindeling.solve import build_tasks
    from regioindeling.units import UnitSet

    dist = solvers.districting
    for level, jz, want in [("pc4", "JZ25", True), ("pc4", "JZ08", True), ("pc4", "JZ22", False),
                            ("hybrid", "JZ13", False)]:
        base = load_scenario().to_dict()
        base["units"]["level"] = level
        sc = scenario_from_dict(base)
        inst = build_tasks(ds, sc, UnitSet.for_scenario(ds, sc), [jz])[0].model.instance
        pairs = dist._n_pairs(inst)
        assert dist.PC4_LEVEL_VARS < pairs <= dist.RESTRICTED_HUBS_VARS or not want, (jz, pairs)
        assert dist._pc4_size(inst, pairs) is want, (level, jz, pairs)



def test_the_hub_fixed_lp_of_a_real_optimum_lies_between_the_free_lp_and_that_optimum(ds):
    """The embedded dataset, default scenario at gemeente level, Zuidoost-Brabant (JZ39): the LP with the proven
    optimum's hubs fixed converges, lies above the free LP (it sees the hubs) and at or below the optimum."""
    from regioindeling.scenario import load_scenario, scenario_from_dict
    from regioindeling.solve import build_tasks
    from regioindeling.units import UnitSet

    base = load_scenario().to_dict()
    base["units"]["level"] = "gemeente"
    sc = scenario_from_dict(base)
    model = build_tasks(ds, sc, UnitSet.for_scenario(ds, sc), ["JZ39"])[0].model
    inst = model.instance
    res = model.solve()
    assert res.status == "optimal", res.message
    hub_of = res.hub_indices(inst.codes)
    fixed = solvers.districting.hub_fixed_lp(inst, set(hub_of), 60.0)
    tol = 1e-6 * res.objective
    assert fixed.converged and fixed.rounds >= 1
    plain = whole_lp(inst)
    assert plain < fixed.bound <= res.objective + tol  # 800.7k < 820.2k = the optimum (data d8795e3b8f)

def _phase_spies(monkeypatch):
    """Records the restricted-hub searches and branch-and-bound runs of main models (hubs not restricted)."""
    dist = solvers.districting
    seen = {"restricted": 0, "runs": 0}
    real_search, real_run = dist._restricted_search, dist._HighsRounds.run

    def search(inst, *a, **kw):
        seen["restricted"] += 1
        return real_search(inst, *a, **kw)

    def run(self, *a, **kw):
        if self.inst.hubs is None and "travel" not in self.inst.label:
            seen["runs"] += 1
        return real_run(self, *a, **kw)

    monkeypatch.setattr(dist, "_restricted_search", search)
    monkeypatch.setattr(dist._HighsRounds, "run", run)
    return seen


def _pc4_path_instances(monkeypatch, **kw):
    """16 tiny instances solved on the PC4-size path, each with the phase spies reset: (instance, spies)."""
    monkeypatch.setattr(solvers.districting, "RESTRICTED_HUBS_VARS", 0)
    # the phases after the LP rounds are counted here; the site-seeded phase before them has its own restricted solves
    monkeypatch.setattr(solvers.districting, "_seeded", lambda inst, start, seconds: start)
    seen = _phase_spies(monkeypatch)
    for seed in range(16):
        seen.update(restricted=0, runs=0)
        yield random_instance(seed, n=7, disruption_weight=3.0, **kw), seen


def test_a_start_the_lp_bound_proves_ends_the_solve(monkeypatch):
    """PC4-size path: once the LP rounds' bound proves the start (within HiGHS's 0.01 %), no restricted-hub search,
    recombination or branch-and-bound follows, and the result is the optimum, called optimal. Where it does not,
    the search goes on and still ends at the optimum."""
    dist = solvers.districting
    ended = 0
    for d, seen in _pc4_path_instances(monkeypatch):
        res = assert_matches_brute_force(d)
        if res.status == "infeasible":
            continue
        if not seen["restricted"] and not seen["runs"]:
            ended += 1
            assert res.iterations == 0 and res.objective - res.bound <= dist.OPTIMAL_GAP * res.objective
    assert ended >= 3, ended


def test_a_start_within_the_scenario_gap_ends_the_solve_as_feasible(monkeypatch):
    """With a scenario gap of 30 %, a start the LP bound puts within it ends the solve: called optimal only when
    the bound proves it, and the bound stays below the true optimum."""
    dist = solvers.districting
    ended = 0
    for d, seen in _pc4_path_instances(monkeypatch, gap=0.3):
        want = brute_force(d.instance)
        res = d.solve()
        if want is None:
            assert res.status == "infeasible"
            continue
        assert res.bound <= want + 1e-6 <= res.objective + 1e-6
        assert res.objective - res.bound <= 0.3 * res.objective + 1e-6
        assert (res.status == "optimal") == (res.gap <= dist.OPTIMAL_GAP), (res.status, res.gap)
        ended += not seen["restricted"] and not seen["runs"]
    assert ended >= 8, ended


def test_the_restricted_search_stops_within_the_gap_of_a_given_bound(monkeypatch):
    """_restricted_search(bound=...): no restricted solve once the start is within the scenario's gap of the bound,
    and one as before without a bound."""
    dist = solvers.districting
    d = random_instance(3, n=7, disruption_weight=3.0)
    inst = d.instance
    start = min(valid_assignments(inst), key=lambda h: (inst.objective_of(h)["objective"], h))
    calls = []
    monkeypatch.setattr(dist, "_restricted_hubs", lambda *a, **kw: calls.append(1))
    obj = inst.objective_of(start)["objective"]
    deadline = time.perf_counter() + 10
    assert dist._restricted_search(inst, set(start), start, deadline, True, bound=obj * (1 - 1e-5)) == start
    assert not calls
    dist._restricted_search(inst, set(start), start, deadline, False, bound=obj * 0.9)
    assert calls == [1]


def test_the_restricted_search_widens_to_the_p_median_hubs_before_the_nearest_units(monkeypatch):
    """After the first restricted solve, the candidates also hold the hubs of the p-median with the start's count
    (once), and only after a solve that did not improve the k nearest units of each start hub (k = 1, 3, ...)."""
    dist = solvers.districting
    inst = random_instance(5, n=30, max_km=INF, min_pupils=0.0, max_pupils=INF).instance
    start = [0] * 15 + [29] * 15  # two SWVs, hubs 0 and 29
    median = {3, 8}
    asked = []
    monkeypatch.setattr(dist.pmedian, "p_median_hubs", lambda inst, p: asked.append(p) or sorted(median))
    calls = []
    monkeypatch.setattr(dist, "_restricted_hubs", lambda inst, hubs, *a, **kw: calls.append(set(hubs)))
    dist._restricted_search(inst, {5}, start, time.perf_counter() + 10, True)
    near = set().union(*(np.argsort(inst.reach_km[:, h], kind="stable")[:2].tolist() for h in (0, 29)))
    assert calls[0] == {0, 5, 29}
    assert calls[1] == {0, 5, 29} | median
    assert calls[2] == {0, 5, 29} | median | near
    # the p-median adds nothing new: the next solve widens by the nearest units at once
    median = {0, 29}
    calls.clear()
    dist._restricted_search(inst, {5}, start, time.perf_counter() + 10, True)
    assert calls[:2] == [{0, 5, 29}, {0, 5, 29} | near]
    assert asked == [2, 2]  # once per search, with the start's count
    # after an improving first solve: the p-median with the new start's count, and no nearest units yet
    median = {3, 8}
    calls.clear()
    asked.clear()
    better = iter([[0] * 30])
    monkeypatch.setattr(dist, "_restricted_hubs", lambda inst, hubs, *a, **kw: calls.append(set(hubs)) or next(
        better, None))
    monkeypatch.setattr(type(inst), "objective_of", lambda self, h: {"objective": float(len(set(h)))})
    assert dist._restricted_search(inst, {5}, start, time.perf_counter() + 10, True) == [0] * 30
    assert calls[:2] == [{0, 5, 29}, {0, 3, 5, 8}] and asked == [1]
    # ... and where that p-median adds nothing, the next solve is around the improved start's own hubs alone
    median = {0}
    calls.clear()
    better = iter([[0] * 30])
    assert dist._restricted_search(inst, {5}, start, time.perf_counter() + 10, True) == [0] * 30
    assert calls[:2] == [{0, 5, 29}, {0, 5}]


def test_a_count_bound_that_proves_the_start_skips_branch_and_bound(monkeypatch):
    """The count bound joins the bound after the LP rounds, and HiGHS does not know it: when it puts the start within
    the gap, no branch-and-bound runs (it would run to the time limit for a gap already met). Here the count bound
    is the brute-force optimum itself (a valid bound), so the solve ends at once, optimal."""
    dist = solvers.districting
    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "_restricted_search", lambda inst, hubs, start, *a, **kw: start)
    monkeypatch.setattr(dist, "_recombined", lambda inst, start, *a, **kw: start)
    seen = _phase_spies(monkeypatch)
    checked = 0
    for seed in range(16):
        d = random_instance(seed, n=7, disruption_weight=3.0)
        inst = d.instance
        best = min(valid_assignments(inst), key=lambda h: (inst.objective_of(h)["objective"], h), default=None)
        if best is None:
            continue
        want = inst.objective_of(best)["objective"]
        monkeypatch.setattr(dist.heuristic, "warm_start", lambda inst, start=None, _b=best: list(_b))

        def weak_lp(self, deadline, pricing=None, _w=want):  # a valid LP bound 20 % below: not within the gap
            self.lp_bound = _w - 0.2 * abs(_w)
            return self.lp_bound

        monkeypatch.setattr(dist._HighsRounds, "lp_cuts", weak_lp)
        monkeypatch.setattr(dist._HighsRounds, "count_bound", lambda self, deadline, _w=want: _w)
        seen.update(restricted=0, runs=0)
        res = d.solve()
        assert res.status == "optimal" and math.isclose(res.objective, want, rel_tol=1e-9), (seed, res.status)
        assert seen["runs"] == 0, seed
        checked += 1
    assert checked >= 8, checked


# ------------------------------------------------------------------------------ phase lengths


def test_a_phase_gets_its_share_of_a_long_limit_and_its_minimum_of_a_short_one(monkeypatch):
    D = solvers.districting
    monkeypatch.setattr(D, "PHASE_MAX_SHARE", 0.5)
    now = time.perf_counter()
    # long limit: the share (the minimum is below it)
    assert D._phase(120.0, 0.25, 6.0, now) == pytest.approx(30.0, abs=0.01)
    # short limit: the minimum, or PHASE_MAX_SHARE of the limit if that is less
    assert D._phase(12.0, 0.25, 6.0, now) == pytest.approx(6.0, abs=0.01)
    assert D._phase(8.0, 0.25, 6.0, now) == pytest.approx(4.0, abs=0.01)
    # never past the limit: 10 of 12 s gone leaves 2
    assert D._phase(12.0, 0.25, 6.0, now - 10.0) == pytest.approx(2.0, abs=0.01)
    assert D._phase(12.0, 0.25, 6.0, now - 20.0) == 0.0
    assert D._left(12.0, now - 20.0) == 0.0


def _pre_lp_spies(monkeypatch, seeded_sleeps: bool):
    """The seconds the seeded, start-recombination and travel-only phases get on the PC4-size path."""
    D = solvers.districting
    got: dict[str, float] = {}

    def seeded(inst, start, seconds):
        got["seeded"] = seconds
        if seeded_sleeps:
            time.sleep(seconds)
        return start

    def recombined(inst, start, seconds, cuts=()):
        got.setdefault("recombined", seconds)
        return start

    def travel(inst, seconds, start=None):
        got["travel"] = seconds
        return start, []

    monkeypatch.setattr(D, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(D, "PC4_LEVEL_VARS", 0)
    monkeypatch.setattr(D, "TRAVEL_START_VARS", 0)
    monkeypatch.setattr(D, "_seeded", seeded)
    monkeypatch.setattr(D, "_recombined", recombined)
    monkeypatch.setattr(D, "_travel_only_start", travel)
    return got


def test_the_phases_before_the_lp_rounds_leave_those_their_least_time(monkeypatch):
    """With a long limit the seeded, recombination and travel-only phases get their shares; with a short one they
    end where the LP rounds still have LP_CUT_MIN_S (or PHASE_MAX_SHARE of the limit), and a travel-only start
    with less than TRAVEL_START_LEAST_S is skipped."""
    D = solvers.districting
    got = _pre_lp_spies(monkeypatch, seeded_sleeps=False)
    d = random_instance(3, n=7, disruption_weight=3.0, time_limit_s=120.0)
    d.solve()
    assert got["seeded"] == pytest.approx(120.0 * D.SEEDED_SHARE, abs=0.5)
    assert got["recombined"] == pytest.approx(120.0 * D.RECOMBINE_START_SHARE, abs=0.5)
    assert got["travel"] == pytest.approx(120.0 * D.TRAVEL_START_SHARE, abs=0.5)
    # 3 s: the LP rounds keep 1.5 s; the seeded phase takes its 1.5 s of the rest, and nothing is left before them
    got = _pre_lp_spies(monkeypatch, seeded_sleeps=True)
    d = random_instance(3, n=7, disruption_weight=3.0, time_limit_s=3.0)
    d.solve()
    assert 1.3 <= got["seeded"] <= 1.5
    assert got["recombined"] <= 0.2
    assert "travel" not in got
    # 10 s: the LP rounds keep 5 s; the seeded phase takes its 4 s, and the travel-only start the 1 s left
    monkeypatch.setattr(D, "TRAVEL_START_LEAST_S", 0.5)
    got = _pre_lp_spies(monkeypatch, seeded_sleeps=True)
    d = random_instance(3, n=7, disruption_weight=3.0, time_limit_s=10.0)
    d.solve()
    assert got["seeded"] == pytest.approx(4.0, abs=0.1)
    assert 0.5 <= got["travel"] <= 1.0 + 1e-6


def _best_per_hub_set(inst: Instance) -> dict[frozenset[int], float]:
    """The cheapest valid indeling (of those :func:`valid_assignments` yields) for each set of hubs."""
    best: dict[frozenset[int], float] = {}
    for hub_of in valid_assignments(inst):
        hubs = frozenset(hub_of)
        best[hubs] = min(best.get(hubs, INF), inst.objective_of(hub_of)["objective"])
    return best


def whole_lp(inst: Instance) -> float | None:
    """The model's LP relaxation, no cut rounds (None if it is not solved to optimality)."""
    rounds = solvers.districting._HighsRounds(inst)
    with rounds.relaxation():
        return rounds.lp_bound if rounds.lp_solve(math.inf) else None


def test_the_hub_fixed_lp_lies_between_the_free_lp_and_every_indeling_with_those_hubs():
    """hub_fixed_lp(H) bounds every valid indeling whose hubs are H (its rounds only add valid rows to the LP with
    H open and the rest closed), and lies above the free LP, strictly for some hub sets: it sees the hubs."""
    lifted = 0
    for seed in range(10):
        inst = random_instance(seed, n=6, contiguity=True).instance
        best = _best_per_hub_set(inst)
        if not best:
            continue
        plain = whole_lp(inst)
        assert plain is not None
        for hubs, want in best.items():
            res = solvers.districting.hub_fixed_lp(inst, set(hubs), 30.0)
            tol = 1e-6 * max(1.0, abs(want))
            assert res.converged and res.bound is not None, (seed, hubs)
            assert plain - tol <= res.bound <= want + tol, (seed, sorted(hubs), plain, res.bound, want)
            lifted += res.bound > plain + 1e-3 * max(1.0, abs(plain))
    assert lifted > 0


def test_the_hub_fixed_lp_of_hubs_no_indeling_can_have_is_none():
    """Hubs that cannot hold the units between them (one hub, max_pupils below the total), and a unit that cannot
    serve itself (beyond max_km of its own farthest PC4), give no bound."""
    inst = random_instance(3, n=5, max_pupils=300.0, min_pupils=0.0, max_km=INF).instance
    assert inst.pupils.sum() > 300
    assert solvers.districting.hub_fixed_lp(inst, {0}, 10.0).bound is None
    far = inst.with_settings(max_km=float(inst.reach_km[1, 1]) - 0.5)
    res = solvers.districting.hub_fixed_lp(far, {1}, 10.0)
    assert res == solvers.districting.HubFixedLP(None, 0, False)


def test_the_hub_fixed_lp_is_exact_where_every_unit_simply_joins_its_cheapest_given_hub():
    """No contiguity, facilities, sizes or disruption: with the hubs fixed the LP is integral, every hub serves
    itself and every other unit its cheapest hub of the set, counted with the SWV weight per hub; neither a
    closed hub of the set (the count weight would close some) nor a hub outside it can lower it."""
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 20, size=(6, 2))
    km = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    cost = km * rng.integers(50, 300, size=6)[:, None]
    cases = [(w, hubs) for w in (300.0, 5000.0) for hubs in ({0}, {2, 5}, {0, 1, 4}, {1, 2, 3, 4})]
    for count_weight, hubs in cases:
        settings = Settings(required=(), contiguity=False, disruption_weight=0.0, count_weight=count_weight,
                            threads=1)
        inst = Districting.from_cost_matrix(cost, reach_km=km, settings=settings).instance
        hub_of = [i if i in hubs else min(hubs, key=lambda j: (cost[i, j] + 0.01 * km[i, j], j)) for i in range(6)]
        res = solvers.districting.hub_fixed_lp(inst, hubs, 10.0)
        assert res.converged
        assert res.bound == pytest.approx(inst.objective_of(hub_of)["objective"], rel=1e-9, abs=1e-6), \
            (count_weight, hubs)


def test_hub_fixed_lp_rounds_cut_short_are_not_converged(monkeypatch):
    """One cut round where the LP needs more: a valid bound, reported as not converged."""
    cases = [(seed, hubs) for seed in range(10)
             for hubs in _best_per_hub_set(random_instance(seed, n=6, contiguity=True).instance)]
    full = {case: solvers.districting.hub_fixed_lp(random_instance(case[0], n=6, contiguity=True).instance,
                                                   set(case[1]), 30.0) for case in cases}
    seed, hubs = next(case for case, res in full.items() if res.rounds > 1)
    rounds_cls = solvers.districting._HighsRounds

    def one_round(self, deadline, pricing=None):
        with self.relaxation():
            if not self.lp_solve(deadline):
                return None
            self.add_lp_rows(*self.lp_separate())
        return self.lp_bound

    monkeypatch.setattr(rounds_cls, "lp_cuts", one_round)
    res = solvers.districting.hub_fixed_lp(random_instance(seed, n=6, contiguity=True).instance, set(hubs), 30.0)
    assert res.bound is not None and res.bound <= full[seed, hubs].bound + 1e-6
    assert not res.converged and full[seed, hubs].converged
