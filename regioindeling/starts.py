"""Warm starts for a solve from an existing indeling: an earlier proposal (a re-solve after a lock change, or an
analyst's hand-edited file) or the solution of a coarser unit level (PC4 runs start from the hybrid optimum).

Any indeling becomes a grouping of the run's units: every PC4 takes the SWV of the unit that holds it in the
given indeling, and a unit takes the SWV holding most of its pupils (PC4 count on a tie of zero pupils). The
solver turns the grouping into an assignment to hubs (:func:`solvers.heuristic.from_groups`), repairs the locks
it breaks and uses it only if it then passes every constraint, so a start can speed a solve up but never make
its result invalid; with the same data, scenario and start the proposal is the same byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from regioindeling.units import UnitSet


def pc4_labels(us: UnitSet, assignment: Mapping[str, str]) -> dict[str, str]:
    """PC4 -> SWV id of an indeling at any unit level (GM codes cover all their PC4s; PC4 codes win)."""
    out: dict[str, str] = {}
    for pc4, gm in zip(us.pc4.pc4, us.pc4.gemeente):
        swv = assignment.get(pc4, assignment.get(gm))
        if swv is not None:
            out[pc4] = swv
    return out


def groups(us: UnitSet, codes: Sequence[str], assignment: Mapping[str, str],
           hubs: Mapping[str, str] | None = None) -> tuple[list[int], list[int]]:
    """For the units ``codes`` (a solve's order): a group number per unit (-1: not covered by the indeling) and
    the indices of the indeling's hub units among them (so a re-solve can keep its hubs)."""
    labels = pc4_labels(us, assignment)
    pupils = dict(zip(us.pc4.pc4, us.pc4.pupils_po + us.pc4.pupils_vo))
    number: dict[str, int] = {}
    group = []
    for code in codes:
        weight: dict[str, float] = {}
        for pc4 in us.by_code[code].pc4s:
            swv = labels.get(pc4)
            if swv is not None:
                weight[swv] = weight.get(swv, 0.0) + float(pupils[pc4]) + 1e-6
        if not weight:
            group.append(-1)
            continue
        swv = min(weight, key=lambda s: (-weight[s], s))
        group.append(number.setdefault(swv, len(number)))
    index = {c: i for i, c in enumerate(codes)}
    hub_idx = sorted(index[h] for h in (hubs or {}).values() if h in index)
    return group, hub_idx
