"""Contiguity separators (solvers.separation) and the direct HiGHS model (solvers.highs_direct)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers import Districting, Settings, highs_direct, separation
from solvers.instance import INF, components
from tests.test_solvers import assert_matches_brute_force, brute_force, random_instance, valid_assignments


def _path(n: int) -> Districting:
    xs = np.arange(n, dtype=float) * 10
    km = np.abs(xs[:, None] - xs[None, :])
    return Districting.from_cost_matrix(km * 100, pupils=np.full(n, 100.0), reach_km=km,
                                        edges=[(i, i + 1) for i in range(n - 1)],
                                        settings=Settings(required=(), threads=1))


def _separates(inst, i: int, j: int, cut) -> bool:
    """True if removing ``cut`` disconnects i from j inside j's region."""
    allowed = set(inst.hub_region[j]) - set(cut)
    return not any(i in c and j in c for c in components(allowed, inst.neighbours))


def _random_point(inst, seed: int) -> dict[tuple[int, int], float]:
    """A random LP-like point: about half the x[i, j] of every region at a random value."""
    rng = np.random.default_rng(seed)
    xval = {}
    for j, region in inst.hub_region.items():
        for i in region:
            xval[i, j] = float(rng.random()) if rng.random() < 0.5 else 0.0
    return xval


def test_fractional_finds_the_min_vertex_cut_on_a_path():
    inst = _path(5).instance
    # unit 4 half in hub 0's SWV, but units 2 and 3 only a little: the separator {2} (or {3}) is violated
    xval = {(0, 0): 1.0, (4, 0): 0.5, (1, 0): 1.0, (2, 0): 0.1, (3, 0): 0.3}
    cuts = separation.fractional(inst, xval)
    assert (4, 0, (2,)) in cuts
    for i, j, cut in cuts:
        assert _separates(inst, i, j, cut)
        assert xval[i, j] > sum(xval.get((k, j), 0.0) for k in cut)  # each returned cut is violated


def _random_graph(rng, n: int, p: float):
    nb = [set() for _ in range(n)]
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < p:
                nb[a].add(b)
                nb[b].add(a)
    return tuple(tuple(sorted(x)) for x in nb)


def _reachable(nb, region, s: int, targets: set[int], removed: set[int]) -> bool:
    seen, stack = {s}, [s]
    while stack:
        u = stack.pop()
        if u in targets:
            return True
        for w in nb[u]:
            if w in region and w not in removed and w not in seen:
                seen.add(w)
                stack.append(w)
    return False


@pytest.mark.parametrize("seed", range(60))
def test_min_vertex_cut_equals_the_cheapest_separator_by_enumeration(seed):
    """The max flow equals the least capacity of a vertex set separating s from the targets (every subset
    tried), and the boundary of the returned side is such a set; with ``cut_targets`` targets may be in it."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 13))
    nb = _random_graph(rng, n, float(rng.uniform(0.2, 0.6)))
    region = frozenset(range(n)) - ({int(rng.integers(1, n))} if seed % 3 == 0 else set())
    s = 0
    targets = {int(t) for t in rng.choice(np.arange(1, n), size=int(rng.integers(1, 3)), replace=False)
               if int(t) in region}
    if not targets:
        return
    cap = {k: float(rng.choice([0.0, 0.1, 0.25, 0.5, 1.0])) for k in region}
    cut_targets = bool(seed % 2)
    allowed = [k for k in sorted(region) if k != s and (cut_targets or k not in targets)]
    best = math.inf
    for mask in range(1 << len(allowed)):
        removed = {k for b, k in enumerate(allowed) if mask >> b & 1}
        if not _reachable(nb, region, s, targets, removed):
            best = min(best, sum(cap[k] for k in removed))
    flow, side = separation._min_vertex_cut(nb, region, cap, s, targets, math.inf, cut_targets=cut_targets)
    if best == math.inf:  # a target next to s (and not cuttable): no separator, the flow is unbounded
        assert flow >= 1e8
        return
    assert flow == pytest.approx(best, abs=1e-9)
    cut = set(separation._boundary(nb, region, side))
    assert s in side and not (side & targets)
    assert not _reachable(nb, region, s, targets, cut)
    assert sum(cap[k] for k in cut) == pytest.approx(best, abs=1e-9)
    # the cut nearest the targets (back=True) is a minimum separator too
    flow_b, side_b, back = separation._min_vertex_cut(nb, region, cap, s, targets, math.inf, cut_targets=cut_targets,
                                                      back=True)
    assert flow_b == flow and side_b == side
    assert not _reachable(nb, region, s, targets, back) and s not in back
    assert sum(cap[k] for k in back) == pytest.approx(best, abs=1e-9)
    assert cut_targets or not back & targets
    # stopped at a limit below the max flow: at least that much flow, never more than the max flow
    part, _side = separation._min_vertex_cut(nb, region, cap, s, targets, best / 2, cut_targets=cut_targets)
    assert best / 2 - 1e-12 <= part <= best + 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_widest_path_is_the_largest_bottleneck(seed):
    """wide[u] >= t exactly when u is reachable from s through units (not counting u) of capacity >= t."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 14))
    nb = _random_graph(rng, n, float(rng.uniform(0.15, 0.5)))
    region = frozenset(range(n)) - ({int(rng.integers(1, n))} if seed % 3 == 0 else set())
    cap = {k: float(rng.choice([0.0, 0.1, 0.25, 0.5, 1.0])) for k in region}
    wide = separation._widest(nb, region, cap, 0)
    for t in sorted(set(cap.values()) | {math.inf}):
        low = {k for k in region if k != 0 and cap[k] < t}
        for u in sorted(region):
            # u itself may be "low": it is the path's end, so its own capacity does not count
            reach = u == 0 or _reachable(nb, region, 0, {u}, low - {u})
            assert (wide.get(u, -1.0) >= t) == reach, (t, u, wide)


