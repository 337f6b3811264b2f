"""Our districting model next to PySAL spopt (PMedian, AZP, MaxPHeuristic) on the same instances.

Instances: every jeugdregio at unit level gemeente under the default scenario, except the three whose largest
gemeente is above max_pupils (JZ13, JZ24, JZ29: infeasible at this level by construction). Each spopt method gets
the same per-jeugdregio inputs (units, adjacency, distances, pupils) and, where it takes a count, our number of
SWVs in that jeugdregio. Every result is judged by our evaluator (hard constraints) and scored with the same
objective (pupil-weighted km + 0.5 x pupils whose po/vo SWV changes, from the evaluator's KPIs).

Run from the project root (needs the [bench] extra: spopt):  python bench/bench_spopt.py
"""

from __future__ import annotations

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pulp  # noqa: E402

from regioindeling.data import load  # noqa: E402
from regioindeling.evaluate import evaluate  # noqa: E402
from regioindeling.model import Proposal  # noqa: E402
from regioindeling.scenario import load_scenario, scenario_from_dict  # noqa: E402
from regioindeling.solve import solve  # noqa: E402
from regioindeling.units import UnitSet  # noqa: E402
from bench import machine  # noqa: E402

SKIP = {"JZ13", "JZ24", "JZ29"}
MAXP_FLOOR = 20_000  # pupils; MaxP needs a floor (our default has none): about a median merged SWV today


def _score(ds, sc, us, assignment, hubs, seconds, method):
    prop = Proposal(assignment=assignment, hubs=hubs, name=method)
    ev = evaluate(ds, prop, sc, units=us)
    k = ev.kpis
    outside = {u.code for u in us.units if u.jeugdregio in SKIP}
    by_c = {}
    for v in ev.violations:
        if v.constraint == "assignment" and set(v.units) <= outside:
            continue
        by_c[v.constraint] = by_c.get(v.constraint, 0) + 1
    pupil_km = k["travel_km"]["mean"] * k["pupils_total"]
    obj = pupil_km + sc.objective.disruption * k["disruption"]["pupils_changed"]
    return {"method": method, "seconds": round(seconds, 2), "n_swvs": k["n_swvs"],
            "violations": sum(by_c.values()), "by_constraint": ", ".join(f"{c} {n}" for c, n in sorted(by_c.items())),
            "travel_mean_km": k["travel_km"]["mean"], "pupils_changed": round(k["disruption"]["pupils_changed"]),
            "objective": round(obj)}


def main() -> None:
    print(machine.describe())
    ds = load()
    base = load_scenario().to_dict()
    base["units"]["level"] = "gemeente"
    sc = scenario_from_dict(base)
    us = UnitSet.for_scenario(ds, sc)
    jzs = [jz for jz in us.jeugdregios if jz not in SKIP]
    rows = []

    t = time.perf_counter()
    ours = solve(ds, sc, jeugdregios=jzs, units=us)
    rows.append(_score(ds, sc, us, ours.proposal.assignment, ours.proposal.hubs, time.perf_counter() - t,
                       "regioindeling MIP (exact)"))
    print(rows[-1], flush=True)
    k_of = {r.jeugdregio: r.n_swvs for r in ours.reports}

    import libpysal
    from spopt.locate import PMedian
    from spopt.region import AZP, MaxPHeuristic

    def per_jz(fn, name):
        assignment, hubs, t0, failed = {}, {}, time.perf_counter(), []
        for jz in jzs:
            units, _edges = us.subset(jz)
            codes = [u.code for u in units]
            try:
                labels, hub = fn(jz, units, codes)
            except Exception as exc:  # a method that cannot handle an instance leaves its units unassigned
                failed.append(f"{jz} ({type(exc).__name__})")
                continue
            for c, lab in zip(codes, labels):
                assignment[c] = f"{jz}-{lab}"
            for lab, h in hub.items():
                hubs[f"{jz}-{lab}"] = h
        row = _score(ds, sc, us, assignment, hubs, time.perf_counter() - t0, name)
        if failed:
            row["by_constraint"] += f" (failed: {', '.join(failed)})"
        rows.append(row)
        print(row, flush=True)  # partial results survive a slow method

    def weights(codes):
        pos = {c: i for i, c in enumerate(codes)}
        nb = {pos[c]: [pos[n] for n in us.neighbours[c] if n in pos] for c in codes}
        return libpysal.weights.W(nb, silence_warnings=True)

    def pmedian(jz, units, codes):
        km, cost = us.travel(codes, codes, sc.travel.detour_factor)
        pupils = np.array([max(u.pupils, 1e-3) for u in units])
        pm = PMedian.from_cost_matrix(cost / pupils[:, None], pupils, p_facilities=k_of[jz])
        pm.solve(pulp.HiGHS(msg=False))
        labels = [None] * len(codes)
        hub = {}
        for f, clients in enumerate(pm.fac2cli):
            for c in clients:
                labels[c] = codes[f]
            if clients:
                hub[codes[f]] = codes[f]
        return labels, hub

    def gdf(units, codes):
        return pd.DataFrame({"x": [u.x for u in units], "y": [u.y for u in units],
                             "pupils": [u.pupils for u in units]})

    def azp(jz, units, codes):
        if len(codes) == 1 or k_of[jz] == 1:
            return [0], {}
        m = AZP(gdf(units, codes), weights(codes), ["x", "y"], n_clusters=k_of[jz], random_state=0)
        m.solve()
        return [int(x) for x in m.labels_], {}

    def maxp(jz, units, codes):
        if len(codes) == 1:
            return [0], {}
        m = MaxPHeuristic(gdf(units, codes), weights(codes), ["x", "y"], "pupils", MAXP_FLOOR, top_n=2,
                          max_iterations_construction=20, max_iterations_sa=5)
        m.solve()
        return [int(x) for x in m.labels_], {}

    per_jz(pmedian, "spopt PMedian (p = ours)")
    per_jz(azp, "spopt AZP (k = ours)")
    per_jz(maxp, f"spopt MaxPHeuristic (floor {MAXP_FLOOR:,})")
    df = pd.DataFrame(rows)
    print(f"{len(jzs)} jeugdregio's, gemeente level, default scenario (max_km {sc.travel.max_km:g}, "
          f"max_pupils {sc.size.max_pupils:,}, required {'/'.join(sc.facilities.required)})")
    cols = list(df.columns)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in df.itertuples(index=False):
        print("| " + " | ".join(str(x) for x in r) + " |")


if __name__ == "__main__":
    main()
