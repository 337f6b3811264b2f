"""A national number of SWVs, spread over regions: count bounds per region and the allocation DP.

The districting model decomposes by region, so the national problem "exactly K SWVs in total" is: choose a count
k_r per region with sum k_r = K minimising sum f_r(k_r), where f_r(k) is the region's optimum with exactly k SWVs.
:func:`allocate` solves that knapsack-style choice exactly by dynamic programming over the regions;
:func:`count_bounds` gives the counts a region can possibly have (necessary conditions only, no solver), the same
arithmetic as :func:`solvers.infeasibility.precheck`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solvers.instance import INF, Instance, lock_roots


def _n(x: float) -> str:
    return f"{x:,.0f}"


@dataclass(frozen=True)
class CountBounds:
    """Every valid indeling of the region has between ``lo`` and ``hi`` SWVs (``lo_why`` / ``hi_why``: the rule
    that gives the bound, for messages)."""

    lo: int
    hi: int
    lo_why: str
    hi_why: str


def count_bounds(inst: Instance) -> CountBounds:
    """Necessary bounds on the number of SWVs from sizes, facilities, hubs, travel and locks."""
    s = inst.settings
    total = float(inst.pupils.sum())
    if s.target_swvs is not None:
        k = int(s.target_swvs)
        return CountBounds(k, k, "objective.target_swvs_per_jeugdregio", "objective.target_swvs_per_jeugdregio")
    lows: list[tuple[int, str]] = [(1, "every jeugdregio has at least one SWV")]
    if s.max_pupils < INF and total > 0:
        k = math.ceil(total / s.max_pupils - 1e-9)
        lows.append((k, f"{_n(total)} pupils / max_pupils {_n(s.max_pupils)}"))
    names = set(inst.locks.pins.values())
    if len(names) > 1:
        lows.append((len(names), f"{len(names)} pin names"))
    if inst.locks.apart:
        lows.append((2, "locks.apart"))
    far = _far_apart(inst)
    if far > 1:
        lows.append((far, f"{far} units no hub within max_km {s.max_km:g} can serve together"))
    highs: list[tuple[int, str]] = [(inst.n, f"{inst.n} unit{'' if inst.n == 1 else 's'}")]
    hubs = len(inst.hub_region)
    if hubs < inst.n:
        highs.append((hubs, f"{hubs} unit{'' if hubs == 1 else 's'} can be a hub within max_km {s.max_km:g}"))
    if s.min_pupils > 0:
        highs.append((math.floor(total / s.min_pupils + 1e-9), f"{_n(total)} pupils / min_pupils "
                      f"{_n(s.min_pupils)}"))
    for t in inst.required_types():
        have = int((inst.facilities[t] > 0).sum())
        highs.append((have, f"{have} unit{' holds' if have == 1 else 's hold'} a {t} site"))
    groups = _lock_groups(inst)
    if groups < inst.n:
        highs.append((groups, f"{groups} groups of locked units"))
    lo = max(lows, key=lambda p: p[0])
    hi = min(highs, key=lambda p: p[0])
    return CountBounds(lo[0], hi[0], lo[1], hi[1])


def _far_apart(inst: Instance) -> int:
    """Size of a set of units no two of which any one hub may serve (each needs its own SWV): a greedy
    independent set in the 'some hub serves both' graph, which is a valid lower bound on the count."""
    if not inst.hub_region:
        return 0
    hubs = sorted(inst.hub_region)
    member = np.zeros((inst.n, len(hubs)), dtype=np.float32)
    for c, j in enumerate(hubs):
        member[sorted(inst.hub_region[j]), c] = 1.0
    together = (member @ member.T) > 0
    degree = together.sum(axis=1)
    chosen: list[int] = []
    blocked = np.zeros(inst.n, dtype=bool)
    for i in sorted(range(inst.n), key=lambda i: (int(degree[i]), i)):
        if not blocked[i] and together[i, i]:
            chosen.append(i)
            blocked |= together[i]
    return len(chosen)


def _lock_groups(inst: Instance) -> int:
    return len(set(lock_roots(inst)))


@dataclass(frozen=True)
class Allocation:
    value: float
    counts: dict[str, int]   # region -> count
    unsure: int              # picks flagged unsure (the tie-break prefers fewer)


def allocate(options: dict[str, dict[int, float]], total: int,
             unsure: dict[str, set[int]] | None = None) -> Allocation | None:
    """Pick one count per region (``options[r][k]``: value of count k; missing or inf: not allowed) with the counts
    summing to ``total`` and the smallest summed value; None if no pick sums to ``total``.

    Deterministic: regions in sorted order, and among equal values (within 1e-9 relative) the pick with the
    fewest ``unsure`` counts (e.g. counts whose value is only a lower bound), then the smallest counts first.
    """
    unsure = unsure or {}
    regions = sorted(options)
    opts_of = {r: sorted((k, v) for k, v in options[r].items() if v < INF) for r in regions}
    if any(not o for o in opts_of.values()):
        return None
    # Partial sums that can still reach ``total``: between total - (max of the rest) and total - (min of the rest).
    rest_min, rest_max = [0] * (len(regions) + 1), [0] * (len(regions) + 1)
    for i in range(len(regions) - 1, -1, -1):
        rest_min[i] = rest_min[i + 1] + opts_of[regions[i]][0][0]
        rest_max[i] = rest_max[i + 1] + opts_of[regions[i]][-1][0]
    # best[s] = (value, unsure count, counts so far) for partial sum s
    best: dict[int, tuple[float, int, tuple[int, ...]]] = {0: (0.0, 0, ())}
    for i, r in enumerate(regions):
        opts = opts_of[r]
        flag = unsure.get(r, set())
        nxt: dict[int, tuple[float, int, tuple[int, ...]]] = {}
        for s, (val, uns, picks) in sorted(best.items()):
            for k, v in opts:
                t = s + k
                if t > total - rest_min[i + 1]:
                    break
                if t < total - rest_max[i + 1]:
                    continue
                cand = (val + v, uns + (k in flag), picks + (k,))
                cur = nxt.get(t)
                if cur is None or _better(cand, cur):
                    nxt[t] = cand
        best = nxt
        if not best:
            return None
    if total not in best:
        return None
    val, uns, picks = best[total]
    return Allocation(val, dict(zip(regions, picks)), uns)


def _better(a: tuple[float, int, tuple[int, ...]], b: tuple[float, int, tuple[int, ...]]) -> bool:
    tol = 1e-9 * max(1.0, abs(a[0]), abs(b[0]))
    if a[0] < b[0] - tol:
        return True
    if a[0] > b[0] + tol:
        return False
    return (a[1], a[2]) < (b[1], b[2])


__all__ = ["Allocation", "CountBounds", "allocate", "count_bounds"]
