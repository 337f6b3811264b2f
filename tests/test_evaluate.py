"""The evaluator on the hand-made small dataset (values computed by hand) and its speed-relevant shape."""

from __future__ import annotations

import json

import pytest

from fixtures_small import small_dataset
from regioindeling.errors import InputError
from regioindeling.evaluate import evaluate
from regioindeling.model import Proposal
from regioindeling.scenario import scenario_from_dict
from regioindeling.units import UnitSet

PC4 = ["1001", "1002", "1003", "1004", "1005", "1006"]
HALVES = {"1001": "A", "1002": "A", "1003": "A", "1004": "B", "1005": "B", "1006": "B"}


@pytest.fixture(scope="module")
def ds():
    return small_dataset()


# Hand-computed figures below assume a detour factor of 1.3 and every facility type required even where a
# jeugdregio has no site of it; the shipped defaults may differ, so the tests pin these two.
BASE = {"travel": {"detour_factor": 1.3}, "facilities": {"exempt_absent": False}}


def sc(**kw):
    merged = {k: dict(v) for k, v in BASE.items()}
    for key, value in kw.items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return scenario_from_dict(merged)


def only_maybe(ev, constraint):
    return [v for v in ev.violations if v.constraint == constraint]


def only(ev, constraint):
    got = [v for v in ev.violations if v.constraint == constraint]
    assert got, f"expected a {constraint} violation, got {ev.violations}"
    return got


def test_gemeente_level_kpis_by_hand(ds):
    ev = evaluate(ds, Proposal({"GM0001": "A", "GM0002": "B"}), sc())
    assert ev.ok and ev.violations == []
    assert ev.hubs == {"A": "GM0001", "B": "GM0002"}
    k = ev.kpis
    assert k["n_swvs"] == 2 and k["n_swvs_per_jeugdregio"] == {"JZ01": 1, "JZ02": 1}
    assert k["pupils_per_swv"] == {"min": 450.0, "median": 450.0, "max": 450.0}
    # hub at the gemeente centre (middle PC4): 10 km * 1.3 to the outer two, 0 to the middle one
    assert k["travel_km"]["max"] == 13.0 and k["travel_km"]["mean"] == pytest.approx(26 / 3, abs=0.01)
    # pro for 1004: today nearest pro in VO0001 is 1003 (13 km); proposed only 1006 in B (26 km)
    pro = k["facility_km"]["pro"]
    assert pro["pupils_further"] == 50.0 and pro["pc4_further"] == 1 and pro["max_extra_km"] == 13.0
    assert pro["worst"][0] == {"pc4": "1004", "gemeente": "GM0002", "today_km": 13.0, "proposed_km": 26.0,
                               "extra_km": 13.0}
    # sbo for 1004: today only 1001 inside PO0001 (39 km), proposed 1005 (13 km): closer
    assert k["facility_km"]["sbo"]["pupils_closer"] == 100.0 and k["facility_km"]["sbo"]["pupils_further"] == 0.0
    assert k["facility_km"]["vso"]["pupils_further"] == 0.0
    d = k["disruption"]
    assert d["po"]["pieces"] == {"PO0001": 2, "PO0002": 1} and d["po"]["successor"] == {"PO0001": "A", "PO0002": "B"}
    assert d["po"]["pupils_changed"] == 100.0  # 1004's po pupils leave PO0001's successor A
    assert d["vo"]["pieces"] == {"VO0001": 2} and d["vo"]["pupils_changed"] == 150.0  # tie -> successor A
    assert d["pupils_changed"] == 250.0
    assert k["oogo"]["today_total"] == 5 and k["oogo"]["proposed_total"] == 2
    gm = {g["gemeente"]: g for g in ev.per_gemeente}
    assert gm["GM0002"]["swv_po_today"] == {"PO0002": 0.667, "PO0001": 0.333}
    assert gm["GM0002"]["oogo_today"] == 3 and gm["GM0002"]["oogo_proposed"] == 1
    assert gm["GM0002"]["pupils_further"]["pro"] == 50.0
    s = {r["swv_id"]: r for r in ev.swvs}
    assert s["A"]["name"] == "Jeugdregio Een: Eerstedorp" and s["A"]["units"] == ["GM0001"]
    assert (s["B"]["n_sbo"], s["B"]["n_so"], s["B"]["n_vso"], s["B"]["n_pro"]) == (1, 1, 1, 1)
    assert s["B"]["pro_max_km"] == 26.0 and s["A"]["pupils_po"] == 300.0
    assert [j["n_swvs"] for j in ev.per_jeugdregio] == [1, 1]
    json.dumps(ev.to_dict())  # JSON-safe


