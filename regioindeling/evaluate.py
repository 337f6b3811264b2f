"""One evaluator for every proposal: hard constraints, KPIs and the per-SWV / per-gemeente tables.

Optimised, imported and hand-edited proposals are all judged here, with the distances of
:class:`~regioindeling.units.UnitSet` (PC4 centre to hub centre, straight line x detour factor, km).

Definitions (the docstrings of the helpers below say the same where they are computed):

- **Hub** of an SWV: ``proposal.hubs[swv]`` when given (it must be a member, else a ``hub`` violation and the
  1-median is used); otherwise the *1-median*: the member unit minimising the pupil-weighted (po + vo) travel
  from all the SWV's PC4 centres; ties go to the smallest code.
- **Travel** of a PC4: km from its centre to its SWV's hub. The limit applies to every PC4 centre.
- **Facility distance** of a PC4 for type t: km (same detour factor) to the nearest school site providing t
  inside the PC4's SWV. *Today* the SWV is the PC4's current **po** SWV for sbo and so (po facilities) and its
  current **vo** SWV for vso and pro (vo facilities); *proposed* it is the PC4's new SWV. "Further than today"
  counts the PC4's po pupils (sbo, so) or vo pupils (vso, pro) when proposed > today + 0.05 km, or when no site is
  left inside the new SWV.
- **Disruption**: a current po (vo) SWV falls into *pieces*, the number of distinct new SWVs its PC4 areas are
  assigned to. Its *successor* is the new SWV that receives most of its po (vo) pupils (ties: smallest id). A
  po (vo) pupil's territory *changes* when the pupil's PC4 goes to another new SWV than its current po (vo)
  SWV's successor; merging whole SWVs therefore changes nobody's territory, splitting them does.
- **Locks**: a lock code may be a unit, a GM code whose gemeente is split (all its PC4 units) or a PC4 of a
  gemeente kept whole (that gemeente). ``pin``: units pinned to one name share an SWV, units pinned to different
  names do not. ``keep_current_whole``: all PC4 areas of that current po/vo SWV end up in one new SWV.
- **Scope**: with ``scenario.jeugdregios`` set, only units of those jeugdregio's must be assigned (a partial run).
- **OOGO load** of a gemeente: today the number of distinct current po SWVs plus vo SWVs among its PC4 areas
  (each holds its own OOGO); proposed the number of distinct new SWVs among them (one merged SWV, one OOGO).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import weakref

import numpy as np
import pandas as pd

from regioindeling.errors import InputError
from regioindeling.model import FACILITY_TYPES, Proposal, facility_types_of, is_gemeente_code, is_pc4_code
from regioindeling.scenario import Scenario
from regioindeling.units import UnitSet

CONSTRAINTS = ("assignment", "hub", "jeugdregio", "contiguity", "travel", "facility", "facility_distance",
               "min_pupils", "max_pupils", "lock_pin", "lock_together", "lock_apart", "lock_keep_current_whole")
# po facilities are judged against the current po SWV, vo facilities against the current vo SWV.
FACILITY_SECTOR = {"sbo": "po", "so": "po", "vso": "vo", "pro": "vo"}
FURTHER_TOLERANCE_KM = 0.05
_EPS = 1e-9


@dataclass(frozen=True)
class Violation:
    constraint: str
    swv: str | None
    units: tuple[str, ...]
    message: str


@dataclass
class Evaluation:
    ok: bool
    violations: list[Violation]
    kpis: dict
    swvs: list[dict]
    per_jeugdregio: list[dict]
    per_gemeente: list[dict]
    hubs: dict[str, str]
    per_pc4: pd.DataFrame | None = field(default=None, repr=False)  # pc4, unit, swv, travel_km, facility km today/proposed

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "violations": [asdict(v) | {"units": list(v.units)} for v in self.violations],
            "kpis": self.kpis, "swvs": self.swvs, "per_jeugdregio": self.per_jeugdregio,
            "per_gemeente": self.per_gemeente, "hubs": dict(self.hubs),
        }

    def by_constraint(self) -> dict[str, list[Violation]]:
        out: dict[str, list[Violation]] = {}
        for v in self.violations:
            out.setdefault(v.constraint, []).append(v)
        return out


# ---------------------------------------------------------------------------------------------- helpers


def _r(x: float, nd: int = 2):
    """JSON-safe rounded float (None for NaN/inf)."""
    x = float(x)
    return round(x, nd) if np.isfinite(x) else None


def _list(codes, n: int = 8) -> str:
    codes = list(codes)
    head = ", ".join(codes[:n])
    return head + (f" and {len(codes) - n} more" if len(codes) > n else "")


def _n(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def _groups(labels: np.ndarray, n: int) -> list[np.ndarray]:
    """Row indices per label 0..n-1 (labels < 0 are skipped)."""
    order = np.argsort(labels, kind="stable")
    sl = labels[order]
    bounds = np.searchsorted(sl, np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


def nearest_within(row_group: np.ndarray, px: np.ndarray, py: np.ndarray, site_group: np.ndarray,
                   sx: np.ndarray, sy: np.ndarray, n_groups: int) -> np.ndarray:
    """Metres from each row to the nearest site of the same group (inf when its group has no site, or row < 0)."""
    out = np.full(len(px), np.inf)
    rows, sites = _groups(row_group, n_groups), _groups(site_group, n_groups)
    for r, s in zip(rows, sites):
        if len(r) and len(s):
            out[r] = np.hypot(px[r, None] - sx[None, s], py[r, None] - sy[None, s]).min(axis=1)
    return out


def _one_median(px, py, w, cx, cy) -> np.ndarray:
    """Pupil-weighted straight-line cost of every candidate hub (chunked to bound memory)."""
    cost = np.empty(len(cx))
    step = max(1, 2_000_000 // max(1, len(px)))
    for i in range(0, len(cx), step):
        d = np.hypot(px[:, None] - cx[None, i:i + step], py[:, None] - cy[None, i:i + step])
        cost[i:i + step] = w @ d
    return cost


_TODAY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def today_facility_m(ds, units: UnitSet) -> pd.DataFrame:
    """Per PC4 (index pc4): metres to the nearest site of each type inside its *current* po/vo SWV.

    Independent of the proposal, so cached per dataset.
    """
    cached = _TODAY.get(ds)
    if cached is not None:
        return cached
    pc, sc = units.pc4, units.schools
    pc_po, pc_vo = dict(zip(pc.pc4, pc.swv_po)), dict(zip(pc.pc4, pc.swv_vo))
    px, py = pc.x.to_numpy(float), pc.y.to_numpy(float)
    out = {}
    for t in FACILITY_TYPES:
        cur = pc.swv_po if FACILITY_SECTOR[t] == "po" else pc.swv_vo
        lookup = pc_po if FACILITY_SECTOR[t] == "po" else pc_vo
        mask = sc.sector.map(lambda s, t=t: t in facility_types_of(s)).to_numpy(bool)
        site_cur = sc.pc4[mask].map(lookup)
        codes, labels = np.unique(np.r_[cur.to_numpy(str), site_cur.to_numpy(str)], return_inverse=True)
        out[t] = nearest_within(labels[:len(pc)], px, py, labels[len(pc):], sc.x.to_numpy(float)[mask],
                                sc.y.to_numpy(float)[mask], len(codes))
    df = pd.DataFrame(out, index=pc.pc4.to_numpy())
    _TODAY[ds] = df
    return df


# ---------------------------------------------------------------------------------------------- evaluate


def evaluate(ds, proposal: Proposal, scenario: Scenario | None = None, units: UnitSet | None = None) -> Evaluation:
    """Judge ``proposal`` against every hard constraint of ``scenario`` (default: the default scenario).

    The unit set comes from ``units`` if given, else from the proposal's codes (``UnitSet.for_codes``; unknown
    codes or a gemeente given both whole and split raise :class:`InputError`). Units left unassigned, or codes
    that are not units of the given unit set, are ``assignment`` violations, not errors.
    """
    sc = scenario if scenario is not None else Scenario()
    if units is None:
        units = UnitSet.for_codes(ds, proposal.assignment, ferry_links=sc.contiguity.ferry_links)
    return _Evaluator(ds, proposal, sc, units).run()


class _Evaluator:
    def __init__(self, ds, proposal: Proposal, sc: Scenario, units: UnitSet) -> None:
        self.ds, self.p, self.sc, self.us = ds, proposal, sc, units
        self.violations: list[Violation] = []
        self.detour = sc.travel.detour_factor

    def add(self, constraint: str, swv: str | None, units, message: str) -> None:
        self.violations.append(Violation(constraint, swv, tuple(sorted(units)), message))

    # ------------------------------------------------------------------ run

    def run(self) -> Evaluation:
        self._assignment()
        self._jeugdregio()
        self._contiguity()
        self._hubs()
        self._travel()
        self._facilities()
        self._size()
        self._locks()
        order = {c: i for i, c in enumerate(CONSTRAINTS)}
        self.violations.sort(key=lambda v: (order.get(v.constraint, 99), v.swv or "", v.units))
        swvs = self._swv_rows()
        per_gm = self._per_gemeente()
        kpis = self._kpis(swvs, per_gm)
        return Evaluation(ok=not self.violations, violations=self.violations, kpis=kpis, swvs=swvs,
                          per_jeugdregio=self._per_jeugdregio(swvs), per_gemeente=per_gm,
                          hubs={s: self.us.codes[h] for s, h in zip(self.swv_ids, self.hub_idx)},
                          per_pc4=self.per_pc4)

    # ------------------------------------------------------------------ assignment

    def _assignment(self) -> None:
        us, a = self.us, self.p.assignment
        by_code = us.by_code
        unknown = sorted(c for c in a if c not in by_code)
        if unknown:
            self.add("assignment", None, unknown,
                     f"{_n(len(unknown), 'assigned code')} not units of this indeling: {_list(unknown)} "
                     "(a GM code whose gemeente is split into PC4 areas, or a PC4 of a gemeente kept whole?)")
        blank = sorted(c for c, s in a.items() if c in by_code and (not isinstance(s, str) or not s.strip()))
        if blank:
            self.add("assignment", None, blank, f"{_n(len(blank), 'unit')} with an empty SWV id: {_list(blank)}")
        # scenario.jeugdregios restricts the run: units elsewhere are out of scope, not missing
        scope = set(self.sc.jeugdregios)
        unknown_jz = sorted(scope - set(us.jeugdregios))
        if unknown_jz:
            raise InputError("scenario", f"unknown jeugdregio '{unknown_jz[0]}'", "use JZ codes of the dataset, e.g. JZ13",
                             field="jeugdregios")
        self.scope = scope or set(us.jeugdregios)
        missing = sorted(u.code for u in us.units if u.code not in a and u.jeugdregio in self.scope)
        if missing:
            self.add("assignment", None, missing,
                     f"{_n(len(missing), 'unit')} not assigned to any SWV: {_list(missing)}")
        valid = {c: s for c, s in a.items() if c in by_code and isinstance(s, str) and s.strip()}
        self.swv_ids = sorted(set(valid.values()))
        sid = {s: i for i, s in enumerate(self.swv_ids)}
        self.unit_swv = np.array([sid.get(valid.get(c, ""), -1) for c in us.codes], dtype=int)
        self.members = _groups(self.unit_swv, len(self.swv_ids))  # unit indices per SWV (sorted by code)
        pc = us.pc4
        self.row_unit = pc.unit.map(us.index).to_numpy(int)
        self.row_swv = self.unit_swv[self.row_unit]
        self.px, self.py = pc.x.to_numpy(float), pc.y.to_numpy(float)
        self.wpo, self.wvo = pc.pupils_po.to_numpy(float), pc.pupils_vo.to_numpy(float)
        self.w = self.wpo + self.wvo
        self.rows = _groups(self.row_swv, len(self.swv_ids))
        self.u_po = np.array([u.pupils_po for u in us.units])
        self.u_vo = np.array([u.pupils_vo for u in us.units])

    def codes_of(self, idx) -> list[str]:
        return [self.us.codes[i] for i in idx]

    # ------------------------------------------------------------------ jeugdregio, contiguity

    def _jeugdregio(self) -> None:
        units = self.us.units
        self.swv_jz: list[str] = []
        for s, mem in zip(self.swv_ids, self.members):
            pupils: dict[str, float] = {}
            for i in mem:
                pupils[units[i].jeugdregio] = pupils.get(units[i].jeugdregio, 0.0) + units[i].pupils
            main = sorted(pupils, key=lambda j: (-pupils[j], j))[0]
            self.swv_jz.append(main)
            if len(pupils) > 1:
                out = [units[i].code for i in mem if units[i].jeugdregio != main]
                others = sorted(set(pupils) - {main})
                self.add("jeugdregio", s, out,
                         f"SWV {s} spans {len(pupils)} jeugdregio's: mostly {main}, but {_n(len(out), 'unit')} lie in "
                         f"{', '.join(others)}: {_list(sorted(out))}")

    def _contiguity(self) -> None:
        if not self.sc.contiguity.enabled:
            return
        idx, us = self.us.index, self.us
        parent = list(range(len(us.units)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        ferry = self.sc.contiguity.ferry_links
        for e in us.edges:
            if e.kind == "ferry" and not ferry:
                continue
            a, b = idx[e.a], idx[e.b]
            if self.unit_swv[a] >= 0 and self.unit_swv[a] == self.unit_swv[b]:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        for s, mem in zip(self.swv_ids, self.members):
            comp: dict[int, list[int]] = {}
            for i in mem:
                comp.setdefault(find(int(i)), []).append(int(i))
            if len(comp) > 1:
                parts = sorted(comp.values(), key=lambda m: (-sum(us.units[i].pupils for i in m), us.codes[m[0]]))
                cut = sorted(c for m in parts[1:] for c in self.codes_of(m))
                self.add("contiguity", s, cut,
                         f"SWV {s} falls into {len(comp)} separate pieces; {_n(len(cut), 'unit')} cut off from its "
                         f"main part{'' if ferry else ' (ferry links not counted)'}: {_list(cut)}")

    # ------------------------------------------------------------------ hubs and travel

    def _hubs(self) -> None:
        us = self.us
        ux = np.array([u.x for u in us.units])
        uy = np.array([u.y for u in us.units])
        self.hub_idx: list[int] = []
        for s, mem, rows in zip(self.swv_ids, self.members, self.rows):
            given = self.p.hubs.get(s)
            if given is not None:
                if given in us.index and self.unit_swv[us.index[given]] == self.swv_ids.index(s):
                    self.hub_idx.append(us.index[given])
                    continue
                self.add("hub", s, [given], f"SWV {s}: hub {given} is not one of its units; the 1-median is used")
            w = self.w[rows] if self.w[rows].sum() > 0 else np.ones(len(rows))
            cost = _one_median(self.px[rows], self.py[rows], w, ux[mem], uy[mem])
            best = cost.min()
            # members are sorted by code, so the first near-tie is the smallest code
            self.hub_idx.append(int(mem[np.flatnonzero(cost <= best * (1 + 1e-12) + 1e-9)[0]]))
        hub_x = np.array([ux[h] for h in self.hub_idx] + [np.nan])
        hub_y = np.array([uy[h] for h in self.hub_idx] + [np.nan])
        self.row_km = np.hypot(self.px - hub_x[self.row_swv], self.py - hub_y[self.row_swv]) * (self.detour / 1000.0)

    def _travel(self) -> None:
        limit = self.sc.travel.max_km
        for s, rows, h in zip(self.swv_ids, self.rows, self.hub_idx):
            km = self.row_km[rows]
            far = rows[km > limit + _EPS]
            if len(far):
                bad = sorted(set(self.codes_of(self.row_unit[far])))
                worst = far[np.argmax(self.row_km[far])]
                self.add("travel", s, bad,
                         f"SWV {s}: {_n(len(bad), 'unit')} with PC4 centres farther than {limit:g} km from hub "
                         f"{self.us.codes[h]} (farthest PC4 {self.us.pc4.pc4.iat[worst]} at "
                         f"{self.row_km[worst]:.1f} km): {_list(bad)}")

    # ------------------------------------------------------------------ facilities

    def _facilities(self) -> None:
        us = self.us
        sc = us.schools
        site_unit = sc.unit.map(us.index).to_numpy(int)
        site_swv = self.unit_swv[site_unit]
        n = len(self.swv_ids)
        self.fac_count: dict[str, np.ndarray] = {}
        self.row_fac_km: dict[str, np.ndarray] = {}
        today = today_facility_m(self.ds, us).reindex(us.pc4.pc4.to_numpy())
        self.row_today_km: dict[str, np.ndarray] = {}
        f = self.detour / 1000.0
        for t in FACILITY_TYPES:
            mask = sc.sector.map(lambda s, t=t: t in facility_types_of(s)).to_numpy(bool)
            grp = np.where(mask, site_swv, -1)
            self.fac_count[t] = np.bincount(grp[grp >= 0], minlength=n)
            self.row_fac_km[t] = nearest_within(self.row_swv, self.px, self.py, grp, sc.x.to_numpy(float),
                                                sc.y.to_numpy(float), n) * f
            self.row_today_km[t] = today[t].to_numpy(float) * f
        # facilities.exempt_absent: a type with no site anywhere in a jeugdregio is not required there.
        jz_of_unit = {u.code: u.jeugdregio for u in us.units}
        site_jz = sc.unit.map(jz_of_unit)
        for t in self.sc.facilities.required:
            present = set(site_jz[sc.sector.map(lambda s, t=t: t in facility_types_of(s)).to_numpy(bool)])
            for i in np.flatnonzero(self.fac_count[t] == 0):
                if getattr(self.sc.facilities, "exempt_absent", False) and self.swv_jz[i] not in present:
                    continue
                mem = self.codes_of(self.members[i])
                self.add("facility", self.swv_ids[i], mem,
                         f"SWV {self.swv_ids[i]} has no {t} site among its {len(mem)} units ({_list(mem, 5)})")
        for t, limit in sorted(self.sc.travel.facility_max_km.items()):
            for s, rows in zip(self.swv_ids, self.rows):
                km = self.row_fac_km[t][rows]
                far = rows[km > limit + _EPS]
                if len(far):
                    bad = sorted(set(self.codes_of(self.row_unit[far])))
                    worst = float(np.max(self.row_fac_km[t][far]))
                    self.add("facility_distance", s, bad,
                             f"SWV {s}: {_n(len(bad), 'unit')} with PC4 centres farther than {limit:g} km from the nearest "
                             f"{t} site in the SWV (worst {'none in the SWV' if not np.isfinite(worst) else f'{worst:.1f} km'}): "
                             f"{_list(bad)}")
        self.per_pc4 = pd.DataFrame({
            "pc4": us.pc4.pc4.to_numpy(), "unit": us.pc4.unit.to_numpy(), "gemeente": us.pc4.gemeente.to_numpy(),
            "swv": [self.swv_ids[i] if i >= 0 else "" for i in self.row_swv], "travel_km": self.row_km,
            **{f"{t}_km_today": self.row_today_km[t] for t in FACILITY_TYPES},
            **{f"{t}_km": self.row_fac_km[t] for t in FACILITY_TYPES},
        })

    # ------------------------------------------------------------------ size

    def _size(self) -> None:
        lo, hi = self.sc.size.min_pupils, self.sc.size.max_pupils
        self.swv_pupils = np.array([self.u_po[m].sum() + self.u_vo[m].sum() for m in self.members])
        for s, mem, p in zip(self.swv_ids, self.members, self.swv_pupils):
            if p < lo - _EPS:
                self.add("min_pupils", s, self.codes_of(mem), f"SWV {s} has {p:,.0f} pupils, below the minimum {lo:,}")
            if p > hi + _EPS:
                self.add("max_pupils", s, self.codes_of(mem), f"SWV {s} has {p:,.0f} pupils, above the maximum {hi:,}")

    # ------------------------------------------------------------------ locks

    def _resolve(self, code: str, fieldname: str) -> list[int]:
        """Unit indices a lock code stands for: the unit itself, a split gemeente's PC4 units, a PC4's gemeente."""
        us = self.us
        if code in us.index:
            return [us.index[code]]
        if is_gemeente_code(code):
            got = [us.index[u.code] for u in us.units if u.gemeente == code]
            if got:
                return got
        if is_pc4_code(code) and code in us.pc4_unit:
            return [us.index[us.pc4_unit[code]]]
        raise InputError("scenario", f"lock names unknown unit '{code}'", "use GM or PC4 codes of the dataset",
                         field=f"locks.{fieldname}")

    def _swvs_of(self, idx) -> set[int]:
        return {int(self.unit_swv[i]) for i in idx if self.unit_swv[i] >= 0}

    def _locks(self) -> None:
        lk, ids = self.sc.locks, self.swv_ids
        if lk.pin:
            by_name: dict[str, list[int]] = {}
            for code, name in sorted(lk.pin.items()):
                by_name.setdefault(name, []).extend(self._resolve(code, "pin"))
            owner: dict[int, str] = {}
            for name, idx in sorted(by_name.items()):
                got = self._swvs_of(idx)
                if len(got) > 1:
                    self.add("lock_pin", None, self.codes_of(idx),
                             f"units pinned to '{name}' are spread over SWVs {', '.join(ids[i] for i in sorted(got))}")
                for s in got:
                    if s in owner and owner[s] != name:
                        both = [i for i in range(len(self.unit_swv)) if self.unit_swv[i] == s]
                        pinned = sorted(c for c in self.codes_of(both) if c in lk.pin or self.us.by_code[c].gemeente in lk.pin)
                        self.add("lock_pin", ids[s], pinned,
                                 f"SWV {ids[s]} holds units pinned to '{owner[s]}' and to '{name}'")
                    owner.setdefault(s, name)
        for group in lk.together:
            idx = [i for c in group for i in self._resolve(c, "together")]
            got = self._swvs_of(idx)
            if len(got) > 1:
                self.add("lock_together", None, self.codes_of(idx),
                         f"units {', '.join(group)} must share an SWV but are in {', '.join(ids[i] for i in sorted(got))}")
        for a, b in lk.apart:
            ia, ib = self._resolve(a, "apart"), self._resolve(b, "apart")
            common = self._swvs_of(ia) & self._swvs_of(ib)
            if common:
                self.add("lock_apart", ids[min(common)], self.codes_of(ia + ib),
                         f"units {a} and {b} must be in different SWVs but share {', '.join(ids[i] for i in sorted(common))}")
        pc = self.us.pc4
        for code in lk.keep_current_whole:
            col = pc.swv_po if code.upper().startswith("PO") else pc.swv_vo
            rows = np.flatnonzero(col.to_numpy() == code)
            if not len(rows):
                raise InputError("scenario", f"keep_current_whole names unknown current SWV '{code}'",
                                 "use a current SWV code such as PO2707 or VO2708", field="locks.keep_current_whole")
            got = sorted({int(s) for s in self.row_swv[rows] if s >= 0})
            if len(got) > 1:
                self.add("lock_keep_current_whole", None, sorted(set(self.codes_of(self.row_unit[rows]))),
                         f"current SWV {code} must stay in one new SWV but is split over {', '.join(ids[i] for i in got)}")

    # ------------------------------------------------------------------ tables

    def _names(self) -> list[str]:
        """SWV names: jeugdregio name + its largest (by pupils) one or two gemeenten; duplicates numbered."""
        jz_names = self.ds.jeugdregio_names
        gm_names = self.ds.gemeente_names
        base = []
        for s, rows, jz in zip(self.swv_ids, self.rows, self.swv_jz):
            by_gm = pd.Series(self.w[rows]).groupby(self.us.pc4.gemeente.to_numpy()[rows]).sum()
            top = sorted(by_gm.index, key=lambda g: (-by_gm[g], g))[:2]
            base.append(f"{jz_names.get(jz, jz)}: {', '.join(gm_names.get(g, g) for g in top)}")
        counts = pd.Series(base).value_counts()
        seen: dict[str, int] = {}
        out = []
        for b in base:
            if counts[b] > 1:
                seen[b] = seen.get(b, 0) + 1
                out.append(f"{b} ({seen[b]})")
            else:
                out.append(b)
        return out

    def _swv_rows(self) -> list[dict]:
        names = self._names()
        self.swv_names = dict(zip(self.swv_ids, names))
        gm = self.us.pc4.gemeente.to_numpy()
        nviol: dict[str, int] = {}
        for v in self.violations:
            if v.swv:
                nviol[v.swv] = nviol.get(v.swv, 0) + 1
        out = []
        for i, (s, mem, rows) in enumerate(zip(self.swv_ids, self.members, self.rows)):
            w = self.w[rows]
            row = {
                "swv_id": s, "name": names[i], "jeugdregio": self.swv_jz[i],
                "units": self.codes_of(mem), "gemeenten": sorted(set(gm[rows])),
                "pupils_po": _r(self.u_po[mem].sum(), 1), "pupils_vo": _r(self.u_vo[mem].sum(), 1),
                "pupils": _r(self.swv_pupils[i], 1), "hub": self.us.codes[self.hub_idx[i]],
                "hub_name": self.us.units[self.hub_idx[i]].name,
                "travel_mean_km": _r(np.average(self.row_km[rows], weights=w) if w.sum() > 0 else self.row_km[rows].mean()),
                "travel_max_km": _r(self.row_km[rows].max()),
                "n_violations": nviol.get(s, 0),
            }
            for t in FACILITY_TYPES:
                row[f"n_{t}"] = int(self.fac_count[t][i])
            for t in FACILITY_TYPES:
                km = self.row_fac_km[t][rows]
                wt = (self.wpo if FACILITY_SECTOR[t] == "po" else self.wvo)[rows]
                row[f"{t}_mean_km"] = _r(np.average(km, weights=wt)) if wt.sum() > 0 and np.isfinite(km).all() else (
                    _r(km.mean()) if np.isfinite(km).all() else None)
                row[f"{t}_max_km"] = _r(km.max()) if np.isfinite(km).all() else None
            out.append(row)
        return out

    def _per_jeugdregio(self, swvs: list[dict]) -> list[dict]:
        names = self.ds.jeugdregio_names
        out = []
        for jz, codes in self.us.jeugdregios.items():
            if jz not in self.scope and not self._swvs_of([self.us.index[c] for c in codes]):
                continue
            idx = [self.us.index[c] for c in codes]
            s_idx = sorted(self._swvs_of(idx))
            out.append({
                "jeugdregio": jz, "name": names.get(jz, jz), "n_units": len(codes),
                "n_swvs": len(s_idx), "swvs": [self.swv_ids[i] for i in s_idx],
                "pupils": _r(self.u_po[idx].sum() + self.u_vo[idx].sum(), 1),
                "n_violations": sum(1 for v in self.violations if v.swv in {self.swv_ids[i] for i in s_idx}),
            })
        return out

    def _disruption(self) -> dict:
        """Pieces per current SWV and pupils whose po / vo territory changes (see the module docstring)."""
        pc = self.us.pc4
        out: dict = {}
        assigned = self.row_swv >= 0
        total = 0.0
        self.row_changed = {"po": np.zeros(len(pc), bool), "vo": np.zeros(len(pc), bool)}
        for sector, col, w in (("po", "swv_po", self.wpo), ("vo", "swv_vo", self.wvo)):
            df = pd.DataFrame({"cur": pc[col].to_numpy(), "new": self.row_swv, "w": w})[assigned]
            by = df.groupby(["cur", "new"], sort=True).w.sum().reset_index()
            pieces = by.groupby("cur").size()
            succ = by.sort_values(["cur", "w", "new"], ascending=[True, False, True]).drop_duplicates("cur")
            succ = dict(zip(succ.cur, succ.new))
            changed = assigned & (pc[col].map(succ).fillna(-2).to_numpy() != self.row_swv)
            self.row_changed[sector] = changed
            pupils = float(w[changed].sum())
            total += pupils
            out[sector] = {
                "current_swvs": int(len(pieces)), "split": int((pieces > 1).sum()),
                "mean_pieces": _r(pieces.mean()) if len(pieces) else None,
                "max_pieces": int(pieces.max()) if len(pieces) else 0,
                "pupils_changed": _r(pupils, 1),
                "share_changed": _r(pupils / w[assigned].sum(), 4) if w[assigned].sum() > 0 else 0.0,
                "pieces": {k: int(v) for k, v in pieces.items()},
                "successor": {k: self.swv_ids[v] for k, v in sorted(succ.items())},
            }
        out["pupils_changed"] = _r(total, 1)
        return out

    def _per_gemeente(self) -> list[dict]:
        pc = self.us.pc4
        gm = pc.gemeente.to_numpy()
        names = self.ds.gemeente_names
        self.disruption = self._disruption()
        out = []
        order = np.argsort(gm, kind="stable")
        bounds = np.flatnonzero(np.r_[True, gm[order][1:] != gm[order][:-1], True])
        row_jz = pc.jeugdregio.to_numpy()
        cur_po_all = pc.swv_po.to_numpy(dtype=object)
        cur_vo_all = pc.swv_vo.to_numpy(dtype=object)
        jz_all = pc.jeugdregio.to_numpy(dtype=object)

        def shares(labels, w) -> dict:
            acc: dict[str, float] = {}
            for k, v in zip(labels, w):
                acc[k] = acc.get(k, 0.0) + float(v)
            tot = sum(acc.values())
            return {str(k): _r(v / tot if tot > 0 else 0.0, 3)
                    for k, v in sorted(acc.items(), key=lambda kv: (-kv[1], str(kv[0])))}

        for a, b in zip(bounds[:-1], bounds[1:]):
            rows = order[a:b]
            g = gm[rows[0]]
            if row_jz[rows[0]] not in self.scope and not (self.row_swv[rows] >= 0).any():
                continue  # outside a partial run
            cur_po = shares(cur_po_all[rows], self.wpo[rows])
            cur_vo = shares(cur_vo_all[rows], self.wvo[rows])
            assigned = rows[self.row_swv[rows] >= 0]
            new = shares([self.swv_ids[i] for i in self.row_swv[assigned]], self.w[assigned])
            w = self.w[rows]
            further = {}
            for t in FACILITY_TYPES:
                wt = (self.wpo if FACILITY_SECTOR[t] == "po" else self.wvo)[rows]
                worse = self.row_fac_km[t][rows] > self.row_today_km[t][rows] + FURTHER_TOLERANCE_KM
                further[t] = _r(wt[worse].sum(), 1)
            out.append({
                "gemeente": g, "name": names.get(g, g), "jeugdregio": jz_all[rows[0]],
                "pupils_po": _r(self.wpo[rows].sum(), 1), "pupils_vo": _r(self.wvo[rows].sum(), 1),
                "swv_po_today": cur_po, "swv_vo_today": cur_vo, "swv_proposed": new,
                "swv_proposed_names": {s: self.swv_names.get(s, s) for s in new},
                "oogo_today": len(cur_po) + len(cur_vo), "oogo_proposed": len(new),
                "travel_mean_km": _r(np.average(self.row_km[rows], weights=w)) if w.sum() > 0 and len(assigned) == len(rows) else None,
                "travel_max_km": _r(np.max(self.row_km[rows])) if len(assigned) == len(rows) else None,
                "pupils_further": further,
                "pupils_po_changed": _r(self.wpo[rows][self.row_changed["po"][rows]].sum(), 1),
                "pupils_vo_changed": _r(self.wvo[rows][self.row_changed["vo"][rows]].sum(), 1),
                "split": len(new) > 1,
            })
        return out

    def _facility_kpis(self) -> dict:
        pc = self.us.pc4
        out = {}
        assigned = self.row_swv >= 0
        for t in FACILITY_TYPES:
            w = (self.wpo if FACILITY_SECTOR[t] == "po" else self.wvo)
            today, prop = self.row_today_km[t], self.row_fac_km[t]
            with np.errstate(invalid="ignore"):
                extra = prop - today
            worse = assigned & (prop > today + FURTHER_TOLERANCE_KM)
            closer = assigned & (prop < today - FURTHER_TOLERANCE_KM)
            none = assigned & ~np.isfinite(prop)
            fin_t, fin_p = assigned & np.isfinite(today), assigned & np.isfinite(prop)
            ext = worse & np.isfinite(extra)
            worst = np.flatnonzero(ext)[np.argsort(-extra[ext], kind="stable")][:10]
            out[t] = {
                "today_mean_km": _r(np.average(today[fin_t], weights=w[fin_t])) if w[fin_t].sum() > 0 else None,
                "proposed_mean_km": _r(np.average(prop[fin_p], weights=w[fin_p])) if w[fin_p].sum() > 0 else None,
                "pupils_further": _r(w[worse].sum(), 1), "pc4_further": int(worse.sum()),
                "share_further": _r(w[worse].sum() / w[assigned].sum(), 4) if w[assigned].sum() > 0 else 0.0,
                "mean_extra_km": _r(np.average(extra[ext], weights=w[ext])) if w[ext].sum() > 0 else 0.0,
                "max_extra_km": _r(extra[ext].max()) if ext.any() else 0.0,
                "pupils_closer": _r(w[closer].sum(), 1),
                "pupils_without_site": _r(w[none].sum(), 1),
                "worst": [{"pc4": pc.pc4.iat[i], "gemeente": pc.gemeente.iat[i], "today_km": _r(today[i]),
                           "proposed_km": _r(prop[i]), "extra_km": _r(extra[i])} for i in worst],
            }
        return out

    def _kpis(self, swvs: list[dict], per_gm: list[dict]) -> dict:
        assigned = self.row_swv >= 0
        pupils = self.swv_pupils
        w = self.w[assigned]
        by_c: dict[str, int] = {}
        for v in self.violations:
            by_c[v.constraint] = by_c.get(v.constraint, 0) + 1
        oogo_t = np.array([g["oogo_today"] for g in per_gm])
        oogo_p = np.array([g["oogo_proposed"] for g in per_gm])
        per_jz: dict[str, int] = {}
        for i in range(len(self.swv_ids)):
            for jz in sorted({self.us.units[m].jeugdregio for m in self.members[i]}):
                per_jz[jz] = per_jz.get(jz, 0) + 1
        return {
            "data_version": getattr(self.ds, "version", None),
            "unit_level": self.us.level,
            "n_units": len(self.us.units), "n_assigned": int((self.unit_swv >= 0).sum()),
            "n_swvs": len(self.swv_ids), "n_violations": len(self.violations), "violations_by_constraint": by_c,
            "n_swvs_per_jeugdregio": dict(sorted(per_jz.items())),
            "pupils_per_swv": {"min": _r(pupils.min(), 1) if len(pupils) else None,
                               "median": _r(np.median(pupils), 1) if len(pupils) else None,
                               "max": _r(pupils.max(), 1) if len(pupils) else None},
            "pupils_total": _r(w.sum(), 1),
            "travel_km": {"mean": _r(np.average(self.row_km[assigned], weights=w)) if w.sum() > 0 else None,
                          "max": _r(self.row_km[assigned].max()) if assigned.any() else None,
                          "limit": self.sc.travel.max_km, "detour_factor": self.detour},
            "facility_km": self._facility_kpis(),
            "disruption": self.disruption,
            "oogo": {"today_total": int(oogo_t.sum()), "proposed_total": int(oogo_p.sum()),
                     "today_mean": _r(oogo_t.mean()) if len(oogo_t) else None,
                     "proposed_mean": _r(oogo_p.mean()) if len(oogo_p) else None,
                     "gemeenten_more": int((oogo_p > oogo_t).sum()), "gemeenten_fewer": int((oogo_p < oogo_t).sum()),
                     "gemeenten_split": int(sum(1 for g in per_gm if g["split"]))},
        }
