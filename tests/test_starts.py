"""Warm starts from another indeling (regioindeling.starts) and the PC4 runs' hybrid-level start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regioindeling import starts
from regioindeling.export import csv_text, geojson_text, proposal_to_geojson, write_geojson
from regioindeling.scenario import scenario_from_dict
from regioindeling.solve import _warm, build_tasks, solve
from regioindeling.units import UnitSet

ROOT = Path(__file__).resolve().parents[1]


def _sc(level: str, **over):
    d = {"units": {"level": level}, "solver": {"processes": 1, "time_limit_s": 60}}
    for k, v in over.items():
        d.setdefault(k, {}).update(v)
    return scenario_from_dict(d)


def test_a_gemeente_indeling_groups_the_pc4s_of_each_gemeente(ds):
    base = solve(ds, _sc("gemeente"), jeugdregios=["JZ22"]).proposal
    us = UnitSet.for_scenario(ds, _sc("pc4"))
    codes = list(us.jeugdregios["JZ22"])
    group, hubs = starts.groups(us, codes, base.assignment, base.hubs)
    assert min(group) >= 0 and len(set(group)) == len(base.swv_ids())
    for code, g in zip(codes, group):
        gm = us.by_code[code].gemeente
        same = {group[k] for k, c in enumerate(codes) if us.by_code[c].gemeente == gm}
        assert same == {g}  # every PC4 of a gemeente in its gemeente's SWV
    assert hubs == []  # the hubs are gemeenten, no PC4 of the run is one


def test_restart_from_the_optimum_gives_the_optimum_and_keeps_its_hubs(ds):
    sc = _sc("gemeente")
    cold = solve(ds, sc, jeugdregios=["JZ39"])
    warm = solve(ds, sc, jeugdregios=["JZ39"], start=cold.proposal)
    assert warm.reports[0].status == "optimal" and warm.evaluation.ok
    assert warm.reports[0].objective == pytest.approx(cold.reports[0].objective)
    us = UnitSet.for_scenario(ds, sc)
    (task,) = build_tasks(ds, sc, us, ["JZ39"], start=cold.proposal)
    inst = task.model.instance
    start = _warm(task)
    assert inst.violations(start) == []
    assert {inst.codes[j] for j in start} == set(cold.proposal.hubs.values())


def test_resolve_after_a_lock_change_starts_from_the_previous_proposal(ds):
    sc = _sc("gemeente")
    base = solve(ds, sc, jeugdregios=["JZ39"])
    a, b = max(base.proposal.members().values(), key=len)[:2]
    locked = _sc("gemeente", locks={"apart": [[a, b]]})
    us = UnitSet.for_scenario(ds, locked)
    (task,) = build_tasks(ds, locked, us, ["JZ39"], start=base.proposal)
    inst = task.model.instance
    given = _warm(task)
    assert inst.violations(given)  # the previous optimum breaks the new lock ...
    from solvers import heuristic

    start = heuristic.warm_start(inst, given)  # ... and the solver's start repairs it
    assert start is not None and inst.violations(start) == []
    res = solve(ds, locked, jeugdregios=["JZ39"], start=base.proposal)
    cold = solve(ds, locked, jeugdregios=["JZ39"])
    assert res.reports[0].status == "optimal" and res.evaluation.ok
    assert res.proposal.assignment[a] != res.proposal.assignment[b]
    assert res.reports[0].objective == pytest.approx(cold.reports[0].objective)
    again = solve(ds, locked, jeugdregios=["JZ39"], start=base.proposal)
    text = [(geojson_text(proposal_to_geojson(ds, r.proposal, r.evaluation)), csv_text(r.proposal)) for r in (res, again)]
    assert text[0] == text[1]  # same data, scenario and start: same bytes


def test_pc4_runs_start_from_the_hybrid_solution(ds):
    sc = _sc("pc4")
    us = UnitSet.for_scenario(ds, sc)
    (task,) = build_tasks(ds, sc, us, ["JZ43"])
    assert task.coarse is not None and task.coarse.instance.n < task.model.instance.n
    start = _warm(task)
    inst = task.model.instance
    assert start is not None and inst.violations(start) == []
    res = solve(ds, sc, jeugdregios=["JZ43"])
    assert res.reports[0].status == "optimal" and res.evaluation.ok
    assert res.reports[0].objective <= inst.objective_of(start)["objective"] + 1e-6
    (hybrid_task,) = build_tasks(ds, _sc("hybrid"), UnitSet.for_scenario(ds, _sc("hybrid")), ["JZ43"])
    assert hybrid_task.coarse is None


def test_cli_solve_with_a_start_file(tmp_path, ds):
    scenario = tmp_path / "s.toml"
    scenario.write_text('jeugdregios = ["JZ39"]\n[units]\nlevel = "gemeente"\n[solver]\nprocesses = 1\n')
    prev = tmp_path / "prev.geojson"
    base = solve(ds, _sc("gemeente"), jeugdregios=["JZ39"])
    write_geojson(prev, ds, base.proposal, base.evaluation)
    out = tmp_path / "p.geojson"
    env = dict(os.environ, COLUMNS="250")
    run = [sys.executable, "-m", "regioindeling", "solve", "--scenario", str(scenario), "--out", str(out)]
    proc = subprocess.run(run + ["--start", str(prev)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "JZ39" in proc.stdout and out.exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,swv_id\nGM9999,X\n")
    out2 = tmp_path / "p2.geojson"
    proc = subprocess.run(run[:-1] + [str(out2), "--start", str(bad)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 2 and "bad.csv" in proc.stderr and "GM9999" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out2.exists()
