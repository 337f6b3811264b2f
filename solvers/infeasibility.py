"""Why a region has no valid indeling: cheap pre-checks first, then relax one constraint family at a time.

Every message names the region, the constraint, the units and a fix, e.g. "JZ13 Amsterdam-Amstelland:
gemeente GM0363 Amsterdam has 106,700 pupils, above max_pupils 60,000; use unit level hybrid or raise
max_pupils".
"""

from __future__ import annotations

import time

import numpy as np

from solvers import backend, constraints
from solvers.instance import INF, Instance, lock_roots


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _km(x: float) -> str:
    return f"{x:g}"


def precheck(inst: Instance) -> list[str]:
    """Reasons the region is infeasible that need no solver (empty list: none found)."""
    s, lab, out = inst.settings, inst.label, []
    for i in range(inst.n):
        if inst.pupils[i] > s.max_pupils + 1e-6:
            fix = ("use unit level hybrid or raise max_pupils" if inst.kinds and inst.kinds[i] == "gemeente"
                   else "raise max_pupils")
            out.append(f"{lab}: {inst.describe(i)} has {_n(inst.pupils[i])} pupils, above max_pupils "
                       f"{_n(s.max_pupils)}; {fix}")
    total = float(inst.pupils.sum())
    if total < s.min_pupils - 1e-6:
        out.append(f"{lab}: the whole jeugdregio has {_n(total)} pupils, below min_pupils {_n(s.min_pupils)}; "
                   "lower size.min_pupils")
    for t in inst.required_types():
        if not (inst.facilities[t] > 0).any():
            out.append(f"{lab}: no {t} site anywhere in the region, so no SWV can offer {t}; drop '{t}' from "
                       "facilities.required (or keep facilities.exempt_absent = true)")
    if out:
        return out
    covered = set()
    for region in inst.hub_region.values():
        covered |= region
    for i in range(inst.n):
        if i not in covered:
            nearest = float(np.min(inst.reach_km[i, :]))
            out.append(f"{lab}: {inst.describe(i)} is more than max_km {_km(s.max_km)} from every possible hub "
                       f"(best {nearest:.1f} km); raise travel.max_km or use a finer unit level")
    req = inst.required_types()
    full = {j for j, reg in inst.hub_region.items()
            if all(any(inst.facilities[t][k] > 0 for k in reg) for t in req)}
    for i in sorted(covered):
        if not any(i in inst.hub_region[j] for j in full):
            missing = sorted({t for j, reg in inst.hub_region.items() if i in reg
                              for t in req if not any(inst.facilities[t][k] > 0 for k in reg)})
            out.append(f"{lab}: no hub within max_km {_km(s.max_km)} of {inst.describe(i)} reaches a "
                       f"{'/'.join(missing)} site; raise travel.max_km or drop the type from facilities.required")
    for i, t, km, near in inst.cover:
        if not near:
            out.append(f"{lab}: {inst.describe(i)} has no {t} site within {_km(km)} km in the jeugdregio; raise "
                       f"travel.facility_max_km.{t}")
    out += _lock_conflicts(inst)
    k = s.target_swvs
    if k is not None:
        if k > inst.n:
            out.append(f"{lab}: target of {k} SWVs but only {inst.n} units; lower the target")
        elif s.max_pupils < INF and k * s.max_pupils < total - 1e-6:
            out.append(f"{lab}: {k} SWVs of at most {_n(s.max_pupils)} pupils cannot hold {_n(total)} pupils; "
                       "raise the target or max_pupils")
        elif k * s.min_pupils > total + 1e-6:
            out.append(f"{lab}: {k} SWVs of at least {_n(s.min_pupils)} pupils need more than the region's "
                       f"{_n(total)} pupils; lower the target or min_pupils")
        for t in req:
            have = int((inst.facilities[t] > 0).sum())
            if have < k:
                out.append(f"{lab}: target of {k} SWVs but only {have} units hold a {t} site; lower the target")
                break
    out += _count_range_conflicts(inst, total)
    return out


def _count_range_conflicts(inst: Instance, total: float) -> list[str]:
    """The same arithmetic for an allowed range of counts (Settings.min_swvs / max_swvs)."""
    s, lab = inst.settings, inst.label
    lo, hi = s.min_swvs, s.max_swvs
    if lo is None and hi is None:
        return []
    if lo is not None and hi is not None and lo > hi:
        return [f"{lab}: at least {lo} and at most {hi} SWVs asked; widen the range"]
    if lo is not None:
        if lo > inst.n:
            return [f"{lab}: at least {lo} SWVs asked but only {inst.n} units; lower the count"]
        if lo * s.min_pupils > total + 1e-6:
            return [f"{lab}: {lo} SWVs of at least {_n(s.min_pupils)} pupils need more than the region's "
                    f"{_n(total)} pupils; lower the count or min_pupils"]
        for t in inst.required_types():
            have = int((inst.facilities[t] > 0).sum())
            if have < lo:
                return [f"{lab}: at least {lo} SWVs asked but only {have} units hold a {t} site; lower the count"]
    if hi is not None and s.max_pupils < INF and hi * s.max_pupils < total - 1e-6:
        return [f"{lab}: {hi} SWVs of at most {_n(s.max_pupils)} pupils cannot hold {_n(total)} pupils; "
                "raise the count or max_pupils"]
    return []


