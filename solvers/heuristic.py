"""A fast feasible start for the MIP: the best valid candidate among cheap constructions.

Candidates: a caller's assignment, one SWV for the whole region around its best hub, and a greedy split that
grows SWVs around facility-rich seeds. Each candidate is checked with the instance's own constraint check; the
cheapest valid one wins. None is fine: the MIP then starts cold. During the contiguity rounds the solver also
repairs each disconnected MIP solution (:func:`repair_contiguity`) and polishes it (:func:`improve`). PC4-size
models also get :func:`seeded_split` (one SWV per site of the scarcest required type), which the solver improves
by restricted-hub solves.
"""

from __future__ import annotations

import heapq
from typing import Sequence

import numpy as np

from solvers.instance import Instance, components, lock_roots


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
        for s in seeds:
            hub_of[s] = s
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


def seeded_split(inst: Instance) -> list[int] | None:
    """As many SWVs as the scarcest required facility type has units: each unit with that type seeds an SWV;
    the SWV missing a type that is cheapest to complete claims the shortest free path (km between unit centres,
    within the travel limit of its seed) to a free unit with that type, until none is missing; every other unit
    then joins the neighbouring SWV whose seed is nearest. A seed whose SWV cannot be completed is served first when
    the claims start over (another seed may have taken a unit it needs but had others), and dropped if it fails
    again. Hubs are then each SWV's cheapest member. None unless the result passes every constraint.

    Why: with no weight on the number of SWVs, more SWVs mostly means less travel, but a coarser start (the
    hybrid optimum) has fewer, and adding one means moving a whole set of facility sites, which the MIP phases
    rarely do in the time (PC4 Zuidoost-Brabant: its optimum has one SWV per pro site, 7; the starts had 5-6)."""
    req = inst.required_types()
    if not req or inst.n == 0:
        return None
    has = {t: inst.facilities[t] > 0 for t in req}
    scarce = min(req, key=lambda t: (int(has[t].sum()), t))
    seeds = [int(i) for i in np.flatnonzero(has[scarce]) if inst.reach[i, i]]
    first: list[int] = []
    while seeds:
        owner = _claim_facilities(inst, seeds, has, first)
        if isinstance(owner, int):
            # Served first, PC4 Noordoost-Brabant keeps all 5 SWVs its LP opens (4 when dropped at once; from 5 the
            # restricted-hub solves reach its best indeling known, 643,517, in 13 s)
            if owner in first:
                first.remove(owner)
                seeds.remove(owner)
            else:
                first.append(owner)
            continue
        _grow(inst, owner, within_reach=True)
        _grow(inst, owner, within_reach=False)  # units no seed reaches: the hub moves to the median below
        if -1 in owner:
            return None
        out = _repair_hubs(inst, owner)
        return None if inst.violations(out) else out
    return None


def _claim_facilities(inst: Instance, seeds: list[int], has: dict[str, np.ndarray], first: list[int]
                      ) -> list[int] | int:
    """Owner per unit (seed index, -1 free) once every seed's SWV holds every type; or the seed that cannot. The
    seeds in ``first`` claim before the others, in that order; the others cheapest claim first."""
    owner = [-1] * inst.n
    for s in seeds:
        owner[s] = s
    rank = {s: k for k, s in enumerate(first)}
    order = sorted(seeds, key=lambda s: rank.get(s, len(first)))  # stable: the others in their own order
    while True:
        best = None
        for s in order:
            mem = [i for i in range(inst.n) if owner[i] == s]
            for t in has:
                if any(has[t][i] for i in mem):
                    continue
                found = _free_path(inst, owner, s, mem, has[t])
                if found is None:
                    return s
                key = (rank.get(s, len(first)), found[0], s, t)
                if best is None or key < best[0]:
                    best = (key, s, found[1])
        if best is None:
            return owner
        for v in best[2]:
            owner[v] = best[1]


def _free_path(inst: Instance, owner: list[int], s: int, mem: list[int], target: np.ndarray
               ) -> tuple[float, list[int]] | None:
    """The shortest path (km, plus one per unit so ties take fewer units) from SWV ``s`` through free units within
    reach of ``s`` to a free unit with ``target``: (length, its free units), or None."""
    dist = {i: 0.0 for i in mem}
    parent = {i: -1 for i in mem}
    queue = [(0.0, i) for i in mem]
    heapq.heapify(queue)
    while queue:
        d, u = heapq.heappop(queue)
        if d > dist[u]:
            continue
        if owner[u] == -1 and target[u]:
            path = []
            while owner[u] == -1:
                path.append(u)
                u = parent[u]
            return d, path
        for v in inst.neighbours[u]:
            if owner[v] != -1 or inst.reach_km[v, s] > inst.settings.max_km:
                continue
            nd = d + float(inst.reach_km[v, u]) + 1.0
            if nd < dist.get(v, np.inf):
                dist[v] = nd
                parent[v] = u
                heapq.heappush(queue, (nd, v))
    return None


