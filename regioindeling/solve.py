"""Solve a scenario: build one districting model per jeugdregio, solve them in parallel, combine, re-check.

Units of different jeugdregio's never share an SWV, so the national problem decomposes exactly into one
model per jeugdregio (see :class:`solvers.Districting`). A jeugdregio that fails or is infeasible is reported
and leaves its units unassigned; it never stops the others. SWV ids are ``<JZ>-<hub unit code>``, so the same
data, scenario and seed give the same proposal byte for byte (timings stay out of the proposal).
A national number of SWVs (``objective.target_swvs_national``) is met by :mod:`regioindeling.national_target`,
which solves further counts per jeugdregio in the same worker pool and picks the cheapest combination.
"""

from __future__ import annotations

import copy
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from regioindeling import budget
from regioindeling.errors import InputError
from regioindeling.model import DisjointSets, Proposal, facility_types_of, is_gemeente_code, is_pc4_code
from regioindeling.scenario import Scenario
from regioindeling.units import UnitSet
from solvers import Districting, DistrictingResult, Locks, Settings

_STATUS_RANK = {"optimal": 0, "feasible": 1, "timeout": 2, "infeasible": 3, "failed": 4}


@dataclass
class JzReport:
    jeugdregio: str
    name: str
    status: str            # "optimal" | "feasible" | "infeasible" | "failed" | "timeout"
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    n_units: int
    n_swvs: int
    message: str = ""
    # With objective.target_swvs_national: the count at the jeugdregio's own optimum, and why it got n_swvs.
    free_swvs: int | None = None
    count_note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SolveResult:
    proposal: Proposal
    evaluation: object | None            # regioindeling.evaluate.Evaluation
    reports: list[JzReport]
    national: dict                        # status, objective, bound, gap, seconds
    infeasibilities: list[str] = field(default_factory=list)


@dataclass
class Task:
    jeugdregio: str
    name: str
    model: Districting | None
    message: str = ""             # set when the region is infeasible before any model is built
    warm: list[int] | None = None
    # A start from another indeling (regioindeling.starts): a group per unit, and the hubs to keep.
    start_groups: list[int] | None = None
    start_hubs: list[int] = field(default_factory=list)
    # PC4 level: the same jeugdregio at hybrid level, solved first in the worker for a start (its unit per unit).
    coarse: Districting | None = None
    coarse_of: list[int] | None = None


# ---------------------------------------------------------------------------------------------- building


