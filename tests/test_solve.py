"""Orchestration on the real embedded data (gemeente level: small, fast models) and on hand-made datasets."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from regioindeling.errors import InputError
from regioindeling.evaluate import evaluate
from regioindeling.export import csv_text, geojson_text, proposal_to_geojson
from regioindeling.scenario import scenario_from_dict
from regioindeling.solve import solve
from tests.fixtures_small import small_dataset

GM = {"units": {"level": "gemeente"}, "solver": {"processes": 1, "time_limit_s": 30}}


def _sc(**over):
    d = {k: dict(v) for k, v in GM.items()}
    for k, v in over.items():
        d.setdefault(k, {})
        d[k].update(v) if isinstance(v, dict) else d.__setitem__(k, v)
    return scenario_from_dict(d)


def test_real_jeugdregios_are_optimal_and_pass_the_evaluator(ds):
    res = solve(ds, _sc(), jeugdregios=["JZ01", "JZ19", "JZ39"])
    assert [r.jeugdregio for r in res.reports] == ["JZ01", "JZ19", "JZ39"]
    assert all(r.status == "optimal" for r in res.reports), [r.message for r in res.reports]
    assert res.evaluation.ok, [v.message for v in res.evaluation.violations][:3]
    # only the requested jeugdregio's, every unit of them, SWV ids <JZ>-<hub>
    jz_of = {g: j for g, j in zip(ds.gemeenten.gemeente, ds.gemeenten.jeugdregio)}
    assert {jz_of[u] for u in res.proposal.assignment} == {"JZ01", "JZ19", "JZ39"}
    assert sum(1 for j in jz_of.values() if j in ("JZ01", "JZ19", "JZ39")) == len(res.proposal.assignment)
    for swv, hub in res.proposal.hubs.items():
        assert swv == f"{jz_of[hub]}-{hub}" and res.proposal.assignment[hub] == swv
    assert res.national["status"] == "optimal" and res.national["gap"] == pytest.approx(0, abs=1e-5)


def test_amsterdam_above_max_pupils_is_explained(ds):
    res = solve(ds, _sc(size={"max_pupils": 60_000}), jeugdregios=["JZ13", "JZ15"])
    rep = {r.jeugdregio: r for r in res.reports}
    assert rep["JZ15"].status == "optimal"  # one failing jeugdregio never breaks the others
    assert rep["JZ13"].status == "infeasible"
    assert rep["JZ13"].message == ("JZ13 Amsterdam-Amstelland: gemeente GM0363 Amsterdam has 106,700 pupils, above "
                                   "max_pupils 60,000; use unit level hybrid or raise max_pupils")
    assert res.infeasibilities == [rep["JZ13"].message]
    assert not any(u.startswith("GM03") for u in res.proposal.assignment if u in ("GM0363", "GM0362"))


def test_travel_limit_names_the_island(ds):
    res = solve(ds, _sc(travel={"max_km": 40}), jeugdregios=["JZ02"])
    msg = res.reports[0].message
    assert res.reports[0].status == "infeasible"
    assert "JZ02 Friesland" in msg and "Vlieland" in msg and "raise travel.max_km" in msg


def test_exempt_absent_facility(ds):
    strict = solve(ds, _sc(facilities={"exempt_absent": False}), jeugdregios=["JZ19"])
    assert strict.reports[0].status == "infeasible"
    assert "no so site anywhere" in strict.reports[0].message
    relaxed = solve(ds, _sc(), jeugdregios=["JZ19"])
    assert relaxed.reports[0].status == "optimal" and relaxed.evaluation.ok


def test_locks_are_respected(ds):
    base = solve(ds, _sc(), jeugdregios=["JZ39"])
    a = base.proposal.assignment
    by = base.proposal.members()
    big = max(by.values(), key=len)
    x, y = big[0], big[1]  # two gemeenten sharing an SWV: keep them apart
    res = solve(ds, _sc(locks={"apart": [[x, y]]}), jeugdregios=["JZ39"])
    assert res.reports[0].status == "optimal"
    assert res.proposal.assignment[x] != res.proposal.assignment[y]
    assert res.reports[0].objective >= base.reports[0].objective - 1e-6
    assert res.evaluation.ok
    other = next(u for u in a if a[u] != a[x])
    res = solve(ds, _sc(locks={"together": [[x, other]]}), jeugdregios=["JZ39"])
    assert res.proposal.assignment[x] == res.proposal.assignment[other]


def test_contradicting_locks_are_bad_input(ds):
    with pytest.raises(InputError, match="GM0014 and GM0037"):
        solve(ds, _sc(locks={"together": [["GM0014", "GM0037"]], "apart": [["GM0014", "GM0037"]]}),
              jeugdregios=["JZ01"])
    with pytest.raises(InputError, match="GM9999"):
        solve(ds, _sc(locks={"pin": {"GM9999": "Noord"}}), jeugdregios=["JZ01"])
    with pytest.raises(InputError, match="JZ99"):
        solve(ds, _sc(), jeugdregios=["JZ99"])


def test_lock_across_jeugdregios_is_reported(ds):
    res = solve(ds, _sc(locks={"together": [["GM0014", "GM0080"]]}), jeugdregios=["JZ01", "JZ02"])
    assert {r.status for r in res.reports} == {"infeasible"}
    assert "every SWV lies inside one jeugdregio" in res.reports[0].message


def test_deterministic_bytes(ds):
    sc = _sc(solver={"processes": 2})
    runs = [solve(ds, sc, jeugdregios=["JZ01", "JZ04", "JZ38"]) for _ in range(2)]
    texts = [(geojson_text(proposal_to_geojson(ds, r.proposal, r.evaluation)), csv_text(r.proposal)) for r in runs]
    assert texts[0] == texts[1]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pupils=st.lists(st.integers(0, 3000), min_size=6, max_size=6),
       max_pupils=st.sampled_from([4000, 8000, 100_000]), max_km=st.sampled_from([15, 30, 80]),
       level=st.sampled_from(["gemeente", "pc4"]), disruption=st.sampled_from([0.0, 2.0]))
def test_every_solution_passes_the_evaluator(pupils, max_pupils, max_km, level, disruption):
    ds = small_dataset(pupils_po=[p * 0.6 for p in pupils], pupils_vo=[p * 0.4 for p in pupils])
    sc = scenario_from_dict({"units": {"level": level}, "travel": {"max_km": max_km},
                             "size": {"max_pupils": max_pupils}, "objective": {"disruption": disruption},
                             "solver": {"processes": 1, "time_limit_s": 20}})
    res = solve(ds, sc)
    solved = {r.jeugdregio for r in res.reports if r.status == "optimal"}
    ev = evaluate(ds, res.proposal, sc)
    bad = [v for v in ev.violations if v.constraint != "assignment"]
    assert not bad, [v.message for v in bad]
    for r in res.reports:
        assert r.status in ("optimal", "infeasible"), r.message
        if r.status == "infeasible":
            assert r.message.startswith(r.jeugdregio) and "; " in r.message
    assigned_jz = {s.split("-")[0] for s in res.proposal.assignment.values()}
    assert assigned_jz == solved
