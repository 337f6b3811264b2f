"""Contiguity separators: rows x[i, j] <= sum_{k in C} x[k, j] for vertex sets C that separate unit i from hub j
inside the units j may serve (valid for every contiguous indeling: a connected SWV holding i and j holds a unit
of every i-j separator).

:func:`integral` cuts off the enclaves of an integer solution (the row generation rounds); :func:`fractional`
finds violated separators of an LP solution by max-flow / min vertex cut (the cutting-plane rounds on the LP
relaxation before branch-and-bound, as in Validi & Buchanan's CUT model), which gives the MIP most of the
contiguity rows up front and a stronger bound.

Each violated LP separator gives two rows: the minimum cut nearest the unit and the one nearest the hub (or the
sites), each cut down to a minimal separator (a max-flow's boundary also holds saturated units in pockets off every
path, those at 0 among them; a row with fewer units is stronger). A widest-path search per hub first skips every
unit that one path already serves. Together: PC4 JZ07's LP rounds converge in 9 s (at its best indeling) instead of
not at all in 30 s, and the national PC4 run takes 324-360 s instead of 451-477 s.

:func:`facility_paths` adds the same kind of row for the required facilities: an open hub j without a site of
type t needs a path inside its SWV to a unit with one, so x[j, j] <= sum_{k in C} x[k, j] for every C that
separates j from all t-units of j's region (the facility row sum_f x[f, j] >= x[j, j] is the case C = all
t-units). Where sites are sparse (Zeeland, Friesland at PC4 level) the LP otherwise opens hubs that borrow a
fraction of a far-away site, and its bound stays 15-20 % below the best indeling.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Iterable

from solvers.instance import Instance, components

Cut = tuple[int, int, tuple[int, ...]]  # (unit i, hub j, separator C)


def integral(inst: Instance, has_var, hub_of: list[int], all_hubs: bool = False) -> list[Cut]:
    """Separators for every unit in a piece of an SWV cut off from its hub (``has_var(i, j)``: x[i, j] exists).

    For each piece: the minimal separator between the piece and its hub j within j's region, and the piece's
    whole neighbourhood for every other open hub (so the next round cannot just move the same enclave to
    another open hub), or with ``all_hubs`` for every hub that could serve the piece (many more rows, fewer
    rounds: PC4 JZ22 with an apart lock went from 6 rounds, 27 s to 4 rounds, 18 s)."""
    if not inst.settings.contiguity:
        return []
    nb = inst.neighbours
    members: dict[int, set[int]] = {}
    for i, j in enumerate(hub_of):
        members.setdefault(j, set()).add(i)
    out: list[Cut] = []
    for j, mem in sorted(members.items()):
        region = inst.hub_region[j]
        for comp in components(mem, nb):
            if j in comp:
                continue
            sep = {k for u in comp for k in nb[u] if k not in comp and k in region}
            seen, stack = {j}, [j]
            while stack:
                u = stack.pop()
                for w in nb[u]:
                    if w in region and w not in sep and w not in comp and w not in seen:
                        seen.add(w)
                        stack.append(w)
            cut = tuple(sorted(k for k in sep if any(w in seen for w in nb[k])))
            for i in sorted(comp):
                out.append((i, j, cut))
            ring = {k for u in comp for k in nb[u] if k not in comp}
            for h in (sorted(inst.hub_region) if all_hubs else sorted(members)):
                if h == j or h in comp or h in ring:
                    continue
                inside = [i for i in sorted(comp) if has_var(i, h)]
                if not inside:
                    continue
                near = tuple(k for k in sorted(ring) if has_var(k, h))
                for i in inside:
                    out.append((i, h, near))
    return out


def fractional(inst: Instance, xval: dict[tuple[int, int], float], tol: float = 1e-3,
               pairs: Iterable[tuple[int, int]] | None = None, back: bool = False) -> list[Cut]:
    """Most violated separators of an LP point: for every (i, j) with x[i, j] > 0 and i not next to j, a minimum
    vertex cut between i and j in j's region with capacities x[k, j]; a cut below x[i, j] - tol is violated. With
    ``back``, each violation also gets the minimum cut nearest j: the two cut the point from both sides, which
    PC4-size LP rounds need (JZ07: converged at its best indeling, 526,147, in 9 s instead of 26 s; JZ39 679.3k ->
    683.3k after 60 s). Small models converge in a few rounds anyway, and there the extra rows only change the
    branch-and-bound path (PC4 JZ22 re-solve: 3 -> 5 MIP rounds, 5.2-5.5 -> 6.9-7.3 s)."""
    if not inst.settings.contiguity:
        return []
    nb = inst.neighbours
    by_hub: dict[int, list[int]] = {}
    for (i, j), v in (xval.items() if pairs is None else ((p, xval[p]) for p in pairs)):
        if i != j and v > tol and j not in nb[i]:
            by_hub.setdefault(j, []).append(i)
    out: list[Cut] = []
    for j, units in sorted(by_hub.items()):
        region = inst.hub_region[j]
        cap = {k: max(0.0, xval.get((k, j), 0.0)) for k in region}
        wide = _widest(nb, region, cap, j)
        done: set[int] = set()
        for i in sorted(units, key=lambda u: (-xval[u, j], u)):
            # one path from j already carries x[i, j]: no separator is violated (most units after the first
            # rounds; their max-flows were 94 % of the calls and of the separation time, PC4 JZ07 and JZ02)
            if i in done or wide.get(i, 0.0) >= xval[i, j] - tol:
                continue
            flow, side, *far = _min_vertex_cut(nb, region, cap, i, {j}, xval[i, j] - tol, back=back)
            if flow >= xval[i, j] - tol:
                continue
            # C: vertices on the boundary of i's side; every unit of that side with x[., j] > tol shares it
            cut = _minimal(nb, region, _boundary(nb, region, side), i, {j})
            if far:
                near_j = _minimal(nb, region, far[0], i, {j})
                if near_j != cut:
                    out.append((i, j, near_j))
            for u in sorted(side):
                if u != j and xval.get((u, j), 0.0) > tol + sum(cap[k] for k in cut) and u not in done:
                    out.append((u, j, cut))
                    done.add(u)
            if i not in done:
                out.append((i, j, cut))
                done.add(i)
    return out


def facility_paths(inst: Instance, xval: dict[tuple[int, int], float], tol: float = 1e-3,
                   back: bool = False) -> list[Cut]:
    """Violated facility-path rows of an LP point, as cuts (j, j, C): for every hub j with x[j, j] > tol and
    every required type t it has no site of, a minimum vertex cut between j and the t-units of its region with
    capacities x[k, j] (the t-units' own included); a cut below x[j, j] - tol is violated. With ``back``, also
    the minimum cut nearest the sites (as in :func:`fractional`)."""
    if not inst.settings.contiguity:
        return []
    nb = inst.neighbours
    out: list[Cut] = []
    for j in sorted(j for (i, j), v in xval.items() if i == j and v > tol):
        region = inst.hub_region[j]
        cap = None
        seen: set[tuple[int, ...]] = set()
        for t in inst.required_types():
            has = inst.facilities[t]
            if has[j] > 0:
                continue
            sinks = {f for f in region if has[f] > 0}
            if not sinks:
                continue  # no site in reach at all: the facility row alone already forces x[j, j] = 0
            if cap is None:
                cap = {k: max(0.0, xval.get((k, j), 0.0)) for k in region}
                wide = _widest(nb, region, cap, j)
            if max(min(wide.get(f, 0.0), cap[f]) for f in sinks) >= xval[j, j] - tol:
                continue  # one path into a site (its own capacity included) carries x[j, j]
            flow, side, *far = _min_vertex_cut(nb, region, cap, j, sinks, xval[j, j] - tol, cut_targets=True,
                                               back=back)
            if flow >= xval[j, j] - tol:
                continue
            for cut in [_minimal(nb, region, _boundary(nb, region, side), j, sinks)] + \
                    [_minimal(nb, region, f, j, sinks) for f in far]:
                if cut not in seen:  # sbo and pro sites often share a unit: one row for both
                    seen.add(cut)
                    out.append((j, j, cut))
    return out


def _widest(nb, region, cap: dict[int, float], s: int) -> dict[int, float]:
    """For every unit of ``region`` reachable from s: the largest bottleneck of a path from s to it, counting the
    capacities of the vertices in between (not its ends). A bottleneck of at least x means one path carries x, so
    the max flow is at least x: one search per hub screens all its units (a widest-path Dijkstra)."""
    wide = {s: math.inf}
    heap = [(-math.inf, s)]
    done: set[int] = set()
    while heap:
        neg, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        through = -neg if u == s else min(-neg, cap[u])
        for w in nb[u]:
            if w in region and w not in done and through > wide.get(w, -1.0):
                wide[w] = through
                heapq.heappush(heap, (-through, w))
    return wide


def _boundary(nb, region, side: set[int]) -> tuple[int, ...]:
    """The units of ``region`` next to ``side`` but outside it: the minimum vertex cut of a max-flow's source side."""
    return tuple(sorted({k for u in side for k in nb[u] if k in region and k not in side}))


def _minimal(nb, region, cut: Iterable[int], s: int, targets: set[int]) -> tuple[int, ...]:
    """The part of ``cut`` (a set separating s from ``targets`` within ``region``; targets in it stay, as they
    end a path themselves) that is a minimal separator: next to the targets' side and to s's side. A max-flow's
    boundary also holds saturated units (those at 0 among them) in pockets off every path; without them the row
    is stronger."""
    def side(starts, blocked: set[int]) -> set[int]:
        seen = {u for u in starts if u not in blocked}
        stack = list(seen)
        while stack:
            u = stack.pop()
            for w in nb[u]:
                if w in region and w not in blocked and w not in seen:
                    seen.add(w)
                    stack.append(w)
        return seen

    cut = set(cut)
    far = side(targets, cut)
    kept = {k for k in cut if k in targets or any(w in far for w in nb[k])}
    near = side([s], kept)
    return tuple(sorted(k for k in kept if any(w in near for w in nb[k])))


def _min_vertex_cut(nb, region, cap: dict[int, float], s: int, targets: set[int], limit: float,
                    cut_targets: bool = False, back: bool = False):
    """Max flow from s to any of ``targets`` where every other vertex k carries at most cap[k] (edges
    unbounded), stopping once the flow reaches ``limit``; with ``cut_targets`` the targets' own capacities count
    too (they may lie in the cut). Returns (flow, source side): the units reachable from s through unsaturated
    vertices (its outer boundary is a minimum vertex cut). With ``back``, also the minimum vertex cut nearest the
    targets (a second row for the same violation), once the flow is maximum.

    Node splitting (k's in-node 2k, out-node 2k + 1) with the residual graph left implicit: only the flows are
    stored, so a call costs its searches and not a graph of its region (the LP rounds make tens of thousands of
    calls; building that graph was a third of PC4 JZ07's 120 s)."""
    big = 1e9
    fv: dict[int, float] = {}  # flow through vertex k (in -> out)
    fe: dict[tuple[int, int], float] = {}  # flow on the arc k_out -> w_in, where any
    flow = 0.0
    free = ({s} | set(targets)) if not cut_targets else {s}  # vertices without a capacity

    def search(stop: bool = True):
        # breadth first from s's out-node through arcs with residual capacity; with ``stop``, up to a target
        src = 2 * s + 1
        parent = {src: -1}
        q = deque([src])
        pop, enqueue = q.popleft, q.append
        while q:
            node = pop()
            k = node >> 1
            if node & 1:
                if stop and k in targets:
                    return parent, node
                for w in nb[k]:
                    wi = 2 * w
                    if wi not in parent and w in region:
                        parent[wi] = node
                        enqueue(wi)
                if fv.get(k, 0.0) > 1e-9 and node - 1 not in parent:
                    parent[node - 1] = node  # back along k's own arc
                    enqueue(node - 1)
            else:
                if node + 1 not in parent and (big if k in free else cap[k]) - fv.get(k, 0.0) > 1e-9:
                    parent[node + 1] = node
                    enqueue(node + 1)
                for w in nb[k]:
                    wo = 2 * w + 1
                    if wo not in parent and fe.get((w, k), 0.0) > 1e-9:
                        parent[wo] = node  # back along an arc w_out -> k_in that carries flow
                        enqueue(wo)
        return parent, None

    while flow < limit:
        parent, end = search()
        if end is None:
            break
        steps = []
        b = end
        while parent[b] != -1:
            steps.append((parent[b], b))
            b = parent[b]
        amount = big  # the path's bottleneck
        for a, b in steps:
            ka, kb = a >> 1, b >> 1
            if a & 1:
                amount = min(amount, big - fe.get((ka, kb), 0.0) if ka != kb else fv.get(ka, 0.0))
            else:
                amount = min(amount, ((big if ka in free else cap[ka]) - fv.get(ka, 0.0)) if ka == kb
                             else fe.get((kb, ka), 0.0))
        for a, b in steps:  # push it: forward arcs gain flow, backward ones lose it
            ka, kb = a >> 1, b >> 1
            if a & 1:
                if ka != kb:
                    fe[ka, kb] = fe.get((ka, kb), 0.0) + amount
                else:
                    fv[ka] = fv.get(ka, 0.0) - amount
            elif ka == kb:
                fv[ka] = fv.get(ka, 0.0) + amount
            else:
                fe[kb, ka] = fe.get((kb, ka), 0.0) - amount
        flow += amount
    parent, _ = search(stop=False)
    if not back:
        return flow, {a >> 1 for a in parent if a & 1}
    # the sink side: nodes from which a target's out-node is reachable through residual arcs (searched backwards)
    reach = {2 * t + 1 for t in targets if t in region}
    q = deque(reach)
    while q:
        node = q.popleft()
        k = node >> 1
        if node & 1:  # k_out: from k_in along k's own arc, or from w_in back along k_out -> w_in
            if node - 1 not in reach and (big if k in free else cap[k]) - fv.get(k, 0.0) > 1e-9:
                reach.add(node - 1)
                q.append(node - 1)
            for w in nb[k]:
                if 2 * w not in reach and w in region and fe.get((k, w), 0.0) > 1e-9:
                    reach.add(2 * w)
                    q.append(2 * w)
        else:  # k_in: from any neighbour's out-node, or from k_out back along k's own arc
            for w in nb[k]:
                if 2 * w + 1 not in reach and w in region:
                    reach.add(2 * w + 1)
                    q.append(2 * w + 1)
            if node + 1 not in reach and fv.get(k, 0.0) > 1e-9:
                reach.add(node + 1)
                q.append(node + 1)
    # a minimum cut next to the targets: the vertices whose own arc enters the sink side
    return flow, {a >> 1 for a in parent if a & 1}, {k for k in region if 2 * k + 1 in reach and 2 * k not in reach}
