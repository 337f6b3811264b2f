"""A national number of SWVs (``objective.target_swvs_national``) over independently solved jeugdregio's.

Jeugdregio's never share an SWV, so "exactly K SWVs in the country" asks for a count k_r per jeugdregio with
sum k_r = K minimising sum f_r(k_r), f_r(k) being the jeugdregio's optimum with exactly k SWVs. The search:

1. Solve every jeugdregio freely (its own optimum f_r(k0_r) is a lower bound on every f_r(k)); jeugdregio's with
   ``target_swvs_per_jeugdregio`` are fixed to that count. Counts outside :func:`solvers.allocation.count_bounds`
   (sizes, facilities, hubs, travel, locks) are impossible; K outside their sum is refused before any solve.
2. A solve over a *range* of counts a..b (``Settings.min_swvs``/``max_swvs``) gives the best indeling in that range
   (an exact value at the count it lands on) and a lower bound for every other count in it. The knapsack DP
   (:func:`solvers.allocation.allocate`) over these lower bounds picks the cheapest possible counts; where a pick is
   only bounded, the unsolved range around it is solved next (all such jeugdregio's of a round in parallel).
   The first round widens every jeugdregio one step from its own optimum in the direction K needs.
3. When the DP picks only solved counts, its choice is optimal: exact when every per-jeugdregio solve is proven
   optimal, otherwise within the reported gap (a DP over every lower bound bounds the national optimum).
   A jeugdregio whose own optimum is not proven (it stopped at solver.time_limit_s, e.g. the big cities at PC4 or
   hybrid level) has bounds too weak to steer by: it offers only the indelingen found, widened one count at a time
   while no choice reaches K, since each further count costs it a full time limit.

A jeugdregio without any valid indeling is reported as usual and left out: the target is met by the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from regioindeling.errors import InputError
from solvers import Districting, DistrictingResult
from solvers.allocation import Allocation, CountBounds, allocate, count_bounds
from solvers.infeasibility import precheck

INF = float("inf")
FIELD = "objective.target_swvs_national"


@dataclass
class Curve:
    """What the solves so far say about f(k), one jeugdregio's best objective with exactly k SWVs."""

    task: object                       # regioindeling.solve.Task (model built for the free solve)
    bounds: CountBounds
    fixed: bool                        # target_swvs_per_jeugdregio: only that count
    points: dict[int, DistrictingResult] = field(default_factory=dict)  # count -> best indeling found
    lower: list[tuple[int, int, float]] = field(default_factory=list)   # f(k) >= v for a <= k <= b
    stuck: set[int] = field(default_factory=set)  # counts whose range solve found nothing in the time limit
    solves: list[tuple[int, int, str, int | None]] = field(default_factory=list)  # (a, b, status, count found)
    seconds: float = 0.0
    first: DistrictingResult | None = None   # the free solve's result, whatever its status
    free: DistrictingResult | None = None    # the same when it found an indeling (the jeugdregio's own optimum)

    @property
    def jz(self) -> str:
        return self.task.jeugdregio

    @property
    def lo(self) -> int:
        return self.bounds.lo

    @property
    def hi(self) -> int:
        return self.bounds.hi

    @property
    def solvable(self) -> bool:
        return bool(self.points)

    @property
    def sure(self) -> bool:
        """Its own optimum is proven (or within the scenario's solver.gap): bounds on other counts are tight enough
        to search them by their bounds."""
        r = self.first
        if r is None or not r.assignment:
            return False
        asked = max(self.task.model.instance.settings.gap, 1e-4)
        return r.status == "optimal" or (r.status == "feasible" and r.gap is not None and r.gap <= asked + 1e-9)

    def proven(self, k: int) -> bool:
        return k in self.points and self.points[k].status == "optimal"

    def lb(self, k: int) -> float:
        """A lower bound on f(k) (the objective itself for a proven optimum; inf: no indeling has k SWVs)."""
        if self.proven(k):
            return float(self.points[k].objective)
        v = 0.0  # every objective term is >= 0
        for a, b, low in self.lower:
            if a <= k <= b:
                v = max(v, low)
        return v

    def ub(self, k: int) -> float:
        return float(self.points[k].objective) if k in self.points else INF

    def refinable(self, k: int) -> bool:
        return not self.fixed and k not in self.points and k not in self.stuck and self.lb(k) < INF

    def gap_range(self, k: int) -> tuple[int, int]:
        """The run of unsolved counts around k (a range solve over it bounds every one of them)."""
        a = b = k
        while a - 1 >= self.lo and a - 1 not in self.points and a - 1 not in self.stuck:
            a -= 1
        while b + 1 <= self.hi and b + 1 not in self.points and b + 1 not in self.stuck:
            b += 1
        return a, b

    def record(self, a: int, b: int, res: DistrictingResult) -> None:
        self.seconds += res.seconds
        k = res.n_swvs if res.assignment else None
        self.solves.append((a, b, res.status, k))
        if k is not None and not a <= k <= b and (a, b) != (self.lo, self.hi):
            # The model ignored the count rows (a backend without Settings.min_swvs/max_swvs): nothing learnt.
            self.stuck |= {c for c in range(a, b + 1) if c not in self.points}
            return
        if res.status == "infeasible":
            self.lower.append((a, b, INF))
            return
        if res.status == "optimal" and res.objective is not None:
            # proven optimal over a..b (to the solver's tolerance): the objective is the minimum of the range
            self.lower.append((a, b, float(res.objective)))
        elif res.bound is not None:
            self.lower.append((a, b, float(res.bound)))
        if k is None:
            self.stuck |= {c for c in range(a, b + 1) if c not in self.points}
            return
        if k < self.lo or k > self.hi:
            # count_bounds are necessary conditions; a solution outside them would be a bug there, not here
            self.bounds = replace(self.bounds, lo=min(self.lo, k), hi=max(self.hi, k))
        old = self.points.get(k)
        if old is None or (res.status == "optimal", -res.objective) > (old.status == "optimal", -old.objective):
            self.points[k] = res


