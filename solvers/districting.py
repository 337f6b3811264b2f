"""The districting model: merge units into SWVs around hub units (Hess / p-median with side constraints).

In the spirit of PySAL spopt's region models: build with :meth:`Districting.from_units` (units, edges and
distance matrices) or :meth:`Districting.from_cost_matrix` (a bare cost matrix, for small experiments), then
call :meth:`Districting.solve`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from solvers import backend, constraints, heuristic, infeasibility
from solvers.instance import INF, Instance, Locks, Settings, components


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

    @property
    def n_swvs(self) -> int:
        return len(set(self.assignment.values())) if self.assignment else 0


class Districting:
    r"""Exact districting of one region into SWVs.

    Sets: units :math:`V` (index i, j), adjacency :math:`E`, required facility types :math:`T`, current
    po/vo SWVs :math:`P` (disruption). Data: pupils :math:`p_i`; :math:`d_{ij}` max km from i's PC4 centres to
    hub j; :math:`c_{ij}` pupil-weighted km of i to j; :math:`f_{it} = 1` if unit i has a site of type t;
    :math:`q_{iP}` pupils of unit i in current SWV P, :math:`Q_P = \sum_i q_{iP}`.

    Variables: :math:`x_{ij} \in \{0,1\}` unit i in the SWV whose hub is j; :math:`x_{jj}` = j is a hub
    (Hess). :math:`x_{ij}` exists only if :math:`d_{ij} \le` max_km, :math:`d_{jj} \le` max_km and (with
    contiguity) i is connected to j through units within max_km of j — the travel limit is variable fixing.
    Disruption: :math:`z_{Pj} \in \{0,1\}` (j's SWV is P's main successor), :math:`u_{iP} \in [0,1]` (unit i's
    P-pupils stay with that successor), :math:`w_{iPj}` (= :math:`\min(x_{ij}, z_{Pj})`). :math:`\epsilon` = 0.01 per km is a tie-break so pupil-less units join
    their nearest hub.

    .. math::
        \min\ & w_t \sum_{ij} c_{ij} x_{ij} + w_d \big(\sum_P Q_P - \sum_{iP} q_{iP} u_{iP}\big) + w_n \sum_j x_{jj}
              + \epsilon \sum_{ij} d_{ij} x_{ij} \\
        \text{s.t. } & \sum_j x_{ij} = 1 \quad \forall i \qquad x_{ij} \le x_{jj} \quad \forall i \ne j \\
        & \sum_i f_{it} x_{ij} \ge x_{jj} \quad \forall j, t \in T  \quad\text{(dekkend aanbod)} \\
        & L\, x_{jj} \le \sum_i p_i x_{ij} \le U\, x_{jj} \quad \forall j \quad\text{(size)} \\
        & x_{ij} \le \sum_{k \in C} x_{kj} \quad \forall i, j, \text{ every } i\text{-}j \text{ vertex separator } C
          \quad\text{(contiguity)} \\
        & u_{iP} \le \sum_j w_{iPj},\ w_{iPj} \le x_{ij},\ w_{iPj} \le z_{Pj},\ z_{Pj} \le x_{jj},\
          \sum_j z_{Pj} \le 1,\ 0 \le u, w \le 1 \\
        & \text{facility distance: } x_{ij} \le \sum_{k \in N_t(i)} x_{kj} \text{ (units with a t-site in reach)} \\
        & \text{locks: } x_{aj} = x_{bj} \text{ (together, same pin, keep current whole)},\
          x_{aj} + x_{bj} \le 1 \text{ (apart, different pins)} \\
        & \text{target: } \sum_j x_{jj} = k \quad\text{or a range } a \le \sum_j x_{jj} \le b
    
    With i in j's SWV, :math:`u_{iP} \le z_{Pj}`, so :math:`Q_P - \sum_i q_{iP} u_{iP}` is at least (and at the
    optimum exactly) the number of P's pupils outside the new SWV keeping most of P: the disruption term counts
    pupils whose po (or vo) SWV territory changes. It is computed per jeugdregio, so a current SWV's pieces in
    other jeugdregio's count as kept by their own local successor (the evaluator counts them all as changed).
    Contiguity: the separator family is exponential, so the model starts with the neighbour separators
    (:math:`C = N(i)`) and adds minimal separators for every disconnected piece of a solution, re-solving until
    every SWV is connected (row generation; the bound of each round is a valid bound). Symmetry is broken by the
    hub: an SWV has exactly one hub. The hub of an SWV is its pupil-weighted median within the travel limit.
    A national number of SWVs couples the regions; it is met outside this model by solving each region for ranges
    of counts (``Settings.min_swvs``/``max_swvs``) and choosing the counts by dynamic programming
    (:mod:`solvers.allocation`, :mod:`regioindeling.national_target`).
    """

    def __init__(self, instance: Instance):
        self.instance = instance

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

    def solve(self, warm_start: Sequence[int] | None = None) -> DistrictingResult:
        """Solve to the scenario's gap within its time limit; never raises for infeasible input."""
        inst = self.instance
        s = inst.settings
        t0 = time.perf_counter()
        problems = infeasibility.precheck(inst)
        if problems:
            return DistrictingResult("infeasible", None, seconds=time.perf_counter() - t0,
                                     message="; ".join(problems))
        start = heuristic.warm_start(inst, list(warm_start) if warm_start is not None else None)
        prob, v = constraints.build(inst)
        const = s.disruption_weight * v.disruption_total
        best_bound = None
        iterations = 0
        hub_of = None
        last = None
        # Separator rounds run at a loose gap (their only job is to find the pieces to cut off; their bounds stay
        # valid); once a round's solution is connected, a final solve at the scenario's gap finishes the job.
        target_gap = s.gap
        phase_gap = max(target_gap, 0.01) if s.contiguity else target_gap
        while True:
            left = s.time_limit_s - (time.perf_counter() - t0)
            if start is not None:
                _set_start(v, inst, start)
            run = backend.run(prob, s.backend, left, phase_gap, s.threads, s.seed, warm=start is not None)
            iterations += 1
            last = run
            if run.bound is not None:
                best_bound = run.bound + const if best_bound is None else max(best_bound, run.bound + const)
            if run.status == "infeasible":
                # Also after separator rounds: the cuts are valid for every connected indeling, so an infeasible
                # round proves that none exists (before, this was reported as a time-out).
                msg = infeasibility.explain(inst, time_limit=max(1.0, s.time_limit_s / 4))
                return DistrictingResult("infeasible", None, seconds=time.perf_counter() - t0,
                                         iterations=iterations, message=msg)
            if not run.has_solution:
                hub_of = None
                break
            hub_of = _extract(v, inst)
            cuts = separator_cuts(inst, v, hub_of, prob)
            if not cuts:
                if phase_gap > target_gap and run.status == "optimal" and time.perf_counter() - t0 < s.time_limit_s:
                    phase_gap = target_gap
                    if start is None or inst.objective_of(hub_of)["objective"] < inst.objective_of(start)["objective"]:
                        start = hub_of
                    continue
                break
            fixed = heuristic.repair_contiguity(inst, hub_of)
            if fixed is not None:
                left = s.time_limit_s - (time.perf_counter() - t0)
                fixed = heuristic.improve(inst, fixed, min(2.0, max(0.0, left / 10)))
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
                                                 f"{s.time_limit_s:g} s; raise solver.time_limit_s or relax "
                                                 "constraints")
            hub_of, status = list(start), "timeout"
        else:
            status = last.status
        terms = inst.objective_of(hub_of)
        obj = terms["objective"]
        gap = None
        if best_bound is not None:
            gap = max(0.0, (obj - best_bound) / max(abs(obj), 1e-9))
            if gap < 1e-9:
                gap = 0.0
        if status == "optimal" and gap is not None and gap > 1e-4:
            status = "feasible"  # stopped at the scenario's gap, not proven optimal
        message = ""
        if status in ("timeout", "feasible"):
            message = (f"{inst.label}: best indeling found within {s.time_limit_s:g} s, not proven optimal"
                       + (f" (gap {gap:.2%})" if gap is not None else ""))
        return DistrictingResult(status, {inst.codes[i]: inst.codes[j] for i, j in enumerate(hub_of)},
                                 objective=obj, bound=best_bound, gap=gap, seconds=seconds,
                                 iterations=iterations, message=message, terms=terms)