@pytest.mark.parametrize("back", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_fractional_misses_no_violated_separator(seed, back):
    """Every (i, j) whose min vertex cut lies below x[i, j] gets a row (the widest-path screen skips only pairs
    that one path already serves), and the rows equal those of max-flows for every pair."""
    inst = random_instance(seed, n=10).instance
    xval = _random_point(inst, seed + 100)
    nb, tol = inst.neighbours, 1e-3
    cuts = separation.fractional(inst, xval, back=back)
    got = {(i, j) for i, j, _c in cuts}
    for i, j, cut in cuts:
        assert _separates(inst, i, j, cut) and xval[i, j] > sum(xval.get((k, j), 0.0) for k in cut) + tol
    for (i, j), v in sorted(xval.items()):
        if i == j or v <= tol or j in nb[i]:
            continue
        cap = {k: max(0.0, xval.get((k, j), 0.0)) for k in inst.hub_region[j]}
        flow, _side = separation._min_vertex_cut(nb, inst.hub_region[j], cap, i, {j}, math.inf)
        assert (flow < v - tol) == ((i, j) in got), (i, j, flow, v)
    for j in sorted(j for (i, j), v in xval.items() if i == j and v > tol):
        region = inst.hub_region[j]
        cap = {k: max(0.0, xval.get((k, j), 0.0)) for k in region}
        short = False
        for t in inst.required_types():
            sinks = {f for f in region if inst.facilities[t][f] > 0}
            if inst.facilities[t][j] == 0 and sinks:
                flow, _side = separation._min_vertex_cut(nb, region, cap, j, sinks, math.inf, cut_targets=True)
                short |= flow < xval[j, j] - tol
        assert short == any(c[0] == c[1] == j for c in separation.facility_paths(inst, xval, back=back)), j


def test_fractional_adds_the_cut_nearest_the_hub_too():
    """Units 2 and 3 both at 0.1 between unit 4 and hub 0: the rows on {3} (next to i) and on {2} (next to j)."""
    inst = _path(5).instance
    xval = {(0, 0): 1.0, (1, 0): 1.0, (2, 0): 0.1, (3, 0): 0.1, (4, 0): 0.5}
    rows = sorted(c for c in separation.fractional(inst, xval, back=True) if c[0] == 4)
    assert rows == [(4, 0, (2,)), (4, 0, (3,))]
    assert [c for c in separation.fractional(inst, xval) if c[0] == 4] == [(4, 0, (3,))]  # nearest i only


def test_fractional_rows_leave_out_pockets_off_every_path():
    """A dead-end unit at 0 next to i's side is saturated too, so it lies on the max-flow's boundary; it is on no
    i-j path, so the row leaves it out (a row with fewer units is stronger)."""
    # path 0 - 1 - 2 - 3 - 4 (hub 0), and unit 5 hanging off unit 3 only
    n = 6
    xs = np.array([0, 10, 20, 30, 40, 30], dtype=float)
    ys = np.array([0, 0, 0, 0, 0, 10], dtype=float)
    km = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    inst = Districting.from_cost_matrix(km * 100, pupils=np.full(n, 100.0), reach_km=km,
                                        edges=[(0, 1), (1, 2), (2, 3), (3, 4), (3, 5)],
                                        settings=Settings(required=(), threads=1)).instance
    xval = {(0, 0): 1.0, (1, 0): 1.0, (2, 0): 0.1, (3, 0): 0.6, (4, 0): 0.6, (5, 0): 0.0}
    cuts = [c for c in separation.fractional(inst, xval) if c[0] == 4]
    assert cuts == [(4, 0, (2,))]  # nearest i and nearest j alike
    flow, side = separation._min_vertex_cut(inst.neighbours, inst.hub_region[0],
                                            {k: xval.get((k, 0), 0.0) for k in range(n)}, 4, {0}, math.inf)
    # the max-flow's boundary holds the pocket: unit 5 (capacity 0) is saturated next to i's side
    assert set(separation._boundary(inst.neighbours, inst.hub_region[0], side)) == {2, 5}


@pytest.mark.parametrize("seed", range(40))
def test_minimal_keeps_a_minimal_separator(seed):
    """_minimal returns a subset of a separator that still separates, and from which no unit can be dropped."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 14))
    nb = _random_graph(rng, n, float(rng.uniform(0.2, 0.5)))
    region = frozenset(range(n))
    targets = {int(t) for t in rng.choice(np.arange(1, n), size=int(rng.integers(1, 3)), replace=False)}
    cut = {k for k in range(1, n) if k not in targets and rng.random() < 0.5} | \
          {t for t in targets if rng.random() < 0.3}
    if _reachable(nb, region, 0, targets, cut):
        return  # not a separator to start with
    small = set(separation._minimal(nb, region, tuple(sorted(cut)), 0, targets))
    assert small <= cut
    assert not _reachable(nb, region, 0, targets, small)
    for k in small:
        assert _reachable(nb, region, 0, targets, small - {k}), (cut, small, k)


def test_fractional_finds_nothing_when_the_point_is_connected():
    inst = _path(4).instance
    xval = {(0, 0): 1.0, (1, 0): 0.6, (2, 0): 0.6, (3, 0): 0.5}
    assert separation.fractional(inst, xval) == []


@pytest.mark.parametrize("seed", range(8))
def test_fractional_cuts_are_valid_separators(seed):
    inst = random_instance(seed, n=9).instance
    xval = _random_point(inst, seed)
    for i, j, cut in separation.fractional(inst, xval):
        assert i != j and _separates(inst, i, j, cut), (i, j, cut)


def _path_with_sites(n: int, sites: dict[str, list[int]]) -> Districting:
    xs = np.arange(n, dtype=float) * 10
    km = np.abs(xs[:, None] - xs[None, :])
    fac = {t: np.isin(np.arange(n), units).astype(int) for t, units in sites.items()}
    return Districting.from_cost_matrix(km * 100, pupils=np.full(n, 100.0), reach_km=km, facilities=fac,
                                        edges=[(i, i + 1) for i in range(n - 1)],
                                        settings=Settings(required=tuple(sites), threads=1))


def test_facility_paths_cut_a_hub_off_from_its_borrowed_site():
    """Hub 0 has no sbo; the only sbo is unit 4. The LP point gives hub 0 all of unit 4 but only 0.2 of unit 2:
    the SWV cannot reach its site, so x[0, 0] <= x[2, 0] (or the {3} cut) is violated."""
    inst = _path_with_sites(5, {"sbo": [4]}).instance
    xval = {(0, 0): 1.0, (1, 0): 1.0, (2, 0): 0.2, (3, 0): 0.5, (4, 0): 1.0}
    cuts = separation.facility_paths(inst, xval)
    assert cuts == [(0, 0, (2,))]
    connected = {(0, 0): 1.0, (1, 0): 1.0, (2, 0): 1.0, (3, 0): 1.0, (4, 0): 1.0}
    assert separation.facility_paths(inst, connected) == []
    assert separation.facility_paths(_path_with_sites(5, {"sbo": [0]}).instance, xval) == []  # own site


def test_facility_paths_may_cut_through_the_site_itself():
    """Two sbo units (3, 4) behind unit 2: the site units are part of the minimum cut when that is cheaper."""
    inst = _path_with_sites(5, {"sbo": [3, 4]}).instance
    xval = {(0, 0): 1.0, (1, 0): 1.0, (2, 0): 0.9, (3, 0): 0.3, (4, 0): 0.3}
    (cut,) = separation.facility_paths(inst, xval)
    assert cut == (0, 0, (3,)) and sum(xval[k, 0] for k in cut[2]) < xval[0, 0]


@pytest.mark.parametrize("back", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_facility_path_cuts_separate_the_hub_from_every_site(seed, back):
    inst = random_instance(seed, n=9).instance
    xval = _random_point(inst, seed)
    for i, j, cut in separation.facility_paths(inst, xval, back=back):
        assert i == j and xval[j, j] > sum(xval.get((k, j), 0.0) for k in cut) + 1e-3
        lacking = [t for t in inst.required_types() if inst.facilities[t][j] == 0]
        # C must separate j from every site of at least one lacking type (then every connected SWV crosses C)
        assert any(all(_separates(inst, f, j, cut) or f in cut for f in inst.hub_region[j]
                       if inst.facilities[t][f] > 0) for t in lacking), (j, cut)


def test_integral_cuts_the_enclave_off():
    inst = _path(5).instance
    hub_of = [0, 0, 2, 2, 0]  # unit 4 is an enclave of hub 0's SWV
    cuts = separation.integral(inst, lambda i, j: (i, j) in {(i, j) for j, r in inst.hub_region.items() for i in r},
                               hub_of)
    assert (4, 0, (3,)) in cuts  # minimal separator next to the enclave... on a path, unit 3
    for i, j, cut in cuts:
        assert _separates(inst, i, j, cut)


@pytest.mark.parametrize("seed", range(6))
def test_direct_model_lp_equals_pulp_lp(seed):
    """The highspy model and the PuLP model are the same LP (same optimum of the relaxation)."""
    import highspy
    import pulp

    from solvers import constraints

    inst = random_instance(seed, disruption_weight=3.0).instance
    prob, v = constraints.build(inst)
    for var in prob.variables():
        var.cat = pulp.LpContinuous
    prob.solve(pulp.HiGHS(msg=False))
    h = highs_direct.to_highs(highs_direct.build(inst), 1, 0)
    h.setOptionValue("solve_relaxation", True)
    h.run()
    assert (prob.status == pulp.LpStatusOptimal) == (h.getModelStatus() == highspy.HighsModelStatus.kOptimal)
    if prob.status != pulp.LpStatusOptimal:
        return
    want = pulp.value(prob.objective) + inst.settings.disruption_weight * v.disruption_total
    assert math.isclose(h.getInfo().objective_function_value, want, rel_tol=1e-7, abs_tol=1e-6)


@pytest.mark.parametrize("seed", range(60, 66))
def test_reduced_cost_fixing_and_travel_start_keep_the_optimum(seed, monkeypatch):
    """Large-model path (travel-only start, LP cutting planes, reduced-cost fixing) on tiny instances."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "TRAVEL_START_VARS", 0)
    d = random_instance(seed, disruption_weight=3.0, min_pupils=0.0)
    res = assert_matches_brute_force(d)
    if res.status == "optimal":
        assert res.bound is not None and res.bound <= res.objective + 1e-6


def test_a_time_out_reports_bound_and_gap():
    d = random_instance(11, n=40, time_limit_s=0.5, disruption_weight=3.0, max_km=float("inf"),
                        min_pupils=0.0, max_pupils=float("inf"), count_weight=0.0)
    res = d.solve()
    assert res.status in ("optimal", "feasible", "timeout")
    assert res.bound is not None and res.gap is not None
    assert res.bound <= res.objective + 1e-6


@pytest.mark.parametrize("seed", range(70, 78))
def test_restricted_hub_step_keeps_the_optimum(seed, monkeypatch):
    """The restricted-hub solve before branch-and-bound (PC4-size models) only improves the start."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    d = random_instance(seed, disruption_weight=3.0)
    assert_matches_brute_force(d)


def test_restricted_hub_solves_start_with_the_full_models_separators(monkeypatch):
    """The restricted-hub solves get the separators the full model's rounds added (on their hubs), so they do not
    find them again; the optimum stays."""
    import solvers.districting as dist
    from solvers import constraints

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(constraints, "NEIGHBOUR_CUTS_MAX_VARS", 0)
    monkeypatch.setattr(dist, "_within", lambda *a: False)  # the step also where the LP proves the start
    given = []
    real = Districting.solve

    def spy(self, warm_start=None, cuts=()):
        if self.instance.hubs is not None and "recombination" not in self.instance.label:
            given.append(list(cuts))
        return real(self, warm_start, cuts)

    monkeypatch.setattr(Districting, "solve", spy)
    with_cuts = 0
    for seed in (9, 18, 27, 70, 71, 72):
        given.clear()
        d = random_instance(seed, n=7, disruption_weight=3.0)
        assert_matches_brute_force(d)
        with_cuts += any(given)
        for cuts in given:  # separators of the full model hold for every valid indeling
            for hub_of in valid_assignments(d.instance):
                assert all(hub_of[i] != j or any(hub_of[k] == j for k in sep) for i, j, sep in cuts)
    assert with_cuts >= 2


def test_restricted_hub_step_gets_its_minimum_time_after_late_phases(monkeypatch):
    """When the phases before it overrun the restricted-hub step's share (PC4 Zeeland: recombination, the
    travel-only start and the LP rounds took 53 of 120 s, against a share ending at 30 s), it still gets
    RESTRICTED_MIN_SHARE of the time limit instead of none."""
    import time

    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "RESTRICTED_HUBS_SHARE", 0.0)  # its share is over before the LP rounds end
    monkeypatch.setattr(dist, "_within", lambda *a: False)  # the step also where the LP proves the start
    seen = []
    real = dist._restricted_search

    def spy(inst, hubs, start, deadline, repeat, cuts=(), bound=None):
        seen.append(deadline - time.perf_counter())
        return real(inst, hubs, start, deadline, repeat, cuts)

    monkeypatch.setattr(dist, "_restricted_search", spy)
    d = random_instance(72, disruption_weight=3.0, time_limit_s=20.0)
    assert_matches_brute_force(d)
    assert seen and seen[0] >= 20.0 * dist.RESTRICTED_MIN_SHARE - 0.05


def test_lp_count_whole_only_at_a_whole_lp_count_with_a_start():
    """The restricted-hub search starts from the LP's hubs alone only when the LP settles on a whole number of SWVs
    (PC4 JZ39: LP 7.00 hubs)."""
    import time

    import solvers.districting as dist

    d = random_instance(72, disruption_weight=3.0)
    rounds = dist._HighsRounds(d.instance)
    two = [0, 0, 0, 1, 1, 1, 1][:d.instance.n]
    three = [0, 1, 2] + [2] * (d.instance.n - 3)
    assert not dist._lp_count_whole(rounds, two)  # no LP solved yet
    assert rounds.lp_cuts(time.perf_counter() + 10.0) is not None
    hubs = np.asarray(rounds.mod.hub_cols)
    for values, start, want in [([1.0, 1.0], two, True), ([1.0, 1.0], three, True),
                                ([1.0, 1.0, 1.0], two, True), ([1.0, 1.0, 0.5], two, False),
                                ([1.0, 1.0, 0.5], three, False), ([1.0, 1.0], None, False)]:
        rounds._lp_val = np.zeros_like(rounds._lp_val)
        rounds._lp_val[hubs[:len(values)]] = values
        assert dist._lp_count_whole(rounds, start) is want, (values, start)
    assert not dist._lp_count_whole(dist._PulpRounds(d.instance), three)  # no LP values to read


@pytest.mark.parametrize("seed", (70, 72, 75, 77))
def test_at_a_whole_lp_count_the_search_starts_from_the_lp_hubs(seed, monkeypatch):
    """Where the LP opens a whole number of hubs, the restricted-hub search runs without the start (its hubs and
    incumbent), repeating, until LP_COUNT_SEARCH_SHARE of the time limit; the start stays if it finds nothing
    better, so the optimum is kept."""
    import time

    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "_lp_count_whole", lambda rounds, start: True)
    monkeypatch.setattr(dist, "_seeded", lambda inst, start, seconds: start)  # its own restricted-hub searches
    calls = []
    real = dist._restricted_search

    def spy(inst, hubs, start, deadline, repeat, cuts=(), bound=None):
        if inst.hubs is None and "recombination" not in inst.label:
            calls.append((start, repeat, deadline - time.perf_counter()))
        return real(inst, hubs, start, deadline, repeat, cuts, bound)

    monkeypatch.setattr(dist, "_restricted_search", spy)
    monkeypatch.setattr(dist, "_within", lambda *a: False)  # the step also where the LP proves the start
    d = random_instance(seed, n=7, disruption_weight=3.0, time_limit_s=20.0)
    assert_matches_brute_force(d)
    if brute_force(d.instance) is not None:
        assert calls and all(start is None and repeat for start, repeat, _ in calls)
        assert all(20.0 * dist.RESTRICTED_MIN_SHARE - 0.05 <= left <= 20.0 * dist.LP_COUNT_SEARCH_SHARE
                   for _, _, left in calls)


def test_restricted_search_without_a_start_reaches_the_optimum_its_hubs_hold():
    """From candidate hubs alone (no start, as at a whole LP count) the search solves the
    restricted model: given the optimum's hubs it returns the optimum."""
    import time

    import solvers.districting as dist

    searched = 0
    for seed in range(90, 110):
        d = random_instance(seed, n=12, disruption_weight=3.0, count_weight=500.0)
        res = d.solve()
        if res.status != "optimal":
            continue
        inst = d.instance
        hubs = {inst.codes.index(h) for h in res.assignment.values()}
        if len(hubs) > inst.n / 3:
            continue  # the search gives up on candidate sets this large
        found = dist._restricted_search(inst, hubs, None, time.perf_counter() + 10.0, True)
        assert found is not None and inst.violations(found) == []
        assert inst.objective_of(found)["objective"] == pytest.approx(res.objective, rel=1e-6)
        searched += 1
    assert searched >= 3