def _grow(inst: Instance, owner: list[int], within_reach: bool) -> None:
    """Free units join the neighbouring SWV whose seed is nearest, nearest first (so every SWV stays connected)."""
    def ok(v: int, s: int) -> bool:
        return owner[v] == -1 and (not within_reach or inst.reach_km[v, s] <= inst.settings.max_km)

    queue = [(float(inst.reach_km[v, s]), v, s) for u, s in enumerate(owner) if s != -1
             for v in inst.neighbours[u] if ok(v, s)]
    heapq.heapify(queue)
    while queue:
        _d, v, s = heapq.heappop(queue)
        if owner[v] != -1:
            continue
        owner[v] = s
        for w in inst.neighbours[v]:
            if ok(w, s):
                heapq.heappush(queue, (float(inst.reach_km[w, s]), w, s))


def from_groups(inst: Instance, group: Sequence[int], hubs: Sequence[int] = ()) -> list[int] | None:
    """An assignment from a grouping of the units (``group[i]``: any label; e.g. the SWVs of an earlier or a
    coarser indeling): each group's hub is the one of ``hubs`` inside it if any (so a re-solve keeps them),
    otherwise its cheapest member within reach of all. None if a unit has no group (label < 0)."""
    if len(group) != inst.n or any(g < 0 for g in group):
        return None
    hub: dict[int, int] = {}
    for i, g in enumerate(group):
        hub.setdefault(g, i)
    kept = set()
    for i in sorted(set(hubs)):
        if 0 <= i < inst.n and group[i] not in kept:
            hub[group[i]] = i
            kept.add(group[i])
    out = [hub[g] for g in group]
    repaired = _repair_hubs(inst, out)
    return [out[i] if group[i] in kept else repaired[i] for i in range(inst.n)]


def repair_locks(inst: Instance, hub_of: Sequence[int]) -> list[int] | None:
    """Make an assignment obey the locks, for a start that predates them (a re-solve after a lock change): every
    lock group joins the SWV holding most of its pupils; of a pair that must be apart, the cheaper of the two lock
    groups to move goes to a neighbouring SWV; then contiguity is repaired. None if no valid indeling results."""
    out = list(hub_of)
    roots = lock_roots(inst)
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(roots):
        groups.setdefault(r, []).append(i)
    for mem in groups.values():
        if len({out[i] for i in mem}) > 1:
            weight: dict[int, float] = {}
            for i in mem:
                weight[out[i]] = weight.get(out[i], 0.0) + float(inst.pupils[i])
            target = min(weight, key=lambda h: (-weight[h], h))
            for i in mem:
                out[i] = target
    for _what, a, b in inst.locks.separated():
        if out[a] != out[b]:
            continue
        trials = []
        for u in (a, b):
            mem = groups[roots[u]]
            for h in sorted({out[k] for m in mem for k in inst.neighbours[m] if out[k] != out[u]}):
                trial = list(out)
                for m in mem:
                    trial[m] = h
                trials.append(trial)
        if not trials:
            return None
        out = min(trials, key=lambda tr: inst.objective_of(tr)["objective"])
    fixed = repair_contiguity(inst, out)
    if fixed is None or inst.violations(fixed):
        return None
    return fixed


