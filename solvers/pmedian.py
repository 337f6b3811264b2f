"""Hubs of the p-median problem: where ``p`` SWVs would put their hubs if travel were all that counted.

    min  sum_i  min_{j in H} c_ij    over sets H of p candidate hubs,
    c_ij = travel_weight * cost[i, j] + tiebreak_per_km * reach_km[i, j]   if i may join j's SWV, else "infinite"
          (:meth:`Instance.join_cost`)

"May join" is the model's own hub region (within the travel limit and, with contiguity, connected to j through
units within reach of j). Sizes, facilities, contiguity between SWVs, locks and disruption are left out: the hubs
only seed a restricted-hub solve (:func:`solvers.districting._restricted_search`), which enforces all of them.

Solved by greedy addition, then vertex interchange (Teitz and Bart, 1968: swap a hub for the candidate that lowers
the sum most, until no swap does), a local optimum in milliseconds (PC4 Friesland, 475 units, p = 6: 0.02 s).
Deterministic: ties go to the lowest index.
"""

from __future__ import annotations

import numpy as np

from solvers.instance import Instance

# Stands for "not allowed": far above any real sum, yet finite, so sums stay ordered.
_FAR = 1e12
# Interchange passes at most (each pass tries every hub once; a local optimum is usually reached in 2-4).
MAX_PASSES = 20


def p_median_hubs(inst: Instance, p: int) -> list[int]:
    """The hubs (sorted unit indices) of a locally optimal p-median solution; every candidate if there are at
    most ``p``."""
    cand = sorted(inst.hub_region)
    if p <= 0 or not cand:
        return []
    if p >= len(cand):
        return cand
    cost = np.minimum(inst.join_cost()[:, cand], _FAR)  # [i, k]: unit i at candidate hub cand[k]
    unserved = np.full(inst.n, 2 * _FAR)  # what a unit adds before any hub is chosen
    chosen: list[int] = []  # positions in cand
    best = unserved
    for _ in range(p):
        total = np.minimum(best[:, None], cost).sum(axis=0)
        total[chosen] = np.inf
        k = int(np.argmin(total))
        chosen.append(k)
        best = np.minimum(best, cost[:, k])
    value = float(best.sum())
    for _ in range(MAX_PASSES):
        improved = False
        for pos in range(p):
            rest = chosen[:pos] + chosen[pos + 1:]
            base = cost[:, rest].min(axis=1) if rest else unserved
            total = np.minimum(base[:, None], cost).sum(axis=0)
            total[rest] = np.inf
            k = int(np.argmin(total))
            if total[k] < value - 1e-6 * max(1.0, abs(value)):
                chosen[pos], value, improved = k, float(total[k]), True
        if not improved:
            break
    return sorted(cand[k] for k in chosen)