@pytest.mark.parametrize("seed", range(80, 88))
def test_restricted_search_alone_is_valid_and_honest(seed, monkeypatch):
    """Above RESTRICTED_ONLY_VARS no branch-and-bound on the full model: a valid indeling, called optimal only
    when the LP bound proves it, and a bound (the LP's) below the true optimum."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "RESTRICTED_ONLY_VARS", 0)
    d = random_instance(seed, n=7, disruption_weight=3.0, time_limit_s=5)
    want = brute_force(d.instance)
    res = d.solve()
    if want is None:
        assert res.status in ("infeasible", "timeout") and res.assignment is None
        return
    assert res.status in ("optimal", "feasible", "timeout") and res.assignment is not None
    hub_of = [d.instance.codes.index(res.assignment[c]) for c in d.instance.codes]
    assert d.instance.violations(hub_of) == []
    assert res.bound <= want + 1e-6 <= res.objective + 2e-6
    if res.status == "optimal":
        assert res.objective - res.bound <= dist.OPTIMAL_GAP * res.objective


@pytest.mark.parametrize("seed", range(110, 116))
def test_without_contiguity_the_lp_rounds_run_for_disruption_and_branch_and_bound_stays(seed, monkeypatch):
    """Without contiguity the LP rounds still run (kept-pupil rows), but the PC4-size restricted-hub steps do not:
    branch-and-bound on the full model proves the optimum."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "RESTRICTED_ONLY_VARS", 0)
    rounds = []
    lp_cuts = dist._HighsRounds.lp_cuts

    def counted(self, deadline, **kw):
        rounds.append(deadline)
        return lp_cuts(self, deadline, **kw)

    monkeypatch.setattr(dist._HighsRounds, "lp_cuts", counted)
    d = random_instance(seed, contiguity=False, disruption_weight=3.0, min_pupils=0.0, max_pupils=INF)
    assert_matches_brute_force(d)
    assert rounds


