"""Recombination search: merge two neighbouring SWVs and split their units again with the exact model.

A large-neighbourhood search for PC4-size regions, where branch-and-bound on the whole region finds good
indelingen slowly. Two SWVs that touch are a small model (40-150 units), solved to optimality in a second or
two; its optimum may move the border, move a hub, or give one, two or three SWVs instead of two. A new
indeling is kept only if the whole region's objective goes down, so the result is never worse than the start.
It is ReCom (recombination, as in redistricting ensembles) with an exact split instead of a random one.

The sub-model is exact for every hard constraint: the other SWVs stay as they are, so a lock group or a pair
that must be apart lies inside the two SWVs or outside them entirely, a facility-distance rule can only be met
inside them, and a target or range of SWV counts becomes one for the pair. Only the disruption term is
approximate: a current SWV whose largest successor lies outside the pair keeps only its pupils there in the
sub-model (dropped entirely when the outside successor is the largest whatever the split), which is why the
whole region's objective decides.

Separators of the whole region's model carry over: a connected SWV of the pair is connected in the whole graph
and lies in its hub's region, so a set C that separates i from hub j there holds a unit of that SWV, and that
unit is one of the pair's; the row on C restricted to the pair's units is valid for the sub-model
(:func:`restrict_cuts`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from solvers.instance import Instance, Locks, pieces
from solvers.separation import Cut

SubSolve = Callable[[Instance, list[int], list[Cut]], "list[int] | None"]


def restrict(inst: Instance, units: Sequence[int], hub_of: Sequence[int], seconds: float) -> Instance:
    """The model of ``units`` (whole SWVs of the valid indeling ``hub_of``) with every other unit fixed."""
    units = sorted(units)
    inside = set(units)
    pos = {u: k for k, u in enumerate(units)}
    idx = np.asarray(units)
    outside = pieces(inst, hub_of, (i for i in range(inst.n) if i not in inside))
    largest_out: dict[str, float] = {}
    for (key, _j), p in outside.items():
        largest_out[key] = max(largest_out.get(key, 0.0), p)
    total_in: dict[str, float] = {}
    for u in units:
        for key, p in inst.current[u].items():
            total_in[key] = total_in.get(key, 0.0) + p
    # a current SWV whose outside successor is the largest whatever the split costs the same in every split
    current = tuple({key: p for key, p in inst.current[u].items()
                     if total_in[key] > largest_out.get(key, 0.0) + 1e-9} for u in units)
    s = inst.settings
    n_out = len({j for i, j in enumerate(hub_of) if i not in inside})
    target = None if s.target_swvs is None else s.target_swvs - n_out
    lo = None if s.min_swvs is None else max(1, s.min_swvs - n_out)
    hi = None if s.max_swvs is None else s.max_swvs - n_out
    lk = inst.locks
    locks = Locks(pins={pos[i]: name for i, name in lk.pins.items() if i in inside},
                  together=tuple(tuple(pos[i] for i in g) for g in lk.together if g and g[0] in inside),
                  apart=tuple((pos[a], pos[b]) for a, b in lk.apart if a in inside and b in inside),
                  whole=tuple((lab, tuple(pos[i] for i in g)) for lab, g in lk.whole if g and g[0] in inside))
    return Instance(
        codes=tuple(inst.codes[u] for u in units), names=tuple(inst.names[u] for u in units),
        pupils=inst.pupils[idx], facilities={t: v[idx] for t, v in inst.facilities.items()},
        reach_km=inst.reach_km[np.ix_(idx, idx)], cost=inst.cost[np.ix_(idx, idx)],
        edges=tuple((pos[a], pos[b]) for a, b in inst.edges if a in inside and b in inside),
        current=current, settings=replace(s, time_limit_s=seconds, target_swvs=target, min_swvs=lo, max_swvs=hi),
        locks=locks, label=f"{inst.label} (recombination)",
        cover=tuple((pos[i], t, km, frozenset(pos[k] for k in near if k in inside))
                    for i, t, km, near in inst.cover if i in inside),
        kinds=tuple(inst.kinds[u] for u in units) if inst.kinds else (),
        # hubs given: solved as a plain model, without the searches for a whole region (this one among them)
        hubs=frozenset(range(len(units))))


def restrict_cuts(by_hub: dict[int, list[Cut]], units: Sequence[int]) -> list[Cut]:
    """The separators (indexed by hub) of the whole region on ``units``, renumbered to the sub-model's units."""
    pos = {u: k for k, u in enumerate(sorted(units))}
    out = []
    for j in sorted(units):
        for i, _j, sep in by_hub.get(j, ()):
            if i in pos:
                out.append((pos[i], pos[j], tuple(pos[k] for k in sep if k in pos)))
    return out


def neighbouring_pairs(inst: Instance, hub_of: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs of hubs whose SWVs share a border, in a fixed order."""
    return sorted({(min(hub_of[a], hub_of[b]), max(hub_of[a], hub_of[b]))
                   for a, b in inst.edges if hub_of[a] != hub_of[b]})


def recombine(inst: Instance, start: Sequence[int], deadline: float, solve: SubSolve,
              seconds_per_pair: float = 5.0, cuts: Sequence[Cut] = ()) -> list[int]:
    """Improve the valid indeling ``start`` by re-splitting neighbouring pairs of SWVs until no pair improves or
    ``deadline`` (perf_counter) passes. ``solve(sub, warm, sub_cuts)`` returns the sub-model's best assignment
    (hub index per unit of ``sub``) or None; ``sub_cuts`` are the separators ``cuts`` of the whole region on the
    pair's units. First improvement; a pair is tried again only once its units have changed."""
    by_hub: dict[int, list[Cut]] = {}
    for cut in cuts:
        by_hub.setdefault(cut[1], []).append(cut)
    best = list(start)
    value = inst.objective_of(best)["objective"]
    tried: set[frozenset[int]] = set()
    improved = True
    while improved:
        improved = False
        members: dict[int, list[int]] = {}
        for i, j in enumerate(best):
            members.setdefault(j, []).append(i)
        for a, b in neighbouring_pairs(inst, best):
            left = deadline - time.perf_counter()
            if left < 0.5:
                return best
            units = sorted(members[a] + members[b])
            key = frozenset(units)
            if key in tried:
                continue
            tried.add(key)
            sub = restrict(inst, units, best, min(seconds_per_pair, left))
            local = {u: k for k, u in enumerate(units)}
            found = solve(sub, [local[best[u]] for u in units], restrict_cuts(by_hub, units))
            if found is None:
                continue
            trial = list(best)
            for k, u in enumerate(units):
                trial[u] = units[found[k]]
            if inst.violations(trial):
                continue  # cannot happen for a valid sub-solution; the whole region's check is the judge
            v = inst.objective_of(trial)["objective"]
            if v < value - 1e-6:
                best, value, improved = trial, v, True
                break
    return best