def warm_start(inst: Instance, given: list[int] | None = None) -> list[int] | None:
    """The cheapest valid candidate, or None. A given assignment that breaks a lock is repaired first."""
    cands = []
    if given is not None and len(given) == inst.n:
        cands.append(given)
        cands.append(_repair_hubs(inst, given))
        if inst.violations(given) and not inst.locks.empty:
            fixed = repair_locks(inst, given)
            if fixed is not None:
                cands.append(fixed)
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
    """Make a (MIP) solution connected. In each SWV the piece that best carries it (all required facility types,
    then the hub, then pupils) stays; every other piece joins the neighbouring SWV that leaves the fewest
    violations (cheapest first); hubs are then re-chosen. Returns the repaired assignment if valid, else None."""
    from solvers.instance import components

    req = inst.required_types()
    out = list(hub_of)
    for _round in range(inst.n):
        members: dict[int, set[int]] = {}
        for i, j in enumerate(out):
            members.setdefault(j, set()).add(i)
        pieces = []
        for lab, mem in sorted(members.items()):
            comps = components(mem, inst.neighbours)
            if len(comps) < 2:
                continue
            keep = max(range(len(comps)), key=lambda c: (
                all(any(inst.facilities[t][u] > 0 for u in comps[c]) for t in req), lab in comps[c],
                float(sum(inst.pupils[u] for u in comps[c])), -min(comps[c])))
            pieces += [(lab, comps[c]) for c in range(len(comps)) if c != keep]
        if not pieces:
            break
        moved = False
        for lab, comp in pieces:
            if any(out[u] != lab for u in comp):
                continue  # an earlier move this round touched it; next round looks again
            opts = sorted({out[k] for u in comp for k in inst.neighbours[u] if k not in comp and out[k] != lab})
            trials = []
            for h in opts:
                trial = list(out)
                for u in comp:
                    trial[u] = h
                trials.append(trial)
            bridge = _bridge(inst, out, lab, comp)
            if bridge is not None:
                trials.append(bridge)
            if not trials:
                continue
            # fewest violations first, then the cheapest (moving a piece can cost more than bridging it)
            out = min(trials, key=lambda tr: (len(_broken(inst, tr)), inst.objective_of(tr)["objective"]))
            moved = True
        if not moved:
            return None
    out = _repair_hubs(inst, out)
    return _dissolve(inst, out)


def _bridge(inst: Instance, out: list[int], lab: int, comp: set[int]) -> list[int] | None:
    """Connect a piece to the part of its SWV that holds the hub instead: the units on a shortest path (in
    units, within the hub's reach) between them join the SWV. None if there is no such path."""
    region = inst.hub_region.get(lab)
    if region is None:
        return None
    main = next((c for c in components({i for i, j in enumerate(out) if j == lab}, inst.neighbours) if lab in c),
                None)
    if main is None:
        return None
    parent = {u: -1 for u in sorted(comp)}
    queue = sorted(comp)
    k = 0
    while k < len(queue):
        u = queue[k]
        k += 1
        for w in inst.neighbours[u]:
            if w in parent or w not in region:
                continue
            parent[w] = u
            if w in main:
                trial = list(out)
                v = parent[w]
                while v != -1 and v not in comp:
                    trial[v] = lab
                    v = parent[v]
                return trial
            queue.append(w)
    return None


def _dissolve(inst: Instance, out: list[int]) -> list[int] | None:
    """Merge SWVs that still break a constraint (e.g. lost their only so site) into the neighbouring SWV
    that leaves the fewest violations, while that helps."""
    for _round in range(inst.n):
        broken = inst.violations(out)
        if not broken:
            return out
        members: dict[int, set[int]] = {}
        for i, j in enumerate(out):
            members.setdefault(j, set()).add(i)
        best = None
        for lab, mem in sorted(members.items()):
            nbs = sorted({out[k] for u in mem for k in inst.neighbours[u] if out[k] != lab})
            for h in nbs:
                trial = [h if x == lab else x for x in out]
                trial = _repair_hubs(inst, trial)
                score = (len(inst.violations(trial)), inst.objective_of(trial)["objective"])
                if best is None or score < best[0]:
                    best = (score, trial)
        if best is None or best[0][0] >= len(broken):
            return None
        out = best[1]
    return None


def _broken(inst: Instance, hub_of: list[int]) -> list[str]:
    return inst.violations(hub_of)


def improve(inst: Instance, hub_of: list[int], seconds: float = 1.0) -> list[int]:
    """Local search on a valid assignment: move single boundary units to a neighbouring SWV while that keeps
    every constraint and lowers the objective (first improvement, deterministic order, time-boxed)."""
    import time

    t_end = time.perf_counter() + seconds
    out = list(hub_of)
    val = inst.objective_of(out)["objective"]
    improved = True
    while improved and time.perf_counter() < t_end:
        improved = False
        for i in range(inst.n):
            if time.perf_counter() >= t_end:
                break
            if out[i] == i:
                continue
            for h in sorted({out[k] for k in inst.neighbours[i] if out[k] != out[i]}):
                trial = list(out)
                trial[i] = h
                trial = _repair_hubs(inst, trial)
                v = inst.objective_of(trial)["objective"]
                if v < val - 1e-9 and not inst.violations(trial):
                    out, val, improved = trial, v, True
                    break
    return out
