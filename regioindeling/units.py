"""The units a proposal assigns, their adjacency and travel distances, built from a :class:`Dataset`.

A unit is a whole gemeente (``GM0363``) or a PC4 area (``"1011"``). Every PC4 belongs to exactly one unit: its
own, or its gemeente's when the gemeente is kept whole. The evaluator and the solvers both read this module,
so a distance or an adjacency means the same in both.

Travel distance from a PC4 to a hub unit is the straight line from the PC4's population centre to the hub's
population centre (RD New metres) times the scenario's detour factor, in km. A unit's distance to a hub is the
maximum over its PC4s (for the travel limit) and the pupil-weighted sum over its PC4s (for the objective), so
whole gemeenten are judged by the same PC4 centres as split ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable

import numpy as np
import pandas as pd

from regioindeling.errors import InputError
from regioindeling.model import FACILITY_TYPES, Edge, Level, Unit, facility_types_of, is_gemeente_code, is_pc4_code

_EDGE_RANK = {"border": 0, "link": 1, "ferry": 2}


def split_gemeenten(ds, level: Level, max_pupils: float | None = None, keep_whole: Iterable[str] = ()) -> set[str]:
    """GM codes whose PC4 areas are separate units at ``level``.

    ``hybrid`` splits the gemeenten above ``max_pupils`` (po + vo), except those in ``keep_whole``.
    """
    if level == "gemeente":
        return set()
    all_gm = set(ds.gemeenten.gemeente)
    if level == "pc4":
        return all_gm
    if level != "hybrid":
        raise ValueError(f"unknown unit level {level!r}")
    pupils = ds.pc4.groupby("gemeente")[["pupils_po", "pupils_vo"]].sum().sum(axis=1)
    limit = float("inf") if max_pupils is None else max_pupils
    return {gm for gm, p in pupils.items() if p > limit} - set(keep_whole)


def _sum_by(keys: np.ndarray, values: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in zip(keys, values):
        out[k] = out.get(k, 0.0) + float(v)
    return dict(sorted(out.items()))


@dataclass(frozen=True, eq=False)
class UnitSet:
    """Units sorted by code, the PC4 -> unit map, the adjacency between units and the school sites per unit."""

    level: str
    units: tuple[Unit, ...]
    edges: tuple[Edge, ...]
    pc4: pd.DataFrame  # one row per PC4: pc4, unit, gemeente, jeugdregio, x, y, pupils_po, pupils_vo, population
    schools: pd.DataFrame  # one row per school site: vestigingscode, name, sector, pupils, pc4, unit, x, y
    split: frozenset[str]  # gemeenten represented by their PC4s

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_dataset(cls, ds, split: Iterable[str] = (), level: str | None = None,
                     ferry_links: bool = True) -> "UnitSet":
        """Whole gemeenten, except those in ``split`` (GM codes), which become one unit per PC4."""
        split = frozenset(split)
        unknown = split - set(ds.gemeenten.gemeente)
        if unknown:
            raise InputError("unit set", f"unknown gemeente {sorted(unknown)[0]}", "use GM codes of the dataset")
        gnames = ds.gemeente_names
        pc = pd.DataFrame({
            "pc4": ds.pc4.pc4.to_numpy(), "gemeente": ds.pc4.gemeente.to_numpy(),
            "jeugdregio": ds.pc4.jeugdregio.to_numpy(), "x": ds.pc4.x.to_numpy(), "y": ds.pc4.y.to_numpy(),
            "pupils_po": ds.pc4.pupils_po.to_numpy(), "pupils_vo": ds.pc4.pupils_vo.to_numpy(),
            "population": ds.pc4.population.to_numpy(), "swv_po": ds.pc4.swv_po.to_numpy(),
            "swv_vo": ds.pc4.swv_vo.to_numpy(),
        })
        pc["unit"] = np.where(pc.gemeente.isin(split), pc.pc4, pc.gemeente)
        pc = pc.sort_values(["unit", "pc4"], kind="stable").reset_index(drop=True)

        sc = pd.DataFrame({c: ds.schools[c].to_numpy() for c in
                           ("vestigingscode", "name", "sector", "pupils", "pc4", "gemeente", "x", "y")})
        sc["unit"] = sc.pc4.map(dict(zip(pc.pc4, pc.unit)))
        sc = sc.sort_values("vestigingscode", kind="stable").reset_index(drop=True)
        fac = {t: sc[sc.sector.map(lambda s, t=t: t in facility_types_of(s))].groupby("unit").size()
               for t in FACILITY_TYPES}

        units = []
        unit_col = pc.unit.to_numpy()
        starts = np.flatnonzero(np.r_[True, unit_col[1:] != unit_col[:-1]])
        ends = np.r_[starts[1:], len(pc)]
        col = {c: pc[c].to_numpy() for c in pc.columns}
        fac_of = {t: fac[t].to_dict() for t in FACILITY_TYPES}
        for s, e in zip(starts, ends):
            code, gm = unit_col[s], col["gemeente"][s]
            w = col["population"][s:e].astype(float)
            w = w if w.sum() > 0 else np.ones(e - s)
            x, y = float(np.average(col["x"][s:e], weights=w)), float(np.average(col["y"][s:e], weights=w))
            kind = "gemeente" if is_gemeente_code(code) else "pc4"
            units.append(Unit(
                code=code, kind=kind, name=gnames.get(gm, gm) if kind == "gemeente" else f"{code} {gnames.get(gm, gm)}",
                gemeente=gm, jeugdregio=col["jeugdregio"][s], pupils_po=float(col["pupils_po"][s:e].sum()),
                pupils_vo=float(col["pupils_vo"][s:e].sum()), x=round(x, 1), y=round(y, 1),
                pc4s=tuple(col["pc4"][s:e]), facilities={t: int(fac_of[t].get(code, 0)) for t in FACILITY_TYPES},
                current_po=_sum_by(col["swv_po"][s:e], col["pupils_po"][s:e]),
                current_vo=_sum_by(col["swv_vo"][s:e], col["pupils_vo"][s:e]),
            ))

        to_unit = dict(zip(pc.pc4, pc.unit))
        best: dict[tuple[str, str], str] = {}
        for a, b, kind in zip(ds.adjacency_pc4.a, ds.adjacency_pc4.b, ds.adjacency_pc4.kind):
            if kind == "ferry" and not ferry_links:
                continue
            ua, ub = to_unit[a], to_unit[b]
            if ua == ub:
                continue
            key = (ua, ub) if ua < ub else (ub, ua)
            if key not in best or _EDGE_RANK[kind] < _EDGE_RANK[best[key]]:
                best[key] = kind
        edges = tuple(Edge(a, b, k) for (a, b), k in sorted(best.items()))
        if level is None:
            level = "gemeente" if not split else ("pc4" if split == set(ds.gemeenten.gemeente) else "hybrid")
        return cls(level=level, units=tuple(units), edges=edges, pc4=pc, schools=sc, split=split)

    @classmethod
    def for_scenario(cls, ds, scenario) -> "UnitSet":
        """The units of a scenario: its level, max size and keep-whole list."""
        lvl = scenario.units.level
        split = split_gemeenten(ds, lvl, scenario.size.max_pupils, scenario.units.keep_whole)
        return cls.from_dataset(ds, split, level=lvl, ferry_links=scenario.contiguity.ferry_links)

    @classmethod
    def for_codes(cls, ds, codes: Iterable[str], source: str = "proposal", ferry_links: bool = True) -> "UnitSet":
        """The unit set a proposal's codes imply: PC4 codes split their gemeente, GM codes keep it whole.

        Codes that are neither a known GM code nor a known PC4 raise :class:`InputError`; missing units are
        left to the evaluator (a proposal may leave units unassigned, which is a violation, not bad input).
        """
        codes = list(codes)
        gm_of = dict(zip(ds.pc4.pc4, ds.pc4.gemeente))
        known_gm = set(ds.gemeenten.gemeente)
        split = set()
        for c in codes:
            if is_pc4_code(c) and c in gm_of:
                split.add(gm_of[c])
            elif not (is_gemeente_code(c) and c in known_gm):
                raise InputError(source, f"unknown unit code '{c}'",
                                 "use GM codes (e.g. GM0363) or 4-digit PC4 codes of the dataset", field="unit")
        both = sorted(c for c in codes if c in split)
        if both:
            raise InputError(source, f"gemeente {both[0]} is given whole and also split into PC4 areas",
                             "assign either the GM code or its PC4 codes, not both", field="unit")
        return cls.from_dataset(ds, split, ferry_links=ferry_links)

    # ------------------------------------------------------------------ lookups

    @cached_property
    def index(self) -> dict[str, int]:
        return {u.code: i for i, u in enumerate(self.units)}

    @cached_property
    def by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(u.code for u in self.units)

    @cached_property
    def pc4_unit(self) -> dict[str, str]:
        return dict(zip(self.pc4.pc4, self.pc4.unit))

    @cached_property
    def jeugdregios(self) -> dict[str, tuple[str, ...]]:
        """JZ code -> its unit codes (sorted)."""
        out: dict[str, list[str]] = {}
        for u in self.units:
            out.setdefault(u.jeugdregio, []).append(u.code)
        return {k: tuple(v) for k, v in sorted(out.items())}

    @cached_property
    def neighbours(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {u.code: [] for u in self.units}
        for e in self.edges:
            out[e.a].append(e.b)
            out[e.b].append(e.a)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def subset(self, jeugdregio: str) -> tuple[list[Unit], list[Edge]]:
        """The units of one jeugdregio and the edges among them (a jeugdregio is solved on its own)."""
        codes = set(self.jeugdregios.get(jeugdregio, ()))
        return ([self.by_code[c] for c in sorted(codes)],
                [e for e in self.edges if e.a in codes and e.b in codes])

    # ------------------------------------------------------------------ distances

    def travel(self, units: Iterable[str], hubs: Iterable[str], detour: float) -> tuple[np.ndarray, np.ndarray]:
        """Travel from ``units`` to candidate ``hubs``: (max km over each unit's PC4s, pupil-weighted km sum).

        Both arrays have shape (len(units), len(hubs)). Cost is O(#PC4s of units x #hubs), so call it per
        jeugdregio, not nationally at PC4 level.
        """
        units, hubs = list(units), list(hubs)
        rows = self._pc4_rows(units)
        hx = np.array([self.by_code[h].x for h in hubs])
        hy = np.array([self.by_code[h].y for h in hubs])
        px, py = self.pc4.x.to_numpy()[rows], self.pc4.y.to_numpy()[rows]
        km = np.hypot(px[:, None] - hx[None, :], py[:, None] - hy[None, :]) * (detour / 1000.0)
        w = (self.pc4.pupils_po.to_numpy() + self.pc4.pupils_vo.to_numpy())[rows]
        starts = self._starts(units)
        if not len(rows):
            return np.zeros((0, len(hubs))), np.zeros((0, len(hubs)))
        return np.maximum.reduceat(km, starts, axis=0), np.add.reduceat(km * w[:, None], starts, axis=0)

    def pc4_travel_km(self, pc4s: Iterable[str], hub: str, detour: float) -> np.ndarray:
        """km from each given PC4's centre to ``hub``'s centre, times the detour factor."""
        idx = self._pc4_pos
        rows = np.array([idx[p] for p in pc4s], dtype=int)
        h = self.by_code[hub]
        return np.hypot(self.pc4.x.to_numpy()[rows] - h.x, self.pc4.y.to_numpy()[rows] - h.y) * (detour / 1000.0)

    @cached_property
    def _pc4_pos(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.pc4.pc4)}

    @cached_property
    def _unit_rows(self) -> dict[str, np.ndarray]:
        starts = np.flatnonzero(np.r_[True, self.pc4.unit.to_numpy()[1:] != self.pc4.unit.to_numpy()[:-1]])
        ends = np.r_[starts[1:], len(self.pc4)]
        units = self.pc4.unit.to_numpy()[starts]
        return {u: np.arange(s, e) for u, s, e in zip(units, starts, ends)}

    def _pc4_rows(self, units: list[str]) -> np.ndarray:
        parts = [self._unit_rows[u] for u in units]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=int)

    def _starts(self, units: list[str]) -> np.ndarray:
        sizes = [len(self._unit_rows[u]) for u in units]
        return np.r_[0, np.cumsum(sizes)[:-1]].astype(int) if sizes else np.zeros(0, dtype=int)
