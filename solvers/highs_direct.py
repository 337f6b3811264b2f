"""The districting model built straight into HiGHS (highspy): plain arrays in, no PuLP objects.

The same rows as :func:`solvers.constraints.build` (one builder per family, same order, same coefficients; the
disruption term always in the compact form, which the LP rounds tighten by :func:`kept_cuts`), but kept as one
in-memory HiGHS model, so the contiguity rounds add rows to it instead of rebuilding and re-sending the
whole model, and a PC4-level model costs arrays instead of Python objects per coefficient (JZ02, 475 PC4s: PuLP
14 s and 850 MB before the solve).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers import backend, constraints
from solvers.instance import Instance, successor_values

INF = float("inf")
# With HiGHS the LP cutting-plane rounds come first, and there the neighbour separators up front also pay off on
# the big-city hybrid models (unlike the PuLP path, constraints.NEIGHBOUR_CUTS_MAX_VARS): they stop the integer
# rounds from finding single-unit enclaves, so branch-and-bound runs once instead of restarting per enclave round.
# JZ29 hybrid (7,624 x): 60 s time-out at gap 0.34 % (4 rounds) -> optimal in 35-43 s (2 rounds); JZ24 (4,900 x)
# 19 s -> 16 s; JZ13 (8,100 x) 4.7 s -> 7 s. Measured, not derived: PC4 JZ22 (2,209 x, re-solve after a lock) went
# 12 s -> 25 s with them, hence the window (load 1-2). Between 2,000 and 4,000 x they stay off.
NEIGHBOUR_CUTS_VARS = (4000, 10000)


class Rows:
    """Rows in compressed row form: lower <= sum(val * col) <= upper."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.start: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []

    def add(self, cols, vals, lower: float = -INF, upper: float = INF) -> None:
        # merge duplicate columns (e.g. a lock pair's hub column on both sides) as PuLP does
        acc: dict[int, float] = {}
        for c, v in zip(cols, vals):
            acc[c] = acc.get(c, 0.0) + float(v)
        for c in sorted(acc):
            if acc[c] != 0.0:
                self.index.append(c)
                self.value.append(acc[c])
        self.start.append(len(self.index))
        self.lower.append(float(lower))
        self.upper.append(float(upper))

    def __len__(self) -> int:
        return len(self.lower)


@dataclass
class Model:
    """Column bookkeeping: x[i, j] = 1: unit i belongs to the SWV whose hub is unit j (x[j, j]: j is a hub)."""

    x: dict[tuple[int, int], int]
    members: dict[int, list[int]]
    hubs_of: dict[int, list[int]]
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    z: dict[tuple[str, int], int] = field(default_factory=dict)
    agg: dict[tuple[str, int], int] = field(default_factory=dict)
    # compact disruption form: (P, j) -> [(column of x[i, j], pupils of P in unit i)] for the kept-pupil cuts
    agg_terms: dict[tuple[str, int], list[tuple[int, float]]] = field(default_factory=dict)
    offset: float = 0.0
    rows: Rows = field(default_factory=Rows)
    # the rows that couple hubs (rows 0 .. n-1 are the units' assignment rows): the SWV-count rows, and per
    # current SWV the row "at most one main successor"; every other row belongs to one hub (solvers.hub_pricing)
    count_rows: list[int] = field(default_factory=list)
    successor_rows: dict[str, int] = field(default_factory=dict)

    def col(self, lower: float, upper: float, integer: bool) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(0.0)
        self.integer.append(1 if integer else 0)
        return len(self.lower) - 1

    @property
    def n_cols(self) -> int:
        return len(self.lower)

    @property
    def hub_cols(self) -> list[int]:
        """The columns x[j, j] (j is a hub), in hub order: the number of SWVs is their sum."""
        return [self.x[j, j] for j in self.members]


