"""The districting model: merge units into SWVs around hub units (Hess / p-median with side constraints).

In the spirit of PySAL spopt's region models: build with :meth:`Districting.from_units` (units, edges and
distance matrices) or :meth:`Districting.from_cost_matrix` (a bare cost matrix, for small experiments), then
call :meth:`Districting.solve`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import time
import weakref
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from solvers import (backend, constraints, heuristic, highs_direct, hub_pricing, infeasibility, pmedian,
                     recombination, separation)
from solvers.instance import INF, Instance, Locks, Settings, components, successor_values


@dataclass
class DistrictingResult:
    status: str                              # "optimal" | "feasible" | "timeout" | "infeasible" | "failed"
    assignment: dict[str, str] | None        # unit code -> hub unit code
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    iterations: int = 0                      # MIP solves (1 + contiguity cut rounds)
    message: str = ""
    terms: dict = field(default_factory=dict)  # travel_pupil_km, disrupted_pupils, n_swvs
    # with Districting(keep_cuts=True): every separator the solve added to its model (LP and integer rounds)
    cuts: list[separation.Cut] = field(default_factory=list)

    @property
    def n_swvs(self) -> int:
        return len(set(self.assignment.values())) if self.assignment else 0

    def hub_indices(self, codes: Sequence[str]) -> list[int] | None:
        """The assignment as a hub index per unit (``codes``: the solved instance's), or None without one."""
        if not self.assignment:
            return None
        index = {c: i for i, c in enumerate(codes)}
        return [index[self.assignment[c]] for c in codes]


class Districting:
    r"""Exact districting of one region into SWVs.

    Sets: units :math:`V` (index i, j), adjacency :math:`E`, required facility types :math:`T`, current
    po/vo SWVs :math:`P` (disruption). Data: pupils :math:`p_i`; :math:`d_{ij}` max km from i's PC4 centres to
    hub j; :math:`c_{ij}` pupil-weighted km of i to j; :math:`f_{it} = 1` if unit i has a site of type t;
    :math:`q_{iP}` pupils of unit i in current SWV P, :math:`Q_P = \sum_i q_{iP}`
    (:math:`Q_{Pj}`: the same over the units hub j may serve).

    Variables: :math:`x_{ij} \in \{0,1\}` unit i in the SWV whose hub is j; :math:`x_{jj}` = j is a hub
    (Hess). :math:`x_{ij}` exists only if :math:`d_{ij} \le` max_km, :math:`d_{jj} \le` max_km and (with
    contiguity) i is connected to j through units within max_km of j — the travel limit is variable fixing.
    Disruption: :math:`z_{Pj} \in \{0,1\}` (j's SWV is P's main successor), :math:`u_{iP} \in [0,1]` (unit i's
    P-pupils stay with that successor), :math:`w_{iPj}` (= :math:`\min(x_{ij}, z_{Pj})`). :math:`\epsilon` = 0.01
    per km is a tie-break so pupil-less units join their nearest hub.

    .. math::
        \min\ & w_t \sum_{ij} c_{ij} x_{ij} + w_d \big(\sum_P Q_P - \sum_{iP} q_{iP} u_{iP}\big) + w_n \sum_j x_{jj}
              + \epsilon \sum_{ij} d_{ij} x_{ij} \\
        \text{s.t. } & \sum_j x_{ij} = 1 \quad \forall i \qquad x_{ij} \le x_{jj} \quad \forall i \ne j \\
        & \sum_i f_{it} x_{ij} \ge x_{jj} \quad \forall j, t \in T  \quad\text{(dekkend aanbod)} \\
        & L\, x_{jj} \le \sum_i p_i x_{ij} \le U\, x_{jj} \quad \forall j \quad\text{(size)} \\
        & x_{ij} \le \sum_{k \in C} x_{kj} \quad \forall i, j, \text{ every } i\text{-}j \text{ vertex separator } C
          \quad\text{(contiguity)} \\
        & x_{jj} \le \sum_{k \in C} x_{kj} \quad \forall j, t \in T \text{ with } f_{jt} = 0,
          \text{ every } C \text{ separating } j \text{ from } \{i : f_{it} = 1\} \quad\text{(facility paths)} \\
        & u_{iP} \le \sum_j w_{iPj},\ w_{iPj} \le x_{ij},\ w_{iPj} \le z_{Pj},\ z_{Pj} \le x_{jj},\
          \sum_j z_{Pj} \le 1,\ 0 \le u, w \le 1 \\
        & \text{facility distance: } x_{ij} \le \sum_{k \in N_t(i)} x_{kj} \text{ (units with a t-site in reach)} \\
        & \text{locks: } x_{aj} = x_{bj} \text{ (together, same pin, keep current whole)},\
          x_{aj} + x_{bj} \le x_{jj} \text{ (apart, different pins)} \\
        & \text{target: } \sum_j x_{jj} = k \quad\text{or a range } a \le \sum_j x_{jj} \le b
    
    With HiGHS at every size, and with CBC on small models (at most 2,000 :math:`x`) and PC4-size ones (above
    10,000), the compact form replaces :math:`u, w`:
    :math:`m_{Pj} \le \sum_i q_{iP} x_{ij},\ m_{Pj} \le Q_{Pj} z_{Pj}`, kept pupils :math:`\sum_{Pj} m_{Pj}`
    (same optimum, far fewer rows; see ``constraints.aggregated_disruption``). Its LP alone counts almost no
    disruption (a fractional successor keeps every pupil), so the HiGHS LP rounds also
    add the violated *kept-pupil rows* :math:`m_{Pj} \le \sum_{i \in S} q_{iP} x_{ij} + (\sum_{i \notin S}
    q_{iP}) z_{Pj}` (every subset S of P's units: the projection of :math:`w`; :func:`highs_direct.kept_cuts`),
    which make it as tight as the disaggregated LP without its columns (PC4 JZ07: best indeling 555.7k -> 526.1k,
    gap 6.4 % -> 2.1 % in 120 s; national hybrid 14.3 s -> 7.4 s against the disaggregated form).

    With i in j's SWV, :math:`u_{iP} \le z_{Pj}`, so :math:`Q_P - \sum_i q_{iP} u_{iP}` is at least (and at the
    optimum exactly) the number of P's pupils outside the new SWV keeping most of P: the disruption term counts
    pupils whose po (or vo) SWV territory changes. It is computed per jeugdregio, so a current SWV's pieces in
    other jeugdregio's count as kept by their own local successor (the evaluator counts them all as changed).
    Contiguity: the separator family is exponential, so the model starts with the neighbour separators
    (:math:`C = N(i)`, small models only: up to 2,000 :math:`x`, with HiGHS also 4,000 to 10,000) and adds minimal
    separators for every disconnected piece of a solution, re-solving until every SWV is connected (row generation;
    the bound of each round is a valid bound). With HiGHS (:mod:`solvers.highs_direct`, one in-memory model that
    rounds only append rows to) the LP relaxation is first cut by the most violated separators of its optimum (min
    vertex cuts by max-flow with capacities :math:`x_{kj}`, the one nearest i and the one nearest j, each reduced to a
    minimal separator: :mod:`solvers.separation`), repeated until none is violated; this gives branch-and-bound most
    separators up front (JZ13 hybrid: 18 rounds of 1-5 s became one). The facility-path rows are implied by contiguity
    plus the facility rows for integer points, but not for the LP: they are separated the same way (max-flow from the
    hub to all its t-sites) and lifted the LP bound of JZ29 hybrid from 694.2k to 697.1k (optimum 697.7k; solve
    35-43 s -> 11 s) and of PC4 Zeeland from 425.6k to 449.5k. Symmetry is broken by the hub: an SWV has exactly
    one hub. The hub of an SWV is its pupil-weighted median within the travel limit. A national number of SWVs
    couples the regions; it is met outside this model by solving each region for ranges of counts
    (``Settings.min_swvs``/``max_swvs``) and choosing the counts by dynamic programming (:mod:`solvers.allocation`,
    :mod:`regioindeling.national_target`).

    Exactness of the speed-ups (none changes the optimum): the start is always a valid indeling (checked by
    :meth:`Instance.violations`; on large models with disruption the best of the heuristics and the polished
    optimum of this model with :math:`w_d = 0`, whose separators, valid for the same units, graph and regions,
    are then this model's first rows). With objective :math:`S` of the start and LP bound :math:`z`,
    a binary column at 0 in the LP optimum with reduced cost :math:`> S - z` is fixed to 0 (every solution using
    it costs more than the start); the bound of the restricted model is then reported as :math:`\min(\cdot, S)`.
    PC4-size models (more than 10,000 :math:`x`) first solve the model with only the LP's open hubs and the
    start's as candidate hubs (:attr:`Instance.hubs`), time-boxed, from the separators found so far (the regions
    are the same); its solutions are valid here, so it only improves the start. Above 40,000 :math:`x` such
    restricted solves (with widening candidates) replace branch-and-bound on the full model, for memory: the
    result is then reported optimal only when the LP bound proves it, and its bound is the LP bound.
    The full model is then never built: its LP rounds run on a master with the start's hubs, to which
    :mod:`solvers.hub_pricing` appends the blocks of hubs whose reduced cost is negative, and the bound is the
    Lagrangian bound of that master (the LP bound once no hub prices out).
    When a PC4-size start is still far above the LP bound, LP rounds with :math:`\sum_j x_{jj}` fixed at the start's
    count and at one more are rounded to further starts (:meth:`_HighsRounds.count_lps`); their rows are freed after,
    and their bounds are never used as such. What is used (:meth:`_HighsRounds.count_bound`): the LP value
    :math:`\varphi(k)` with :math:`\sum_j x_{jj} = k` is convex in k, least at the free LP's count :math:`k^*`, so
    :math:`\min(\varphi(\lfloor k^* \rfloor), \varphi(\lceil k^* \rceil))` bounds every indeling; it joins the
    bound of PC4-size models before branch-and-bound. PC4-size starts are also improved by recombination
    (:mod:`solvers.recombination`): two neighbouring SWVs are merged and split again optimally by this model on
    their units alone (from this model's separators on those units), the rest fixed; a result is kept only if the
    whole region's objective drops. Before all that, a PC4-size start with fewer SWVs than the site-seeded split
    (:func:`heuristic.seeded_split`: one SWV per site of the scarcest required type) is replaced by that split
    improved by restricted-hub solves around its hubs, if they improved it and it is cheaper. A reported bound is
    never below :meth:`Instance.floor_bound` (every unit at its cheapest hub). Once the start is within the
    scenario's gap (at least :data:`OPTIMAL_GAP`, HiGHS's own) of the bound, the solve ends there: the later phases
    could only gain what that gap already allows (PC4 Drenthe: its LP equals its start after the LP rounds,
    34 s -> 10 s).
    """

    def __init__(self, instance: Instance, keep_cuts: bool = False):
        self.instance = instance
        self.keep_cuts = keep_cuts

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_units(cls, units, edges, reach_km: np.ndarray, cost: np.ndarray, settings: Settings,
                   locks: Locks | None = None, cover=(), label: str = "region") -> "Districting":
        """From :class:`regioindeling.model.Unit` / ``Edge`` lists (units in the matrices' row order)."""
        codes = tuple(u.code for u in units)
        index = {c: i for i, c in enumerate(codes)}
        types = ("sbo", "so", "vso", "pro")
        inst = Instance(
            codes=codes, names=tuple(u.name for u in units), kinds=tuple(u.kind for u in units),
            pupils=np.array([u.pupils for u in units], dtype=float),
            facilities={t: np.array([u.facilities.get(t, 0) for u in units], dtype=int) for t in types},
            reach_km=np.asarray(reach_km, dtype=float), cost=np.asarray(cost, dtype=float),
            edges=tuple(sorted((min(index[e.a], index[e.b]), max(index[e.a], index[e.b])) for e in edges
                               if e.a in index and e.b in index)),
            current=tuple({**{f"po:{k}": v for k, v in u.current_po.items()},
                           **{f"vo:{k}": v for k, v in u.current_vo.items()}} for u in units),
            settings=settings, locks=locks or Locks(), cover=tuple(cover), label=label)
        return cls(inst)

    @classmethod
    def from_cost_matrix(cls, cost, pupils=None, edges=None, facilities=None, reach_km=None,
                         settings: Settings | None = None, codes=None, current=None, locks=None,
                         label: str = "region") -> "Districting":
        """From a square cost matrix (``cost[i, j]``: cost of serving i from hub j). Without ``edges`` every
        pair is adjacent; without ``facilities`` no facility type is required; ``reach_km`` defaults to
        ``cost`` (so max_km limits it)."""
        cost = np.asarray(cost, dtype=float)
        n = cost.shape[0]
        codes = tuple(codes) if codes is not None else tuple(f"u{i:03d}" for i in range(n))
        if edges is None:
            edges = [(a, b) for a in range(n) for b in range(a + 1, n)]
        settings = settings or Settings(required=())
        facs = {t: np.asarray(v, dtype=int) for t, v in (facilities or {}).items()}
        inst = Instance(
            codes=codes, names=codes, pupils=np.ones(n) if pupils is None else np.asarray(pupils, dtype=float),
            facilities=facs, reach_km=cost if reach_km is None else np.asarray(reach_km, dtype=float),
            cost=cost, edges=tuple(sorted((min(a, b), max(a, b)) for a, b in edges)),
            current=tuple(current) if current is not None else tuple({} for _ in range(n)),
            settings=settings, locks=locks or Locks(), label=label)
        return cls(inst)

    # ------------------------------------------------------------------ solve

    def solve(self, warm_start: Sequence[int] | None = None,
              cuts: Sequence[separation.Cut] = ()) -> DistrictingResult:
        """Solve to the scenario's gap within its time limit; never raises for infeasible input. ``cuts``:
        separators known to hold here, added before the first round: :attr:`DistrictingResult.cuts` of a solve of
        the same units, graph and travel limits (or of a larger region, restricted to these units); a unit without
        x[k, j] leaves its row, and a row whose x[i, j] is absent is skipped."""
        inst = self.instance
        s = inst.settings
        t0 = time.perf_counter()
        problems = infeasibility.precheck(inst)
        if problems:
            return DistrictingResult("infeasible", None, seconds=time.perf_counter() - t0,
                                     message="; ".join(problems))
        start = heuristic.warm_start(inst, list(warm_start) if warm_start is not None else None)
        n_pairs = _n_pairs(inst)
        pc4_size = s.contiguity and _pc4_size(inst, n_pairs)
        # PC4-size models keep their separators for the restricted-hub solves and the recombination pairs
        pool: list[separation.Cut] | None = [] if self.keep_cuts or pc4_size else None
        only = pc4_size and n_pairs > RESTRICTED_ONLY_VARS
        # The phases before the LP rounds leave those their least time (see TRAVEL_START_LEAST_S)
        lp_least = (min(LP_CUT_MIN_S, s.time_limit_s * PHASE_MAX_SHARE) if s.contiguity or s.disruption_weight
                    else 0.0)

        def before_lp(seconds: float) -> float:
            return max(0.0, min(seconds, _left(s.time_limit_s, t0) - lp_least))

        if pc4_size:
            start = _seeded(inst, start, before_lp(_phase(s.time_limit_s, SEEDED_SHARE, SEEDED_MIN_S, t0)))
        if pc4_size and not only:
            start = _recombined(inst, start, before_lp(s.time_limit_s * RECOMBINE_START_SHARE))
        travel_s = before_lp(_phase(s.time_limit_s, TRAVEL_START_SHARE, TRAVEL_START_MIN_S, t0))
        if (s.backend == "highs" and s.disruption_weight and n_pairs > TRAVEL_START_VARS
                and travel_s >= TRAVEL_START_LEAST_S):
            travel, found = _travel_only_start(inst, travel_s, start)
            start = _better(inst, start, travel)
            # Its separators hold here too (same units, graph and hub regions): without them the MIP rounds find
            # the same enclaves again (PC4 JZ22 re-solve: 3 MIP rounds -> 1, 10.4 -> 6.1 s).
            cuts = list(cuts) + found
        if s.backend != "highs":
            rounds = _PulpRounds(inst, pool)
        elif only and start is not None:
            # the whole model is never built: only its LP is used here, and that LP opens few hubs
            rounds = hub_pricing.HubPricedLP(inst, set(start), functools.partial(_HighsRounds, pool=pool, back=True))
        else:
            rounds = _HighsRounds(inst, pool, back=pc4_size)
        if cuts:
            # A unit without x[k, j] is never in j's SWV, so it leaves the separator (a recombination pair's
            # regions are parts of the whole region's)
            rounds.add([(i, j, tuple(k for k in sep if rounds.has_var(k, j))) for i, j, sep in dict.fromkeys(cuts)
                        if rounds.has_var(i, j)])
        best_bound = None
        iterations = 0
        hub_of = None
        last = None

        def within_gap(hub_of) -> bool:
            return hub_of is not None and best_bound is not None and _within(inst, hub_of, best_bound)

        if s.contiguity or s.disruption_weight:
            # Cutting planes on the LP relaxation first: most separators the MIP needs, the kept-pupil rows of the
            # compact disruption form, and a stronger bound.
            lp_share = LP_CUT_SHARE_ONLY if only else LP_CUT_SHARE
            lp_bound = rounds.lp_cuts(time.perf_counter() + _phase(s.time_limit_s, lp_share, LP_CUT_MIN_S, t0))
            if lp_bound is not None:
                best_bound = lp_bound
            start = _better(inst, start, rounds.lp_rounding(min(2.0, _left(s.time_limit_s, t0) / 10)))
            # The LP bound can already prove the start (PC4 Drenthe: LP integral, = the start, after 15 s; the
            # restricted-hub and recombination searches then spent another 19 s finding nothing better)
            if within_gap(start):
                rounds = None
            elif pc4_size:
                hubs = rounds.lp_hubs()
                if only:
                    # No branch-and-bound on the full model: at this size it gains nothing in the time limit but
                    # memory (PC4 JZ02, 142,742 x: 1.1 -> 2.0-2.8 GB, no better incumbent); the LP bound stands.
                    rounds = None
                share = (1.0 - RECOMBINE_SHARE_ONLY) if only else RESTRICTED_HUBS_SHARE
                seed, repeat = start, only
                if not only and _lp_count_whole(rounds, start):
                    seed, repeat, share = None, True, LP_COUNT_SEARCH_SHARE
                until = max(t0 + s.time_limit_s * share, time.perf_counter() + s.time_limit_s * RESTRICTED_MIN_SHARE)
                start = _better(inst, start, _restricted_search(inst, hubs, seed, until, repeat, pool,
                                                                bound=best_bound))
                if not within_gap(start):
                    start = _recombined(inst, start, _phase(s.time_limit_s, RECOMBINE_SHARE_ONLY if only
                                                            else RECOMBINE_SHARE, 0.0, t0), pool)
                if within_gap(start):
                    rounds = None
        if rounds is not None and start is not None:
            rounds.fix_by_reduced_cost(start)
            if isinstance(rounds, _HighsRounds) and _pc4_size(inst, n_pairs) and rounds.lp_bound is not None:
                obj = inst.objective_of(start)["objective"]
                if obj - rounds.lp_bound > COUNT_LP_GAP * abs(obj):
                    start = _better(inst, start, rounds.count_lps(
                        start, min(s.time_limit_s * COUNT_LP_SHARE, _left(s.time_limit_s, t0) / 2)))
                bound = rounds.count_bound(time.perf_counter() + _phase(s.time_limit_s, COUNT_BOUND_SHARE, 0.0, t0))
                if bound is not None:
                    best_bound = bound if best_bound is None else max(best_bound, bound)
                    # HiGHS does not know this bound: without the check its branch-and-bound would run to the
                    # time limit for a gap already met
                    if within_gap(start):
                        rounds = None
        # Every round runs at the scenario's gap. (A loose-gap round first, to find the separators cheaply, paid
        # off before the facility-path rows; with them it costs a second branch-and-bound: PC4 JZ22 re-solve
        # 9.4 -> 7.1 s, JZ29/JZ24/JZ13 hybrid 10.5/9.3/4.3 -> 9.7/8.5/3.9 s without it.)
        while rounds is not None:
            left = s.time_limit_s - (time.perf_counter() - t0)
            run = rounds.run(left, s.gap, start)
            iterations += 1
            last = run
            if run.bound is not None:
                best_bound = run.bound if best_bound is None else max(best_bound, run.bound)
            if run.status == "infeasible":
                # Also after separator rounds: the cuts are valid for every connected indeling, so an infeasible
                # round proves that none exists (before, this was reported as a time-out).
                msg = infeasibility.explain(inst, time_limit=max(1.0, s.time_limit_s / 4))
                return DistrictingResult("infeasible", None, seconds=time.perf_counter() - t0,
                                         iterations=iterations, message=msg)
            if not run.has_solution:
                hub_of = None
                break
            hub_of = rounds.solution()
            cuts = rounds.add(separation.integral(inst, rounds.has_var, hub_of, all_hubs=rounds.cheap_rows))
            if not cuts and getattr(rounds, "interrupted", False) and time.perf_counter() - t0 < s.time_limit_s:
                # stopped for an enclave, but a later incumbent is connected: keep it as the start, go on
                start = _better(inst, start, hub_of)
                continue
            if not cuts:
                break
            fixed = heuristic.repair_contiguity(inst, hub_of)
            if fixed is not None:
                fixed = heuristic.improve(inst, fixed, min(2.0, _left(s.time_limit_s, t0) / 10))
            if fixed is not None and (start is None or inst.objective_of(fixed)["objective"]
                                      < inst.objective_of(start)["objective"]):
                start = fixed
            hub_of = None
            if time.perf_counter() - t0 >= s.time_limit_s:
                break
        seconds = time.perf_counter() - t0
        if hub_of is None:
            # Time ran out before a connected solution: fall back to the warm start, if any.
            if start is None:
                return DistrictingResult("failed" if last and last.status == "failed" else "timeout", None,
                                         bound=best_bound, seconds=seconds, iterations=iterations,
                                         message=f"{inst.label}: no feasible indeling found within "
                                                 f"{round(s.time_limit_s, 1):g} s; raise solver.time_limit_s or relax "
                                                 "constraints")
            hub_of, status = list(start), "timeout"
            if rounds is None and within_gap(start):
                # ended by the checks above (nothing changes start or the bound once rounds is None)
                status = "optimal"  # "feasible" below if only within the scenario's gap
            elif rounds is None and seconds < s.time_limit_s - 1.0:
                status = "feasible"  # the restricted-hub search ran out of candidates, not of time
        else:
            status = last.status
            if start is not None and inst.objective_of(start)["objective"] < inst.objective_of(hub_of)["objective"]:
                hub_of = list(start)  # a time-out's incumbent can be worse than the (valid) polished start
        terms = inst.objective_of(hub_of)
        obj = terms["objective"]
        floor = inst.floor_bound()
        best_bound = floor if best_bound is None else max(best_bound, floor)
        gap = max(0.0, (obj - best_bound) / max(abs(obj), 1e-9))
        if gap < 1e-9:
            gap = 0.0
        if status == "optimal" and gap > OPTIMAL_GAP:
            status = "feasible"  # stopped at the scenario's gap, not proven optimal
        message = ""
        if status in ("timeout", "feasible"):
            message = (f"{inst.label}: best indeling found within {round(s.time_limit_s, 1):g} s, not proven optimal"
                       + f" (gap {gap:.2%})")
        return DistrictingResult(status, {inst.codes[i]: inst.codes[j] for i, j in enumerate(hub_of)},
                                 objective=obj, bound=best_bound, gap=gap, seconds=seconds,
                                 iterations=iterations, message=message, terms=terms,
                                 cuts=pool if self.keep_cuts and pool else [])


# Share of the time limit the LP cutting-plane rounds may use before branch-and-bound starts.
LP_CUT_SHARE = 0.25
# ... but at least LP_CUT_MIN_S, and the travel-only start at least TRAVEL_START_MIN_S (below), or PHASE_MAX_SHARE of
# the limit if that is less: a phase cut off short of where it converges gives the phases after it nothing to work
# with, and the shares were set for 60-120 s. At 12 s per jeugdregio (session 17, ten PC4 regions one after
# another): gap 5.76 % -> 3.70 %, PC4 Centraal Gelderland optimal in 6 s instead of 13 % after 12 s (its LP
# converges in 3.4 s and the travel-only start needs 2 s; 25 % and 10 % of 12 s cut both). No phase runs past the
# time limit (they did: PC4 JZ33 124.8 s for 120).
TRAVEL_START_MIN_S = 3.0
LP_CUT_MIN_S = 8.0
PHASE_MAX_SHARE = 0.5
# The seeded, recombination and travel-only phases before the LP rounds end early enough to leave those rounds
# LP_CUT_MIN_S (or PHASE_MAX_SHARE of the limit); a travel-only start with less than TRAVEL_START_LEAST_S left is
# skipped. They ran past it at the short allowances of a budgeted run: PC4 JZ33 with 11 s, seeded phase 4 s,
# recombination 1.3 s, travel-only start 3.9 s (nothing found), LP rounds 1.7 s (bound 618k); under load no LP
# round at all, and its gap was 100 % (national PC4 in 80 s, 6.9 %).
TRAVEL_START_LEAST_S = 1.0
# PC4-size models (more x than this): before branch-and-bound on the full model, a time-boxed solve with only the
# LP's open hubs and the start's as candidate hubs, for a better start (its solutions are valid for the full model).
RESTRICTED_HUBS_VARS = 10000
RESTRICTED_HUBS_SHARE = 0.25
# ... but at least this share of the time limit from when it starts: the phases before it can overrun its share
# (PC4 Zeeland: 53 s of 120 before it, so it got none; with 6 s it finds the 6-SWV indeling, 424.5k -> 418.7k,
# gap 2.0 % -> 0.8 %). 10 % cost PC4 IJsselland its branch-and-bound time (0.99 % -> 1.06 %).
RESTRICTED_MIN_SHARE = 0.05
# Models whose units are all PC4 areas (the PC4 level) count as PC4-size from this many x: there branch-and-bound
# can take long to find a good indeling even in mid-size regions, and the PC4-size phases find one in seconds. PC4
# Achterhoek (JZ25, 8,025 x): 339,979 after 14 s (gap 7.3 %; its bound is 315.1k after 9 s), 316,838 only after
# 36 s; with these phases 317,329 (0.72 %) after 5 s. The other PC4 regions of 5,000-10,000 x end at the same
# indeling (Flevoland at a better one, 0.42 % -> 0.10 %), 1-3 s later. Gemeente and hybrid models keep 10,000: their
# branch-and-bound is fast, and the phases are time-boxed (hybrid Amsterdam and Rijnmond: the same optimum,
# 2.6 -> 4.4 s and 4.8 -> 8.9 s).
PC4_LEVEL_VARS = 5000
# PC4-size models whose LP, after its rounds, opens a whole number of hubs: the restricted-hub search starts from the
# LP's open hubs alone (as the warm start, the start's hubs and incumbent anchor the search near it), repeats with
# widening candidates, and runs until this share of the time limit; the start stays if it finds nothing better.
# PC4 JZ39 Zuidoost-Brabant (LP 7.00 hubs; start 6 SWVs, 706-709k): the search finds 689.7k and recombination then
# 685,591 with 7 SWVs, its optimum (session 18: proven with the count fixed at 7, and the LP with 6 is 701.4k), in 4
# of 6 runs alone (gap 0.45-0.51 %; 3.2 % before); 691,915 in the others. Session 18 asked for another count than
# the start's; since the site-seeded start (``_seeded``) JZ39's start has the LP's 7 SWVs (697.4k) and that search
# no longer ran (120 s alone: 697,399, 1.98 %; with it 691,915, 1.45 %).
LP_COUNT_SEARCH_SHARE = 0.8
# Above this many x only restricted-hub solves follow the LP rounds (repeated, widening the candidates). Memory
# decides the line: PC4 JZ01 (48,636 x) restricted-only 16.4 % gap at 1.0 GB, with branch-and-bound 11.9 % at
# 1.35 GB; a national PC4 run holds two such regions (and JZ02) at once under the 2 GB target.
RESTRICTED_ONLY_VARS = 40000
# Share of the time limit for the travel-only start on large models with disruption (the model without the
# disruption columns often solves in seconds: JZ13 hybrid 1.6 s; its optimum polished was optimal for JZ24), and
# the size (x) from which it runs (the line the disruption form used to switch at).
TRAVEL_START_SHARE = 0.1
TRAVEL_START_VARS = 2000
# PC4-size models whose start is still more than COUNT_LP_GAP above the LP bound after the LP rounds: LP rounds with
# the number of SWVs fixed at the start's count and at one more (if the LP opens that many), each up to
# COUNT_LP_SHARE of the time limit, rounded to a start (:meth:`_HighsRounds.count_lps`). With the count fixed the LP
# is far tighter, and often integral (Zeeland figures here and below: the graph before its fixed crossings were
# added, data version d8795e3b8f): PC4 Zeeland, exactly 4 SWVs, LP = the best 4-SWV indeling (497.5k, 4.6 s),
# which the free model does not find in 120 s (505.3k; gap 10.1 % -> 7.8 %). Its cuts are valid for every count,
# so they also lift the free bound (JZ07 515.8k -> 516.6k, JZ39 676.6k -> 678.0k).
COUNT_LP_GAP = 0.03
COUNT_LP_SHARE = 0.1
# PC4-size models before branch-and-bound: the bound of :meth:`_HighsRounds.count_bound`, its LPs up to this share of
# the time limit. PC4 JZ07 after 30 s of LP rounds: free LP 520.4k at 8.57 SWVs, 8 SWVs 522.3k, 9 SWVs 521.4k (2.2 s):
# bound 521.4k against its 526.1k indeling, 0.89 % instead of 0.99-1.01 %.
COUNT_BOUND_SHARE = 0.05
# PC4-size models whose site-seeded split (one SWV per site of the scarcest type) has more SWVs than the start: up to
# this share of the time limit (at least SEEDED_MIN_S) for restricted-hub solves around its hubs, before anything
# else (:func:`_seeded`). The starts had fewer SWVs than the optima, and the phases after it seldom open one more
# (that moves a whole set of facility sites). PC4 JZ01 Groningen: 569,172 with 8 SWVs after 13 s (580-607k after
# 120 s before; gap 7-10.5 % -> 4.3 %); JZ39 703.5k after 3 s (its optimum has 7 SWVs, one per pro site).
SEEDED_SHARE = 0.1
SEEDED_MIN_S = 4.0
# PC4-size models: the recombination search (:mod:`solvers.recombination`) on the start before anything else, up
# to RECOMBINE_START_SHARE of the time limit, and after the restricted-hub search, up to RECOMBINE_SHARE; at most
# RECOMBINE_PAIR_S per pair of SWVs. Both usually end early, at an indeling no pair improves. From the coarse start
# PC4 Zeeland reaches 480.6k in 9 s, the best indeling known (proven optimal for 5 SWVs); the rest of the solve had
# stopped at 497.5k (4 SWVs).
RECOMBINE_START_SHARE = 0.15
RECOMBINE_SHARE = 0.25
RECOMBINE_PAIR_S = 5.0
# Restricted-only models (above RESTRICTED_ONLY_VARS): the LP bound is the bound they report, so the LP rounds get
# LP_CUT_SHARE_ONLY of the time limit (PC4 JZ02: LP bound 885k after 30 s, 907k after 60 s), the restricted-hub
# search the rest but RECOMBINE_SHARE_ONLY, which the recombination search gets after it; none on the start (the
# restricted-hub search finds far better starts there). JZ02 alone 3.25 % -> 1.90 %, JZ01 10.2 % -> 8.4 %. With the
# hub-priced LP (solvers.hub_pricing; JZ02 914.6k after 48 s) 0.4 -> 0.5, JZ02 next to JZ01: 1.01 % -> 0.95 %
# (bound 914.6k -> 915.1k, same indeling); JZ01 8.3-11.9 % at either share (its incumbent varies from run to run).
LP_CUT_SHARE_ONLY = 0.5
RECOMBINE_SHARE_ONLY = 0.15
# HiGHS presolve in the MIP rounds: after the LP rounds and reduced-cost fixing it mostly costs time (JZ24
# hybrid, one round: 27 s with, 14 s without; load 3).
MIP_PRESOLVE = "off"
# Stop a HiGHS round as soon as its incumbent has an enclave (callbacks), instead of solving it out.
STOP_ON_ENCLAVE = True


# HiGHS's default relative gap: a gap this small counts as proven optimal (also for scenario gap 0).
OPTIMAL_GAP = 1e-4


def _within(inst: Instance, hub_of, bound: float) -> bool:
    """``hub_of`` is within the scenario's gap (at least :data:`OPTIMAL_GAP`) of ``bound``, as HiGHS measures it."""
    obj = inst.objective_of(hub_of)["objective"]
    return obj - bound <= max(inst.settings.gap, OPTIMAL_GAP) * max(abs(obj), 1e-9)


def _phase(limit: float, share: float, least: float, t0: float) -> float:
    """Seconds for a phase of a solve that started at ``t0``: ``share`` of the time limit, but at least ``least``
    (or PHASE_MAX_SHARE of the limit, if less), and never past the limit."""
    return min(_left(limit, t0), max(limit * share, min(least, limit * PHASE_MAX_SHARE)))


def _left(limit: float, t0: float) -> float:
    """Seconds left of a time limit counted from ``t0``."""
    return max(0.0, t0 + limit - time.perf_counter())


def _lp_count_whole(rounds, start) -> bool:
    """There is a start, and the last LP of ``rounds`` opens a whole number of hubs."""
    if start is None or not isinstance(rounds, _HighsRounds) or rounds._lp_val is None:
        return False
    return _whole(rounds._lp_count())


def _whole(v: float) -> bool:
    """An LP count of open hubs that is a whole number of SWVs."""
    return abs(v - round(v)) <= 1e-6


def _pc4_size(inst: Instance, n_pairs: int) -> bool:
    """The model gets the phases of PC4-size models (all candidate hubs, above :data:`RESTRICTED_HUBS_VARS` x, or
    above :data:`PC4_LEVEL_VARS` when every unit is a PC4 area)."""
    if inst.hubs is not None:
        return False
    all_pc4 = bool(inst.kinds) and all(k == "pc4" for k in inst.kinds)
    return n_pairs > (PC4_LEVEL_VARS if all_pc4 else RESTRICTED_HUBS_VARS)


def _n_pairs(inst: Instance) -> int:
    return sum(len(r) for r in inst.hub_region.values())


def _better(inst: Instance, a, b):
    """The cheaper of two valid assignments (either may be None)."""
    if a is None or b is None:
        return a if b is None else b
    return b if inst.objective_of(b)["objective"] < inst.objective_of(a)["objective"] else a


def _recombined(inst: Instance, start, seconds: float, cuts=()):
    """``start`` improved by the recombination search (:mod:`solvers.recombination`) for at most ``seconds``;
    its sub-models start with the separators ``cuts`` of this model on their units."""
    if start is None:
        return None
    return recombination.recombine(inst, start, time.perf_counter() + seconds, _sub_solve, RECOMBINE_PAIR_S, cuts)


def _seeded(inst: Instance, start, seconds: float):
    """``start``, or the site-seeded split (:func:`heuristic.seeded_split`) improved by restricted-hub solves around
    its hubs for at most ``seconds``, if they improved it and it is better. Only tried when the split has more SWVs
    than ``start``."""
    if seconds <= 0:
        return start
    seeded = heuristic.seeded_split(inst)
    if seeded is None or (start is not None and len(set(seeded)) <= len(set(start))):
        return start
    deadline = time.perf_counter() + seconds
    seeded = heuristic.improve(inst, seeded, min(1.0, seconds / 10))
    found = _restricted_search(inst, set(seeded), seeded, deadline, True)
    # The split alone is rarely good, and its hubs would then seed the phases after this one (PC4 Friesland, 20 s
    # under load: 1,032k where its own start led to 920k): it counts only once a restricted solve improved it.
    return start if found is seeded else _better(inst, start, found)


def _sub_solve(sub: Instance, warm: list[int], cuts=()) -> list[int] | None:
    """The recombination search's solver: the sub-model's best assignment (hub index per unit), or None."""
    return Districting(sub).solve(warm, cuts).hub_indices(sub.codes)


def _travel_only_start(inst: Instance, seconds: float, start=None
                       ) -> tuple[list[int] | None, list[separation.Cut]]:
    """Solve the model without the disruption term (exact contiguity, all hard constraints), then polish the
    result on the full objective (None if it finds nothing valid in time); with the separators that solve added."""
    sub = Districting(inst.with_settings(disruption_weight=0.0, time_limit_s=max(0.5, seconds),
                                         gap=max(inst.settings.gap, 0.01)), keep_cuts=True)
    res = sub.solve(start)
    return _polished(inst, res, seconds), res.cuts


def _restricted_search(inst: Instance, lp_hubs: set[int], start, deadline: float, repeat: bool, cuts=(),
                       bound: float | None = None):
    """Improve ``start`` by restricted-hub solves until ``deadline``: candidates are the LP's open hubs and the
    start's; after the first solve, also the hubs of the p-median with the start's number of SWVs
    (:mod:`solvers.pmedian`), and after each solve that did not improve (from the second on, or the first if the
    p-median adds no hub) the k nearest units of each start hub, k = 1, 3, 7, ...; one solve only unless
    ``repeat``, none once ``start`` is within the scenario's gap of ``bound`` (a bound of the whole model). Each
    starts with the separators ``cuts`` of the full model on its hubs. Returns the best valid assignment (``start``
    if nothing better)."""
    k = 0
    median: set[int] | None = None  # the p-median's hubs, after the first solve
    while start is None or bound is None or not _within(inst, start, bound):
        left = deadline - time.perf_counter()
        hubs = set(lp_hubs) | set(start or ()) | (median or set())
        for h in sorted(set(start or ())):
            hubs |= set(np.argsort(inst.reach_km[:, h], kind="stable")[:k + 1].tolist())
        if left < 1.0 or not hubs or len(hubs) > inst.n / 3:
            return start
        new = _restricted_hubs(inst, hubs, left, start, cuts)
        improved = new is not None and (start is None or inst.objective_of(new)["objective"]
                                         < inst.objective_of(start)["objective"] - 1e-6)
        if improved:
            start = new
        if median is None and start is not None:
            # After the first solve: also where travel alone would put as many hubs. PC4 Friesland (JZ02): the
            # site-seeded search stopped at 1,032,037 around its own hubs (in every budgeted run with 12-20 s, in
            # some with 30 s); with the 6-median's hubs 920,308, its best indeling known, 2 s later. Nine big PC4
            # regions with 12 s each: summed objective - bound 211k -> 174k against adding them only once a solve
            # did not improve (IJsselland, JZ07, 541k -> its optimum 526k; Twente 549k -> 533k).
            median = set(pmedian.p_median_hubs(inst, len(set(start))))
            if not improved and median <= hubs:
                k = 2 * k + 1
        elif not improved:
            k = 2 * k + 1
        if not repeat:
            return start
    return start


def _restricted_hubs(inst: Instance, hubs: set[int], seconds: float, start, cuts=()) -> list[int] | None:
    """The model with only ``hubs`` as candidate hubs (the LP's open hubs and the start's), time-boxed: a
    fraction of the columns, so branch-and-bound gets far in PC4-size models where the full one does not; its
    solutions are valid indelingen of the full model."""
    sub = Districting(replace(inst, hubs=frozenset(hubs)).with_settings(time_limit_s=max(0.5, seconds)))
    return _polished(inst, sub.solve(start, cuts), seconds)


def _polished(inst: Instance, res: DistrictingResult, seconds: float) -> list[int] | None:
    hub_of = res.hub_indices(inst.codes)
    if hub_of is None or inst.violations(hub_of):
        return None
    return heuristic.improve(inst, hub_of, min(2.0, max(0.1, seconds / 5)))


@dataclass(frozen=True)
class HubFixedLP:
    """The LP of a model with its hubs fixed (:func:`hub_fixed_lp`)."""

    bound: float | None  # None: that LP is infeasible or did not finish once in time
    rounds: int  # cut rounds
    converged: bool  # no separator, facility-path or kept-pupil row of its optimum is violated


def hub_fixed_lp(inst: Instance, hubs: set[int], seconds: float) -> HubFixedLP:
    r"""The LP relaxation with exactly ``hubs`` open (:math:`x_{jj} = 1` for j in ``hubs``, every other hub
    closed), cut by the solve's rounds (separators, facility paths, kept pupils) until none is violated or
    ``seconds`` pass. It bounds every indeling with these hubs, so it measures how much of a gap lies in the
    assignment rather than in the choice of hubs: when it is below an indeling's objective by more than the
    scenario's gap for that indeling's own hubs, no branching on hubs alone can prove that gap
    (``bench/bench_solve.py pc4-hubs``; PC4 JZ01 and JZ33 in bench/RESULTS.md)."""
    deadline = time.perf_counter() + seconds
    rounds = _HighsRounds(replace(inst, hubs=frozenset(hubs)))
    if any(not rounds.has_var(j, j) for j in hubs):
        return HubFixedLP(None, 0, False)  # a unit that cannot serve itself is never a hub
    for j in hubs:
        rounds.h.changeColBounds(rounds.mod.x[j, j], 1.0, 1.0)
    bound = rounds.lp_cuts(deadline)
    n_rounds = rounds.lp_rounds
    converged = False
    if bound is not None:
        cuts, kept = rounds.lp_separate()  # on the last LP optimum: empty only if the rounds ran to the end
        converged = not cuts and not kept
    return HubFixedLP(bound, n_rounds, converged)


class _PulpRounds:
    """The model as a PuLP problem (CBC, or HiGHS through PuLP); every round re-sends the whole model."""

    cheap_rows = False  # a PuLP row per coefficient object: lift enclave cuts to the open hubs only

    def __init__(self, inst: Instance, pool: list[separation.Cut] | None = None):
        self.inst = inst
        self.pool = pool  # every separator added is appended here, if given
        self.prob, self.v = constraints.build(inst)
        self.const = inst.settings.disruption_weight * self.v.disruption_total

    def lp_cuts(self, deadline: float) -> float | None:
        return None  # the integer rounds find the separators

    def fix_by_reduced_cost(self, start) -> int:
        return 0

    def lp_rounding(self, seconds: float) -> list[int] | None:
        return None

    def lp_hubs(self) -> set[int]:
        return set()

    def has_var(self, i: int, j: int) -> bool:
        return (i, j) in self.v.x

    def run(self, left: float, gap: float, start) -> backend.RunResult:
        s = self.inst.settings
        if start is not None:
            _set_start(self.v, self.inst, start)
        run = backend.run(self.prob, s.backend, left, gap, s.threads, s.seed, warm=start is not None)
        if run.bound is not None:
            run.bound += self.const
        return run

    def solution(self) -> list[int]:
        return _extract(self.v, self.inst)

    def add(self, cuts: list[separation.Cut]) -> int:
        if self.pool is not None:
            self.pool.extend(cuts)
        return _add_pulp_cuts(self.prob, self.v, cuts)


class _HighsRounds:
    """The model held in one in-memory HiGHS instance (solvers.highs_direct); rounds only append rows."""

    cheap_rows = True  # lift enclave cuts to every hub

    def __init__(self, inst: Instance, pool: list[separation.Cut] | None = None, back: bool = False):
        s = inst.settings
        self.inst = inst
        self.pool = pool  # every separator added is appended here, if given
        self.back = back  # LP rows from both sides of each violated separator (PC4-size models)
        self.mod = highs_direct.build(inst)
        self.h = highs_direct.to_highs(self.mod, s.threads, s.seed)
        self.mod.rows = highs_direct.Rows()  # HiGHS holds the rows now (PC4 JZ02: 2 million coefficients)
        self.index_columns()
        self.lp_rounds = 0
        self.lp_rows = 0
        self.lp_bound: float | None = None
        self.cutoff: float | None = None  # objective of the start that reduced-cost fixing is relative to
        self.start: list[int] | None = None
        self.n_fixed = 0
        self._use_start = False
        self._lp_val: np.ndarray | None = None
        self._stop = False
        self._watching = False
        self.interrupted = False
        self._lp_dual: np.ndarray | None = None
        self._row_dual: np.ndarray | None = None
        self._lp_rows_at = -1

    def index_columns(self) -> None:
        """The column views of :attr:`mod` (integrality, the x columns and their (unit, hub) pairs); again after
        columns are appended (:mod:`solvers.hub_pricing`)."""
        self.integer = np.asarray(self.mod.integer, dtype=bool)
        self.cols = np.array(list(self.mod.x.values()), dtype=np.int64)
        self.pairs = list(self.mod.x)

    def has_var(self, i: int, j: int) -> bool:
        return (i, j) in self.mod.x

    @contextlib.contextmanager
    def relaxation(self):
        """HiGHS solves the LP relaxation within the block, the MIP again after it."""
        self.h.setOptionValue("solve_relaxation", True)
        try:
            yield
        finally:
            self.h.setOptionValue("solve_relaxation", False)

    def lp_cuts(self, deadline: float, pricing=None) -> float | None:
        """Solve the LP relaxation, add the violated separators of its solution, repeat until none is violated
        or the deadline; returns the last LP bound (valid for the MIP). With ``pricing`` (a
        :class:`solvers.hub_pricing.HubPricedLP` over this model) absent hubs are priced after every solve and
        the blocks of those that price out appended; the bound is then the best Lagrangian bound of the rounds,
        and the rounds go on until no hub prices out either."""
        bound = None
        with self.relaxation():
            while time.perf_counter() < deadline and self.lp_solve(deadline):
                new: list[int] = []
                if pricing is None:
                    bound = self.lp_bound
                elif self._row_dual is None:
                    break  # no duals, no prices (and no bound)
                else:
                    priced, new = pricing.price()
                    bound = priced if bound is None else max(bound, priced)
                cuts, kept = self.lp_separate()
                if not cuts and not kept and not new:
                    break
                self.add_lp_rows(cuts, kept)
                if new:
                    pricing.extend(new)
        return bound

    def lp_solve(self, deadline: float) -> bool:
        """One LP solve (``solve_relaxation`` set) until ``deadline``; True if optimal, with :attr:`lp_bound`,
        the values and the reduced costs kept."""
        import highspy

        h = self.h
        # HiGHS 1.16 holds an LP (unlike a MIP) to time_limit on the model's cumulative run clock, so an LP after
        # earlier runs would stop at once (count_lps after the LP rounds did)
        h.setOptionValue("time_limit", h.getRunTime() + max(0.05, deadline - time.perf_counter()))
        backend.run_highs(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        self.lp_bound = float(h.getInfo().objective_function_value)
        sol = h.getSolution()
        # kept for reduced-cost fixing: adding rows below may invalidate HiGHS's copy
        self._lp_val = np.asarray(sol.col_value)
        self._lp_dual = np.asarray(sol.col_dual) if sol.dual_valid else None
        self._row_dual = np.asarray(sol.row_dual) if sol.dual_valid else None
        self._lp_rows_at = h.getNumRow()  # the rows this optimum saw (count_bound: is it still the free LP?)
        return True

    def lp_separate(self) -> tuple[list[separation.Cut], list]:
        """The separators, facility-path rows and kept-pupil rows the last LP optimum violates."""
        val = self._lp_val[self.cols]
        xval = {self.pairs[k]: float(val[k]) for k in np.flatnonzero(val > 1e-6)}
        cuts = (separation.fractional(self.inst, xval, back=self.back)
                + separation.facility_paths(self.inst, xval, back=self.back))
        self.lp_rounds += 1
        return cuts, highs_direct.kept_cuts(self.mod, self._lp_val)

    def add_lp_rows(self, cuts: list[separation.Cut], kept: list) -> None:
        self.lp_rows += self.add(cuts)
        highs_direct.add_rows(self.h, kept)
        self.lp_rows += len(kept)

    def lp_hubs(self, tol: float = 0.01) -> set[int]:
        """Hubs open above ``tol`` in the last LP optimum."""
        if self._lp_val is None:
            return set()
        return {j for j in self.mod.members if self._lp_val[self.mod.x[j, j]] > tol}

    def lp_rounding(self, seconds: float) -> list[int] | None:
        """A start from the last LP optimum: open the hubs with x[j, j] >= 0.5, send every unit to the open hub
        with its largest x[i, j], then repair contiguity and polish (None if no valid indeling comes out)."""
        if self._lp_val is None:
            return None
        val = self._lp_val[self.cols]
        x = dict(zip(self.pairs, val.tolist()))
        hubs = {j for j in self.mod.members if x[j, j] >= 0.5}
        hub_of = []
        for i in range(self.inst.n):
            opts = self.mod.hubs_of[i]
            open_ = [j for j in opts if j in hubs] or opts
            if not open_:
                return None
            hub_of.append(max(open_, key=lambda j: (x[i, j], -j)))
        for j in set(hub_of):
            hub_of[j] = j  # every chosen hub serves itself
        if self.inst.violations(hub_of):
            hub_of = heuristic.repair_contiguity(self.inst, hub_of)
            if hub_of is None or self.inst.violations(hub_of):
                return None
        return heuristic.improve(self.inst, hub_of, seconds)

    @contextlib.contextmanager
    def _free_lp_kept(self):
        """The last free LP's values, duals and bound stand after the block (count LPs solve others in it)."""
        saved = self._lp_val, self._lp_dual, self._row_dual, self.lp_bound, self._lp_rows_at
        try:
            yield
        finally:
            self._lp_val, self._lp_dual, self._row_dual, self.lp_bound, self._lp_rows_at = saved

    @contextlib.contextmanager
    def _count_fixed(self, k: int):
        r""":math:`\sum_j x_{jj} = k` within the block; the row is freed after (rows are never deleted)."""
        hubs = self.mod.hub_cols
        highs_direct.add_rows(self.h, [(hubs, [1.0] * len(hubs), float(k), float(k))])
        row = self.h.getNumRow() - 1
        try:
            yield
        finally:
            self.h.changeRowBounds(row, -INF, INF)

    def _lp_count(self) -> float:
        r""":math:`\sum_j x_{jj}` at the last LP optimum."""
        return float(self._lp_val[self.mod.hub_cols].sum())

    def count_bound(self, deadline: float) -> float | None:
        r"""A bound from the LP's convexity in the number of SWVs: with the rows the model holds now, the LP value
        :math:`\varphi(k)` with :math:`\sum_j x_{jj} = k` is convex in k and least at the free LP's
        :math:`k^* = \sum_j x_{jj}`, so every indeling (integer k) costs at least
        :math:`\min(\varphi(\lfloor k^* \rfloor), \varphi(\lceil k^* \rceil))`, which can lie well above the free LP
        when :math:`k^*` is fractional. Also after reduced-cost fixing: every indeling better than the start keeps
        its columns, and so does the start. None if an LP does not finish by ``deadline``; the free LP's values
        stay for what follows."""
        import highspy

        if self._lp_val is None or _whole(self._lp_count()):
            # the last free LP opens a whole number of hubs: nothing to gain, so no time spent (PC4 JZ39, JZ33)
            return None
        with self.relaxation(), self._free_lp_kept():
            # k* must come from an LP with the rows the count LPs get: solve again only if rows came since
            if self._lp_rows_at != self.h.getNumRow() and not self.lp_solve(deadline):
                return None
            free, k_star = float(self.lp_bound), self._lp_count()
            if _whole(k_star):
                return free
            values = []
            for k in (math.floor(k_star), math.ceil(k_star)):
                with self._count_fixed(k):
                    if self.lp_solve(deadline):
                        values.append(float(self.lp_bound))
                    elif self.h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
                        values.append(math.inf)  # no indeling has k SWVs
                    else:
                        return None
            return max(free, min(values)) if min(values) < math.inf else free

    def count_lps(self, start, seconds: float) -> list[int] | None:
        """LP rounds (:meth:`lp_cuts`) with the number of SWVs fixed, first at ``start``'s count, then at one more
        if the free LP opens that many hubs and the scenario allows it, each for up to ``seconds``, and
        :meth:`lp_rounding` of each; the best valid indeling found, or None. The count row is freed after each, so
        the model is the free one plus cuts (valid for every count)."""
        if self._lp_val is None or start is None:
            return None
        s = self.inst.settings
        k0 = len(set(start))
        counts = [k0] + ([k0 + 1] if self._lp_count() >= k0 + 0.5 else [])
        best = None
        # the free LP's values stand for what follows (reduced-cost fixing is done; lp_hubs reads them)
        with self._free_lp_kept():
            for k in counts:
                if s.target_swvs is not None or (s.min_swvs or 0) > k or (s.max_swvs is not None and k > s.max_swvs):
                    continue
                with self._count_fixed(k):
                    if self.lp_cuts(time.perf_counter() + seconds) is not None:
                        best = _better(self.inst, best, self.lp_rounding(min(1.0, seconds / 5)))
        return best

    def _on_solution(self, e) -> None:
        # An improving incumbent with an enclave: the round's remaining search would only refine a solution the
        # next round cuts off anyway, so stop it (at the next interrupt check) and add that enclave's separators.
        hub_of = self.solution_of(np.asarray(e.data_out.mip_solution))
        members: dict[int, set[int]] = {}
        for i, j in enumerate(hub_of):
            members.setdefault(j, set()).add(i)
        if any(len(components(m, self.inst.neighbours)) > 1 for m in members.values()):
            self._stop = True

    def _on_interrupt(self, e) -> None:
        e.interrupt(self._stop)  # HiGHS keeps the flag between runs: clear it explicitly

    def solution_of(self, col_value: np.ndarray) -> list[int]:
        val = col_value[self.cols]
        hub_of = [-1] * self.inst.n
        for k in np.flatnonzero(val > 0.5):
            i, j = self.pairs[k]
            hub_of[i] = j
        return hub_of

    def fix_by_reduced_cost(self, start) -> int:
        """Reduced-cost fixing after the LP rounds: a binary column at 0 in the LP optimum whose reduced cost lifts
        the LP bound above the start's objective is 0 in every solution better than the start (the start itself
        keeps all its columns, so it stays feasible). From here on the MIP bound is a bound of the restricted
        model; min(that, the start's objective) bounds the whole model."""
        if self.lp_bound is None or self._lp_dual is None:
            return 0
        ub = self.inst.objective_of(start)["objective"]
        dual, val = self._lp_dual, self._lp_val
        ints = np.flatnonzero(self.integer)
        slack = ub - self.lp_bound + 1e-6 * max(1.0, abs(ub))
        cols = ints[(dual[ints] > slack) & (val[ints] < 1e-9)]
        if len(cols):
            self.h.changeColsBounds(len(cols), cols.astype(np.int32), np.zeros(len(cols)), np.zeros(len(cols)))
        self.cutoff = ub
        self.start = list(start)
        self.n_fixed = len(cols)
        return len(cols)

    def run(self, left: float, gap: float, start) -> backend.RunResult:
        import highspy

        h = self.h
        t = time.perf_counter()
        h.setOptionValue("time_limit", max(0.05, float(left)))
        h.setOptionValue("mip_rel_gap", gap if gap > 0 else OPTIMAL_GAP)
        h.setOptionValue("presolve", MIP_PRESOLVE)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = highs_direct.start_values(self.inst, self.mod, start)
            sol.value_valid = True
            h.setSolution(sol)
        self._stop = False
        if STOP_ON_ENCLAVE and self.inst.settings.contiguity and not self._watching:
            # Weak references: bound methods would make a cycle (HiGHS -> callback -> self -> HiGHS) that only the
            # cyclic garbage collector frees, late, as it does not see HiGHS's memory (the recombination search
            # builds hundreds of small models: PC4 JZ02 grew 0.7 -> 1.35 GB in 36 s).
            solution, interrupt = weakref.WeakMethod(self._on_solution), weakref.WeakMethod(self._on_interrupt)
            h.cbMipImprovingSolution.subscribe(lambda e: solution()(e))
            h.cbMipInterrupt.subscribe(lambda e: interrupt()(e))
            self._watching = True
        backend.run_highs(h)
        run = backend.read_highs(h, time.perf_counter() - t)
        self.interrupted = self._stop
        if self.cutoff is not None:
            if run.status == "infeasible":  # nothing beats the start in the restricted model: the start is optimal
                self._use_start = True
                return backend.RunResult("optimal", True, self.cutoff, run.seconds)
            if run.bound is not None:
                run.bound = min(run.bound, self.cutoff)
        self._use_start = False
        return run

    def solution(self) -> list[int]:
        if self._use_start:
            return list(self.start)
        return self.solution_of(np.asarray(self.h.getSolution().col_value))

    def add(self, cuts: list[separation.Cut]) -> int:
        if self.pool is not None:
            self.pool.extend(cuts)
        x = self.mod.x
        rows = [([x[i, j]] + [x[k, j] for k in cut], [1.0] + [-1.0] * len(cut), -INF, 0.0)
                for i, j, cut in cuts]
        highs_direct.add_rows(self.h, rows)
        return len(rows)


def _set_start(v: constraints.ModelVars, inst: Instance, hub_of: Sequence[int]) -> None:
    for (i, j), var in v.x.items():
        var.setInitialValue(1.0 if hub_of[i] == j else 0.0)
    if v.z:
        sv = successor_values(inst, hub_of, v.z)
        kept, succ = sv["kept"], sv["successor"]
        for (key, j), z in v.z.items():
            z.setInitialValue(1.0 if succ.get(key) == j else 0.0)
        for (key, j), m in v.agg.items():
            m.setInitialValue(kept.get((key, j), 0.0) if succ.get(key) == j else 0.0)
        for (key, i), u in v.m.items():
            u.setInitialValue(1.0 if succ.get(key) == hub_of[i] else 0.0)
        for (key, i, j), w in v.w.items():
            w.setInitialValue(1.0 if hub_of[i] == j and succ.get(key) == j else 0.0)


def _extract(v: constraints.ModelVars, inst: Instance) -> list[int]:
    hub_of = [-1] * inst.n
    for (i, j), var in v.x.items():
        if (var.varValue or 0.0) > 0.5:
            hub_of[i] = j
    return hub_of


_CUT_IDS = itertools.count()


def _add_pulp_cuts(prob, v: constraints.ModelVars, cuts: list[separation.Cut]) -> int:
    import pulp

    for i, j, cut in cuts:
        prob += v.x[i, j] <= pulp.lpSum(v.x[k, j] for k in cut), f"sep_{i}_{j}_{next(_CUT_IDS)}"
    return len(cuts)


def separator_cuts(inst: Instance, v: constraints.ModelVars, hub_of: list[int], prob) -> int:
    """Add the separators of :func:`solvers.separation.integral` to a PuLP model; returns how many."""
    return _add_pulp_cuts(prob, v, separation.integral(inst, lambda i, j: (i, j) in v.x, hub_of))


__all__ = ["Districting", "DistrictingResult", "Instance", "Locks", "Settings", "INF"]