def _set_start(v: constraints.ModelVars, inst: Instance, hub_of: Sequence[int]) -> None:
    for (i, j), var in v.x.items():
        var.setInitialValue(1.0 if hub_of[i] == j else 0.0)
    if v.z:
        kept: dict[tuple[str, int], float] = {}
        for i, j in enumerate(hub_of):
            for key, p in inst.current[i].items():
                kept[key, j] = kept.get((key, j), 0.0) + p
        best: dict[str, tuple[float, int]] = {}
        for (key, j), p in sorted(kept.items()):
            if (key, j) in v.z and (key not in best or p > best[key][0]):
                best[key] = (p, j)
        for (key, j), z in v.z.items():
            z.setInitialValue(1.0 if key in best and best[key][1] == j else 0.0)
        for (key, j), m in v.agg.items():
            m.setInitialValue(kept.get((key, j), 0.0) if key in best and best[key][1] == j else 0.0)
        for (key, i), u in v.m.items():
            u.setInitialValue(1.0 if key in best and best[key][1] == hub_of[i] else 0.0)
        for (key, i, j), w in v.w.items():
            w.setInitialValue(1.0 if hub_of[i] == j and key in best and best[key][1] == j else 0.0)


def _extract(v: constraints.ModelVars, inst: Instance) -> list[int]:
    hub_of = [-1] * inst.n
    for (i, j), var in v.x.items():
        if (var.varValue or 0.0) > 0.5:
            hub_of[i] = j
    return hub_of


