"""Solver benchmarks: national runs per unit level and a one-jeugdregio re-solve after a lock change.

Run from the project root:  python bench/bench_solve.py [gemeente] [hybrid] [pc4] [pc4-budget[=SECONDS]]
[pc4-sample | pc4-jz=JZ43,JZ38] [pc4-hubs=JZ01,JZ33] [resolve] [resolve-pc4[=JZxx]] [target] [target-hybrid]
(pc4: 120 s per jeugdregio; pc4-budget: the whole national PC4 run in solver.total_time_s, default 120 s;
pc4-hubs: a PC4 jeugdregio as in pc4-jz, then the LP with its indeling's hubs fixed, up to 120 s.)
Prints wall time (model build included), status counts, objective, gap and peak memory (summed PSS of this
process and its worker processes, bench/memory.py); with BENCH_TABLE=1 also every jeugdregio's status, seconds,
gap, objective and bound. The first line describes the machine (bench/machine.py); figures go to bench/RESULTS.md
with it.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from regioindeling.data import load  # noqa: E402
from regioindeling.errors import InputError  # noqa: E402
from regioindeling.scenario import load_scenario, scenario_from_dict  # noqa: E402
from regioindeling.solve import build_tasks, solve  # noqa: E402
from regioindeling.units import UnitSet  # noqa: E402
from solvers.districting import hub_fixed_lp  # noqa: E402
from bench import machine  # noqa: E402
from bench.memory import TreeMemory  # noqa: E402


# Sums the PSS of this process and its solver workers (forkserver children, which getrusage does not see).
MEM = TreeMemory()


def _peak_mb() -> float:
    """Largest summed PSS of this process tree so far in the run."""
    return MEM.peak_mb


def _scenario(level: str, **over):
    base = load_scenario().to_dict()
    base["units"]["level"] = level
    for sec, vals in over.items():
        base[sec].update(vals)
    return scenario_from_dict(base)


def national(ds, level: str, **over) -> None:
    sc = _scenario(level, **over)
    t = time.perf_counter()
    res = solve(ds, sc)
    wall = time.perf_counter() - t
    n = res.national
    slow = sorted(res.reports, key=lambda r: -r.seconds)[:3]
    print(f"national {level}: wall {wall:.2f} s, statuses {({k: v for k, v in n['jeugdregios'].items() if v})}, "
          f"{n['n_swvs']} SWVs, objective {n['objective']:,.0f}, gap {n['gap'] or 0:.2%}, "
          f"evaluator ok {None if res.evaluation is None else res.evaluation.ok}, peak {_peak_mb():.0f} MB, "
          f"load {os.getloadavg()[0]:.1f}")
    print("  slowest: " + "; ".join(f"{r.jeugdregio} {r.status} {r.seconds:.1f} s n={r.n_units} "
                                    f"gap {r.gap or 0:.2%}" for r in slow))
    for r in res.reports:
        if r.status not in ("optimal",):
            print(f"  {r.jeugdregio}: {r.status} {r.message}")
    if os.environ.get("BENCH_TABLE"):
        # Per-jeugdregio seconds: what a national time budget would have to cover.
        busy = sum(r.seconds for r in res.reports)
        print(f"  solver seconds summed over jeugdregio's: {busy:.0f} s ({busy / max(wall, 1e-9):.2f} per wall second)")
        for r in sorted(res.reports, key=lambda r: -r.seconds):
            print(f"    {r.jeugdregio} n={r.n_units} {r.status} {r.seconds:.1f} s gap {r.gap or 0:.2%} "
                  f"objective {_num(r.objective)} bound {_num(r.best_bound)}")


def resolve(ds, level: str, jz: str) -> None:
    sc = _scenario(level, solver={"processes": 1})
    base = solve(ds, sc, jeugdregios=[jz])
    members = max(base.proposal.members().values(), key=len)
    a, b = members[0], members[-1]
    locked = _scenario(level, solver={"processes": 1}, locks={"apart": [[a, b]]})
    # as the app's "Re-optimise" does: the proposal before the lock change is the start; and without it
    for how, start in (("from the previous proposal", base.proposal), ("cold", None)):
        t = time.perf_counter()
        res = solve(ds, locked, jeugdregios=[jz], start=start)
        wall = time.perf_counter() - t
        r = res.reports[0]
        print(f"re-solve {jz} at {level} after apart lock {a}/{b}, {how}: wall {wall:.2f} s (solver {r.seconds:.2f} "
              f"s), {r.status}, gap {r.gap or 0:.2%}, objective {_num(base.reports[0].objective)} -> "
              f"{_num(r.objective)}, base solve {base.reports[0].seconds:.1f} s {base.reports[0].status} "
              f"n={r.n_units}, load {os.getloadavg()[0]:.1f}")


def hub_bound(ds, jz: str, seconds: float = 120.0) -> None:
    """PC4 jeugdregio ``jz`` solved as in pc4-jz, then the LP with the hubs of that indeling fixed (every other
    hub closed; :func:`solvers.districting.hub_fixed_lp`, up to ``seconds``). That LP bounds every indeling with
    these hubs: if it lies more than 1 % below the indeling, branching on the choice of hubs alone cannot prove
    1 %; the rest of the gap lies in how the units are assigned to the hubs."""
    sc = _scenario("pc4", solver={"time_limit_s": 120.0, "gap": 0.01, "processes": 1})
    us = UnitSet.for_scenario(ds, sc)
    res = solve(ds, sc, jeugdregios=[jz], units=us)
    r = res.reports[0]
    inst = build_tasks(ds, sc, us, [jz])[0].model.instance
    index = {c: i for i, c in enumerate(inst.codes)}
    hubs = {index[h] for h in res.proposal.hubs.values() if h in index}
    obj = inst.objective_of([index[res.proposal.hubs[res.proposal.assignment[c]]] for c in inst.codes])["objective"]
    t = time.perf_counter()
    fixed = hub_fixed_lp(inst, hubs, seconds)
    below = "" if fixed.bound is None else f" ({max(0.0, obj - fixed.bound) / obj:.2%} below it)"
    print(f"pc4 {jz}: {r.status}, {len(hubs)} SWVs, objective {_num(obj)}, bound {_num(r.best_bound)} "
          f"(gap {r.gap or 0:.2%}); LP with these hubs fixed {_num(fixed.bound)}{below}, "
          f"{'converged' if fixed.converged else 'not converged'} after {fixed.rounds} rounds in "
          f"{time.perf_counter() - t:.1f} s; 1 % below the indeling: {_num(0.99 * obj)}")


def _num(x) -> str:
    return "-" if x is None else f"{x:,.0f}"


def target(ds, level: str, delta: int) -> None:
    """A national SWV-count target `delta` away from the free optimum's count (free solve timed separately)."""
    t = time.perf_counter()
    free = solve(ds, _scenario(level))
    wall_free = time.perf_counter() - t
    k = free.national["n_swvs"] + delta
    sc = _scenario(level, objective={"target_swvs_national": k})
    t = time.perf_counter()
    try:
        res = solve(ds, sc)
    except InputError as exc:  # a count outside what the jeugdregio's allow: the explained refusal is the result
        print(f"target {level}: own optima {free.national['n_swvs']} SWVs; target {k} refused after "
              f"{time.perf_counter() - t:.1f} s: {exc.line()}")
        return
    wall = time.perf_counter() - t
    n, tg = res.national, res.national["target"]
    print(f"target {level}: own optima {free.national['n_swvs']} SWVs in {wall_free:.1f} s; target {k}: wall "
          f"{wall:.1f} s, {n['n_swvs']} SWVs, status {n['status']}, exact {tg['exact']}, rounds {tg['rounds']}, "
          f"solves {tg['solves']}, objective {free.national['objective']:,.0f} -> {n['objective']:,.0f}, "
          f"gap {n['gap'] or 0:.2%}, evaluator ok {None if res.evaluation is None else res.evaluation.ok}, "
          f"peak {_peak_mb():.0f} MB")
    print(f"  {tg['message']}")
    print(f"  changed: {tg['changed']}")