def _range_task(curve: Curve, a: int, b: int):
    """The jeugdregio's model restricted to a..b SWVs (exactly a when a == b)."""
    inst = curve.task.model.instance
    inst = inst.with_settings(target_swvs=a) if a == b else inst.with_settings(min_swvs=a, max_swvs=b)
    # no PC4 hybrid-level start: its count is the free one, usually outside a..b, and re-solving it per range
    # would repeat the same coarse solve (up to 10 % of the time limit) for every range of the jeugdregio
    return replace(curve.task, model=Districting(inst), warm=None, coarse=None, coarse_of=None)


@dataclass
class NationalSearch:
    """The outcome: the chosen indeling per jeugdregio and what the report says about it."""

    target: int
    curves: dict[str, Curve]
    results: dict[str, DistrictingResult]      # jeugdregio -> chosen indeling (seconds: all its solves)
    counts: dict[str, int]
    value: float | None                        # summed objective of the chosen counts
    bound: float | None                        # lower bound on the national optimum with K SWVs
    exact: bool
    rounds: int
    message: str

    @property
    def met(self) -> bool:
        return bool(self.counts) and sum(self.counts.values()) == self.target

    @property
    def free_swvs(self) -> int:
        return sum(c.free.n_swvs for c in self.curves.values() if c.solvable)

    @property
    def free_objective(self) -> float:
        return float(sum(c.free.objective for c in self.curves.values() if c.solvable))

    def note(self, jz: str) -> str:
        c = self.curves.get(jz)
        if c is None or not c.solvable:
            return f"no valid indeling, so not part of the national target of {self.target} SWVs"
        k = self.counts.get(jz)
        if k is None:
            return f"the national target of {self.target} SWVs was not met; kept its own optimum"
        tried = sorted({s[3] for s in c.solves if s[3] is not None})
        solved = f"; counts solved: {', '.join(map(str, tried))}" if len(tried) > 1 else ""
        proof = "" if c.proven(k) else "; not proven optimal at this count, so the national choice is not exact"
        if c.fixed:
            return f"{_swvs(k)}, fixed by objective.target_swvs_per_jeugdregio{proof}"
        k0 = c.free.n_swvs
        if k == k0:
            return f"{_swvs(k)}, its own optimum{solved}{proof}"
        delta = c.points[k].objective - c.free.objective
        pct = delta / max(abs(c.free.objective), 1e-9)
        return (f"{_swvs(k)} instead of its own optimum's {k0} (objective +{delta:,.0f}, {pct:+.1%}): part of the "
                f"cheapest way to reach the national target of {self.target}{solved}{proof}")

    def annotate(self, reports: list) -> list:
        out = []
        for r in reports:
            c = self.curves.get(r.jeugdregio)
            free = c.free.n_swvs if c is not None and c.solvable else None
            out.append(replace(r, free_swvs=free, count_note=self.note(r.jeugdregio)))
        return out

    def annotate_national(self, national: dict) -> None:
        national["target"] = {
            "swvs": self.target, "n_swvs": sum(self.counts.values()), "free_swvs": self.free_swvs,
            "free_objective": self.free_objective, "objective": self.value, "bound": self.bound,
            "exact": self.exact, "rounds": self.rounds,
            "solves": sum(len(c.solves) for c in self.curves.values()),
            "changed": {jz: [self.curves[jz].free.n_swvs, k] for jz, k in sorted(self.counts.items())
                        if k != self.curves[jz].free.n_swvs},
            "message": self.message}
        if self.value is not None and self.bound is not None and self.counts:
            national["bound"] = self.bound
            national["gap"] = max(0.0, (self.value - self.bound) / max(abs(self.value), 1e-9))
            if not self.exact and national["status"] == "optimal":
                national["status"] = "feasible"

    def metadata(self) -> dict:
        """Deterministic summary for the proposal (no timings)."""
        return {"swvs": self.target, "met": self.met,
                "exact": self.exact, "free_swvs": self.free_swvs}