def build(inst: Instance) -> Model:
    """The model of :func:`solvers.constraints.build` (all families, full objective) as arrays."""
    s = inst.settings
    x: dict[tuple[int, int], int] = {}
    members: dict[int, list[int]] = {}
    hubs_of: dict[int, list[int]] = {i: [] for i in range(inst.n)}
    mod = Model(x, members, hubs_of)
    for j, region in sorted(inst.hub_region.items()):
        mem = sorted(region)
        members[j] = mem
        for i in mem:
            x[i, j] = mod.col(0.0, 1.0, True)
            hubs_of[i].append(j)
    for i in hubs_of:
        hubs_of[i].sort()
    r = mod.rows
    for i in range(inst.n):
        r.add([x[i, j] for j in hubs_of[i]], [1.0] * len(hubs_of[i]), 1.0, 1.0)
    for j, mem in members.items():
        for i in mem:
            if i != j:
                r.add([x[i, j], x[j, j]], [1.0, -1.0], upper=0.0)
    for t in inst.required_types():
        has = inst.facilities[t]
        for j, mem in members.items():
            cols = [x[i, j] for i in mem if has[i] > 0] + [x[j, j]]
            r.add(cols, [1.0] * (len(cols) - 1) + [-1.0], lower=0.0)
    for j, mem in members.items():
        cols = [x[i, j] for i in mem]
        vals = [float(inst.pupils[i]) for i in mem]
        if s.min_pupils > 0:
            r.add(cols + [x[j, j]], vals + [-float(s.min_pupils)], lower=0.0)
        if s.max_pupils != INF:
            r.add(cols + [x[j, j]], vals + [-float(s.max_pupils)], upper=0.0)
    if s.contiguity and (len(x) <= constraints.NEIGHBOUR_CUTS_MAX_VARS
                         or NEIGHBOUR_CUTS_VARS[0] <= len(x) <= NEIGHBOUR_CUTS_VARS[1]):
        for (i, j), c in x.items():
            if i == j:
                continue
            nb = [x[k, j] for k in inst.neighbours[i] if (k, j) in x]
            r.add([c] + nb, [1.0] + [-1.0] * len(nb), upper=0.0)
    for _r, (i, _t, _km, near) in enumerate(inst.cover):
        for j in hubs_of[i]:
            if i in near:
                continue
            ks = [x[k, j] for k in sorted(near) if (k, j) in x]
            r.add([x[i, j]] + ks, [1.0] + [-1.0] * len(ks), upper=0.0)
    if not inst.locks.empty:
        for _g, (_what, group) in enumerate(inst.locks.groups()):
            first = group[0]
            for i in group[1:]:
                for j in sorted(set(hubs_of[first]) | set(hubs_of[i])):
                    cols, vals = [], []
                    if (first, j) in x:
                        cols.append(x[first, j])
                        vals.append(1.0)
                    if (i, j) in x:
                        cols.append(x[i, j])
                        vals.append(-1.0)
                    r.add(cols, vals, 0.0, 0.0)
        for _p, (_what, a, b) in enumerate(inst.locks.separated()):
            for j in sorted(set(hubs_of[a]) & set(hubs_of[b])):
                r.add([x[a, j], x[b, j], x[j, j]], [1.0, 1.0, -1.0], upper=0.0)  # as constraints.add_locks
    hubs = mod.hub_cols
    if s.target_swvs is not None:
        k = float(int(s.target_swvs))
        mod.count_rows.append(len(r))
        r.add(hubs, [1.0] * len(hubs), k, k)
    if s.min_swvs is not None:
        mod.count_rows.append(len(r))
        r.add(hubs, [1.0] * len(hubs), lower=float(int(s.min_swvs)))
    if s.max_swvs is not None:
        mod.count_rows.append(len(r))
        r.add(hubs, [1.0] * len(hubs), upper=float(int(s.max_swvs)))
    if s.travel_weight or s.tiebreak_per_km:
        wt = s.travel_weight * inst.cost + s.tiebreak_per_km * inst.reach_km
        for (i, j), c in x.items():
            mod.cost[c] += float(wt[i, j])
    if s.count_weight:
        for j in members:
            mod.cost[x[j, j]] += float(s.count_weight)
    if s.disruption_weight:
        _disruption(inst, mod, float(s.disruption_weight))
    return mod


def _disruption(inst: Instance, mod: Model, weight: float) -> None:
    """Kept pupils in the compact form of :func:`solvers.constraints.disruption_terms`, at every size: the LP rounds
    tighten it with :func:`kept_cuts` to the disaggregated form's LP without its (unit, P, hub) columns (national
    hybrid: 14.3 s, 993 MB with the disaggregated form on the big-city models -> 7.4 s, 735 MB)."""
    x, r = mod.x, mod.rows
    units_of, total = constraints.current_pupils(inst)
    mod.offset = weight * float(sum(total.values()))
    for key in sorted(units_of):
        zs = []
        for j in sorted(mod.members):
            terms = [(i, inst.current[i][key]) for i in units_of[key] if (i, j) in x]
            if not terms:
                continue
            z = mod.col(0.0, 1.0, True)
            m = mod.col(0.0, INF, False)
            mod.z[key, j], mod.agg[key, j] = z, m
            mod.agg_terms[key, j] = [(x[i, j], float(p)) for i, p in terms]
            mod.cost[m] -= weight
            r.add([m] + [x[i, j] for i, _p in terms], [1.0] + [-float(p) for _i, p in terms], upper=0.0)
            r.add([m, z], [1.0, -float(sum(p for _i, p in terms))], upper=0.0)
            r.add([z, x[j, j]], [1.0, -1.0], upper=0.0)
            zs.append(z)
        if zs:
            mod.successor_rows[key] = len(r)
            r.add(zs, [1.0] * len(zs), upper=1.0)


