r"""The LP relaxation over a growing set of candidate hubs (column generation by hub), for PC4-size regions.

The LP of :class:`solvers.districting.Districting` opens few hubs: PC4 Friesland (JZ02, 475 units, 142,742
:math:`x`) uses 7-9 hubs and about 3,000 nonzero columns, yet every dual simplex iteration works on the whole
model, so its cutting-plane rounds take 1-5 s each and its bound was 906.4k after 48 s. This LP (the *master*)
starts from the start's hubs only, appends a hub's *block* when it can lower the objective at the current duals
(the HiGHS model keeps its basis), and reached 914.4k in the same 48 s with about 110 of the 475 hubs.

Every row of the model but three kinds belongs to one hub :math:`j` (its :math:`x_{\cdot j}`, :math:`z_{Pj}`,
:math:`m_{Pj}` and their rows, the separators and kept-pupil rows of j). The coupling rows are the assignment rows
(duals :math:`u_i`), the successor rows :math:`\sum_j z_{Pj} \le 1` (duals :math:`-v_P \le 0`) and the SWV-count
rows (duals :math:`y_c`). With the master's duals, an absent hub j with :math:`x_{jj} = 1` has reduced cost

.. math::
    \rho_j = \tilde c_{jj} - \sum_c y_c + w_n + \min_x \sum_{i \ne j} \tilde c_{ij} x_i, \qquad
    \tilde c_{ij} = w_t c_{ij} + \epsilon d_{ij} - u_i + \sum_P q_{iP} \min\big(0, v_P / Q_{Pj} - w_d\big)

over :math:`0 \le x \le 1` with j's facility rows (a site of every type it lacks) and size rows. The disruption
columns of a block contribute :math:`\min_z v_P z - w_d \min(S, Q_{Pj} z)` for the pupils S of P it serves,
i.e. :math:`\min(0, v_P/Q_{Pj} - w_d)\, S`, which is linear in x. Left out, which only lowers :math:`\rho_j`: the
separators (an absent hub has none yet), lock and facility-distance rows. :meth:`HubPrices.values` first screens
every absent hub with a cheaper lower bound (every negative :math:`\tilde c_{ij}` in, only the dearest missing
facility type paid for, no size rows); :meth:`HubPrices.exact` solves the block LP of the rest. The block is a
cone cut off at :math:`x_{jj} \le 1`, so its minimum is :math:`\min(0, \rho_j)`, and

.. math::
    \text{LP}_{\text{master}} + \sum_{j \text{ absent}} \min(0, \rho_j)

is a valid lower bound at every round (the Lagrangian bound of the coupling rows at the master's duals). When
no :math:`\rho_j` is negative the master's LP is the whole model's LP with the same cuts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from solvers import backend, highs_direct
from solvers.instance import Instance

# Hubs added per LP round at most (the most negative first). More at once makes the master bigger for good, fewer
# costs rounds; PC4 JZ02, LP bound after 48 s from the start's 5 hubs: 3 -> 914.2k, 5 -> 914.6k, 10 -> 914.4k,
# 40 -> 912.3k, 100 -> 910.2k (the whole model's LP: 906.4k).
MAX_ADD = 10
# A block prices out below -PRICE_TOL * max(1, |LP|): smaller negatives are left to the Lagrangian bound.
PRICE_TOL = 1e-6


class HubPrices:
    """The data of :math:`\\rho_j` for one region that stays fixed across rounds (matrices over all hubs)."""

    def __init__(self, inst: Instance):
        s = inst.settings
        self.inst = inst
        n = inst.n
        self.hubs = np.array(sorted(inst.hub_region), dtype=int)
        allowed = np.zeros((n, n), dtype=bool)
        for j, region in inst.hub_region.items():
            allowed[sorted(region), j] = True
        self.allowed = allowed
        self.cost = s.travel_weight * inst.cost + s.tiebreak_per_km * inst.reach_km
        keys = sorted({k for cur in inst.current for k, p in cur.items() if p > 0}) if s.disruption_weight else []
        self.keys = keys
        q = np.zeros((n, len(keys)))
        for i, cur in enumerate(inst.current):
            for p, key in enumerate(keys):
                q[i, p] = cur.get(key, 0.0)
        self.q = q
        self.Q = q.T @ allowed  # pupils of P that hub j may serve (the model's Q_Pj)
        self.sites = {t: inst.facilities[t] > 0 for t in inst.required_types()}

    def reduced(self, mod: highs_direct.Model, row_dual: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """:math:`\\tilde c_{ij}` for every unit i and the hubs ``cols`` (hub count duals not included)."""
        s = self.inst.settings
        red = self.cost[:, cols] - row_dual[:self.inst.n, None]
        if self.keys:
            v = np.array([-row_dual[mod.successor_rows[k]] if k in mod.successor_rows else 0.0 for k in self.keys])
            Q = self.Q[:, cols]
            with np.errstate(divide="ignore", invalid="ignore"):
                coef = np.where(Q > 0, np.minimum(0.0, v[:, None] / Q - s.disruption_weight), 0.0)
            red = red + self.q @ coef
        return red

    def hub_term(self, mod: highs_direct.Model, row_dual: np.ndarray) -> float:
        """What opening a hub adds besides its units: the count weight less the SWV-count rows' duals."""
        return float(self.inst.settings.count_weight) - float(sum(row_dual[r] for r in mod.count_rows))

    def values(self, mod: highs_direct.Model, row_dual: np.ndarray, absent: list[int]) -> np.ndarray:
        """A quick lower bound on :math:`\\rho_j` for the hubs ``absent`` (``inf`` where a required type has no
        site in reach): every unit with a negative reduced cost in, and only the dearest missing facility type
        paid for (the size rows left out)."""
        cols = np.asarray(absent, dtype=int)
        red = self.reduced(mod, row_dual, cols)
        mask = self.allowed[:, cols]
        own = red[cols, np.arange(len(cols))]
        neg = np.where(mask & (red < 0), red, 0.0)
        neg[cols, np.arange(len(cols))] = 0.0
        out = own + neg.sum(axis=0) + self.hub_term(mod, row_dual)
        extra = np.zeros(len(cols))
        for has in self.sites.values():
            inreach = mask & has[:, None]
            reachable = inreach.any(axis=0)
            covered = has[cols] | (inreach & (red < 0)).any(axis=0)
            cheapest = np.where(inreach, red, np.inf).min(axis=0)
            extra = np.where(covered, extra, np.maximum(extra, cheapest))
            extra = np.where(reachable | has[cols], extra, np.inf)
        return out + extra

    def exact(self, mod: highs_direct.Model, row_dual: np.ndarray, hubs: list[int]) -> np.ndarray:
        """:math:`\\rho_j` as the block's LP with every facility and size row (no separators, locks or
        facility-distance rows: a lower bound still), one small HiGHS LP per hub."""
        import highspy

        s = self.inst.settings
        cols = np.asarray(hubs, dtype=int)
        red = self.reduced(mod, row_dual, cols)
        base = self.hub_term(mod, row_dual)
        out = np.full(len(cols), np.inf)
        for k, j in enumerate(cols.tolist()):
            units = [i for i in np.flatnonzero(self.allowed[:, j]).tolist() if i != j]
            rows_lo, rows_hi, rows = [], [], []
            for has in self.sites.values():
                if has[j]:
                    continue
                sites = [c for c, i in enumerate(units) if has[i]]
                if not sites:
                    break
                rows.append((sites, [1.0] * len(sites)))
                rows_lo.append(1.0)
                rows_hi.append(np.inf)
            else:
                p = self.inst.pupils
                lo = s.min_pupils - p[j] if s.min_pupils > 0 else -np.inf
                hi = s.max_pupils - p[j] if s.max_pupils != highs_direct.INF else np.inf
                if lo > -np.inf or hi < np.inf:
                    rows.append((list(range(len(units))), [float(p[i]) for i in units]))
                    rows_lo.append(lo)
                    rows_hi.append(hi)
                value = _small_lp(highspy, red[units, k], rows, rows_lo, rows_hi, s.threads)
                # a block LP that HiGHS could not finish keeps the screen's value, which is a lower bound too
                out[k] = (red[j, k] + base + value if value is not None
                          else float(self.values(mod, row_dual, [j])[0]))
        return out