def test_hub_is_pupil_weighted_one_median_ties_by_code():
    ds = small_dataset(pupils_po=[500, 100, 100, 100, 100, 100], pupils_vo=[0] * 6)
    ev = evaluate(ds, Proposal(dict(HALVES)), sc())
    # hub 1001 costs 100*10 + 100*20 = 3000 pupil-km; 1002 costs 500*10 + 100*10 = 6000
    assert ev.hubs["A"] == "1001"
    assert ev.hubs["B"] == "1005"
    ev = evaluate(ds, Proposal({"1001": "A", "1002": "A", "1003": "B", "1004": "B", "1005": "C", "1006": "C"}), sc())
    assert ev.hubs["B"] == "1003" and ev.hubs["C"] == "1005"  # equal weights: smallest code


def test_given_hub_is_used_and_validated(ds):
    ev = evaluate(ds, Proposal(dict(HALVES), hubs={"A": "1001"}), sc())
    assert ev.hubs["A"] == "1001" and ev.kpis["travel_km"]["max"] == 26.0
    ev = evaluate(ds, Proposal(dict(HALVES), hubs={"A": "1005"}), sc())
    (v,) = only(ev, "hub")
    assert v.swv == "A" and v.units == ("1005",) and ev.hubs["A"] == "1002"


def test_assignment_missing_and_unknown_units(ds):
    units = UnitSet.from_dataset(ds)
    ev = evaluate(ds, Proposal({"GM0001": "A", "1004": "B"}), units=units)
    msgs = only(ev, "assignment")
    assert {v.units for v in msgs} == {("1004",), ("GM0002",)}
    assert any("not assigned" in v.message and "GM0002" in v.message for v in msgs)
    assert not ev.ok
    ev = evaluate(ds, Proposal({"GM0001": "A", "GM0002": ""}), sc())
    assert only(ev, "assignment")[0].units == ("GM0002",)
    with pytest.raises(InputError, match="unknown unit code 'GM9999'"):
        evaluate(ds, Proposal({"GM0001": "A", "GM9999": "B"}), sc())


def test_jeugdregio(ds):
    (v,) = only(evaluate(ds, Proposal({"GM0001": "A", "GM0002": "A"}), sc()), "jeugdregio")
    assert v.swv == "A" and v.units == ("GM0002",) and "JZ02" in v.message


def test_contiguity_and_ferry_links():
    ds = small_dataset()
    p = Proposal({"1001": "A", "1003": "A", "1002": "B", "1004": "C", "1005": "C", "1006": "C"})
    (v,) = only(evaluate(ds, p), "contiguity")
    assert v.swv == "A" and v.units == ("1003",)
    assert not [x for x in evaluate(ds, p, sc(contiguity={"enabled": False})).violations if x.constraint == "contiguity"]
    ferry = small_dataset(ferry=[("1001", "1003")])
    assert not [x for x in evaluate(ferry, p).violations if x.constraint == "contiguity"]
    (v,) = only(evaluate(ferry, p, sc(contiguity={"ferry_links": False})), "contiguity")
    assert v.units == ("1003",)


def test_travel_limit(ds):
    a, b = only(evaluate(ds, Proposal(dict(HALVES)), sc(travel={"max_km": 12})), "travel")
    assert a.swv == "A" and a.units == ("1001", "1003") and "12 km" in a.message and "13.0 km" in a.message
    assert b.swv == "B" and b.units == ("1004", "1006")
    assert not evaluate(ds, Proposal(dict(HALVES)), sc(travel={"max_km": 13})).violations
    v = only(evaluate(ds, Proposal(dict(HALVES)), sc(travel={"max_km": 20, "detour_factor": 2.5})), "travel")[0]
    assert "25.0 km" in v.message


def test_required_facilities():
    ds = small_dataset(schools=[("1001", "sbo"), ("1002", "so/vso"), ("1003", "pro"), ("1005", "sbo"), ("1006", "so")])
    ev = evaluate(ds, Proposal({"GM0001": "A", "GM0002": "B"}), sc())
    v = only(ev, "facility")
    assert [(x.swv, x.units) for x in v] == [("B", ("GM0002",)), ("B", ("GM0002",))]
    assert "no vso" in v[0].message + v[1].message and "no pro" in v[0].message + v[1].message
    ev = evaluate(ds, Proposal({"GM0001": "A", "GM0002": "B"}), sc(facilities={"required": ["sbo", "so"]}))
    assert ev.ok
    # exempt_absent: JZ02 has no vso or pro site at all, so no indeling inside it could provide them
    ev = evaluate(ds, Proposal({"GM0001": "A", "GM0002": "B"}), sc(facilities={"exempt_absent": True}))
    assert not only_maybe(ev, "facility")