def test_candidate_hubs_restrict_the_model():
    from dataclasses import replace

    inst = random_instance(5, n=7, max_km=float("inf")).instance
    small = replace(inst, hubs=frozenset({0, 3}))
    assert set(small.hub_region) <= {0, 3}
    assert all(small.hub_region[j] <= inst.hub_region[j] for j in small.hub_region)


def _fixed_lp(inst, hub_of, cuts: bool) -> float:
    """The LP relaxation's optimum with x fixed to ``hub_of`` (kept-pupil cut rounds if ``cuts``)."""
    import highspy

    mod = highs_direct.build(inst)
    h = highs_direct.to_highs(mod, 1, 0)
    for (i, j), c in mod.x.items():
        v = 1.0 if hub_of[i] == j else 0.0
        h.changeColBounds(c, v, v)
    h.setOptionValue("solve_relaxation", True)
    for _round in range(50):
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        rows = highs_direct.kept_cuts(mod, np.asarray(h.getSolution().col_value)) if cuts else []
        if not rows:
            return h.getInfo().objective_function_value
        highs_direct.add_rows(h, rows)
    raise AssertionError("kept-pupil cuts did not converge")


@pytest.mark.parametrize("seed", range(90, 98))
def test_kept_cuts_make_the_lp_count_the_disruption_of_an_indeling(seed):
    """With x fixed to each valid indeling (all of them), the compact disruption LP is at most the objective;
    with the kept-pupil cuts it equals the evaluator-side objective exactly."""
    inst = random_instance(seed, n=7, disruption_weight=3.0, max_km=INF, min_pupils=0.0,
                           max_pupils=INF).instance
    found = list(valid_assignments(inst))
    assert found
    for hub_of in found:
        true = inst.objective_of(hub_of)["objective"]
        assert math.isclose(_fixed_lp(inst, hub_of, cuts=True), true, rel_tol=1e-7, abs_tol=1e-6)
        assert _fixed_lp(inst, hub_of, cuts=False) <= true + 1e-6