def settings_for(scenario: Scenario, jz: str, required: tuple[str, ...]) -> Settings:
    sv, ob = scenario.solver, scenario.objective
    return Settings(
        max_km=scenario.travel.max_km, required=required, min_pupils=float(scenario.size.min_pupils),
        max_pupils=float(scenario.size.max_pupils), contiguity=scenario.contiguity.enabled,
        travel_weight=ob.travel, disruption_weight=ob.disruption, count_weight=ob.swv_count,
        target_swvs=ob.target_swvs_per_jeugdregio.get(jz), backend=sv.backend, time_limit_s=sv.time_limit_s,
        gap=sv.gap, threads=max(1, sv.threads // max(1, min(sv.processes, 64))), seed=sv.seed)


def _units_of_code(us: UnitSet, code: str, field_name: str) -> list[str]:
    """A lock's code as unit codes: the unit itself, the gemeente holding a PC4, or the PC4s of a split GM."""
    if code in us.by_code:
        return [code]
    if is_pc4_code(code) and code in us.pc4_unit:
        return [us.pc4_unit[code]]
    if is_gemeente_code(code):
        units = sorted(set(us.pc4.unit[us.pc4.gemeente == code]))
        if units:
            return units
    raise InputError("scenario", f"unknown unit code '{code}'", "use GM codes or 4-digit PC4 codes of the dataset",
                     field=field_name)


def _current_members(us: UnitSet, code: str) -> list[str]:
    col = "swv_po" if code.upper().startswith("PO") else "swv_vo"
    return sorted(set(us.pc4.unit[us.pc4[col] == code])) if col in us.pc4 else []


def resolve_locks(us: UnitSet, scenario: Scenario) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """Locks per jeugdregio in unit codes, and infeasibility messages per jeugdregio for locks that cross one."""
    lk = scenario.locks
    jz_of = {u.code: u.jeugdregio for u in us.units}
    per: dict[str, dict] = {}
    bad: dict[str, list[str]] = {}

    def slot(jz: str) -> dict:
        return per.setdefault(jz, {"pins": {}, "together": [], "apart": [], "whole": []})

    def cross(units: list[str], what: str) -> bool:
        jzs = sorted({jz_of[u] for u in units})
        if len(jzs) > 1:
            for jz in jzs:
                bad.setdefault(jz, []).append(
                    f"{jz}: {what} spans jeugdregio's {', '.join(jzs)}, but every SWV lies inside one jeugdregio; "
                    "remove or narrow the lock")
            return True
        return False

    by_name: dict[str, list[str]] = {}
    for code, name in sorted(lk.pin.items()):
        for u in _units_of_code(us, code, "locks.pin"):
            by_name.setdefault(name, []).append(u)
    for name, units in sorted(by_name.items()):
        if not cross(units, f"pin '{name}' ({', '.join(sorted(set(units))[:4])})"):
            for u in units:
                slot(jz_of[u])["pins"][u] = name
    for g in lk.together:
        units = sorted({u for c in g for u in _units_of_code(us, c, "locks.together")})
        if len(units) > 1 and not cross(units, f"together group {', '.join(g)}"):
            slot(jz_of[units[0]])["together"].append(units)
    for a, b in lk.apart:
        ua, ub = _units_of_code(us, a, "locks.apart"), _units_of_code(us, b, "locks.apart")
        for x in ua:
            for y in ub:
                if x == y:
                    bad.setdefault(jz_of[x], []).append(
                        f"{jz_of[x]}: locks.apart {a}/{b} names unit {x} twice at unit level {us.level}; "
                        "remove the pair or use a finer unit level")
                elif jz_of[x] == jz_of[y]:
                    slot(jz_of[x])["apart"].append((x, y))
    _check_lock_contradictions(us, by_name, lk)
    for code in lk.keep_current_whole:
        units = _current_members(us, code)
        if not units:
            raise InputError("scenario", f"unknown current SWV '{code}'", "use a current po/vo SWV code such as "
                             "PO2001 or VO2001 (see `regioindeling diagnose`)", field="locks.keep_current_whole")
        if not cross(units, f"keep_current_whole {code}"):
            slot(jz_of[units[0]])["whole"].append((code, units))
    return per, bad


def _check_lock_contradictions(us: UnitSet, by_name: dict[str, list[str]], lk) -> None:
    """Locks that contradict each other are bad input (no data can satisfy them): raise one InputError."""
    sets = DisjointSets()
    find, union = sets.find, sets.union
    for units in by_name.values():
        for u in units[1:]:
            union(units[0], u)
    for g in lk.together:
        units = [u for c in g for u in _units_of_code(us, c, "locks.together")]
        for u in units[1:]:
            union(units[0], u)
    for a, b in lk.apart:
        for x in _units_of_code(us, a, "locks.apart"):
            for y in _units_of_code(us, b, "locks.apart"):
                if find(x) == find(y):
                    raise InputError("scenario", f"units {a} and {b} are kept apart (locks.apart) but also together "
                                     "(locks.together or one pin name)", "remove one of the two locks", field="locks")
    name_of: dict[str, str] = {}
    for name, units in sorted(by_name.items()):
        root = find(units[0])
        if root in name_of and name_of[root] != name:
            raise InputError("scenario", f"pins '{name_of[root]}' and '{name}' are joined by locks.together, but "
                             "different pin names mean different SWVs", "remove the together group or use one pin "
                             "name", field="locks")
        name_of[root] = name


def _locks_for(spec: dict | None, index: dict[str, int]) -> Locks:
    if not spec:
        return Locks()
    return Locks(
        pins={index[u]: n for u, n in spec["pins"].items()},
        together=tuple(tuple(sorted(index[u] for u in g)) for g in spec["together"]),
        apart=tuple(sorted({(min(index[a], index[b]), max(index[a], index[b])) for a, b in spec["apart"]})),
        whole=tuple((lab, tuple(sorted(index[u] for u in g))) for lab, g in spec["whole"]))


def _cover(us: UnitSet, codes: list[str], index: dict[str, int], limits: dict[str, float], detour: float):
    """Facility-distance rules: (unit, type, km, units with a type-t site within km of one of the unit's PC4s),
    one per distinct set per unit (a unit's PC4s mostly share the same set)."""
    if not limits:
        return ()
    sc = us.schools[us.schools.unit.isin(set(codes))]
    pc = us.pc4[us.pc4.unit.isin(set(codes))]
    out = []
    for t, km in sorted(limits.items()):
        sites = sc[sc.sector.map(lambda s, t=t: t in facility_types_of(s))]
        sx, sy = sites.x.to_numpy(), sites.y.to_numpy()
        su = [index[u] for u in sites.unit]
        d = np.hypot(pc.x.to_numpy()[:, None] - sx[None, :], pc.y.to_numpy()[:, None] - sy[None, :]) * detour / 1000
        seen: set[tuple[int, frozenset]] = set()
        for row, unit in enumerate(pc.unit.to_numpy()):
            near = frozenset(su[k] for k in np.flatnonzero(d[row] <= km))
            key = (index[unit], near)
            if key not in seen:
                seen.add(key)
                out.append((index[unit], t, float(km), near))
    return tuple(sorted(out, key=lambda r: (r[0], r[1], sorted(r[3]))))


def build_tasks(ds, scenario: Scenario, us: UnitSet, jeugdregios: list[str], start: Proposal | None = None
                ) -> list[Task]:
    """One task per jeugdregio; ``start`` (any unit level) becomes each task's warm start. Without one, a PC4 run
    starts from its hybrid-level solution (solved first in the worker)."""
    from regioindeling import starts

    names = ds.jeugdregio_names
    locks, lock_bad = resolve_locks(us, scenario)
    coarse_us = None
    if start is None and us.level == "pc4":
        coarse_us = UnitSet.for_scenario(ds, scenario.model_copy(update={
            "units": scenario.units.model_copy(update={"level": "hybrid"})}))
    tasks = []
    for jz in jeugdregios:
        units, edges = us.subset(jz)
        if lock_bad.get(jz):
            tasks.append(Task(jz, names.get(jz, jz), None, "; ".join(lock_bad[jz])))
            continue
        task = Task(jz, names.get(jz, jz), _model(ds, scenario, us, jz, units, edges, locks.get(jz)))
        codes = [u.code for u in units]
        if start is not None:
            task.start_groups, task.start_hubs = starts.groups(us, codes, start.assignment, start.hubs)
        elif coarse_us is not None:
            cunits, cedges = coarse_us.subset(jz)
            # no locks: they may name PC4s the coarse level does not have; the start is repaired against them
            task.coarse = _model(ds, scenario, coarse_us, jz, cunits, cedges, None)
            cindex = {u.code: k for k, u in enumerate(cunits)}
            task.coarse_of = [cindex[coarse_us.pc4_unit[u.pc4s[0]]] for u in units]
        tasks.append(task)
    return tasks


def _model(ds, scenario: Scenario, us: UnitSet, jz: str, units, edges, lock_spec) -> Districting:
    codes = [u.code for u in units]
    index = {c: i for i, c in enumerate(codes)}
    reach_km, cost = us.travel(codes, codes, scenario.travel.detour_factor)
    required = tuple(scenario.facilities.required)
    if scenario.facilities.exempt_absent:
        required = tuple(t for t in required if any(u.facilities.get(t, 0) > 0 for u in units))
    settings = settings_for(scenario, jz, required)
    cover = _cover(us, codes, index, scenario.travel.facility_max_km, scenario.travel.detour_factor)
    return Districting.from_units(units, edges, reach_km, cost, settings, _locks_for(lock_spec, index), cover,
                                  label=f"{jz} {ds.jeugdregio_names.get(jz, jz)}")


# ---------------------------------------------------------------------------------------------- solving


# Share of a PC4 run's time limit for its hybrid-level start (most jeugdregio's solve there in well under a
# second; the big-city ones in 5-12 s, and a time-out still leaves a valid start).
COARSE_SHARE = 0.1


def _run(task: Task, seconds: float | None = None) -> DistrictingResult:
    """Solve one task; ``seconds`` (its share of ``solver.total_time_s``) replaces its time limit, warm start
    included."""
    t0 = time.perf_counter()
    try:
        warm = _warm(task, seconds)
        model = task.model
        if seconds is not None:
            model = copy.copy(model)  # the task's own model (and its options), with what is left as its limit
            left = max(budget.MIN_ALLOWANCE_S, seconds - (time.perf_counter() - t0))
            model.instance = model.instance.with_settings(time_limit_s=left)
        return model.solve(warm)
    except Exception as exc:  # one region failing must never break the others
        return DistrictingResult("failed", None, seconds=time.perf_counter() - t0,
                                 message=f"{task.model.instance.label}: solver failed ({type(exc).__name__}: {exc})")
    finally:
        if task.model.instance.n >= RELEASE_MEMORY_UNITS:
            _release_memory()


# Regions at least this large give their memory back after the solve (it costs 20-50 ms a call: on the 42 small
# gemeente-level models that doubled the national run, 1.1 -> 2.1 s).
RELEASE_MEMORY_UNITS = 100


def _release_memory() -> None:
    """Hand the freed heap back to the OS after a solve. A worker keeps running task after task, and glibc keeps
    what HiGHS freed, so without this a worker that solved PC4 Friesland (1 GB) holds that while it solves the
    next region: the national PC4 run peaked at 3.6 GB over both workers."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _warm(task: Task, limit: float | None = None) -> list[int] | None:
    """The task's warm start: given, from another indeling, or from the hybrid-level solution (PC4 runs, in
    COARSE_SHARE of ``limit``, by default the model's time limit)."""
    from solvers import heuristic

    if task.warm is not None:
        return task.warm
    inst = task.model.instance
    if task.start_groups is not None:
        return heuristic.from_groups(inst, task.start_groups, task.start_hubs)
    if task.coarse is None:
        return None
    coarse = task.coarse.instance
    share = max(1.0, (inst.settings.time_limit_s if limit is None else limit) * COARSE_SHARE)
    res = Districting(coarse.with_settings(time_limit_s=min(coarse.settings.time_limit_s, share))).solve()
    hub_of = res.hub_indices(coarse.codes)
    if hub_of is None:
        return None
    return heuristic.from_groups(inst, [hub_of[k] for k in task.coarse_of])


def _pool(procs: int) -> ProcessPoolExecutor:
    # Not fork: a forked copy of a process that already ran HiGHS in-process (the app server, a test run) inherits
    # HiGHS's thread pool in a broken state and every solve in it fails. Forkserver workers start clean.
    return ProcessPoolExecutor(max_workers=procs, mp_context=multiprocessing.get_context("forkserver"))


def _worker_died(task: Task, exc: BaseException) -> DistrictingResult:
    return DistrictingResult("failed", None, message=f"{task.jeugdregio} {task.name}: the solver process stopped "
                             f"unexpectedly ({type(exc).__name__}), e.g. out of memory; choose the gemeente unit level, "
                             "fewer solver.processes or a shorter solver.time_limit_s")


class Runner:
    """Solves batches of tasks: in this process (``procs`` <= 1) or in ``procs`` worker processes, one pool kept
    for every batch of a run (the national-target search solves several batches). A worker that dies (OOM killer,
    a crash in native code) takes its whole pool down; the tasks still open are then re-run one process each, so
    only the culprit fails, and the next batch gets a fresh pool."""

    def __init__(self, procs: int):
        self.procs = procs
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def run(self, todo: list[Task], progress=None, seconds: float | None = None) -> list[DistrictingResult]:
        """Results in the order of ``todo``; ``progress`` gets a report per task as it finishes. ``seconds``: a
        wall-clock budget for the batch, handed out as the tasks start (:mod:`regioindeling.budget`)."""
        out: list[DistrictingResult | None] = [None] * len(todo)
        share = None
        order = list(range(len(todo)))
        if seconds is not None:
            share = budget.TimeBudget(time.perf_counter(), seconds, max(1, self.procs),
                                      max(t.model.instance.settings.time_limit_s for t in todo),
                                      {t.jeugdregio: 1.0 for t in todo})
            order = sorted(order, key=lambda k: (_size(todo[k]), todo[k].jeugdregio))

        def allowance(k: int) -> float | None:
            return None if share is None else share.allowance(todo[k].jeugdregio, time.perf_counter())

        def release(k: int) -> None:
            if share is not None:
                share.done(todo[k].jeugdregio)

        def finished(k: int) -> None:
            release(k)
            if progress:
                progress(_report(todo[k], out[k]))

        if self.procs <= 1:
            for k in order:
                out[k] = _run(todo[k], allowance(k))
                finished(k)
            return out
        if self._pool is None:
            self._pool = _pool(self.procs)
        broken = False
        waiting = list(reversed(order))
        futs: dict = {}
        while waiting or futs:
            # with a budget, a task is sent only when a process is free, so its allowance counts from its start
            while waiting and not broken and (share is None or len(futs) < self.procs):
                k = waiting.pop()
                try:
                    futs[self._pool.submit(_run, todo[k], allowance(k))] = k
                except BrokenProcessPool:  # a worker died since the last look: this one is re-run alone below
                    broken = True
                    release(k)
            if not futs:
                break
            done, _ = wait(futs, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: futs[f]):
                k = futs.pop(fut)
                try:
                    out[k] = fut.result()
                except BrokenProcessPool:
                    broken = True
                    release(k)
                    continue  # re-run alone below
                except Exception as exc:  # e.g. the task could not be sent to the worker
                    out[k] = _worker_died(todo[k], exc)
                finished(k)
            if broken:
                waiting = []  # re-run alone below, like those the broken pool took down
        if broken:
            self._pool.shutdown(wait=False)
            self._pool = None
        again = [k for k, r in enumerate(out) if r is None]
        for n, k in enumerate(again):
            seconds_k = None
            if share is not None:
                # one at a time now: an equal part of what is left of the budget each
                left = share.deadline - time.perf_counter()
                seconds_k = max(budget.MIN_ALLOWANCE_S, min(share.cap, left / (len(again) - n)))
            with _pool(1) as pool:
                try:
                    out[k] = pool.submit(_run, todo[k], seconds_k).result()
                except Exception as exc:
                    out[k] = _worker_died(todo[k], exc)
            finished(k)
        return out


def _size(task: Task) -> int:
    """A model's size: its unit-hub pairs within the travel limit (budgeted runs start the smallest first)."""
    return int(task.model.instance.reach.sum())


def _report(task: Task, res: DistrictingResult) -> JzReport:
    n = task.model.instance.n if task.model else 0
    return JzReport(task.jeugdregio, task.name, res.status, res.objective, res.bound, res.gap, res.seconds, n,
                    res.n_swvs, res.message)


def solve(ds, scenario: Scenario, jeugdregios: list[str] | None = None, units: UnitSet | None = None,
          progress: Callable[[JzReport], None] | None = None, start: Proposal | None = None) -> SolveResult:
    """Solve ``scenario`` on ``ds``; ``jeugdregios`` (or ``scenario.jeugdregios``) restricts the run; ``start``
    (e.g. the proposal before a lock change) is the warm start where it is valid (:mod:`regioindeling.starts`)."""
    t0 = time.perf_counter()
    us = units if units is not None else UnitSet.for_scenario(ds, scenario)
    wanted = list(jeugdregios or scenario.jeugdregios or us.jeugdregios)
    unknown = sorted(set(wanted) - set(us.jeugdregios))
    if unknown:
        raise InputError("scenario", f"unknown jeugdregio '{unknown[0]}'", "use JZ codes of the dataset, e.g. JZ13",
                         field="jeugdregios")
    wanted = sorted(set(wanted))
    target = scenario.objective.target_swvs_national
    if target is not None and set(wanted) != set(us.jeugdregios):
        # The national count couples every jeugdregio; a subset run cannot meet or even approximate it.
        raise InputError("scenario", f"a national target of {target} SWVs needs all {len(us.jeugdregios)} "
                         f"jeugdregio's, but the run is restricted to {', '.join(wanted[:4])}"
                         f"{' ...' if len(wanted) > 4 else ''}", "remove jeugdregios (and --jeugdregio) or set "
                         "objective.target_swvs_per_jeugdregio instead", field="objective.target_swvs_national")
    if target is not None and scenario.solver.total_time_s:
        # its count search solves batches until the count is met, so no share of a fixed budget can be planned
        raise InputError("scenario", "solver.total_time_s cannot be combined with objective.target_swvs_national",
                         "set solver.total_time_s = 0 and bound the run by solver.time_limit_s per jeugdregio",
                         field="solver.total_time_s")
    tasks = build_tasks(ds, scenario, us, wanted, start)
    results: dict[str, DistrictingResult] = {}
    for t in tasks:
        if t.model is None:
            results[t.jeugdregio] = DistrictingResult("infeasible", None, message=t.message)
            if progress:
                progress(_report(t, results[t.jeugdregio]))
    todo = sorted((t for t in tasks if t.model is not None), key=lambda t: (-t.model.instance.n, t.jeugdregio))
    search = None
    with Runner(min(scenario.solver.processes, len(todo))) as runner:
        if target is None:
            total = scenario.solver.total_time_s or None
            seconds = None if total is None else total - (time.perf_counter() - t0)
            for t, res in zip(todo, runner.run(todo, progress, seconds)):
                results[t.jeugdregio] = res
        else:
            from regioindeling.national_target import solve_national

            search = solve_national(todo, target, runner, progress)
            results.update(search.results)
    by_jz = {t.jeugdregio: t for t in tasks}
    reports = [_report(by_jz[jz], results[jz]) for jz in wanted]
    if search is not None:
        reports = search.annotate(reports)
    proposal = _proposal(ds, scenario, us, wanted, results, reports, search)
    national = _national(reports, time.perf_counter() - t0)
    if scenario.solver.total_time_s:
        national["time_budget_s"] = scenario.solver.total_time_s
    if search is not None:
        search.annotate_national(national)
    evaluation = _evaluate(ds, proposal, scenario, us, set(wanted))
    infeas = [r.message for r in reports if r.status in ("infeasible", "failed") and r.message]
    if search is not None and not search.met:
        infeas.append(search.message)
    return SolveResult(proposal, evaluation, reports, national, infeas)


def _national(reports: list[JzReport], seconds: float) -> dict:
    solved = [r for r in reports if r.objective is not None]
    status = max((r.status for r in reports), key=lambda s: _STATUS_RANK[s], default="optimal")
    obj = sum(r.objective for r in solved) if solved else None
    bound = sum(r.best_bound for r in solved) if solved and all(r.best_bound is not None for r in solved) else None
    gap = None if obj is None or bound is None else max(0.0, (obj - bound) / max(abs(obj), 1e-9))
    return {"status": status, "objective": obj, "bound": bound, "gap": gap, "seconds": seconds,
            "n_swvs": sum(r.n_swvs for r in reports),
            "jeugdregios": {s: sum(1 for r in reports if r.status == s) for s in _STATUS_RANK}}


def _proposal(ds, scenario, us, wanted, results, reports, search=None) -> Proposal:
    assignment: dict[str, str] = {}
    hubs: dict[str, str] = {}
    for jz in wanted:
        res = results[jz]
        if not res.assignment:
            continue
        for unit, hub in sorted(res.assignment.items()):
            swv = f"{jz}-{hub}"
            assignment[unit] = swv
            hubs[swv] = hub
    # Deterministic metadata only: no timings, bounds rounded (they are exact for proven optima).
    solver = {
        "backend": scenario.solver.backend, "seed": scenario.solver.seed, "unit_level": us.level,
        "jeugdregios": {r.jeugdregio: {"status": r.status, "n_swvs": r.n_swvs,
                                       "objective": None if r.objective is None else round(r.objective, 3)}
                        for r in reports},
    }
    if search is not None:
        solver["national_target"] = search.metadata()
    return Proposal(assignment=dict(sorted(assignment.items())), hubs=dict(sorted(hubs.items())),
                    name=scenario.name, scenario=scenario.to_dict(), solver=solver, data_version=ds.version)


def _evaluate(ds, proposal: Proposal, scenario: Scenario, us: UnitSet, wanted: list[str]):
    try:
        from regioindeling.evaluate import evaluate
    except ImportError:  # the evaluator is a separate module; until it exists the solver's own checks stand
        return None
    ev = evaluate(ds, proposal, scenario, units=us)
    outside = {u.code for u in us.units if u.jeugdregio not in wanted}
    if not outside:
        return ev
    # A run restricted to some jeugdregio's covers only their units: the others are not "unassigned".
    from dataclasses import replace

    kept = []
    for v in ev.violations:
        if v.constraint == "assignment" and v.swv is None and set(v.units) & outside:
            units = tuple(u for u in v.units if u not in outside)
            if not units:
                continue
            shown = ", ".join(units[:8]) + (f" and {len(units) - 8} more" if len(units) > 8 else "")
            v = replace(v, units=units, message=f"{len(units)} unit{'s' if len(units) != 1 else ''} not assigned "
                        f"to any SWV: {shown}")
        kept.append(v)
    ev.violations = kept
    ev.ok = not kept
    return ev


__all__ = ["JzReport", "Runner", "SolveResult", "Task", "solve", "build_tasks"]
