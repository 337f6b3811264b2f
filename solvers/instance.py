"""The plain data one districting model is built from: units, distances, adjacency, settings and locks.

Everything is index based (units sorted by code by the caller) and free of datasets, files and pandas, so a
model can be shipped to a worker process and tested on hand-made instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

INF = float("inf")


@dataclass(frozen=True)
class Settings:
    """The scenario values a model needs (see regioindeling.scenario for their meaning)."""

    max_km: float = INF
    required: tuple[str, ...] = ("sbo", "so", "vso", "pro")
    min_pupils: float = 0.0
    max_pupils: float = INF
    contiguity: bool = True
    travel_weight: float = 1.0
    disruption_weight: float = 0.0
    count_weight: float = 0.0
    target_swvs: int | None = None
    # At least / at most this many SWVs: one solve gives the best indeling over a whole range of counts (the
    # national-target search in regioindeling.national_target bounds the counts it has not solved with these).
    min_swvs: int | None = None
    max_swvs: int | None = None
    backend: str = "highs"
    time_limit_s: float = 60.0
    gap: float = 0.0
    threads: int = 1
    seed: int = 0
    # Tie-break per km of every unit's distance to its hub, so units without pupils (parks, industrial PC4s)
    # join the nearest hub instead of an arbitrary one (which would cost contiguity rounds for nothing).
    tiebreak_per_km: float = 0.01


@dataclass(frozen=True)
class Locks:
    """Locks in unit indices. ``pins`` index -> name; ``whole`` (label, indices) for keep_current_whole."""

    pins: dict[int, str] = field(default_factory=dict)
    together: tuple[tuple[int, ...], ...] = ()
    apart: tuple[tuple[int, int], ...] = ()
    whole: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def groups(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every set of units that must share an SWV, with what asks for it."""
        out: list[tuple[str, tuple[int, ...]]] = []
        by_name: dict[str, list[int]] = {}
        for i, name in sorted(self.pins.items()):
            by_name.setdefault(name, []).append(i)
        out += [(f"pin '{n}'", tuple(v)) for n, v in sorted(by_name.items()) if len(v) > 1]
        out += [("together", g) for g in self.together]
        out += [(f"keep_current_whole {lab}", g) for lab, g in self.whole if len(g) > 1]
        return out

    def separated(self) -> list[tuple[str, int, int]]:
        """Pairs that must not share an SWV: apart pairs and one unit of each pair of pin names."""
        out = [("apart", a, b) for a, b in self.apart]
        first: dict[str, int] = {}
        for i, name in sorted(self.pins.items()):
            first.setdefault(name, i)
        names = sorted(first)
        for k, a in enumerate(names):
            for b in names[k + 1:]:
                out.append((f"pins '{a}'/'{b}'", first[a], first[b]))
        return out

    @property
    def empty(self) -> bool:
        return not (self.pins or self.together or self.apart or self.whole)