_CUT_IDS = itertools.count()


def separator_cuts(inst: Instance, v: constraints.ModelVars, hub_of: list[int], prob) -> int:
    """Add x[i, j] <= sum_{k in C} x[k, j] for every unit i in a piece of j's SWV cut off from j (C a minimal
    separator within the units j may serve). Returns the number of cuts added."""
    import pulp

    if not inst.settings.contiguity:
        return 0
    nb = inst.neighbours
    members: dict[int, set[int]] = {}
    for i, j in enumerate(hub_of):
        members.setdefault(j, set()).add(i)
    added = 0
    for j, mem in sorted(members.items()):
        region = inst.hub_region[j]
        for comp in components(mem, nb):
            if j in comp:
                continue
            sep = {k for u in comp for k in nb[u] if k not in comp and k in region}
            seen, stack = {j}, [j]
            while stack:
                u = stack.pop()
                for w in nb[u]:
                    if w in region and w not in sep and w not in comp and w not in seen:
                        seen.add(w)
                        stack.append(w)
            cut = sorted(k for k in sep if any(w in seen for w in nb[k]))
            for i in sorted(comp):
                prob += v.x[i, j] <= pulp.lpSum(v.x[k, j] for k in cut), f"sep_{i}_{j}_{next(_CUT_IDS)}"
                added += 1
            # The piece's whole neighbourhood separates it from every other hub outside it as well: cut those
            # of the open hubs too, so the next round cannot just move the same enclave to another open hub
            # (all hubs would be stronger still, but costs memory at PC4 level: 1.4 GB for 153 units).
            ring = {k for u in comp for k in nb[u] if k not in comp}
            for h in sorted(members):
                if h == j or h in comp or h in ring:
                    continue
                inside = [i for i in sorted(comp) if (i, h) in v.x]
                if not inside:
                    continue
                near = [k for k in sorted(ring) if (k, h) in v.x]
                for i in inside:
                    prob += v.x[i, h] <= pulp.lpSum(v.x[k, h] for k in near), f"sep_{i}_{h}_{next(_CUT_IDS)}"
                    added += 1
    return added


__all__ = ["Districting", "DistrictingResult", "Instance", "Locks", "Settings", "INF"]