def test_without_kept_cuts_a_split_swv_counts_as_kept():
    """Three units of one current SWV P, split {0, 1} | {2}: 100 pupils disrupted. The compact LP spreads P's
    successor 2/3 : 1/3 and keeps all 300; the cuts restore the 100."""
    km = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], dtype=float)
    d = Districting.from_cost_matrix(km, pupils=np.full(3, 100.0), edges=[(0, 1), (1, 2)],
                                     current=[{"po:P": 100.0}] * 3,
                                     settings=Settings(required=(), travel_weight=1.0, disruption_weight=1.0,
                                                       tiebreak_per_km=0.0, threads=1))
    inst = d.instance
    hub_of = [0, 0, 2]
    assert inst.objective_of(hub_of)["disrupted_pupils"] == 100
    true = inst.objective_of(hub_of)["objective"]
    assert math.isclose(_fixed_lp(inst, hub_of, cuts=False), true - 100)
    assert math.isclose(_fixed_lp(inst, hub_of, cuts=True), true)


@pytest.mark.parametrize("seed", range(100, 106))
def test_kept_cuts_hold_for_every_indeling(seed):
    """Cuts separated at random LP points never cut off a valid indeling (its best column values)."""
    inst = random_instance(seed, n=7, disruption_weight=3.0, max_km=INF, min_pupils=0.0,
                           max_pupils=INF).instance
    mod = highs_direct.build(inst)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(20):
        rows += highs_direct.kept_cuts(mod, rng.random(mod.n_cols) * np.where(
            np.isin(np.arange(mod.n_cols), list(mod.agg.values())), 400.0, 1.0))
    assert rows
    for hub_of in valid_assignments(inst):
        val = highs_direct.start_values(inst, mod, hub_of)
        for cols, vals, lo, hi in rows:
            assert lo - 1e-6 <= float(np.dot(val[cols], vals)) <= hi + 1e-6


