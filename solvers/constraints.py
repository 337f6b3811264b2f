"""Constraint builders shared by the districting model and the infeasibility explainer.

Each builder adds one *family* of constraints to a PuLP problem, so the explainer can rebuild the model with
one family left out and name the family that makes a region infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulp

from solvers.instance import Instance

# The neighbour separators up front save separator rounds on small models (JZ39 gemeente level: 1.1 s vs 1.6 s)
# but on large ones every round took 2x longer and the search ended further from optimal (JZ13 hybrid: 7.7 % vs
# 3.3 % gap after 60 s); there contiguity is left to the separator rounds alone.
NEIGHBOUR_CUTS_MAX_VARS = 2000

# Disruption in the PuLP model (CBC; the HiGHS model always uses the compact form and tightens its LP by cuts,
# solvers.highs_direct.kept_cuts): the compact (aggregated) linearisation is faster on small models (gemeente
# level: JZ39 0.3 s vs 2.5 s), the disaggregated one on large ones (JZ13 hybrid without contiguity: 9 s vs 31 s).
# On PC4-level models the disaggregated one costs 2 rows per (current SWV, unit, hub): PC4 JZ38 (14,090 pairs)
# 1.1 GB vs 0.64 GB, JZ02 (142,742 pairs) 2.3 GB; there the compact one is used.
AGGREGATED_DISRUPTION_MAX_VARS = 2000
DISAGGREGATED_DISRUPTION_MAX_VARS = 10000


def aggregated_disruption(n_vars: int) -> bool:
    """Whether a model with ``n_vars`` assignment variables uses the compact disruption linearisation."""
    return n_vars <= AGGREGATED_DISRUPTION_MAX_VARS or n_vars > DISAGGREGATED_DISRUPTION_MAX_VARS

# Families in the order the explainer tries to drop them (most often the culprit first).
FAMILIES: tuple[str, ...] = ("max_pupils", "min_pupils", "facility", "travel", "contiguity", "facility_distance",
                             "locks", "target")


@dataclass
class ModelVars:
    """x[i, j] = 1: unit i belongs to the SWV whose hub is unit j (x[j, j] is 'j is a hub')."""

    x: dict[tuple[int, int], pulp.LpVariable]
    members: dict[int, list[int]]  # hub j -> units i with a variable x[i, j]
    hubs_of: dict[int, list[int]]  # unit i -> hubs j with a variable x[i, j]
    z: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)  # (key, hub): main successor of key
    m: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)  # (key, unit): unit stays with it
    w: dict[tuple[str, int, int], pulp.LpVariable] = field(default_factory=dict)  # (key, unit, hub)
    agg: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)  # (key, hub): kept pupils, compact
    disruption_total: float = 0.0


def assignment_vars(prob: pulp.LpProblem, inst: Instance) -> ModelVars:
    """Variables only for pairs within the travel limit and (with contiguity) connected within it."""
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    members: dict[int, list[int]] = {}
    hubs_of: dict[int, list[int]] = {i: [] for i in range(inst.n)}
    for j, region in sorted(inst.hub_region.items()):
        mem = sorted(region)
        members[j] = mem
        for i in mem:
            x[i, j] = prob.add_variable(f"x_{i}_{j}", 0, 1, cat=pulp.LpBinary)
            hubs_of[i].append(j)
    for i in hubs_of:
        hubs_of[i].sort()
    return ModelVars(x=x, members=members, hubs_of=hubs_of)


def add_assignment(prob, inst: Instance, v: ModelVars) -> None:
    """Every unit in exactly one SWV, only with an open hub. (A unit without any hub makes the model infeasible;
    the pre-checks name such units first.)"""
    for i in range(inst.n):
        prob += pulp.lpSum(v.x[i, j] for j in v.hubs_of[i]) == 1, f"assign_{i}"
    for j, mem in v.members.items():
        for i in mem:
            if i != j:
                prob += v.x[i, j] <= v.x[j, j], f"hub_{i}_{j}"


def add_facilities(prob, inst: Instance, v: ModelVars) -> None:
    """Dekkend aanbod: each open SWV holds at least one site of every required type."""
    for t in inst.required_types():
        has = inst.facilities[t]
        for j, mem in v.members.items():
            prob += pulp.lpSum(v.x[i, j] for i in mem if has[i] > 0) >= v.x[j, j], f"fac_{t}_{j}"


def add_size(prob, inst: Instance, v: ModelVars, lower: bool, upper: bool) -> None:
    s = inst.settings
    for j, mem in v.members.items():
        load = pulp.lpSum(float(inst.pupils[i]) * v.x[i, j] for i in mem)
        if lower and s.min_pupils > 0:
            prob += load >= float(s.min_pupils) * v.x[j, j], f"min_{j}"
        if upper and s.max_pupils != float("inf"):
            prob += load <= float(s.max_pupils) * v.x[j, j], f"max_{j}"


def add_neighbour_cuts(prob, inst: Instance, v: ModelVars) -> None:
    """Valid for contiguity: a non-hub member has a neighbour in the same SWV (its neighbours separate it from
    the hub). The exact separator cuts are added lazily by the districting loop."""
    for (i, j), var in v.x.items():
        if i == j:
            continue
        nb = [k for k in inst.neighbours[i] if (k, j) in v.x]
        prob += var <= pulp.lpSum(v.x[k, j] for k in nb), f"nb_{i}_{j}"


def add_facility_distance(prob, inst: Instance, v: ModelVars) -> None:
    """Every PC4 has a site of type t within km inside its own SWV: x[i, j] <= sum of x[k, j] over the units k
    with such a site (one rule per distinct set; the orchestration deduplicates per unit)."""
    for r, (i, _t, _km, near) in enumerate(inst.cover):
        for j in v.hubs_of[i]:
            ks = [k for k in sorted(near) if (k, j) in v.x]
            if i in near:
                continue
            prob += v.x[i, j] <= pulp.lpSum(v.x[k, j] for k in ks), f"facd_{r}_{j}"


def add_locks(prob, inst: Instance, v: ModelVars) -> None:
    """Groups share an SWV (equal x columns); separated pairs never share one."""
    for g, (_what, group) in enumerate(inst.locks.groups()):
        first = group[0]
        for i in group[1:]:
            for j in sorted(set(v.hubs_of[first]) | set(v.hubs_of[i])):
                a = v.x.get((first, j), 0)
                b = v.x.get((i, j), 0)
                prob += a - b == 0, f"tog_{g}_{i}_{j}"
    for p, (_what, a, b) in enumerate(inst.locks.separated()):
        for j in sorted(set(v.hubs_of[a]) & set(v.hubs_of[b])):
            # <= x[j, j] rather than <= 1: the same integer points, but an LP that cannot put both halves in a
            # fractional hub (PC4 JZ22 with one apart lock: LP bound = the unlocked optimum before)
            prob += v.x[a, j] + v.x[b, j] <= v.x[j, j], f"apart_{p}_{j}"


def add_target(prob, inst: Instance, v: ModelVars) -> None:
    s = inst.settings
    if s.target_swvs is not None:
        prob += pulp.lpSum(v.x[j, j] for j in v.members) == int(s.target_swvs), "target"
    if s.min_swvs is not None:
        prob += pulp.lpSum(v.x[j, j] for j in v.members) >= int(s.min_swvs), "target_min"
    if s.max_swvs is not None:
        prob += pulp.lpSum(v.x[j, j] for j in v.members) <= int(s.max_swvs), "target_max"


def current_pupils(inst: Instance) -> tuple[dict[str, list[int]], dict[str, float]]:
    """Per current po/vo SWV key: the units holding its pupils, and its pupils in this region."""
    units_of: dict[str, list[int]] = {}
    total: dict[str, float] = {}
    for i, cur in enumerate(inst.current):
        for key, p in cur.items():
            if p > 0:
                units_of.setdefault(key, []).append(i)
                total[key] = total.get(key, 0.0) + p
    return units_of, total


def disruption_terms(prob, inst: Instance, v: ModelVars):
    """Pupils kept by their current SWV's main successor, to be maximised.

    For each current po/vo SWV key P, z[P, j] = 1 picks hub j's SWV as P's main successor (at most one, only an
    open hub). u[i, P] in [0, 1] says "unit i's P-pupils stay with P's successor": u[i, P] <= sum_j w[i, P, j]
    with w[i, P, j] <= x[i, j] and w[i, P, j] <= z[P, j] (the facility-location style disaggregation keeps the LP
    tight; an aggregated max over SWV totals made the model 3x slower). Kept pupils = sum q[i, P] u[i, P];
    disrupted = total - kept, exactly the pupils of P outside the new SWV that keeps most of P.
    """
    units_of, total = current_pupils(inst)
    v.disruption_total = float(sum(total.values()))
    if aggregated_disruption(len(v.x)):
        return _aggregated_disruption(prob, inst, v, units_of)
    kept = []
    for kp, key in enumerate(sorted(units_of)):
        us = units_of[key]
        hubs = sorted({j for i in us for j in v.hubs_of[i]})
        for j in hubs:
            z = prob.add_variable(f"z_{kp}_{j}", 0, 1, cat=pulp.LpBinary)
            v.z[key, j] = z
            prob += z <= v.x[j, j], f"zhub_{kp}_{j}"
        prob += pulp.lpSum(v.z[key, j] for j in hubs) <= 1, f"one_succ_{kp}"
        for i in us:
            u = prob.add_variable(f"u_{kp}_{i}", 0, 1)
            v.m[key, i] = u
            ws = []
            for j in v.hubs_of[i]:
                w = prob.add_variable(f"w_{kp}_{i}_{j}", 0, 1)
                prob += w <= v.x[i, j], f"wx_{kp}_{i}_{j}"
                prob += w <= v.z[key, j], f"wz_{kp}_{i}_{j}"
                ws.append(w)
                v.w[key, i, j] = w
            prob += u <= pulp.lpSum(ws), f"keep_{kp}_{i}"
            kept.append(float(inst.current[i][key]) * u)
    return pulp.lpSum(kept)


def _aggregated_disruption(prob, inst: Instance, v: ModelVars, units_of):
    """The compact variant: m[P, j] <= pupils of P in j's SWV, m[P, j] <= Q_Pj z[P, j] (Q_Pj: P's pupils in units
    j can serve). Its LP counts almost no disruption; the HiGHS path tightens it by cuts
    (:func:`solvers.highs_direct.kept_cuts`)."""
    kept = []
    for kp, key in enumerate(sorted(units_of)):
        zs = []
        for j in sorted(v.members):
            terms = [(i, inst.current[i][key]) for i in units_of[key] if (i, j) in v.x]
            if not terms:
                continue
            z = prob.add_variable(f"z_{kp}_{j}", 0, 1, cat=pulp.LpBinary)
            m = prob.add_variable(f"m_{kp}_{j}", 0, None)
            v.z[key, j], v.agg[key, j] = z, m
            prob += m <= pulp.lpSum(p * v.x[i, j] for i, p in terms), f"keep_{kp}_{j}"
            prob += m <= sum(p for _i, p in terms) * z, f"succ_{kp}_{j}"
            prob += z <= v.x[j, j], f"zhub_{kp}_{j}"
            zs.append(z)
            kept.append(m)
        if zs:
            prob += pulp.lpSum(zs) <= 1, f"one_succ_{kp}"
    return pulp.lpSum(kept)


def build(inst: Instance, drop: frozenset[str] = frozenset(), feasibility: bool = False):
    """The whole model; ``drop`` leaves families out, ``feasibility`` uses a zero objective."""
    s = inst.settings
    prob = pulp.LpProblem("districting", pulp.LpMinimize)
    v = assignment_vars(prob, inst)
    add_assignment(prob, inst, v)
    if "facility" not in drop:
        add_facilities(prob, inst, v)
    add_size(prob, inst, v, lower="min_pupils" not in drop, upper="max_pupils" not in drop)
    if s.contiguity and "contiguity" not in drop and len(v.x) <= NEIGHBOUR_CUTS_MAX_VARS:
        add_neighbour_cuts(prob, inst, v)
    if inst.cover and "facility_distance" not in drop:
        add_facility_distance(prob, inst, v)
    if not inst.locks.empty and "locks" not in drop:
        add_locks(prob, inst, v)
    if "target" not in drop:
        add_target(prob, inst, v)
    if feasibility:
        prob += pulp.lpSum([])
        return prob, v
    obj = []
    if s.travel_weight or s.tiebreak_per_km:
        w = s.travel_weight * inst.cost + s.tiebreak_per_km * inst.reach_km
        obj.append(pulp.lpSum(float(w[i, j]) * var for (i, j), var in v.x.items() if w[i, j]))
    if s.count_weight:
        obj.append(pulp.lpSum(float(s.count_weight) * v.x[j, j] for j in v.members))
    if s.disruption_weight:
        obj.append(-float(s.disruption_weight) * disruption_terms(prob, inst, v))
    prob += pulp.lpSum(obj)
    return prob, v