def _swvs(k: int) -> str:
    return f"{k} SWV" if k == 1 else f"{k} SWVs"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}'s" if word.endswith("o") else f"{n} {word}s"


def _range_error(target: int, curves: list[Curve], lo: int, hi: int, solved: bool, left_out: list[str]) -> InputError:
    """K outside what the jeugdregio's allow together: name the range, the rules that make it, and the fix."""
    n = len(curves)
    out_note = f"; {', '.join(left_out[:4])} {'have' if len(left_out) > 1 else 'has'} no valid indeling and " \
               f"{'are' if len(left_out) > 1 else 'is'} left out" if left_out else ""
    basis = "the solver's results" if solved else "sizes, facilities, hubs, travel and locks"
    if target < lo:
        more = [c for c in curves if (c.lo if not solved else _kmin(c)) > 1]
        detail = "; ".join(f"{c.jz} at least {c.lo if not solved else _kmin(c)}"
                           + ("" if solved else f" ({c.bounds.lo_why})") for c in more[:3])
        problem = (f"no indeling has exactly {target} SWVs: the {n} jeugdregio's need at least {lo} together "
                   f"(by {basis}: at least one SWV each" + (f"; {detail}" if detail else "") + f"){out_note}")
    else:
        tight = sorted(curves, key=lambda c: (-(c.hi if not solved else _kmax(c)), c.jz))
        detail = "; ".join(f"{c.jz} at most {c.hi if not solved else _kmax(c)}"
                           + ("" if solved else f" ({c.bounds.hi_why})") for c in tight[:3])
        problem = (f"no indeling has exactly {target} SWVs: the {n} jeugdregio's allow at most {hi} together "
                   f"(by {basis}, e.g. {detail}){out_note}")
    return InputError("scenario", problem, f"set {FIELD} between {lo} and {hi}, or relax the limits that bound "
                      "the count (size, facilities.required, travel.max_km, locks)", field=FIELD)


def _kmin(c: Curve) -> int:
    return min(k for k in range(c.lo, c.hi + 1) if c.lb(k) < INF)


def _kmax(c: Curve) -> int:
    return max(k for k in range(c.lo, c.hi + 1) if c.lb(k) < INF)


def _allocate_lb(live: dict[str, Curve], target: int) -> Allocation | None:
    """The DP over lower bounds: no choice of counts can cost less (a valid bound on the national optimum)."""
    options = {jz: {k: c.lb(k) for k in range(c.lo, c.hi + 1)} for jz, c in live.items()}
    unsure = {jz: {k for k in range(c.lo, c.hi + 1) if not c.proven(k)} for jz, c in live.items()}
    return allocate(options, target, unsure)


def _select(live: dict[str, Curve], target: int) -> Allocation | None:
    """The DP that steers the search: lower bounds where the own optimum is proven (counts whose solve found
    nothing within the time limit left out); where it is not (a jeugdregio that stopped at its time limit), only
    the indelingen found, at their value: its bounds are too weak to steer by, and every further count costs a
    full time limit."""
    options, unsure = {}, {}
    for jz, c in live.items():
        if c.sure:
            options[jz] = {k: (INF if k in c.stuck else c.lb(k)) for k in range(c.lo, c.hi + 1)}
        else:
            options[jz] = {k: c.ub(k) for k in c.points}
        unsure[jz] = {k for k in options[jz] if not c.proven(k)}
    return allocate(options, target, unsure)


def _widen(live: dict[str, Curve], up: bool) -> list[tuple[Curve, int]]:
    """The next count beyond those found, for each jeugdregio searched by its indelingen only."""
    out = []
    for c in live.values():
        if c.sure:
            continue
        k = max(c.points) + 1 if up else min(c.points) - 1
        if c.lo <= k <= c.hi and c.refinable(k):
            out.append((c, k))
    return out