def kept_cuts(mod: Model, value: np.ndarray, tol: float = 1e-6) -> list[tuple[list[int], list[float], float, float]]:
    r"""Violated kept-pupil rows of the compact disruption form at the LP point ``value``.

    The compact rows :math:`m_{Pj} \le \sum_i q_{iP} x_{ij}` and :math:`m_{Pj} \le Q_{Pj} z_{Pj}` let a
    fractional successor keep every pupil: with :math:`z_{Pj}` = j's share of P the LP counts no disruption at all,
    even for an integral :math:`x` (PC4 JZ07: an integral LP optimum with 33,603 disrupted pupils, counted as 0).
    The disaggregated form (:math:`w_{iPj} \le x_{ij}, w_{iPj} \le z_{Pj}`) projected onto :math:`m` gives, for
    every subset S of P's units,
    :math:`m_{Pj} \le \sum_{i \in S} q_{iP} x_{ij} + \big(\sum_{i \notin S} q_{iP}\big) z_{Pj}`
    (valid: with :math:`z_{Pj} = 1` the right side is at least the pupils of P in j's SWV, with 0 it is
    :math:`\ge 0 = m_{Pj}`). The most violated S holds the units with :math:`x_{ij} \le z_{Pj}`; rows are added
    only where violated, so the LP is as tight as the disaggregated form's without its (unit, P, hub) columns."""
    rows = []
    for key_j, terms in mod.agg_terms.items():
        m, z = mod.agg[key_j], mod.z[key_j]
        mv, zv = float(value[m]), float(value[z])
        if mv <= tol:
            continue
        cols, vals, rhs, rest = [m], [1.0], 0.0, 0.0
        for c, q in terms:
            xv = float(value[c])
            if xv <= zv:
                cols.append(c)
                vals.append(-q)
                rhs += q * xv
            else:
                rest += q
        if mv > rhs + rest * zv + tol * max(1.0, mv) and len(cols) > 1 and rest > 0:
            rows.append((cols + [z], vals + [-rest], -INF, 0.0))
    return rows


def to_highs(mod: Model, threads: int, seed: int):
    """A fresh Highs object holding the model (quiet, deterministic options)."""
    import highspy

    with backend.quiet_stdout():
        h = highspy.Highs()
    backend.use_threads(threads)
    for name, val in (("output_flag", False), ("threads", int(threads)), ("random_seed", int(seed)),
                      ("mip_abs_gap", 1e-6)):
        h.setOptionValue(name, val)
    lp = highspy.HighsLp()
    lp.num_col_ = mod.n_cols
    lp.num_row_ = len(mod.rows)
    lp.col_cost_ = np.asarray(mod.cost, dtype=float)
    lp.col_lower_ = np.asarray(mod.lower, dtype=float)
    lp.col_upper_ = np.asarray(mod.upper, dtype=float)
    lp.row_lower_ = np.asarray(mod.rows.lower, dtype=float)
    lp.row_upper_ = np.asarray(mod.rows.upper, dtype=float)
    lp.offset_ = float(mod.offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = mod.n_cols
    lp.a_matrix_.num_row_ = len(mod.rows)
    lp.a_matrix_.start_ = np.asarray(mod.rows.start, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(mod.rows.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(mod.rows.value, dtype=float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                       for k in mod.integer]
    h.passModel(lp)
    return h


def add_rows(h, rows: list[tuple[list[int], list[float], float, float]]) -> None:
    """Append rows (cols, vals, lower, upper) to a Highs model; raises if HiGHS refuses them."""
    import highspy

    if not rows:
        return
    lower = np.array([r[2] for r in rows], dtype=float)
    upper = np.array([r[3] for r in rows], dtype=float)
    starts, index, value = [], [], []
    for cols, vals, _lo, _hi in rows:
        starts.append(len(index))
        index += cols
        value += vals
    status = h.addRows(len(rows), lower, upper, len(index), np.array(starts, dtype=np.int32),
                       np.array(index, dtype=np.int32), np.array(value, dtype=float))
    # HiGHS rejects the whole batch (a repeated column in a row, say) and carries on without it: a weaker model
    # that nothing would notice
    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS refused {len(rows)} rows (a repeated or unknown column in one of them)")


def start_values(inst: Instance, mod: Model, hub_of) -> np.ndarray:
    """Column values of a full assignment (x, and the disruption columns at their best values)."""
    val = np.zeros(mod.n_cols)
    for (i, j), c in mod.x.items():
        if hub_of[i] == j:
            val[c] = 1.0
    if mod.z:
        sv = successor_values(inst, hub_of, mod.z)
        kept, succ = sv["kept"], sv["successor"]
        for (key, j), c in mod.z.items():
            val[c] = 1.0 if succ.get(key) == j else 0.0
        for (key, j), c in mod.agg.items():
            val[c] = kept.get((key, j), 0.0) if succ.get(key) == j else 0.0
    return val