def _small_lp(highspy, cost: np.ndarray, rows, lower, upper, threads: int) -> float | None:
    """min cost.x over 0 <= x <= 1 and the rows (cols, vals) within [lower, upper]; inf if infeasible, None if
    HiGHS ends otherwise."""
    if not rows:
        return float(np.minimum(cost, 0.0).sum())
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # the process's HiGHS thread pool has the scenario's size (backend.use_threads); a run asking for another
    # size fails (PC4 JZ02 with threads = 2: every block "infeasible", so nothing priced in and the master's
    # LP, which is no bound, stood as one: 922.6k above its 920.3k indeling)
    h.setOptionValue("threads", int(threads))
    n = len(cost)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, dtype=float))
    highs_direct.add_rows(h, [(list(c), list(v), float(lo), float(hi))
                              for (c, v), lo, hi in zip(rows, lower, upper)])
    backend.run_highs(h)
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return float("inf")
    if status != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)


class HubPricedLP:
    """The LP rounds of ``make(replace(inst, hubs=H))`` (a :class:`solvers.districting._HighsRounds`), with H
    grown by pricing: a hub's block (its columns and rows) is appended to the same HiGHS model, which keeps its
    basis. The same interface as those rounds for what follows them (:meth:`lp_cuts`, :meth:`lp_rounding`,
    :meth:`lp_hubs`, :attr:`lp_bound`)."""

    def __init__(self, inst: Instance, hubs, make: Callable[[Instance], object]):
        self.inst = inst
        self.hubs = set(int(j) for j in hubs) & set(inst.hub_region)
        self.prices = HubPrices(inst)
        self.lp_bound: float | None = None
        self.added = 0
        self.inner = make(replace(inst, hubs=frozenset(self.hubs)))

    @property
    def lp_rounds(self) -> int:
        return self.inner.lp_rounds

    def lp_cuts(self, deadline: float) -> float | None:
        """LP rounds as :meth:`_HighsRounds.lp_cuts`, pricing hubs in after every solve; returns the bound
        (the Lagrangian bound while hubs still price out, the LP's once none does)."""
        bound = self.inner.lp_cuts(deadline, pricing=self)
        if bound is not None:
            self.lp_bound = bound if self.lp_bound is None else max(self.lp_bound, bound)
        return self.lp_bound

    def price(self) -> tuple[float, list[int]]:
        """At the master's last LP optimum: the Lagrangian bound, and the absent hubs to add (at most MAX_ADD,
        most negative :math:`\\rho_j` first)."""
        inner = self.inner
        lp = inner.lp_bound
        absent = sorted(set(self.prices.hubs.tolist()) - self.hubs)
        rho = self.prices.values(inner.mod, inner._row_dual, absent) if absent else np.zeros(0)
        tol = PRICE_TOL * max(1.0, abs(lp))
        cand = np.flatnonzero(rho < -tol)
        if len(cand):  # the quick bound only screens: the block LPs decide
            rho[cand] = self.prices.exact(inner.mod, inner._row_dual, [absent[k] for k in cand])
        new = [absent[k] for k in np.argsort(rho, kind="stable") if rho[k] < -tol][:MAX_ADD]
        return lp + float(np.minimum(0.0, rho).sum()), new

    def extend(self, new: list[int]) -> None:
        """Append the blocks of the hubs ``new`` to the master: the model of those hubs alone, its coupling rows
        merged into the master's and its own rows appended."""
        inner, h = self.inner, self.inner.h
        mod = inner.mod
        sub = highs_direct.build(replace(self.inst, hubs=frozenset(new)))
        off = h.getNumCol()
        rows = sub.rows
        coupling = {i: i for i in range(self.inst.n)}
        coupling.update(zip(sub.count_rows, mod.count_rows))
        for key, r in sorted(sub.successor_rows.items()):
            if key not in mod.successor_rows:  # a current SWV no hub of the master could succeed yet
                highs_direct.add_rows(h, [([], [], -highs_direct.INF, 1.0)])
                mod.successor_rows[key] = h.getNumRow() - 1
            coupling[r] = mod.successor_rows[key]
        entries: list[list[tuple[int, float]]] = [[] for _ in range(sub.n_cols)]
        own = []
        for r in range(len(rows)):
            cols = rows.index[rows.start[r]:rows.start[r + 1]]
            vals = rows.value[rows.start[r]:rows.start[r + 1]]
            if r in coupling:
                for c, v in zip(cols, vals):
                    entries[c].append((coupling[r], v))
            else:
                own.append(([c + off for c in cols], vals, rows.lower[r], rows.upper[r]))
        starts, index, value = [], [], []
        for e in entries:
            starts.append(len(index))
            index += [r for r, _v in e]
            value += [v for _r, v in e]
        h.addCols(sub.n_cols, np.asarray(sub.cost, dtype=float), np.asarray(sub.lower, dtype=float),
                  np.asarray(sub.upper, dtype=float), len(index), np.asarray(starts, dtype=np.int32),
                  np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float))
        highs_direct.add_rows(h, own)
        for (i, j), c in sub.x.items():
            mod.x[i, j] = c + off
            mod.hubs_of[i] = sorted(mod.hubs_of[i] + [j])
        mod.members.update(sub.members)
        mod.z.update({kj: c + off for kj, c in sub.z.items()})
        mod.agg.update({kj: c + off for kj, c in sub.agg.items()})
        mod.agg_terms.update({kj: [(c + off, q) for c, q in t] for kj, t in sub.agg_terms.items()})
        mod.lower += sub.lower
        mod.upper += sub.upper
        mod.cost += sub.cost
        mod.integer += sub.integer
        # the last LP optimum, with the new columns at 0, is a point of the grown master with the same value: what
        # lp_rounding and lp_hubs read if the time runs out before the next solve
        if inner._lp_val is not None:
            inner._lp_val = np.concatenate([inner._lp_val, np.zeros(sub.n_cols)])
        inner._lp_dual = None  # no reduced costs for the new columns: reduced-cost fixing waits for a solve
        self.hubs |= set(new)
        self.added += len(new)
        inner.inst = replace(self.inst, hubs=frozenset(self.hubs))
        inner.index_columns()

    def lp_rounding(self, seconds: float):
        return self.inner.lp_rounding(seconds)

    def has_var(self, i: int, j: int) -> bool:
        return self.inner.has_var(i, j)

    def add(self, cuts) -> int:
        """Separators (of the full model) on the master's columns; the caller keeps only those whose x[i, j] the
        master has (:meth:`has_var`)."""
        return self.inner.add(cuts)

    def lp_hubs(self, tol: float = 0.01) -> set[int]:
        return self.inner.lp_hubs(tol)