def solve_national(todo: list, target: int, runner, progress=None) -> NationalSearch:
    """Solve ``todo`` (one task per jeugdregio with a model, all of the country) for exactly ``target`` SWVs."""
    curves: dict[str, Curve] = {}
    for t in todo:
        inst = t.model.instance
        curves[t.jeugdregio] = Curve(t, count_bounds(inst), inst.settings.target_swvs is not None)
    usable = [c for c in curves.values() if c.lo <= c.hi and not precheck(c.task.model.instance)]
    lo, hi = sum(c.lo for c in usable), sum(c.hi for c in usable)
    if usable and not lo <= target <= hi:
        raise _range_error(target, usable, lo, hi, False, [])

    def free_progress(rep) -> None:
        if progress:
            progress(replace(rep, free_swvs=rep.n_swvs or None,
                             count_note=f"own optimum {_swvs(rep.n_swvs)}; the national target of {target} sets the "
                             "count once every jeugdregio is solved" if rep.n_swvs else ""))

    # Round 0: every jeugdregio's own optimum (its count range is implied by the model, so no extra rows)
    for t, res in zip(todo, runner.run(todo, free_progress)):
        c = curves[t.jeugdregio]
        c.record(c.lo, c.hi, res)
        c.first = res
        c.free = c.points.get(res.n_swvs) if res.assignment else None
    live = {jz: c for jz, c in sorted(curves.items()) if c.solvable}
    left_out = sorted(jz for jz, c in curves.items() if not c.solvable)
    results: dict[str, DistrictingResult] = {jz: curves[jz].first for jz in left_out}
    rounds = 0
    if not live:
        return NationalSearch(target, curves, results, {}, None, None, False, rounds,
                              "no jeugdregio has a valid indeling")
    # Round 1: one step from each jeugdregio's own count in the direction the target needs
    need = target - sum(c.free.n_swvs for c in live.values())
    step = [(c, c.free.n_swvs + (1 if need > 0 else -1)) for c in live.values()] if need else []
    picks = [(c, k) for c, k in step if c.lo <= k <= c.hi and c.refinable(k)]
    last: Allocation | None = None
    while True:
        if picks:
            rounds += 1
            ranges = [(c, *c.gap_range(k)) for c, k in picks]
            batch = [_range_task(c, a, b) for c, a, b in ranges]
            for (c, a, b), res in zip(ranges, runner.run(batch)):
                c.record(a, b, res)
        last = _select(live, target)
        if last is None:
            picks = _widen(live, need > 0)
            if not picks:
                break
            continue
        picks = [(live[jz], k) for jz, k in sorted(last.counts.items()) if live[jz].sure and live[jz].refinable(k)]
        if not picks:
            break
    bound = _allocate_lb(live, target)
    if bound is None:
        kmin, kmax = sum(_kmin(c) for c in live.values()), sum(_kmax(c) for c in live.values())
        raise _range_error(target, list(live.values()), kmin, kmax, True, left_out)
    chosen = allocate({jz: {k: c.ub(k) for k in c.points} for jz, c in live.items()}, target,
                      {jz: {k for k in c.points if not c.proven(k)} for jz, c in live.items()})
    if chosen is None:
        # The counts the target needs stayed unsettled within the time limit: keep the own optima, say so.
        for jz, c in live.items():
            results[jz] = replace(c.free, seconds=c.seconds)
        stuck = sorted(jz for jz, c in live.items() if c.stuck)
        msg = (f"no indeling with exactly {target} SWVs found within solver.time_limit_s (no result for some counts "
               f"in {', '.join(stuck[:4])}); each jeugdregio keeps its own optimum; raise solver.time_limit_s")
        return NationalSearch(target, curves, results, {}, None, bound.value, False, rounds, msg)
    for jz, k in chosen.counts.items():
        results[jz] = replace(live[jz].points[k], seconds=live[jz].seconds)
    exact = all(live[jz].proven(k) for jz, k in chosen.counts.items()) and chosen.value <= bound.value + 1e-6 * max(
        1.0, abs(chosen.value))
    free_k = sum(c.free.n_swvs for c in live.values())
    changed = sum(1 for jz, k in chosen.counts.items() if k != live[jz].free.n_swvs)
    extra = chosen.value - sum(c.free.objective for c in live.values())
    msg = (f"national target {target} SWVs ({free_k} at the jeugdregio's own optima): "
           f"{_plural(changed, 'jeugdregio')} changed count, objective +{extra:,.0f}; "
           + ("exact (every per-jeugdregio solve proven optimal)" if exact else
              f"not proven exact: some per-jeugdregio solves stopped at solver.time_limit_s (national gap "
              f"{(chosen.value - bound.value) / max(abs(chosen.value), 1e-9):.2%})")
           + (f"; {', '.join(left_out)} left out (no valid indeling)" if left_out else ""))
    return NationalSearch(target, curves, results, dict(chosen.counts), chosen.value, bound.value, exact, rounds, msg)


__all__ = ["Curve", "NationalSearch", "solve_national"]
