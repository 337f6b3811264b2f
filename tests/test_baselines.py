"""Baselines on the real embedded dataset, judged by the same evaluator."""

from __future__ import annotations

import pytest

from fixtures_small import small_dataset
from regioindeling.baselines import baseline, naive_merge, status_quo
from regioindeling.data import load
from regioindeling.errors import InputError
from regioindeling.evaluate import evaluate


@pytest.fixture(scope="module")
def ds():
    return load()


@pytest.mark.parametrize("sector", ["po", "vo"])
def test_status_quo_violates_jeugdregio_exactly_where_current_swvs_cross(ds, sector):
    p = status_quo(ds, sector)
    assert set(p.assignment) == set(ds.pc4.pc4)
    ev = evaluate(ds, p)
    cur = ds.swv_current[ds.swv_current.sector == sector]
    crossing = set(cur.swv[cur.jeugdregios.str.contains(",")])  # computed by the data build, independently
    flagged = {v.swv for v in ev.violations if v.constraint == "jeugdregio"}
    assert crossing and flagged == crossing
    assert ev.kpis["n_swvs"] == len(cur)
    d = ev.kpis["disruption"][sector]
    assert d["split"] == 0 and d["pupils_changed"] == 0.0  # today's own SWVs are not disrupted
    for t in ("sbo", "so") if sector == "po" else ("vso", "pro"):
        assert ev.kpis["facility_km"][t]["pupils_further"] == 0.0  # today's distances are measured the same way


def test_naive_merge_respects_jeugdregio_and_contiguity(ds):
    p = naive_merge(ds)
    assert set(p.assignment) == set(ds.gemeenten.gemeente) and len(p.swv_ids()) == len(ds.jeugdregios)
    ev = evaluate(ds, p)
    bad = {v.constraint for v in ev.violations}
    assert not bad & {"assignment", "jeugdregio", "contiguity"}
    assert ev.kpis["oogo"]["proposed_total"] == len(ds.gemeenten)  # one SWV per gemeente to talk to
    assert ev.kpis["oogo"]["today_total"] > ev.kpis["oogo"]["proposed_total"]


def test_small_status_quo_by_hand():
    ds = small_dataset()
    ev = evaluate(ds, status_quo(ds, "po"))
    assert {v.swv for v in ev.violations if v.constraint == "jeugdregio"} == {"PO0001"}
    ev = evaluate(ds, naive_merge(ds))
    assert ev.ok and ev.kpis["n_swvs"] == 2


def test_baseline_names(ds):
    assert baseline(ds, "naive-merge").name == "naive merge"
    with pytest.raises(InputError):
        baseline(ds, "status-quo")