def test_count_lps_give_valid_starts_and_leave_the_free_model():
    from solvers.districting import _HighsRounds

    found = 0
    for seed in range(100, 124):
        d = random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0)
        inst = d.instance
        valid = list(valid_assignments(inst))
        if not valid:
            continue
        start = max(valid, key=lambda h: inst.objective_of(h)["objective"])  # the worst start: room to improve
        rounds = _HighsRounds(inst)
        bound = rounds.lp_cuts(math.inf)
        lp_val = rounds._lp_val.copy()
        rows = rounds.h.getNumRow()
        out = rounds.count_lps(start, 10.0)
        if rounds.h.getNumRow() > rows:  # the free LP's values stand, marked as older than the rows now held
            assert rounds._lp_rows_at <= rows
        assert rounds.lp_bound == bound and np.array_equal(rounds._lp_val, lp_val)  # the free LP's values stand
        if out is not None:
            found += 1
            assert not inst.violations(out)
            assert len(set(out)) in (len(set(start)), len(set(start)) + 1)
        # the count rows are free again: the free LP and the MIP keep their optimum
        assert rounds.lp_cuts(math.inf) >= bound - 1e-6 * max(1.0, abs(bound))
        while True:
            assert rounds.run(30.0, 0.0, start).has_solution
            hub_of = rounds.solution()
            cuts = separation.integral(inst, rounds.has_var, hub_of, all_hubs=True)
            if not cuts:
                break
            rounds.add(cuts)
        assert math.isclose(inst.objective_of(hub_of)["objective"], brute_force(inst), rel_tol=1e-4, abs_tol=1e-6)
    assert found >= 5


