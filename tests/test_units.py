"""Unit sets: levels, adjacency lifted from PC4s, travel distances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from regioindeling.errors import InputError
from regioindeling.scenario import scenario_from_dict
from regioindeling.units import UnitSet, split_gemeenten


def test_levels(ds):
    gm = UnitSet.from_dataset(ds)
    assert len(gm.units) == 342 and gm.level == "gemeente"
    pc = UnitSet.from_dataset(ds, split_gemeenten(ds, "pc4"))
    assert len(pc.units) == len(ds.pc4) and pc.level == "pc4"
    hy = UnitSet.for_scenario(ds, scenario_from_dict({"size": {"max_pupils": 60000}, "units": {"level": "hybrid"}}))
    assert hy.split == {"GM0363", "GM0599", "GM0518"}  # Amsterdam, Rotterdam, Den Haag
    kept = UnitSet.for_scenario(ds, scenario_from_dict({"units": {"level": "hybrid", "keep_whole": ["GM0363"]}}))
    assert "GM0363" in kept.by_code and "GM0363" not in kept.split


def test_every_pc4_in_exactly_one_unit_and_pupils_conserved(ds):
    us = UnitSet.from_dataset(ds, {"GM0363"})
    seen = [p for u in us.units for p in u.pc4s]
    assert sorted(seen) == sorted(ds.pc4.pc4)
    total = ds.pc4.pupils_po.sum() + ds.pc4.pupils_vo.sum()
    assert sum(u.pupils for u in us.units) == pytest.approx(total)
    ams = [u for u in us.units if u.gemeente == "GM0363"]
    assert all(u.kind == "pc4" for u in ams) and len(ams) == int((ds.pc4.gemeente == "GM0363").sum())


def test_edges_lifted_from_pc4_adjacency(ds):
    us = UnitSet.from_dataset(ds)
    pairs = {(e.a, e.b) for e in us.edges}
    assert all(a < b for a, b in pairs)
    gm_pairs = {tuple(sorted(p)) for p in zip(ds.adjacency_gemeente.a, ds.adjacency_gemeente.b)}
    assert pairs == gm_pairs
    kinds = {(e.a, e.b): e.kind for e in us.edges}
    assert kinds[("GM0400", "GM0448")] == "ferry"  # Den Helder - Texel
    no_ferry = UnitSet.from_dataset(ds, ferry_links=False)
    assert ("GM0400", "GM0448") not in {(e.a, e.b) for e in no_ferry.edges}
    assert not us.neighbours["GM0448"] == ()


def _reach(us, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for v in us.neighbours[todo.pop()]:
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def test_zeeland_fixed_crossings(ds):
    """Zeeland's bridge, dam and tunnel join its islands and Zeeuws-Vlaanderen directly, also without ferries;
    Hulst no longer hangs on a nearest-PC4 link to Rilland (no road crosses the Saeftinghe marsh)."""
    gm = {(e.a, e.b): e.kind for e in UnitSet.from_dataset(ds).edges}
    assert gm[("GM1676", "GM1695")] == "link"  # Zeelandbrug
    assert gm[("GM0717", "GM1676")] == "link"  # Oosterscheldekering
    assert gm[("GM0654", "GM0715")] == "link"  # Westerscheldetunnel
    assert gm[("GM0718", "GM1714")] == "ferry"  # Vlissingen - Breskens
    assert ("GM0677", "GM0703") not in gm
    zeeland = set(ds.pc4.pc4[ds.pc4.jeugdregio == "JZ38"])
    pc = UnitSet.from_dataset(ds, split_gemeenten(ds, "pc4"), ferry_links=False)
    sub = {e for e in pc.edges if e.a in zeeland and e.b in zeeland}
    assert {(e.a, e.b) for e in sub if e.kind == "link"} == {("4301", "4486"), ("4328", "4354"), ("4435", "4543")}
    assert _reach(pc, "4301") >= zeeland  # Zierikzee reaches all of Zeeland without a ferry
    # without the tunnel, Zeeuws-Vlaanderen would be an island again (with the ferry links off)
    pc.neighbours["4435"] = tuple(v for v in pc.neighbours["4435"] if v != "4543")
    pc.neighbours["4543"] = tuple(v for v in pc.neighbours["4543"] if v != "4435")
    assert "4531" not in _reach(pc, "4301")


def test_facilities_and_current_swvs(ds):
    us = UnitSet.from_dataset(ds)
    for t in ("sbo", "so", "vso", "pro"):
        col = f"n_{t}"
        assert sum(u.facilities[t] for u in us.units) == int(ds.pc4[col].sum())
    groningen = us.by_code["GM0014"]
    assert sum(groningen.current_po.values()) == pytest.approx(groningen.pupils_po)
    assert sum(groningen.current_vo.values()) == pytest.approx(groningen.pupils_vo)


def test_travel_matches_a_plain_computation(ds):
    us = UnitSet.from_dataset(ds)
    units = list(us.jeugdregios["JZ13"])
    mx, wsum = us.travel(units, units, detour=1.3)
    pc = ds.pc4.set_index("pc4")
    for i, u in enumerate(units):
        for j, h in enumerate(units):
            hub = us.by_code[h]
            kms = [math.hypot(pc.x[p] - hub.x, pc.y[p] - hub.y) * 1.3 / 1000 for p in us.by_code[u].pc4s]
            w = [pc.pupils_po[p] + pc.pupils_vo[p] for p in us.by_code[u].pc4s]
            assert mx[i, j] == pytest.approx(max(kms))
            assert wsum[i, j] == pytest.approx(float(np.dot(kms, w)))
    one = us.pc4_travel_km(us.by_code[units[0]].pc4s, units[1], 1.3)
    assert one.max() == pytest.approx(mx[0, 1])


def test_for_codes(ds):
    gm_codes = list(ds.gemeenten.gemeente)
    ams_pc4 = list(ds.pc4.pc4[ds.pc4.gemeente == "GM0363"])
    us = UnitSet.for_codes(ds, [c for c in gm_codes if c != "GM0363"] + ams_pc4)
    assert us.split == {"GM0363"}
    with pytest.raises(InputError, match="unknown unit code 'GM9999'"):
        UnitSet.for_codes(ds, ["GM9999"])
    with pytest.raises(InputError, match="given whole and also split"):
        UnitSet.for_codes(ds, ["GM0363", ams_pc4[0]])