def test_facility_distance(ds):
    a, b = only(evaluate(ds, Proposal(dict(HALVES)), sc(travel={"facility_max_km": {"pro": 20}})), "facility_distance")
    assert (a.swv, a.units, b.swv, b.units) == ("A", ("1001",), "B", ("1004",)) and "26.0 km" in b.message
    assert evaluate(ds, Proposal(dict(HALVES)), sc(travel={"facility_max_km": {"pro": 26}})).ok


def test_min_max_pupils(ds):
    p = Proposal({"GM0001": "A", "GM0002": "B"})
    assert {v.swv for v in only(evaluate(ds, p, sc(size={"min_pupils": 451})), "min_pupils")} == {"A", "B"}
    assert {v.swv for v in only(evaluate(ds, p, sc(size={"max_pupils": 449})), "max_pupils")} == {"A", "B"}
    assert evaluate(ds, p, sc(size={"min_pupils": 450, "max_pupils": 450})).ok


def test_locks(ds):
    p = Proposal(dict(HALVES))
    (v,) = only(evaluate(ds, p, sc(locks={"pin": {"1001": "X", "1004": "X"}})), "lock_pin")
    assert v.units == ("1001", "1004")
    (v,) = only(evaluate(ds, p, sc(locks={"pin": {"1001": "X", "1002": "Y"}})), "lock_pin")
    assert v.swv == "A" and v.units == ("1001", "1002")
    assert evaluate(ds, p, sc(locks={"pin": {"1001": "X", "1004": "Y"}})).ok
    (v,) = only(evaluate(ds, p, sc(locks={"together": [["1001", "1006"]]})), "lock_together")
    assert v.units == ("1001", "1006")
    (v,) = only(evaluate(ds, p, sc(locks={"together": [["GM0001", "1004"]]})), "lock_together")
    assert v.units == ("1001", "1002", "1003", "1004")  # a GM code stands for its PC4 units
    (v,) = only(evaluate(ds, p, sc(locks={"apart": [["1001", "1002"]]})), "lock_apart")
    assert v.swv == "A" and v.units == ("1001", "1002")
    (v,) = only(evaluate(ds, p, sc(locks={"keep_current_whole": ["PO0001"]})), "lock_keep_current_whole")
    assert v.units == ("1001", "1002", "1003", "1004")
    assert evaluate(ds, p, sc(locks={"keep_current_whole": ["PO0002"]})).ok
    with pytest.raises(InputError, match="PO9999"):
        evaluate(ds, p, sc(locks={"keep_current_whole": ["PO9999"]}))
    with pytest.raises(InputError, match="locks.apart"):
        evaluate(ds, p, sc(locks={"apart": [["1001", "9999"]]}))


def test_swv_names_are_unique(ds):
    ev = evaluate(ds, Proposal({"1001": "A", "1002": "B", "1003": "B", "1004": "C", "1005": "C", "1006": "C"}), sc())
    names = [s["name"] for s in ev.swvs]
    assert names == ["Jeugdregio Een: Eerstedorp (1)", "Jeugdregio Een: Eerstedorp (2)", "Jeugdregio Twee: Tweestad"]


def test_deterministic(ds):
    p = Proposal(dict(HALVES))
    assert json.dumps(evaluate(ds, p).to_dict()) == json.dumps(evaluate(ds, p).to_dict())


def test_scenario_jeugdregios_limit_the_scope(ds):
    p = Proposal({"GM0001": "A"})
    ev = evaluate(ds, p, sc(jeugdregios=["JZ01"]))
    assert ev.ok and [g["gemeente"] for g in ev.per_gemeente] == ["GM0001"]
    assert [j["jeugdregio"] for j in ev.per_jeugdregio] == ["JZ01"] and ev.kpis["oogo"]["proposed_total"] == 1
    (v,) = only(evaluate(ds, p), "assignment")
    assert v.units == ("GM0002",)
    with pytest.raises(InputError, match="unknown jeugdregio 'JZ99'"):
        evaluate(ds, p, sc(jeugdregios=["JZ99"]))


def test_empty_proposal_is_all_violation_no_crash(ds):
    ev = evaluate(ds, Proposal({}), units=UnitSet.from_dataset(ds))
    assert not ev.ok and ev.kpis["n_swvs"] == 0 and ev.kpis["pupils_per_swv"]["max"] is None
    json.dumps(ev.to_dict())