def main(argv: list[str]) -> None:
    with MEM:
        _main(argv)
    print(f"peak memory (PSS of this process and its workers, sampled every 0.2 s) {_peak_mb():.0f} MB; per "
          f"process at the peak: {', '.join(f'{m:.0f}' for m in MEM.peak_split)} MB")


def _main(argv: list[str]) -> None:
    what = argv or ["gemeente", "resolve"]
    print(machine.describe())
    t = time.perf_counter()
    ds = load()
    print(f"dataset load {time.perf_counter() - t:.2f} s")
    if "gemeente" in what:
        national(ds, "gemeente")
    if "hybrid" in what:
        national(ds, "hybrid")
    if "pc4" in what:
        national(ds, "pc4", solver={"time_limit_s": 120.0, "gap": 0.01})
    for a in what:
        if a.startswith("pc4-budget"):
            total = float(a.split("=", 1)[1]) if "=" in a else 120.0
            print(f"(solver.total_time_s = {total:g})")
            national(ds, "pc4", solver={"time_limit_s": 120.0, "gap": 0.01, "total_time_s": total})
    samples = [a.split("=", 1)[1].split(",") for a in what if a.startswith("pc4-jz=")]
    if "pc4-sample" in what or samples:
        for jz in (samples[0] if samples else ("JZ43", "JZ38", "JZ02")):
            sc = _scenario("pc4", solver={"time_limit_s": 120.0, "gap": 0.01, "processes": 1})
            t = time.perf_counter()
            r = solve(ds, sc, jeugdregios=[jz]).reports[0]
            print(f"pc4 {jz}: wall {time.perf_counter() - t:.1f} s, {r.status}, n={r.n_units}, {r.n_swvs} SWVs, "
                  f"gap {r.gap if r.gap is None else f'{r.gap:.2%}'}, objective {_num(r.objective)} "
                  f"bound {_num(r.best_bound)}, peak {_peak_mb():.0f} MB, load {os.getloadavg()[0]:.1f}")
    for a in what:
        if a.startswith("pc4-hubs"):
            for jz in (a.split("=", 1)[1].split(",") if "=" in a else ("JZ01", "JZ33")):
                hub_bound(ds, jz)
    if "target" in what:
        target(ds, "gemeente", -5)
        target(ds, "gemeente", +1)
        target(ds, "gemeente", +2)
    if "target-hybrid" in what:
        target(ds, "hybrid", -5)
    if "resolve" in what:
        resolve(ds, "gemeente", "JZ39")
    for a in what:
        if a.startswith("resolve-pc4"):
            # JZ43 (28 PC4s) is one SWV, so an apart lock makes it infeasible; JZ22 (47 PC4s) has several
            resolve(ds, "pc4", a.split("=", 1)[1] if "=" in a else "JZ22")


if __name__ == "__main__":
    main(sys.argv[1:])