def test_an_lp_after_earlier_runs_gets_its_time():
    """HiGHS holds an LP to time_limit on the model's cumulative run clock; lp_cuts must allow for it."""
    import time

    from solvers import backend
    from solvers.districting import _HighsRounds

    rounds = _HighsRounds(random_instance(3, n=7, disruption_weight=3.0).instance)
    for _ in range(200_000):  # the MIP, many times: runtime accumulates
        if rounds.h.getRunTime() >= 0.5:
            break
        backend.run_highs(rounds.h)
    assert rounds.h.getRunTime() >= 0.5
    assert rounds.lp_cuts(time.perf_counter() + 0.3) is not None


@pytest.mark.parametrize("seed", range(100, 110))
def test_count_lps_keep_the_optimum(seed, monkeypatch):
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    monkeypatch.setattr(dist, "COUNT_LP_GAP", -1.0)  # always
    assert_matches_brute_force(random_instance(seed, disruption_weight=3.0))


def _lp_at(rounds, k: int | None) -> float:
    """The LP value with sum_j x_jj = k (None: free), no new rows kept; inf if infeasible."""
    import highspy

    hubs = rounds.mod.hub_cols
    row = None
    if k is not None:
        highs_direct.add_rows(rounds.h, [(hubs, [1.0] * len(hubs), float(k), float(k))])
        row = rounds.h.getNumRow() - 1
    rounds.h.setOptionValue("solve_relaxation", True)
    try:
        if rounds.lp_solve(math.inf):
            return float(rounds.lp_bound)
        assert rounds.h.getModelStatus() == highspy.HighsModelStatus.kInfeasible
        return math.inf
    finally:
        rounds.h.setOptionValue("solve_relaxation", False)
        if row is not None:
            rounds.h.changeRowBounds(row, -INF, INF)


def test_count_bound_is_the_least_lp_over_every_integer_count():
    """count_bound = min over every integer k of the LP with k SWVs (convexity: only the two counts around the free
    LP's are solved), between the free LP and the optimum, and above the free LP where that count is fractional."""
    from solvers.districting import _HighsRounds

    lifted = 0
    for seed in range(300, 380):
        d = random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0, count_weight=0.0)
        inst = d.instance
        want = brute_force(inst)
        if want is None:
            continue
        rounds = _HighsRounds(inst)
        free = rounds.lp_cuts(math.inf)
        lp_val = rounds._lp_val.copy()
        bound = rounds.count_bound(math.inf)
        assert np.array_equal(rounds._lp_val, lp_val) and rounds.lp_bound == free  # the free LP's values stand
        k_star = float(lp_val[rounds.mod.hub_cols].sum())
        if bound is None:  # skipped: the free LP opens a whole number of hubs, so its value is the least
            assert k_star == pytest.approx(round(k_star), abs=1e-6)
            bound = free
        least = min(_lp_at(rounds, k) for k in range(1, inst.n + 1))
        tol = 1e-6 * max(1.0, abs(want))
        assert bound == pytest.approx(least, rel=1e-7, abs=1e-6)
        assert free - tol <= bound <= want + tol
        lifted += bound > free + tol
    assert lifted >= 1  # seed 3xx: k* fractional, the bound strictly above the free LP