def _lock_conflicts(inst: Instance) -> list[str]:
    root = lock_roots(inst)
    find = root.__getitem__
    # the last lock touching a group names it (what the group was joined by)
    why: dict[int, str] = {root[group[0]]: what for what, group in inst.locks.groups()}
    out = []
    for what, a, b in inst.locks.separated():
        if find(a) == find(b):
            out.append(f"{inst.label}: {what} keeps {inst.describe(a)} and {inst.describe(b)} apart, but "
                       f"{why.get(find(a), 'another lock')} keeps them together; remove one of the two locks")
    groups: dict[int, list[int]] = {}
    for i in range(inst.n):
        groups.setdefault(find(i), []).append(i)
    for root, mem in sorted(groups.items()):
        if len(mem) > 1:
            p = float(inst.pupils[mem].sum())
            if p > inst.settings.max_pupils + 1e-6:
                out.append(f"{inst.label}: locked units {', '.join(inst.codes[i] for i in mem[:5])}"
                           f"{' ...' if len(mem) > 5 else ''} must share an SWV but hold {_n(p)} pupils, above "
                           f"max_pupils {_n(inst.settings.max_pupils)}; remove the lock or raise max_pupils")
    return out


_FIX = {
    "max_pupils": "raise size.max_pupils (now {max}) or use a finer unit level",
    "min_pupils": "lower size.min_pupils (now {min})",
    "facility": "drop a type from facilities.required or raise travel.max_km",
    "travel": "raise travel.max_km (now {km} km)",
    "contiguity": "switch on contiguity.ferry_links or switch off contiguity",
    "facility_distance": "raise travel.facility_max_km",
    "locks": "remove or change the locks in this jeugdregio",
    "target": "change the target number of SWVs for this jeugdregio",
}
_WHAT = {
    "max_pupils": "the max_pupils limit", "min_pupils": "the min_pupils floor",
    "facility": "the dekkend aanbod (every SWV holds {types})", "travel": "the max_km travel limit",
    "contiguity": "contiguity", "facility_distance": "the facility distance limits", "locks": "the locks",
    "target": "the target number of SWVs",
}


def _feasible(inst: Instance, drop: frozenset[str], time_limit: float) -> bool | None:
    s = inst.settings
    relaxed = inst
    if "travel" in drop:
        relaxed = relaxed.with_settings(max_km=INF)
    if "contiguity" in drop:
        relaxed = relaxed.with_settings(contiguity=False)
    if precheck_hard(relaxed, drop):
        return False
    from solvers.districting import _extract, separator_cuts

    prob, v = constraints.build(relaxed, drop=drop, feasibility=True)
    deadline = time.perf_counter() + time_limit
    while True:
        run = backend.run(prob, s.backend, deadline - time.perf_counter(), 0.0, s.threads, s.seed)
        if run.status == "infeasible":
            return False
        if not run.has_solution:
            return None
        # contiguity is exact only after the separator rounds
        if not separator_cuts(relaxed, v, _extract(v, relaxed), prob):
            return True
        if time.perf_counter() >= deadline:
            return None


def precheck_hard(inst: Instance, drop: frozenset[str]) -> bool:
    """Units that no hub can serve make the model trivially infeasible (no assignment row can hold)."""
    covered = set()
    for region in inst.hub_region.values():
        covered |= region
    return len(covered) < inst.n


def explain(inst: Instance, time_limit: float = 10.0) -> str:
    """Name the constraint family whose removal alone makes the region feasible."""
    s = inst.settings
    fams = [f for f in constraints.FAMILIES
            if not (f == "locks" and inst.locks.empty)
            and not (f == "target" and s.target_swvs is None and s.min_swvs is None and s.max_swvs is None)
            and not (f == "facility_distance" and not inst.cover) and not (f == "contiguity" and not s.contiguity)
            and not (f == "min_pupils" and s.min_pupils <= 0) and not (f == "max_pupils" and s.max_pupils == INF)
            and not (f == "travel" and s.max_km == INF) and not (f == "facility" and not inst.required_types())]
    biting, unknown = [], []
    for fam in fams:
        ok = _feasible(inst, frozenset({fam}), time_limit / max(1, len(fams)))
        if ok:
            biting.append(fam)
        elif ok is None:
            unknown.append(fam)
    fmt = {"max": _n(s.max_pupils), "min": _n(s.min_pupils), "km": _km(s.max_km),
           "types": "/".join(inst.required_types())}
    if biting:
        fam = biting[0]
        also = [_WHAT[f].format(**fmt) for f in biting[1:]]
        return (f"{inst.label}: no indeling meets all constraints; {_WHAT[fam].format(**fmt)} cannot be met "
                f"together with the others" + (f" (dropping {', '.join(also)} would also help)" if also else "")
                + f"; {_FIX[fam].format(**fmt)}")
    return (f"{inst.label}: no indeling meets all constraints, and dropping any single constraint family does not "
            "help" + (f" (undecided within the time limit: {', '.join(unknown)})" if unknown else "")
            + "; relax several limits (travel.max_km, size, facilities.required) together")
