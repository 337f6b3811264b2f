"""A fast feasible start for the MIP: the best valid candidate among cheap constructions.

Candidates: a caller's assignment (e.g. the gemeente-level optimum lifted to PC4 units), one SWV for the
whole region around its best hub, and a greedy split that grows SWVs around facility-complete seeds. Each
candidate is checked with the instance's own constraint check; the cheapest valid one wins. None is fine:
the MIP then starts cold.
"""

from __future__ import annotations

import numpy as np

from solvers.instance import Instance


def _repair_hubs(inst: Instance, hub_of: list[int]) -> list[int]:
    """Move each SWV's hub to its best (cheapest travel) member within reach of all members."""
    groups: dict[int, list[int]] = {}
    for i, j in enumerate(hub_of):
        groups.setdefault(j, []).append(i)
    out = list(hub_of)
    for _j, mem in sorted(groups.items()):
        idx = np.array(mem)
        ok = inst.reach[np.ix_(idx, idx)].all(axis=0)
        if not ok.any():
            continue
        costs = inst.cost[np.ix_(idx, idx)].sum(axis=0)
        costs[~ok] = np.inf
        best = mem[int(np.argmin(costs))]
        for i in mem:
            out[i] = best
    return out


def one_swv(inst: Instance) -> list[int] | None:
    hubs = [j for j, reg in inst.hub_region.items() if len(reg) == inst.n]
    if not hubs:
        return None
    j = min(hubs, key=lambda h: (float(inst.cost[:, h].sum()), h))
    return [j] * inst.n


def greedy_split(inst: Instance) -> list[int] | None:
    """Voronoi-like split: seeds are units holding as many required facility types as possible, far apart;
    every unit joins the nearest seed it can reach through already-joined neighbours."""
    req = inst.required_types()
    score = np.array([sum(1 for t in req if inst.facilities[t][i] > 0) for i in range(inst.n)])
    order = sorted(range(inst.n), key=lambda i: (-score[i], -float(inst.pupils[i]), i))
    best = None
    for k in range(2, min(12, inst.n) + 1):
        seeds: list[int] = []
        for i in order:
            if len(seeds) == k:
                break
            if i in inst.hub_region and all(inst.reach_km[i, s] > 0 for s in seeds):
                seeds.append(i)
        if len(seeds) < k:
            break
        hub_of = [-1] * inst.n
        frontier = []
        for s in seeds:
            hub_of[s] = s
            frontier.append(s)
        # grow all SWVs at once, ring by ring (each unit joins the nearest seed among its joined neighbours)
        while True:
            moves = {}
            for i in range(inst.n):
                if hub_of[i] != -1:
                    continue
                opts = [(float(inst.reach_km[i, hub_of[nb]]), hub_of[nb]) for nb in inst.neighbours[i]
                        if hub_of[nb] != -1 and inst.reach[i, hub_of[nb]]]
                if opts:
                    moves[i] = min(opts)[1]
            if not moves:
                break
            for i, j in moves.items():
                hub_of[i] = j
        if -1 in hub_of:
            continue
        hub_of = _repair_hubs(inst, hub_of)
        if not inst.violations(hub_of):
            val = inst.objective_of(hub_of)["objective"]
            if best is None or val < best[0]:
                best = (val, hub_of)
    return None if best is None else best[1]


def warm_start(inst: Instance, given: list[int] | None = None) -> list[int] | None:
    """The cheapest valid candidate, or None."""
    cands = []
    if given is not None and len(given) == inst.n:
        cands.append(given)
        cands.append(_repair_hubs(inst, given))
    single = one_swv(inst)
    if single is not None:
        cands.append(single)
    if inst.n <= 600:
        g = greedy_split(inst)
        if g is not None:
            cands.append(g)
    valid = [(inst.objective_of(c)["objective"], tuple(c)) for c in cands if not inst.violations(c)]
    if not valid:
        return None
    return list(min(valid)[1])


def repair_contiguity(inst: Instance, hub_of: list[int]) -> list[int] | None:
    """Make a (MIP) solution connected: every piece cut off from its hub joins the adjacent SWV whose hub is
    nearest (within reach). Returns the repaired assignment if it is valid, else None."""
    from solvers.instance import components

    out = list(hub_of)
    for _round in range(inst.n):
        members: dict[int, set[int]] = {}
        for i, j in enumerate(out):
            members.setdefault(j, set()).add(i)
        pieces = [(j, comp) for j, mem in sorted(members.items()) for comp in components(mem, inst.neighbours)
                  if j not in comp]
        if not pieces:
            break
        moved = False
        for j, comp in pieces:
            opts = sorted({out[k] for u in comp for k in inst.neighbours[u] if k not in comp and out[k] != j})
            opts = [h for h in opts if all(inst.reach[u, h] for u in comp)]
            if not opts:
                continue
            opts.sort(key=lambda h: (float(inst.cost[list(comp), h].sum()), h))
            base = len(_broken(inst, out))
            for h in opts:  # the cheapest neighbouring SWV that the move does not break
                trial = list(out)
                for u in comp:
                    trial[u] = h
                if len(_broken(inst, trial)) < base or h == opts[-1]:
                    out = trial
                    break
            moved = True
        if not moved:
            return None
    out = _repair_hubs(inst, out)
    return None if inst.violations(out) else out


def _broken(inst: Instance, hub_of: list[int]) -> list[str]:
    return inst.violations(hub_of)