def test_count_bound_after_rows_came_solves_the_free_lp_again():
    """LP rounds that stop at their deadline after adding rows (or count_lps) leave a free LP optimum the model no
    longer has: count_bound solves it again before taking its count, and is still the least LP over every integer
    count with the rows the model now holds."""
    from solvers.districting import _HighsRounds

    moved = 0
    for seed in range(300, 380):
        d = random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0, count_weight=0.0)
        inst = d.instance
        if brute_force(inst) is None:
            continue
        rounds = _HighsRounds(inst)
        rounds.h.setOptionValue("solve_relaxation", True)
        assert rounds.lp_solve(math.inf)
        first = rounds.lp_bound
        rounds.add_lp_rows(*rounds.lp_separate())  # the round's deadline comes here: no solve after these rows
        rounds.h.setOptionValue("solve_relaxation", False)
        bound = rounds.count_bound(math.inf)
        assert rounds.lp_bound == first  # the values of before stand
        if bound is None:
            continue
        least = min(_lp_at(rounds, k) for k in range(1, inst.n + 1))
        assert bound == pytest.approx(least, rel=1e-7, abs=1e-6)
        moved += _lp_at(rounds, None) > first + 1e-6 * max(1.0, abs(first))
    assert moved >= 1


def test_count_bound_takes_the_count_of_the_lp_the_model_now_has():
    """Seed 623 (free LP at 2.5 SWVs): a row sum_j x_jj <= floor(k*) - 0.5 added after that LP moves
    the least count; the bound follows it (with the old k* both bracketing counts would be infeasible)."""
    from solvers.districting import _HighsRounds

    inst = random_instance(623, n=7, disruption_weight=3.0, min_pupils=0.0, count_weight=0.0).instance
    rounds = _HighsRounds(inst)
    rounds.lp_cuts(math.inf)
    hubs = rounds.mod.hub_cols
    k_star = float(rounds._lp_val[hubs].sum())
    assert abs(k_star - round(k_star)) > 1e-3
    highs_direct.add_rows(rounds.h, [(hubs, [1.0] * len(hubs), -INF, math.floor(k_star) - 0.5)])
    bound = rounds.count_bound(math.inf)
    least = min(_lp_at(rounds, k) for k in range(1, inst.n + 1))
    assert least < math.inf
    assert bound == pytest.approx(least, rel=1e-7)


def test_count_bound_after_reduced_cost_fixing_stays_below_the_optimum():
    from solvers.districting import _HighsRounds

    for seed in range(300, 320):
        d = random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0, count_weight=0.0)
        inst = d.instance
        valid = list(valid_assignments(inst))
        if not valid:
            continue
        start = min(valid, key=lambda h: inst.objective_of(h)["objective"])  # the optimum: the most fixing
        rounds = _HighsRounds(inst)
        rounds.lp_cuts(math.inf)
        rounds.fix_by_reduced_cost(start)
        bound = rounds.count_bound(math.inf)
        assert bound is None or bound <= inst.objective_of(start)["objective"] + 1e-6


def test_pc4_size_solves_report_the_count_bound(monkeypatch):
    """The count bound joins the reported bound (which stays below the optimum) before branch-and-bound."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    seen = []
    real = dist._HighsRounds.count_bound

    def spy(self, deadline):
        seen.append(real(self, deadline))
        return seen[-1]

    monkeypatch.setattr(dist._HighsRounds, "count_bound", spy)
    for seed in range(330, 340):  # 337: a fractional count
        d = random_instance(seed, n=7, disruption_weight=3.0, min_pupils=0.0, count_weight=0.0)
        before = len(seen)
        res = assert_matches_brute_force(d)
        if res.status != "optimal":
            continue
        assert res.bound <= res.objective + 1e-6 * max(1.0, abs(res.objective))
        if len(seen) > before and seen[-1] is not None:
            assert res.bound >= seen[-1] - 1e-9 * max(1.0, abs(seen[-1]))
    assert any(b is not None for b in seen)  # (None: the free LP opened a whole number of hubs)


def test_the_count_bound_stands_when_branch_and_bound_stops_early(monkeypatch):
    """Seed 337: free LP 4,797.0 at a fractional count, count bound 4,893.1 (the optimum). Branch-and-bound
    stopped at its first incumbent still reports the count bound."""
    import solvers.districting as dist

    monkeypatch.setattr(dist, "RESTRICTED_HUBS_VARS", 0)
    real = dist._HighsRounds.run
    monkeypatch.setattr(dist._HighsRounds, "run", lambda self, left, gap, start: real(self, left, 1.0, start))
    d = random_instance(337, n=7, disruption_weight=3.0, min_pupils=0.0, count_weight=0.0)
    rounds = dist._HighsRounds(d.instance)
    free = rounds.lp_cuts(math.inf)
    want = brute_force(d.instance)
    assert free < want - 50
    res = d.solve()
    assert res.bound == pytest.approx(want, rel=1e-7)