@dataclass(frozen=True, eq=False)
class Instance:
    """One jeugdregio (or any region solved on its own).

    ``reach_km[i, j]``: max km from unit i's PC4 centres to hub unit j; ``cost[i, j]``: pupil-weighted km
    sum of unit i to hub j. ``facilities[t][i]``: sites of type t in unit i. ``current[i]``: key (e.g.
    "po:PO2001") -> pupils of unit i in that current SWV. ``cover``: facility-distance rules, each
    (unit i, type t, km, units with a t-site within km of one of i's PC4s).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    pupils: np.ndarray
    facilities: dict[str, np.ndarray]
    reach_km: np.ndarray
    cost: np.ndarray
    edges: tuple[tuple[int, int], ...]
    current: tuple[dict[str, float], ...]
    settings: Settings
    locks: Locks = Locks()
    cover: tuple[tuple[int, str, float, frozenset[int]], ...] = ()
    label: str = "region"
    kinds: tuple[str, ...] = ()
    # Candidate hubs (None: every unit may be a hub). A restriction gives a smaller model whose solutions are
    # valid for the full one (the restricted-hub search of solvers.districting), not its optimum.
    hubs: frozenset[int] | None = None

    @property
    def n(self) -> int:
        return len(self.codes)

    def with_settings(self, **kw) -> "Instance":
        return replace(self, settings=replace(self.settings, **kw))

    def describe(self, i: int) -> str:
        """'gemeente GM0363 Amsterdam' / 'PC4 1011' for messages."""
        kind = self.kinds[i] if self.kinds else "unit"
        if kind == "gemeente":
            return f"gemeente {self.codes[i]} {self.names[i]}"
        if kind == "pc4":
            return f"PC4 {self.codes[i]}"
        return f"unit {self.codes[i]}"

    @cached_property
    def neighbours(self) -> tuple[tuple[int, ...], ...]:
        out: list[set[int]] = [set() for _ in range(self.n)]
        for a, b in self.edges:
            out[a].add(b)
            out[b].add(a)
        return tuple(tuple(sorted(s)) for s in out)

    @cached_property
    def reach(self) -> np.ndarray:
        """reach[i, j]: unit i may be served by hub j under the travel limit (and j may serve itself)."""
        r = self.reach_km <= self.settings.max_km + 1e-9
        diag = np.diag(r).copy()
        if self.hubs is not None:
            diag &= np.isin(np.arange(self.n), sorted(self.hubs))
        return r & diag[None, :]

    def required_types(self) -> tuple[str, ...]:
        return tuple(t for t in self.settings.required if t in self.facilities)

    @cached_property
    def hub_region(self) -> dict[int, frozenset[int]]:
        """Hub j -> units that can be in j's SWV: within reach and, with contiguity, connected to j through
        units that are themselves within reach of j."""
        out: dict[int, frozenset[int]] = {}
        for j in range(self.n):
            if not self.reach[j, j]:
                continue
            ok = self.reach[:, j]
            if not self.settings.contiguity:
                out[j] = frozenset(np.flatnonzero(ok).tolist())
                continue
            seen, stack = {j}, [j]
            while stack:
                u = stack.pop()
                for v in self.neighbours[u]:
                    if ok[v] and v not in seen:
                        seen.add(v)
                        stack.append(v)
            out[j] = frozenset(seen)
        return out

    def objective_of(self, hub_of: list[int] | tuple[int, ...]) -> dict[str, float]:
        """Objective terms of a full assignment unit -> hub index (the model's objective, recomputed)."""
        s = self.settings
        travel = float(sum(self.cost[i, j] for i, j in enumerate(hub_of)))
        tie = float(sum(self.reach_km[i, j] for i, j in enumerate(hub_of)))
        total: dict[str, float] = {}
        per: dict[tuple[str, int], float] = {}
        for i, j in enumerate(hub_of):
            for key, p in self.current[i].items():
                total[key] = total.get(key, 0.0) + p
                per[(key, j)] = per.get((key, j), 0.0) + p
        kept: dict[str, float] = {}
        for (key, _j), p in per.items():
            kept[key] = max(kept.get(key, 0.0), p)
        disruption = float(sum(total.values()) - sum(kept.values()))
        n_swvs = len(set(hub_of))
        value = (s.travel_weight * travel + s.disruption_weight * disruption + s.count_weight * n_swvs
                 + s.tiebreak_per_km * tie)
        return {"objective": value, "travel_pupil_km": travel, "disrupted_pupils": disruption, "n_swvs": n_swvs}

    def floor_bound(self) -> float:
        """A lower bound on :meth:`objective_of` of any indeling, without a solve: every unit at its cheapest
        allowed hub, at least one SWV, no disruption (every term is >= 0). It keeps a reported bound meaningful
        when the time runs out before HiGHS has one of its own (its bound from presolve alone can lie far below
        zero when the disruption columns are not yet tied to the assignment)."""
        cheapest = self.join_cost().min(axis=1)
        if np.isinf(cheapest).any():
            return 0.0  # some unit has no hub at all: the solve is infeasible anyway
        return float(cheapest.sum() + self.settings.count_weight)

    def join_cost(self) -> np.ndarray:
        """``[i, j]``: what unit i adds to the travel terms of the objective in hub j's SWV; inf where it may not
        join it (outside j's hub region, or j no candidate hub)."""
        s = self.settings
        out = np.full((self.n, self.n), np.inf)
        for j, region in self.hub_region.items():
            members = sorted(region)
            out[members, j] = s.travel_weight * self.cost[members, j] + s.tiebreak_per_km * self.reach_km[members, j]
        return out

    def violations(self, hub_of: list[int] | tuple[int, ...]) -> list[str]:
        """Hard constraints a full assignment breaks (the model's own check; the evaluator is the judge)."""
        s = self.settings
        out: list[str] = []
        members: dict[int, list[int]] = {}
        for i, j in enumerate(hub_of):
            members.setdefault(j, []).append(i)
        for j, mem in sorted(members.items()):
            if hub_of[j] != j:
                out.append(f"hub {self.codes[j]} is not in its own SWV")
            for i in mem:
                if not self.reach[i, j]:
                    out.append(f"{self.codes[i]} beyond max_km of hub {self.codes[j]}")
            for t in self.required_types():
                if not any(self.facilities[t][i] > 0 for i in mem):
                    out.append(f"SWV {self.codes[j]} lacks {t}")
            p = float(sum(self.pupils[i] for i in mem))
            if p < s.min_pupils - 1e-6 or p > s.max_pupils + 1e-6:
                out.append(f"SWV {self.codes[j]} has {p:.0f} pupils")
            if s.contiguity and len(components(set(mem), self.neighbours)) > 1:
                out.append(f"SWV {self.codes[j]} is not contiguous")
        for i, t, km, near in self.cover:
            if not any(hub_of[k] == hub_of[i] for k in near):
                out.append(f"{self.codes[i]} has no {t} site within {km} km in its SWV")
        for what, g in self.locks.groups():
            if len({hub_of[i] for i in g}) > 1:
                out.append(f"{what} split")
        for what, a, b in self.locks.separated():
            if hub_of[a] == hub_of[b]:
                out.append(f"{what}: {self.codes[a]} and {self.codes[b]} share an SWV")
        if s.target_swvs is not None and len(members) != s.target_swvs:
            out.append(f"{len(members)} SWVs, target {s.target_swvs}")
        if s.min_swvs is not None and len(members) < s.min_swvs:
            out.append(f"{len(members)} SWVs, at least {s.min_swvs} asked")
        if s.max_swvs is not None and len(members) > s.max_swvs:
            out.append(f"{len(members)} SWVs, at most {s.max_swvs} asked")
        return out


def lock_roots(inst: "Instance") -> list[int]:
    """Per unit the representative of its lock group (units that pins, together groups or kept-whole SWVs join);
    a union-find whose smaller index becomes the root, so the result does not depend on the order of the locks."""
    parent = list(range(inst.n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for _what, group in inst.locks.groups():
        for i in group[1:]:
            ra, rb = find(group[0]), find(i)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(inst.n)]


def pieces(inst: "Instance", hub_of, units=None) -> dict[tuple[str, int], float]:
    """Pupils of each current SWV (key) in each new SWV (hub) of ``hub_of``, counting ``units`` (default all)."""
    out: dict[tuple[str, int], float] = {}
    for i in range(inst.n) if units is None else units:
        for key, p in inst.current[i].items():
            out[key, hub_of[i]] = out.get((key, hub_of[i]), 0.0) + p
    return out


def successor_values(inst: "Instance", hub_of, allowed) -> dict[str, dict]:
    """Disruption columns of a full assignment at their best values: for every current SWV key its main successor
    hub (the open hub keeping most of its pupils, among ``allowed`` (key, hub) pairs; ties to the lowest hub), and
    the pupils each (key, hub) keeps. Shared by the PuLP and the direct HiGHS warm starts."""
    kept = pieces(inst, hub_of)
    best: dict[str, int] = {}
    top: dict[str, float] = {}
    for (key, j), p in sorted(kept.items()):
        if (key, j) in allowed and (key not in best or p > top[key]):
            best[key], top[key] = j, p
    return {"kept": kept, "successor": best}


def components(members: set[int], neighbours) -> list[set[int]]:
    """Connected components of the subgraph induced by ``members`` (sorted by smallest index)."""
    left, out = set(members), []
    while left:
        start = min(left)
        seen, stack = {start}, [start]
        while stack:
            u = stack.pop()
            for v in neighbours[u]:
                if v in left and v not in seen:
                    seen.add(v)
                    stack.append(v)
        out.append(seen)
        left -= seen
    return out
